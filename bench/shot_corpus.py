"""A corpus of real screens for the codec benchmark, rendered under Xvfb by real programs.

    .venv/bin/python bench/shot_corpus.py [DIR] [--only 1080p|4k]

Each scene is a real program on its own Xvfb screen at 1920×1080 and at 3840×2160
(HiDPI: the programs scale ×2 there, as a 4K desktop does), grabbed with the tracker's
own mss grabber once the screen has stopped changing, and saved as lossless PNG:

- terminal: xterm, dark theme, coloured ``ls``/``grep``/``diff`` output of real files
- article: Chromium showing a long text page (licence text, headings, a table, code)
- photos: Chromium showing a gallery of photographs with captions
- editor: a PySide6 QPlainTextEdit, dark theme, highlighted Python source
- grid: a PySide6 QTableWidget spreadsheet with numbers, dates and coloured cells

The corpus is not committed (default DIR: artifacts/shot-corpus, ignored by git).
Debian packages beyond the project's own: bench/debian-packages.txt.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.xvfb import xvfb  # noqa: E402
from tracker.capture import is_flat  # noqa: E402
from tracker.capture_mss import MssGrabber  # noqa: E402

DEFAULT_DIR = ROOT / "artifacts" / "shot-corpus"
RESOLUTIONS = {"1080p": (1920, 1080, 1), "4k": (3840, 2160, 2)}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--ozone-platform=x11",
    "--disable-features=Translate,MediaRouter",
    "--hide-scrollbars",
    "--test-type",  # no infobar about --no-sandbox across the page
]
PHOTOS = Path("/usr/share/backgrounds")  # Debian lomiri-wallpapers: photographs
LICENCE = Path("/usr/share/common-licenses/GPL-3")
QT_SCENES = ROOT / "bench" / "scenes" / "qt_apps.py"


@dataclass(frozen=True)
class Screen:
    display: str
    width: int
    height: int
    scale: int
    workdir: Path


Launcher = Callable[[Screen], list[subprocess.Popen[bytes]]]


def spawn(args: list[str], screen: Screen, **env: str) -> subprocess.Popen[bytes]:
    """A program on the scene's display, in its own process group (ended as a group)."""
    return subprocess.Popen(
        args,
        env={**os.environ, "DISPLAY": screen.display, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


PROMPT = "\\033[1;32mdev@workdiary\\033[0m:\\033[1;34m~/workdiary\\033[0m$ "


def terminal_script(workdir: Path) -> Path:
    """Coloured output of real files, as a developer's terminal shows it."""
    script = workdir / "terminal.sh"
    script.write_text(
        "\n".join(
            line.replace("{PROMPT}", PROMPT)
            for line in [
                "sleep 1",  # until the window has its full size
                "cd " + str(ROOT),
                "export TERM=xterm-256color",
                "printf '{PROMPT}ls -l\\n'",
                "ls -l --color=always / /usr/share/backgrounds | head -n 24",
                "printf '{PROMPT}grep -n def tracker/capture.py\\n'",
                "grep -n --color=always -E 'def |class ' tracker/*.py | head -n 30",
                "printf '{PROMPT}diff -u a b\\n'",
                "diff -u --color=always tracker/slots.py tracker/schedule.py | head -n 40",
                "printf '{PROMPT}'",
                "sleep 3600",
            ]
        )
    )
    return script


DARK_TERMINAL = {
    "background": "#1e1e2e",
    "foreground": "#cdd6f4",
    "color1": "#f38ba8",
    "color2": "#a6e3a1",
    "color3": "#f9e2af",
    "color4": "#89b4fa",
    "color5": "#f5c2e7",
    "color6": "#94e2d5",
    "color9": "#f38ba8",
    "color10": "#a6e3a1",
    "color11": "#f9e2af",
    "color12": "#89b4fa",
    "color13": "#f5c2e7",
    "color14": "#94e2d5",
}


def terminal(screen: Screen) -> list[subprocess.Popen[bytes]]:
    resources = [
        arg for key, value in DARK_TERMINAL.items() for arg in ("-xrm", f"*{key}: {value}")
    ]
    script = terminal_script(screen.workdir)
    args = ["xterm", *resources, "-fa", "DejaVu Sans Mono", "-fs", str(11 * screen.scale)]
    args += ["-geometry", "+0+0", "-bw", "0", "-b", "0", "-xrm", "*scrollBar: false"]
    process = spawn([*args, "-e", "bash", str(script)], screen)
    fill_screen(screen, "xterm", process)
    return [process]


def fill_screen(screen: Screen, name: str, process: subprocess.Popen[bytes]) -> None:
    """No window manager on Xvfb: place and size the program's window ourselves."""
    found = subprocess.run(
        ["xdotool", "search", "--sync", "--onlyvisible", "--pid", str(process.pid)],
        env={**os.environ, "DISPLAY": screen.display},
        capture_output=True,
        text=True,
        timeout=60,
    )
    for window in found.stdout.split():
        subprocess.run(
            [
                "xdotool",
                "windowmove",
                window,
                "0",
                "0",
                "windowsize",
                window,
                str(screen.width),
                str(screen.height),
            ],
            env={**os.environ, "DISPLAY": screen.display},
            check=True,
            timeout=20,
        )
    if not found.stdout.split():
        raise RuntimeError(f"{name} showed no window")


def chromium(page: Path) -> Launcher:
    def launch(screen: Screen) -> list[subprocess.Popen[bytes]]:
        profile = screen.workdir / "chromium-profile"
        args = [
            CHROMIUM,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--force-device-scale-factor={screen.scale}",
            f"--window-size={screen.width},{screen.height}",
            "--window-position=0,0",
            f"--app=file://{page}",
        ]
        return [spawn(args, screen)]

    return launch


def article_page(workdir: Path) -> Path:
    """A documentation-style page: navigation, headings, prose, a table and code."""
    paragraphs = [p.strip() for p in LICENCE.read_text().split("\n\n") if p.strip()]
    body: list[str] = []
    for index, paragraph in enumerate(paragraphs[:60]):
        text = html.escape(" ".join(paragraph.split()))
        if len(text) < 60:
            body.append(f"<h2>{text}</h2>")
        else:
            body.append(f"<p>{text}</p>")
        if index == 6:
            body.append(TABLE_HTML)
        if index == 12:
            body.append("<pre><code>" + html.escape(capture_source()[:900]) + "</code></pre>")
    nav = "".join(
        f"<li><a href='#'>Section {n}: terms and conditions</a></li>" for n in range(1, 25)
    )
    page = workdir / "article.html"
    page.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>Licence</title>"
        f"<style>{ARTICLE_CSS}</style></head><body><nav><ul>{nav}</ul></nav>"
        f"<main><h1>GNU General Public License, version 3</h1>{''.join(body)}</main></body></html>"
    )
    return page


TABLE_HTML = (
    "<table><tr><th>Week</th><th>Hours</th><th>Rate</th><th>Amount</th><th>Status</th></tr>"
    + "".join(
        f"<tr><td>2026-W{w:02d}</td><td>{30 + w % 9}.{w % 6}0</td><td>$45.00</td>"
        f"<td>${(30 + w % 9) * 45:,}.00</td><td class='s{w % 3}'>"
        f"{('paid', 'in review', 'disputed')[w % 3]}</td></tr>"
        for w in range(40, 48)
    )
    + "</table>"
)
ARTICLE_CSS = """
body { margin: 0; font-family: 'DejaVu Sans', sans-serif; color: #222; background: #fff;
       display: flex; }
nav { width: 260px; background: #f3f4f6; font-size: 13px; padding: 12px; flex: none; }
nav a { color: #1a56db; text-decoration: none; } nav li { margin: 6px 0; }
main { padding: 8px 40px; font-size: 15px; line-height: 1.45; columns: 2; column-gap: 40px; }
h1 { column-span: all; font-size: 28px; } h2 { font-size: 18px; color: #0b3d91; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
td, th { border: 1px solid #ccc; padding: 3px 8px; } th { background: #e8eefc; }
.s0 { color: #137333; } .s1 { color: #b06000; } .s2 { color: #c5221f; }
pre { background: #f6f8fa; font-size: 12px; padding: 8px; white-space: pre-wrap; }
"""


def capture_source() -> str:
    return (ROOT / "tracker" / "capture.py").read_text()


def photo_page(workdir: Path) -> Path:
    """A gallery of photographs with captions, as a photo site shows them."""
    photos = sorted(p for p in PHOTOS.glob("*.jpg"))[:9]
    if len(photos) < 6:
        raise RuntimeError(f"need photographs in {PHOTOS}: see bench/debian-packages.txt")
    cards = "".join(
        f"<figure><img src='{web_copy(p, workdir).name}'>"
        f"<figcaption>{html.escape(p.stem.replace('_', ' '))}</figcaption></figure>"
        for p in photos
    )
    page = workdir / "photos.html"
    page.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><style>"
        "body{margin:0;background:#111;color:#eee;font-family:'DejaVu Sans',sans-serif}"
        "header{padding:10px 24px;font-size:22px;background:#222}"
        "main{display:grid;grid-template-columns:repeat(3,1fr);gap:12px;padding:12px 24px}"
        "figure{margin:0}img{width:100%;height:250px;object-fit:cover;display:block}"
        "figcaption{font-size:14px;padding:4px 0;color:#bbb}"
        f"</style></head><body><header>Gallery — landscapes</header><main>{cards}</main>"
        "</body></html>"
    )
    return page


