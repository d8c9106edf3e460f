"""``python -m ui`` and the PyInstaller entry point: start the tray app, or (frozen app
re-run by :mod:`tracker.capture_process`) be one capture worker, without loading Qt."""

import sys

from tracker.capture_process import WORKER_FLAG

if sys.argv[1:2] == [WORKER_FLAG]:
    from tracker.capture_child import run

    raise SystemExit(run(sys.argv[2:]))

from ui.app import main  # after the worker branch: a worker must not load Qt

raise SystemExit(main())
