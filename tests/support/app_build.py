"""One PyInstaller build of the tray app per test session (it takes about a minute)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class OneFolderBuild:
    returncode: int
    stderr: str
    app_dir: Path  # dist/workdiary: the binary and its _internal/


def build_one_folder(workdir: Path) -> OneFolderBuild:
    pyinstaller = Path(sys.executable).with_name("pyinstaller")
    build = subprocess.run(
        [str(pyinstaller), "--noconfirm", "--log-level", "WARN",
         "--distpath", str(workdir / "dist"), "--workpath", str(workdir / "work"),
         str(ROOT / "build.spec")],
        cwd=workdir, capture_output=True, text=True, timeout=600,
    )
    return OneFolderBuild(build.returncode, build.stderr, workdir / "dist" / "workdiary")
