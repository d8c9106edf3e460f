"""A real headless Wayland desktop for tests: sway + pipewire + xdg-desktop-portal(-wlr).

Everything runs as a non-root user, as on a real desktop: xdg-desktop-portal refuses a
caller whose ``/proc/PID/root`` it cannot open, and sway will not run as root either.
Under root (CI) the fixture creates that user; otherwise it uses the current one.
Set-up, measured on this machine kind: sway headless with two outputs, a private
session bus, pipewire (xdg-desktop-portal-wlr 0.7 exits without it, even for
screenshots), then the wlr backend and the portal frontend; grim takes the shot.

Clients run as that user too: :meth:`WaylandDesktop.run_as_user` forks, drops to the
user (keeping the modules this process already imported) and returns the child's bytes.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from jeepney import message_bus  # type: ignore[import-untyped]
from jeepney.io.blocking import Proxy, open_dbus_connection  # type: ignore[import-untyped]

USER = "workdiary-wayland"
PORTAL_BINARIES = ("/usr/libexec/xdg-desktop-portal", "/usr/libexec/xdg-desktop-portal-wlr")
TOOLS = ("sway", "swaymsg", "swaybg", "grim", "pipewire", "dbus-daemon")
START_TIMEOUT_S = 15.0
_PR_SET_DUMPABLE = 4

# A session bus any local user may join: the test (root) watches it, the desktop's
# processes (the user) own their names on it.
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


@dataclass(frozen=True)
class Output:
    name: str
    x: int
    width: int
    height: int
    colour: tuple[int, int, int]

    @property
    def hex(self) -> str:
        return "#{:02x}{:02x}{:02x}".format(*self.colour)


@dataclass
class WaylandDesktop:
    """A running desktop: its bus, its Wayland socket, its outputs and their colours."""

    root: Path
    uid: int
    gid: int
    outputs: tuple[Output, ...]
    bus_address: str = ""
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def runtime_dir(self) -> Path:
        return self.root / "run"

    def user_env(self) -> dict[str, str]:
        """The environment of an app in this session."""
        return {
            "HOME": str(self.root / "home"),
            "PATH": "/usr/bin:/bin",
            "XDG_RUNTIME_DIR": str(self.runtime_dir),
            "XDG_SESSION_TYPE": "wayland",
            "XDG_CURRENT_DESKTOP": "sway",
            "WAYLAND_DISPLAY": "wayland-1",
            "DBUS_SESSION_BUS_ADDRESS": self.bus_address,
        }

    def spawn(self, argv: list[str], log_name: str, **extra: str) -> subprocess.Popen[bytes]:
        log = (self.root / f"{log_name}.log").open("wb")
        process = subprocess.Popen(
            argv, env={**self.user_env(), **extra}, stdout=log, stderr=subprocess.STDOUT,
            user=self.uid if os.geteuid() == 0 else None,
            group=self.gid if os.geteuid() == 0 else None,
            extra_groups=[] if os.geteuid() == 0 else None,
            start_new_session=True)
        log.close()
        self.processes.append(process)
        return process

    def swaymsg(self, *command: str) -> None:
        socket = str(next(self.runtime_dir.glob("sway-ipc.*.sock")))
        if self.spawn(["swaymsg", *command], "swaymsg", SWAYSOCK=socket).wait(10) != 0:
            raise RuntimeError(f"swaymsg {' '.join(command)} failed:\n{self.log('swaymsg')}")

    def log(self, name: str) -> str:
        path = self.root / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def run_as_user(self, job: Callable[[], bytes], timeout_s: float = 20) -> bytes:
        """Run ``job`` in a child process as the desktop's user; return what it returned."""
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into pytest
            status = 1
            try:
                os.close(reader)
                self._become_user()
                os.environ.clear()
                os.environ.update(self.user_env())
                with os.fdopen(writer, "wb") as out:
                    out.write(job())
                status = 0
            finally:
                os._exit(status)
        os.close(writer)
        with os.fdopen(reader, "rb") as pipe:
            data = pipe.read()
        _, status = _wait(pid, timeout_s)
        if status != 0:
            raise AssertionError(f"the user's job failed (status {status})")
        return data

    def _become_user(self) -> None:
        if os.geteuid() != 0:
            return
        os.setgroups([])
        os.setresgid(self.gid, self.gid, self.gid)
        os.setresuid(self.uid, self.uid, self.uid)
        # changing credentials makes /proc/PID root-owned; the portal must read it
        ctypes.CDLL(None).prctl(_PR_SET_DUMPABLE, 1, 0, 0, 0)

    def stop(self) -> None:
        for process in reversed(self.processes):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)  # the group we started (sway + swaybg)
        for process in reversed(self.processes):
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


