"""The tray app's entry point and its one composition root.

``main()`` wires the real adapters — system clock, mss grabber, pynput input, the tracker
store in the data dir, the sync client — and hands them to the same controller and
shell the tests build with fakes.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from diarychain.keys import DeviceKey
from tracker.clock import Clock, SystemClock
from tracker.session import TrackingSession
from tracker.shot_seal import ShotKeys
from tracker.store import Store, StoreError, open_store
from ui.background import BackgroundTasks
from ui.controller import AppController
from ui.icons import app_icon
from ui.paths import CONFIG_DIR_ENV, DATA_DIR_ENV, config_dir, data_dir
from ui.ports import AccountPort
from ui.settings import AppSettings, SettingsError, SettingsFile
from ui.shell import Shell
from ui.single_instance import AlreadyRunning, SingleInstance
from ui.style import STYLESHEET
from ui.ticker import SecondTicker
from ui.unix_signals import SignalWatcher

log = logging.getLogger("workdiary")
PASSWORD_ENV = "WORKDIARY_PASSWORD"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="workdiary", description="Workdiary time tracker")
    parser.add_argument("--data-dir", type=Path, help=f"tracker store (default ${DATA_DIR_ENV} "
                        "or the platform's user data dir)")
    parser.add_argument("--config-dir", type=Path, help=f"settings and lock (${CONFIG_DIR_ENV})")
    parser.add_argument("--server-url", help="sign in to this server at start")
    parser.add_argument("--email",
                        help=f"sign in as this user at start (password in ${PASSWORD_ENV})")
    parser.add_argument("--start-tracking", action="store_true",
                        help="start tracking the first contract once signed in")
    parser.add_argument("--memo", help="what you work on: the memo of the first slot "
                        "(default: the contract's last memo)")
    parser.add_argument("--accept-terms", action="store_true",
                        help="accept what each contract records (screenshots, activity "
                        "counts) without the consent dialog: for scripted runs")
    parser.add_argument("--window", action="store_true", help="show the timer window at start")
    parser.add_argument("--quit-after", type=float, metavar="SECONDS",
                        help="quit after this long (smoke tests and benchmarks)")
    return parser.parse_args(list(argv))


# given the opened store, the clock and a reader of the current settings
AccountFactory = Callable[[Store, Clock, Callable[[], AppSettings]], AccountPort | None]


@dataclass
class Composition:
    """Everything main() built, so it can be shut down in order."""

    controller: AppController
    shell: Shell
    tasks: BackgroundTasks
    capturer: object = None  # the session's, for the first portal grant


def compose(
    *,
    clock: Clock,
    store_dir: Path,
    settings_file: SettingsFile,
    account: AccountPort | AccountFactory | None,
    capturer: object,
    input_source: object | None,
    use_tray: bool | None = None,
    autostart_dir: Path | None = None,
    rng: random.Random | None = None,
    signer: Callable[[], DeviceKey] | None = None,
    shot_keys: ShotKeys | None = None,
) -> Composition:
    """Build controller + shell around the given adapters (tests pass fakes here).

    ``account`` is the sync port, or a factory given the opened store (the real one
    shares the store with the session). ``shot_keys`` seal the shot files; without
    them no shot is saved (the slots say why)."""
    settings = settings_file.load()
    tasks = BackgroundTasks()  # the store's worker: captures and slot writes
    network = BackgroundTasks(thread_name="workdiary-network")  # sign-in, contracts
    store = open_store(store_dir, shot_keys)
    controllers: list[AppController] = []
    if callable(account):
        account = account(store, clock, lambda: controllers[0].settings)
    session = TrackingSession(
        clock=clock,
        rng=rng or random.Random(),
        store=store,
        capturer=capturer,  # type: ignore[arg-type]
        input_source=input_source,  # type: ignore[arg-type]
        capture_executor=tasks.executor,
        store_executor=tasks.executor,
        idle_threshold=timedelta(minutes=settings.idle_threshold_minutes),
        signer=signer,
    )
    controller = AppController(
        clock=clock, session=session, store=store, tasks=tasks, account=account,
        settings_file=settings_file, settings=settings, network=network,
    )
    controllers.append(controller)
    # shots older versions wrote in the clear: sealed once, off the GUI thread
    tasks.submit("seal plain shot files", store.seal_plain_shot_files,
                 on_error=lambda error: log.error("shot files not sealed: %s", error))
    shell = Shell(controller, SecondTicker(clock), store_dir, use_tray=use_tray,
                  autostart_dir=autostart_dir)
    return Composition(controller, shell, tasks, capturer)


def real_account(
    store: Store, clock: Clock, current_settings: Callable[[], AppSettings]
) -> AccountPort | None:
    try:
        from sync.http_transport import HelperTransport
        from ui.sync_adapter import SyncAccount
    except ImportError as error:  # a build without sync/: the app tracks locally only
        log.warning("sync client unavailable: %s", error)
        return None
    # requests lives in a helper process while there is traffic (sync/http_transport.py)
    return SyncAccount(store, clock, lambda: current_settings().hold_window_minutes,
                       transport=HelperTransport())


def real_signer() -> Callable[[], DeviceKey] | None:
    """This install's device key (asked for only when a lost slot is declared)."""
    try:
        from sync.credentials import CredentialStore
        from sync.device_key import DeviceKeyStore
    except ImportError:  # a build without sync/: nothing is signed
        return None
    return DeviceKeyStore(CredentialStore()).key
