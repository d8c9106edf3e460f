"""Draw the tray state icons as SVG and rasterise them to PNG.

Run from the repository root: ``.venv/bin/python resources/make_icons.py``.
The SVGs are the source; the PNGs are what the app loads, so the frozen build needs no
SVG plug-in. Every icon is a coloured disc (the state at a glance, even at 16 px) with a
white glyph (the state for people who do not see the colour).
"""

from __future__ import annotations

import sys
from pathlib import Path

ICON_DIR = Path(__file__).resolve().parent / "icons"
SIZES = (16, 22, 24, 32, 48, 64, 128, 256)

CLOCK_HANDS = (
    '<circle cx="32" cy="32" r="17" fill="none" stroke="#fff" stroke-width="5"/>'
    '<path d="M32 22 V32 L39 37" fill="none" stroke="#fff" stroke-width="5" '
    'stroke-linecap="round" stroke-linejoin="round"/>'
)

# state name -> (disc colour, glyph)
STATES: dict[str, tuple[str, str]] = {
    # Stopped: slate disc, clock outline — nothing is being logged.
    "stopped": ("#64748B", CLOCK_HANDS),
    # Tracking: green disc with a play triangle.
    "tracking": ("#16A34A", '<path d="M25 18 L47 32 L25 46 Z" fill="#fff" stroke="#fff" '
                 'stroke-width="3" stroke-linejoin="round"/>'),
    # Idle pending: amber disc with pause bars — the app waits for keep/discard.
    "idle_pending": ("#D97706", '<rect x="21" y="19" width="8" height="26" rx="2" fill="#fff"/>'
                     '<rect x="35" y="19" width="8" height="26" rx="2" fill="#fff"/>'),
    # Over cap: red disc with an exclamation mark.
    "over_cap": ("#DC2626", '<rect x="28" y="14" width="8" height="24" rx="4" fill="#fff"/>'
                 '<circle cx="32" cy="47" r="4.5" fill="#fff"/>'),
    # Offline / sync error: slate-blue disc, clock, and an orange badge.
    "offline": ("#334155", CLOCK_HANDS
                + '<circle cx="49" cy="49" r="13" fill="#F97316" stroke="#fff" stroke-width="3"/>'
                '<path d="M43.5 43.5 L54.5 54.5 M54.5 43.5 L43.5 54.5" stroke="#fff" '
                'stroke-width="3.5" stroke-linecap="round"/>'),
    # Store alert: crimson disc, a white disk (the local store) and an amber "!" badge —
    # tracked minutes are only in memory until the store can be written again.
    "store_alert": ("#9F1239", '<rect x="17" y="16" width="26" height="32" rx="4" fill="#fff"/>'
                    '<rect x="23" y="16" width="14" height="10" fill="#9F1239"/>'
                    '<circle cx="48" cy="48" r="13" fill="#F59E0B" stroke="#fff" stroke-width="3"/>'
                    '<rect x="46" y="39" width="4" height="11" rx="2" fill="#fff"/>'
                    '<circle cx="48" cy="55" r="2.3" fill="#fff"/>'),
}


# The combo box arrow (the stylesheet hides the native one with its frame).
CHEVRON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 12 12" width="12" height="12">'
    '<path d="M2.5 4.5 L6 8 L9.5 4.5" fill="none" stroke="#475569" stroke-width="1.6" '
    'stroke-linecap="round" stroke-linejoin="round"/></svg>\n'
)


def svg_for(colour: str, glyph: str) -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">'
        f'<circle cx="32" cy="32" r="30" fill="{colour}"/>{glyph}</svg>\n'
    )


def rasterise(svg: str, width: int, path: Path) -> None:
    """Render ``svg`` as a square ``width`` px PNG with a transparent background."""
    from PySide6.QtCore import QByteArray, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(QByteArray(svg.encode()))
    image = QImage(width, width, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    image.save(str(path))


def main() -> int:
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    ICON_DIR.mkdir(exist_ok=True)
    for name, (colour, glyph) in STATES.items():
        svg = svg_for(colour, glyph)
        (ICON_DIR / f"{name}.svg").write_text(svg, encoding="utf-8")
        for size in SIZES:
            rasterise(svg, size, ICON_DIR / f"{name}-{size}.png")
    (ICON_DIR / "chevron-down.svg").write_text(CHEVRON_SVG, encoding="utf-8")
    for scale, suffix in ((1, ""), (2, "@2x")):
        rasterise(CHEVRON_SVG, 12 * scale, ICON_DIR / f"chevron-down{suffix}.png")
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
