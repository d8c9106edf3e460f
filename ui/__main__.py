"""``python -m ui`` and the PyInstaller entry point: start the tray app."""

from ui.app import main

raise SystemExit(main())