def _wait(pid: int, timeout_s: float) -> tuple[int, int]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return done, os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise AssertionError(f"the user's job did not finish in {timeout_s} s")


def _user_ids() -> tuple[int, int]:
    """The desktop's user: created when we are root (CI), else ourselves."""
    if os.geteuid() != 0:
        return os.getuid(), os.getgid()
    try:
        entry = pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", USER], check=True)
        entry = pwd.getpwnam(USER)
    return entry.pw_uid, entry.pw_gid


def _check_installed() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    missing += [binary for binary in PORTAL_BINARIES if not Path(binary).exists()]
    if missing:
        raise RuntimeError(f"not installed: {', '.join(missing)} (./dev test installs them)")


def _until(what: str, check: Callable[[], bool], desktop: WaylandDesktop, log: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not come up in {START_TIMEOUT_S} s:\n{desktop.log(log)}")


def _name_owned(address: str, name: str) -> bool:
    with open_dbus_connection(address) as connection:
        return bool(Proxy(message_bus, connection, timeout=2).NameHasOwner(name)[0])


def _start_sway(desktop: WaylandDesktop) -> None:
    second = desktop.outputs[-1]
    config = desktop.root / "sway.conf"
    config.write_text("".join(
        f"output {o.name} resolution {o.width}x{o.height} position {o.x} 0 "
        f"bg {o.hex} solid_color\n" for o in desktop.outputs))
    config.chmod(0o644)
    desktop.spawn(["sway", "-c", str(config)], "sway", WLR_BACKENDS="headless",
                  WLR_RENDERER="pixman", WLR_LIBINPUT_NO_DEVICES="1")
    ipc = desktop.runtime_dir
    _until("sway", lambda: any(ipc.glob("sway-ipc.*.sock")), desktop, "sway")
    # the headless backend starts with one output; the second is made on request
    desktop.swaymsg("create_output")
    _until("swaybg on both outputs", lambda: _swaybg_covers(second.name), desktop, "sway")


def _swaybg_covers(name: str) -> bool:
    listing = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return any(line.startswith("swaybg") and name in line for line in listing.splitlines())


def _start_bus(desktop: WaylandDesktop) -> None:
    config = desktop.root / "bus.conf"
    config.write_text(BUS_CONFIG.format(dir=desktop.runtime_dir))
    config.chmod(0o644)
    bus = desktop.spawn(["dbus-daemon", f"--config-file={config}", "--nofork", "--nopidfile",
                         "--print-address=1"], "bus")
    address_file = desktop.root / "bus.log"
    _until("the session bus", lambda: "unix:" in address_file.read_text(), desktop, "bus")
    desktop.bus_address = address_file.read_text().splitlines()[0].strip()
    assert bus.poll() is None


@contextlib.contextmanager
def wayland_desktop(
    outputs: tuple[Output, ...] = (
        Output("HEADLESS-1", 0, 640, 480, (230, 40, 40)),
        Output("HEADLESS-2", 640, 640, 480, (30, 60, 220)),
    ),
) -> Iterator[WaylandDesktop]:
    """Start the desktop; stop every process it started on exit."""
    _check_installed()
    uid, gid = _user_ids()
    root = Path(tempfile.mkdtemp(prefix="workdiary-wayland-"))
    root.chmod(0o755)
    desktop = WaylandDesktop(root, uid, gid, outputs)
    for private in (desktop.runtime_dir, root / "home"):
        private.mkdir(mode=0o700)
        os.chown(private, uid, gid)
    try:
        _start_sway(desktop)
        _start_bus(desktop)
        desktop.spawn(["pipewire"], "pipewire")
        pipewire_socket = desktop.runtime_dir / "pipewire-0"
        _until("pipewire", pipewire_socket.exists, desktop, "pipewire")
        desktop.spawn([PORTAL_BINARIES[1], "-l", "INFO"], "portal-wlr")
        _until("xdg-desktop-portal-wlr", lambda: _name_owned(
            desktop.bus_address, "org.freedesktop.impl.portal.desktop.wlr"), desktop, "portal-wlr")
        desktop.spawn([PORTAL_BINARIES[0]], "portal")
        _until("xdg-desktop-portal", lambda: _name_owned(
            desktop.bus_address, "org.freedesktop.portal.Desktop"), desktop, "portal")
        yield desktop
    finally:
        desktop.stop()
        shutil.rmtree(root, ignore_errors=True)
