"""A corpus of real screens for the codec benchmark, rendered under Xvfb by real programs.

    .venv/bin/python bench/shot_corpus.py [DIR] [--only 1080p|4k]

Each scene is a real program on its own Xvfb screen at 1920×1080 and at 3840×2160
(HiDPI: the programs scale ×2 there, as a 4K desktop does), grabbed with the tracker's
own mss grabber once the screen has stopped changing, and saved as lossless PNG, with
the text the screen shows beside it (``<screen>.txt``, one line per line of text on
screen: the OCR gate of bench/codec.py reads against it):

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
import shlex
import shutil
import signal
import socket
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


COMMANDS = [  # (what the prompt shows, the command; {}: colour always or never)
    ("ls -l", "ls -l --color={} / /usr/share/backgrounds | head -n 24"),
    (
        "grep -n def tracker/capture.py",
        "grep -n --color={} -E 'def |class ' tracker/*.py | head -n 30",
    ),
    ("diff -u a b", "diff -u --color={} tracker/slots.py tracker/schedule.py | head -n 40"),
]


def terminal_script(workdir: Path) -> Path:
    """Coloured output of real files, as a developer's terminal shows it; the same
    output without colour goes to ``transcript.txt`` and the terminal's size to
    ``size.txt``, for the ground truth (:func:`terminal_truth`)."""
    transcript = workdir / "transcript.txt"
    lines = ["sleep 1", "cd " + str(ROOT), "export TERM=xterm-256color"]  # sleep: full size
    lines.append(f"stty size > {workdir / 'size.txt'}")
    for shown, command in COMMANDS:
        lines.append("printf '{PROMPT}%s\\n' " + shlex.quote(shown))
        lines.append(command.format("always"))
        lines.append(f"printf '%s\\n' {shlex.quote(PLAIN_PROMPT + shown)} >> {transcript}")
        lines.append(f"{command.format('never')} >> {transcript}")
    lines += ["printf '{PROMPT}'", f"printf '%s' {shlex.quote(PLAIN_PROMPT)} >> {transcript}"]
    lines.append("sleep 3600")
    script = workdir / "terminal.sh"
    script.write_text("\n".join(line.replace("{PROMPT}", PROMPT) for line in lines))
    return script


PLAIN_PROMPT = "dev@workdiary:~/workdiary$ "


def terminal_truth(workdir: Path) -> str:
    """The lines xterm shows: the transcript wrapped at the terminal's width, tabs at
    every 8 columns, the last ``rows`` of them (the rest scrolled away)."""
    rows, columns = (int(n) for n in (workdir / "size.txt").read_text().split())
    wrapped: list[str] = []
    for line in (workdir / "transcript.txt").read_text().split("\n"):
        line = line.expandtabs(8)
        wrapped += [line[i : i + columns] for i in range(0, max(1, len(line)), columns)]
    return "\n".join(wrapped[-rows:])


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
        port = free_port()
        (screen.workdir / "cdp-port.txt").write_text(str(port))
        args = [
            CHROMIUM,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--force-device-scale-factor={screen.scale}",
            f"--window-size={screen.width},{screen.height}",
            "--window-position=0,0",
            f"--remote-debugging-port={port}",  # for the ground truth, read after the grab
            f"--app=file://{page}",
        ]
        return [spawn(args, screen)]

    return launch


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# Runs in the page: every word wholly inside the viewport, a new line where the next
# word starts lower or further left (two columns come out one after the other).
VISIBLE_LINES_JS = """
() => {
  const lines = [], range = document.createRange();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let line = [], last = null;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const word of node.textContent.matchAll(/\\S+/g)) {
      range.setStart(node, word.index);
      range.setEnd(node, word.index + word[0].length);
      const box = range.getClientRects()[0];
      if (!box || box.width === 0 || box.left < 0 || box.top < 0
          || box.right > innerWidth || box.bottom > innerHeight) continue;
      if (last && (Math.abs(box.top - last.top) > box.height / 2 || box.left < last.left)) {
        lines.push(line.join(' '));
        line = [];
      }
      line.push(word[0]);
      last = box;
    }
  }
  if (line.length) lines.push(line.join(' '));
  return lines.join('\\n');
}
"""


def chromium_truth(workdir: Path) -> str:
    """The text the Chromium window shows, asked of the running browser over CDP."""
    from playwright.sync_api import sync_playwright  # the test extra; only this scene

    port = (workdir / "cdp-port.txt").read_text()
    with sync_playwright() as playwright:
        browser = playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")
        try:
            page = next(p for c in browser.contexts for p in c.pages if p.url.startswith("file:"))
            return str(page.evaluate(VISIBLE_LINES_JS))
        finally:
            browser.close()


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
        size = [str(screen.width), str(screen.height)]
        process = spawn(
            [sys.executable, str(QT_SCENES), name, *size, str(screen.workdir / "truth.txt")],
            screen,
            QT_SCALE_FACTOR=str(screen.scale),
            QT_QPA_PLATFORM="xcb",
        )
        return [process]

    return launch


def qt_truth(workdir: Path) -> str:
    """The text the Qt program found on its screen (bench/scenes/qt_apps.py writes it)."""
    truth = workdir / "truth.txt"
    deadline = time.monotonic() + 30
    while not truth.exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the Qt scene wrote no ground truth")
        time.sleep(0.5)
    return truth.read_text()


def scenes(workdir: Path) -> dict[str, Launcher]:
    return {
        "terminal": terminal,
        "article": chromium(article_page(workdir)),
        "photos": chromium(photo_page(workdir)),
        "editor": qt_scene("editor"),
        "grid": qt_scene("grid"),
    }


TRUTHS: dict[str, Callable[[Path], str]] = {
    "terminal": terminal_truth,
    "article": chromium_truth,
    "photos": chromium_truth,
    "editor": qt_truth,
    "grid": qt_truth,
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
    """The screen as ``<name>-<resolution>.png`` and its text as ``….txt`` beside it."""
    width, height, scale = RESOLUTIONS[resolution]
    target = out / f"{name}-{resolution}.png"
    with scene_screen(width, height, scale) as screen:
        launcher = scenes(screen.workdir)[name]
        processes = launcher(screen)
        try:
            time.sleep(4.0)  # let the program start and load before polling the screen
            png = settled_grab(MssGrabber(display=screen.display))
            truth = TRUTHS[name](screen.workdir)
        finally:
            end(processes)
    target.with_suffix(".txt").write_text(truth + "\n")
    target.write_bytes(png)  # last: a screen without its text is rendered again
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
            if not (target.exists() and target.with_suffix(".txt").exists()):
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