def web_copy(photo: Path, workdir: Path) -> Path:
    """The photograph at web size, as a photo site serves it (and quick to load)."""
    target = workdir / f"{photo.stem}.jpg"
    with Image.open(photo) as picture:
        picture.thumbnail((1600, 1600))
        picture.convert("RGB").save(target, "JPEG", quality=90)
    return target


def qt_scene(name: str) -> Launcher:
    def launch(screen: Screen) -> list[subprocess.Popen[bytes]]:
        process = spawn(
            [sys.executable, str(QT_SCENES), name, str(screen.width), str(screen.height)],
            screen,
            QT_SCALE_FACTOR=str(screen.scale),
            QT_QPA_PLATFORM="xcb",
        )
        return [process]

    return launch


def scenes(workdir: Path) -> dict[str, Launcher]:
    return {
        "terminal": terminal,
        "article": chromium(article_page(workdir)),
        "photos": chromium(photo_page(workdir)),
        "editor": qt_scene("editor"),
        "grid": qt_scene("grid"),
    }


def settled_grab(grabber: MssGrabber, timeout_s: float = 90.0) -> bytes:
    """Grab until two grabs a second apart are the same and not one flat colour."""
    deadline = time.monotonic() + timeout_s
    previous = ""
    while True:
        image = grabber.grab()
        digest = hashlib.sha256(image.tobytes()).hexdigest()
        if digest == previous and not is_flat(image):
            out = io.BytesIO()
            image.save(out, "PNG", compress_level=3)
            return out.getvalue()
        if time.monotonic() > deadline:
            raise RuntimeError("the screen did not settle")
        previous = digest
        time.sleep(1.0)  # a program drawing: wall time passing is the point


