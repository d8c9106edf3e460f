"""Turn the PyInstaller one-folder build into a .deb (run by ``./dev build``).

Layout of the package:

- ``/usr/lib/workdiary/``: the one-folder build (the bootloader finds ``_internal``
  next to its real path, so a symlink on PATH works);
- ``/usr/bin/workdiary``: that symlink;
- ``/usr/share/applications/workdiary.desktop``: the menu entry;
- ``/usr/share/icons/hicolor/<size>/apps/workdiary.png`` (and ``scalable/…svg``): the
  app icon. dpkg triggers of hicolor-icon-theme and desktop-file-utils refresh the
  caches, so the package has no maintainer scripts.

Nothing is written outside those paths at install or at run time, so ``dpkg --purge``
leaves only the user's own data (``~/.local/share/Workdiary``, ``~/.config/Workdiary``
and the per-user autostart entry that the Settings toggle writes).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "workdiary"
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)
# The picture the app uses for its own window (ui.icons.app_icon).
ICON_STEM = "tracking"
# What the bundled Qt (xcb) and mss load from the system rather than from the bundle.
DEPENDS = (
    "libc6", "libxkbcommon-x11-0", "libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1",
    "libxcb-shape0", "libxcb-randr0", "libxcb-render-util0", "libxcb-image0",
    "libxcb-xinerama0", "libxcb-xkb1", "libegl1", "libgl1", "libfontconfig1",
    "libdbus-1-3", "libx11-6",
)
RECOMMENDS = ("gnome-keyring | kwalletmanager", "hicolor-icon-theme")


def project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as file:
        version = tomllib.load(file)["project"]["version"]
    assert isinstance(version, str)
    return version


def architecture() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], check=True,
                          capture_output=True, text=True).stdout.strip()


def control_file(version: str, arch: str, installed_kib: int) -> str:
    return (
        f"Package: {PACKAGE}\n"
        f"Version: {version}\n"
        f"Architecture: {arch}\n"
        "Maintainer: Workdiary developers <dev@workdiary.invalid>\n"
        f"Installed-Size: {installed_kib}\n"
        f"Depends: {', '.join(DEPENDS)}\n"
        f"Recommends: {', '.join(RECOMMENDS)}\n"
        "Section: utils\n"
        "Priority: optional\n"
        "Description: time tracker with work diary for hourly freelance contracts\n"
        " Workdiary sits in the system tray, logs time in 10-minute slots with one\n"
        " screenshot and activity counts per slot, and syncs them to the billing backend.\n"
    )


def stage(app_dir: Path, staging: Path) -> None:
    """Lay out the package's files under ``staging`` (the future ``/``)."""
    lib = staging / "usr" / "lib" / PACKAGE
    shutil.copytree(app_dir, lib, symlinks=True)
    bin_dir = staging / "usr" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / PACKAGE).symlink_to(f"../lib/{PACKAGE}/{PACKAGE}")
    applications = staging / "usr" / "share" / "applications"
    applications.mkdir(parents=True)
    shutil.copy2(ROOT / "packaging" / "workdiary.desktop", applications / "workdiary.desktop")
    icons = ROOT / "resources" / "icons"
    hicolor = staging / "usr" / "share" / "icons" / "hicolor"
    for size in ICON_SIZES:
        target = hicolor / f"{size}x{size}" / "apps"
        target.mkdir(parents=True)
        shutil.copy2(icons / f"{ICON_STEM}-{size}.png", target / f"{PACKAGE}.png")
    scalable = hicolor / "scalable" / "apps"
    scalable.mkdir(parents=True)
    shutil.copy2(icons / f"{ICON_STEM}.svg", scalable / f"{PACKAGE}.svg")
    doc = staging / "usr" / "share" / "doc" / PACKAGE
    doc.mkdir(parents=True)
    shutil.copy2(ROOT / "README.md", doc / "README.md")


def size_kib(folder: Path) -> int:
    return sum(path.lstat().st_size for path in folder.rglob("*")) // 1024 + 1


def build_deb(app_dir: Path, out_dir: Path, compression: str = "zstd") -> Path:
    if not (app_dir / PACKAGE).is_file():
        raise SystemExit(f"{app_dir} holds no one-folder build (run pyinstaller build.spec)")
    version, arch = project_version(), architecture()
    out_dir.mkdir(parents=True, exist_ok=True)
    deb = out_dir / f"{PACKAGE}_{version}_{arch}.deb"
    with tempfile.TemporaryDirectory(prefix="workdiary-deb-") as temporary:
        staging = Path(temporary) / "root"
        stage(app_dir, staging)
        (staging / "DEBIAN").mkdir()
        (staging / "DEBIAN" / "control").write_text(
            control_file(version, arch, size_kib(staging)), encoding="utf-8")
        # files owned by root whoever builds; zstd level 3 packs the 250 MB folder in
        # seconds where xz takes minutes on two cores
        subprocess.run(["dpkg-deb", "--root-owner-group", f"-Z{compression}", "-z3",
                        "--build", str(staging), str(deb)], check=True,
                       stdout=subprocess.DEVNULL)
    return deb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", type=Path, default=ROOT / "dist" / PACKAGE,
                        help="the one-folder build (default dist/workdiary)")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where the .deb goes")
    args = parser.parse_args(argv)
    print(build_deb(args.app, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
