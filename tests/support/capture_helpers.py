"""Known screen content for capture tests: a checkerboard tiled over the X root window."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

SQUARE = 32  # the pattern repeats every 2 × SQUARE pixels, from the root's origin
FOREGROUND = (255, 128, 0)
BACKGROUND = (0, 64, 192)


def _xbm() -> str:
    size = 2 * SQUARE
    rows = []
    for y in range(size):
        bits = [((x < SQUARE) != (y < SQUARE)) for x in range(size)]
        row = []
        for byte_start in range(0, size, 8):
            value = sum(1 << i for i, bit in enumerate(bits[byte_start : byte_start + 8]) if bit)
            row.append(f"0x{value:02x}")
        rows.append(", ".join(row))
    body = ",\n".join(rows)
    return (
        f"#define checker_width {size}\n#define checker_height {size}\n"
        f"static unsigned char checker_bits[] = {{\n{body} }};\n"
    )


def expected_colour(x: int, y: int) -> tuple[int, int, int]:
    """The colour the checkerboard has at root pixel (x, y)."""
    in_left = (x % (2 * SQUARE)) < SQUARE
    in_top = (y % (2 * SQUARE)) < SQUARE
    return FOREGROUND if in_left != in_top else BACKGROUND


def paint_checkerboard(display: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        bitmap = Path(folder) / "checker.xbm"
        bitmap.write_text(_xbm())
        run_x(
            display,
            "xsetroot",
            "-bitmap",
            str(bitmap),
            "-fg",
            _hex(FOREGROUND),
            "-bg",
            _hex(BACKGROUND),
        )


def _hex(colour: tuple[int, int, int]) -> str:
    red, green, blue = colour
    return f"#{red:02x}{green:02x}{blue:02x}"


def paint_solid(display: str, colour: str) -> None:
    run_x(display, "xsetroot", "-solid", colour)


def run_x(display: str, *args: str) -> str:
    result = subprocess.run(
        args, env={**os.environ, "DISPLAY": display}, capture_output=True, text=True, timeout=20
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def square_centres(
    left: int, top: int, width: int, height: int, step: int = 7
) -> list[tuple[int, int]]:
    """Centres of every ``step``-th pattern square inside a rectangle."""
    points = []
    for y in range(top + SQUARE // 2, top + height - SQUARE // 2, SQUARE * step):
        for x in range(left + SQUARE // 2, left + width - SQUARE // 2, SQUARE * step):
            points.append((x - x % SQUARE + SQUARE // 2, y - y % SQUARE + SQUARE // 2))
    return points
