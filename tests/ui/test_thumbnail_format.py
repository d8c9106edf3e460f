"""A thumbnail is read by the one Qt image plugin its file's suffix names, not by every
plugin Qt has (issue 13, lean app: TIFF, SVG and WebP readers loaded for JPEG
thumbnails, about 1 MiB of a 60-slot diary's memory). A fresh interpreter reads a JPEG
thumbnail the way the diary does and reports which plugins it mapped."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ui.shot_pictures import qt_format

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import io, json, sys
from PIL import Image
from PySide6.QtGui import QGuiApplication, QPixmap
from ui.shot_pictures import qt_format
app = QGuiApplication([])
buffer = io.BytesIO()
Image.new("RGB", (144, 81), (200, 40, 40)).save(buffer, "JPEG")
pixmap = QPixmap()
read = pixmap.loadFromData(buffer.getvalue(), qt_format(sys.argv[1]))
maps = open("/proc/self/maps").read()
print(json.dumps({"read": read, "size": [pixmap.width(), pixmap.height()],
                  "plugins": sorted({p for p in ("libqjpeg", "libqtiff", "libqsvg", "libqwebp")
                                     if p in maps})}))
"""


def _read_as(name: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", PROBE, name], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False,
                          env={"PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_a_jpeg_thumbnail_is_read_by_the_jpeg_plugin_alone() -> None:
    assert _read_as("0800-4502c998.thumb.jpg") == {
        "read": True, "size": [144, 81], "plugins": ["libqjpeg"]}


def test_a_file_of_unknown_kind_is_left_to_qt_to_recognize() -> None:
    report = _read_as("0800-4502c998.thumb")
    assert report["read"] is True
    plugins = report["plugins"]
    assert isinstance(plugins, list) and len(plugins) > 1  # what naming the format saves


def test_formats_by_suffix() -> None:
    assert [qt_format(n) for n in ("a.thumb.jpg", "b.JPEG", "c.thumb.webp", "d.png", "e.avif")] \
        == ["JPG", "JPG", "WEBP", "PNG", None]