def end(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def scene_screen(width: int, height: int, scale: int) -> Iterator[Screen]:
    with xvfb(screens=((width, height),)) as server, tempfile.TemporaryDirectory() as folder:
        yield Screen(server.display, width, height, scale, Path(folder))


def render(name: str, resolution: str, out: Path) -> Path:
    width, height, scale = RESOLUTIONS[resolution]
    target = out / f"{name}-{resolution}.png"
    with scene_screen(width, height, scale) as screen:
        launcher = scenes(screen.workdir)[name]
        processes = launcher(screen)
        try:
            time.sleep(4.0)  # let the program start and load before polling the screen
            target.write_bytes(settled_grab(MssGrabber(display=screen.display)))
        finally:
            end(processes)
    return target


def check_tools() -> None:
    missing = [tool for tool in ("xterm", "xdotool", CHROMIUM) if shutil.which(tool) is None]
    if missing or not PHOTOS.is_dir():
        packages = (ROOT / "bench" / "debian-packages.txt").read_text().split()
        raise SystemExit(f"missing {missing or PHOTOS}: apt-get install {' '.join(packages)}")


def build(out: Path, resolutions: list[str]) -> list[Path]:
    check_tools()
    out.mkdir(parents=True, exist_ok=True)
    made = []
    for resolution in resolutions:
        for name in ("terminal", "article", "photos", "editor", "grid"):
            target = out / f"{name}-{resolution}.png"
            if not target.exists():
                render(name, resolution, out)
                print(f"  rendered {target.name}")
            made.append(target)
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--only", choices=sorted(RESOLUTIONS))
    parsed = parser.parse_args()
    resolutions = [parsed.only] if parsed.only else list(RESOLUTIONS)
    paths = build(parsed.out, resolutions)
    print(f"corpus: {len(paths)} screens in {parsed.out}")


if __name__ == "__main__":
    main()