def real_shot_keys(settings_dir: Path) -> ShotKeys | None:
    """The install's shot key from the OS keyring (or its 0600 file in the config dir)."""
    try:
        from sync.shot_key_store import ShotKeyStore, ShotKeyUnavailable
    except ImportError as error:  # a build without sync/: no keyring client
        log.error("no shot key (keyring client unavailable: %s); shots are not saved", error)
        return None
    try:
        return ShotKeyStore(settings_dir).load_or_create()
    except ShotKeyUnavailable as error:
        log.error("no shot key: %s; shots are not saved", error)
        return None


def _real_input_source(clock: Clock) -> object | None:
    from tracker.idle_input import open_idle_watch

    idle_watch = open_idle_watch(os.environ, clock.monotonic)  # Wayland: pynput sees nothing
    if idle_watch is not None:
        return idle_watch
    from ui.input_xi2 import open_xi2_source

    raw_events = open_xi2_source(clock)  # X11: the app's own connection, no pynput
    if raw_events is not None:
        return raw_events
    try:
        from tracker.input_pynput import PynputInputSource
    except ImportError as error:  # pynput needs an X display (or Win32/Quartz)
        log.warning("no keyboard/mouse counting, every minute will read inactive: %s",
                    str(error).splitlines()[0])
        return None
    return PynputInputSource(clock)


def _fail(app: QApplication, title: str, message: str) -> int:
    print(f"workdiary: {message}", file=sys.stderr)
    if os.environ.get("QT_QPA_PLATFORM") != "offscreen":
        QMessageBox.critical(None, title, message)
    return 1


def _application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Workdiary")
    app.setQuitOnLastWindowClosed(False)
    app.setWindowIcon(app_icon())
    app.setStyleSheet(STYLESHEET)
    return app


def _compose_real(store_dir: Path, settings_dir: Path) -> Composition:
    """The composition with the real screen grabber, input listeners and account."""
    from tracker.capture_process import ProcessCapturer
    from tracker.capture_select import choose_backend, open_capturer

    clock = SystemClock()
    backend = choose_backend(os.environ)
    # X11 shots in a worker process; the Screenshot portal (or none) in-process
    capturer = (ProcessCapturer() if backend.kind == "x11"
                else open_capturer(os.environ, backend=backend))
    return compose(
        clock=clock,
        store_dir=store_dir,
        settings_file=SettingsFile(settings_dir / "settings.json"),
        account=real_account,
        capturer=capturer,
        input_source=_real_input_source(clock),
        signer=real_signer(),
        shot_keys=real_shot_keys(settings_dir),
    )


def _start(app: QApplication, built: Composition, args: argparse.Namespace) -> None:
    """Show the shell and do what the command line asked for at start."""
    built.shell.quit_requested.connect(app.quit)
    built.controller.accept_terms_without_asking = args.accept_terms
    sign_in_now = bool(args.email and args.server_url)
    built.shell.start(restore_account=not sign_in_now)
    if args.window:
        built.shell.show_timer()
    if args.start_tracking or args.memo is not None:
        def start_once(_account: object) -> None:
            built.controller.signed_in.disconnect(start_once)
            if args.start_tracking:
                built.controller.start(memo=args.memo)
            else:
                built.controller.set_memo(args.memo)

        built.controller.signed_in.connect(start_once)
    if sign_in_now:
        password = os.environ.get(PASSWORD_ENV, "")
        built.controller.sign_in(args.server_url, args.email, password)
    if args.quit_after is not None:
        QTimer.singleShot(int(args.quit_after * 1000), app.quit)


def _ask_portal_grant(built: Composition) -> object | None:
    """On the first start whose shots go through the Wayland portal, ask with a window in
    front (GNOME grants only then; see ui/portal_grant.py)."""
    from ui.portal_grant import PortalGrantDialog, needs_first_grant

    capturer = built.capturer
    store = built.controller.store
    if not needs_first_grant(capturer, store):  # type: ignore[arg-type]
        return None
    dialog = PortalGrantDialog(capturer, store, built.tasks,  # type: ignore[arg-type]
                               built.controller.clock, parent=built.shell.timer_window)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    app = _application()
    settings_dir = args.config_dir or config_dir()
    store_dir = args.data_dir or data_dir()
    instance = SingleInstance(settings_dir / "workdiary.lock")
    try:
        instance.acquire()
    except AlreadyRunning as error:
        if instance.ask_running_to_show():
            print("workdiary: already running; its window was brought forward", file=sys.stderr)
            return 0
        return _fail(app, "Workdiary is already running", str(error))
    try:
        built = _compose_real(store_dir, settings_dir)
    except (StoreError, SettingsError) as error:
        instance.release()
        return _fail(app, "Workdiary cannot open its data", str(error))

    from ui.desktop_notices import DesktopNotices
    from ui.notifications import DesktopNotifications

    notices = DesktopNotices(built.controller, built.shell, DesktopNotifications.open())
    watcher = SignalWatcher(lambda _number: app.quit())
    instance.listen(built.shell.show_timer)  # a second launch brings the window forward
    _start(app, built, args)
    _ask_portal_grant(built)
    log.info("Workdiary running (data: %s)", store_dir)
    try:
        return app.exec()
    finally:
        built.shell.close_all()
        notices.close()
        built.controller.shutdown()
        built.tasks.shutdown()
        built.controller.store.close()
        watcher.close()
        instance.release()


if __name__ == "__main__":
    raise SystemExit(main())
