"""``python -m ui`` and the PyInstaller entry point: start the tray app, or (frozen app
re-run by :mod:`tracker.capture_process`, :mod:`sync.secret_backend` or
:mod:`sync.http_transport`) be one capture worker, the keyring helper or the network
helper, without loading Qt."""

import sys

from sync.helper_process import KEYRING_FLAG, NETWORK_FLAG
from tracker.capture_process import WORKER_FLAG

if sys.argv[1:2] == [WORKER_FLAG]:
    from tracker.capture_child import run

    raise SystemExit(run(sys.argv[2:]))
if sys.argv[1:2] == [KEYRING_FLAG]:
    from sync.keyring_child import run as serve_keyring

    raise SystemExit(serve_keyring())
if sys.argv[1:2] == [NETWORK_FLAG]:
    from sync.network_child import run as serve_network

    raise SystemExit(serve_network())

from ui.qt_sources import read_sources_once  # after the worker branch: a worker loads no Qt

read_sources_once()  # before the app's imports: see ui/qt_sources.py

from ui.app import main  # noqa: E402 - after the adjustment above

raise SystemExit(main())
