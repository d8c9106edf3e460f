"""One stylesheet for every window: calm neutrals, green for tracking, red for stop."""

from __future__ import annotations

from ui.paths import resource_dir

_CHEVRON = (resource_dir() / "icons" / "chevron-down.png").as_posix()

GREEN = "#16A34A"
RED = "#DC2626"
AMBER = "#D97706"
SLATE = "#64748B"
INK = "#0F172A"
MUTED = "#64748B"
LINE = "#E2E8F0"
PAPER = "#F8FAFC"
# disabled text (menu items, buttons): readable, but plainly not clickable
DISABLED = "#94A3B8"

STYLESHEET = f"""
QWidget {{ color: {INK}; font-size: 10pt; }}
QWidget#page, QDialog, QMainWindow {{ background: {PAPER}; }}
QFrame#card {{ background: white; border: 1px solid {LINE}; border-radius: 10px; }}
QLabel#title {{ font-size: 15pt; font-weight: 600; }}
QLabel#subtitle, QLabel#muted {{ color: {MUTED}; }}
QLabel#big_time {{ font-size: 30pt; font-weight: 600; }}
QLabel#caption {{ color: {MUTED}; font-size: 8pt; font-weight: 600;
                  text-transform: uppercase; letter-spacing: 1px; }}
QLabel#error {{ color: {RED}; background: #FEF2F2; border: 1px solid #FECACA;
                border-radius: 6px; padding: 6px 8px; }}
QLabel#notice {{ color: #92400E; background: #FFFBEB; border: 1px solid #FDE68A;
                 border-radius: 6px; padding: 6px 8px; }}
QLabel#state_tracking {{ color: {GREEN}; font-weight: 600; }}
QLabel#state_stopped {{ color: {MUTED}; font-weight: 600; }}
QLabel#state_idle {{ color: {AMBER}; font-weight: 600; }}
QLineEdit, QComboBox {{
    background: white; border: 1px solid #CBD5E1; border-radius: 6px; padding: 5px 8px;
    min-height: 20px; }}
QSpinBox, QDateEdit, QTimeEdit {{ min-height: 24px; min-width: 90px; }}
QComboBox::drop-down {{ border: none; width: 26px; }}
QComboBox::down-arrow {{ image: url({_CHEVRON}); width: 12px; height: 12px; }}
QLineEdit:focus, QComboBox:focus, QSpinBox:focus {{ border-color: #2563EB; }}
QPushButton {{ background: white; border: 1px solid #CBD5E1; border-radius: 6px;
               padding: 6px 14px; }}
QPushButton:hover {{ background: #F1F5F9; }}
QPushButton:disabled {{ color: {DISABLED}; }}
QPushButton#primary {{ background: #2563EB; color: white; border: none; font-weight: 600; }}
QPushButton#primary:disabled {{ background: #93C5FD; }}
QPushButton#start {{ background: {GREEN}; color: white; border: none; font-size: 12pt;
                     font-weight: 600; padding: 10px; border-radius: 8px; }}
QPushButton#start:disabled {{ background: #86EFAC; }}
QPushButton#stop {{ background: {RED}; color: white; border: none; font-size: 12pt;
                    font-weight: 600; padding: 10px; border-radius: 8px; }}
QPushButton#danger {{ color: {RED}; }}
QPushButton#link {{ border: none; background: transparent; color: #2563EB; padding: 2px 4px; }}
QProgressBar {{ background: {LINE}; border: none; border-radius: 4px; max-height: 8px; }}
QProgressBar::chunk {{ background: {GREEN}; border-radius: 4px; }}
QProgressBar#over::chunk {{ background: {RED}; }}
QProgressBar#near::chunk {{ background: {AMBER}; }}
QScrollArea {{ border: none; background: {PAPER}; }}
QMenu {{ background: white; border: 1px solid #CBD5E1; padding: 4px 0; }}
QMenu::item {{ padding: 5px 22px 5px 22px; background: transparent; }}
QMenu::item:selected {{ background: #E0E7FF; color: {INK}; }}
QMenu::item:disabled {{ color: {DISABLED}; background: transparent; }}
QMenu::separator {{ height: 1px; background: {LINE}; margin: 4px 8px; }}
"""

# The diary's slot cells, here rather than in a style sheet per widget: a widget with its
# own sheet gets its own style object, and a 60-slot day has some 360 of them (measured
# ~1.7 MiB RSS for the open diary).
CHIP_COLOURS = {  # a sync chip's kind: (ink, paper)
    "progress": ("#1D4ED8", "#DBEAFE"),
    "held": ("#475569", "#F1F5F9"),
    "pending": ("#92400E", "#FEF3C7"),
    "synced": ("#166534", "#DCFCE7"),
    "rejected": ("#991B1B", "#FEE2E2"),
    "unsaved": ("#9F1239", "#FFE4E6"),
}
STYLESHEET += f"""
QFrame#slot_cell {{ background: white; border: 1px solid {LINE}; border-radius: 8px; }}
QFrame#slot_cell[rejected="true"] {{ border-color: #FCA5A5; }}
QFrame#slot_cell[empty="true"] {{ background: transparent; border: 1px dashed {LINE};
                                  border-radius: 8px; }}
QLabel#slot_empty_time {{ color: #CBD5E1; }}
QLabel#slot_when {{ font-weight: 600; font-size: 9pt; }}
QLabel#slot_memo {{ color: #475569; font-size: 8pt; }}
QFrame#slot_cell QPushButton#delete {{ border: none; color: {DISABLED}; padding: 0;
                                       background: transparent; }}
QFrame#slot_cell QPushButton#delete:hover {{ color: {RED}; }}
QLabel#slot_thumbnail {{ background: #F1F5F9; color: {SLATE}; border-radius: 4px;
                         font-size: 8pt; }}
QLabel#slot_thumbnail[picture="true"] {{ background: {INK}; }}
QLabel#sync_chip {{ border-radius: 4px; padding: 1px 6px; font-size: 8pt; }}
QLabel#hour_label {{ color: {SLATE}; font-weight: 600; padding-top: 4px; }}
QLabel#hour_total {{ color: {SLATE}; padding-top: 4px; }}
""" + "".join(
    f'QLabel#sync_chip[chip="{kind}"] {{ color: {ink}; background: {paper}; }}\n'
    for kind, (ink, paper) in CHIP_COLOURS.items()
)
