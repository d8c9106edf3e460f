"""The autostart entry of the packaged app names /usr/bin/workdiary, not the folder."""

from __future__ import annotations

from pathlib import Path

from ui.autostart import command_on_path, desktop_entry


def _package_layout(root: Path) -> tuple[Path, Path]:
    binary = root / "usr" / "lib" / "workdiary" / "workdiary"
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    on_path = root / "usr" / "bin" / "workdiary"
    on_path.parent.mkdir(parents=True)
    on_path.symlink_to("../lib/workdiary/workdiary")
    return binary, on_path


def test_the_frozen_binary_is_named_by_its_command_on_path(tmp_path: Path) -> None:
    binary, on_path = _package_layout(tmp_path)
    assert command_on_path(str(binary), search_path=str(on_path.parent)) == str(on_path)


def test_a_workdiary_on_path_that_is_another_program_is_not_used(tmp_path: Path) -> None:
    binary, _ = _package_layout(tmp_path / "a")
    _, other = _package_layout(tmp_path / "b")
    assert command_on_path(str(binary), search_path=str(other.parent)) == str(binary)


def test_the_entry_is_skipped_once_the_command_is_gone() -> None:
    entry = desktop_entry(["/usr/bin/workdiary"])
    assert "Exec=/usr/bin/workdiary\n" in entry
    assert "TryExec=/usr/bin/workdiary\n" in entry
