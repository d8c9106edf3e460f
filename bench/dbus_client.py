"""jeepney against PySide6.QtDBus for the portal and idle clients (issue 15).

    .venv/bin/python bench/dbus_client.py [--calls 200]

On a private dbus-daemon, each client in a fresh process: what importing and connecting
adds to RSS, and the mean time of a method call with a reply (``GetId`` on the bus
itself, the same round trip as ``GetIdletime`` or a portal ``Screenshot`` call's reply).
Prints both side by side and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.session_bus import private_session_bus  # noqa: E402

RSS = """
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
"""
JEEPNEY = RSS + """
import sys, time
before = rss()
from jeepney import DBusAddress, new_method_call
from jeepney.io.blocking import open_dbus_connection
conn = open_dbus_connection(sys.argv[1])
bus = DBusAddress('/org/freedesktop/DBus', 'org.freedesktop.DBus', 'org.freedesktop.DBus')
conn.send_and_get_reply(new_method_call(bus, 'GetId'))
added = rss() - before
start = time.perf_counter()
for _ in range(int(sys.argv[2])):
    conn.send_and_get_reply(new_method_call(bus, 'GetId'))
print(added, (time.perf_counter() - start) / int(sys.argv[2]))
"""
QTDBUS = RSS + """
import sys, time
from PySide6.QtCore import QCoreApplication
app = QCoreApplication([])
before = rss()
from PySide6.QtDBus import QDBusConnection, QDBusMessage
conn = QDBusConnection.connectToBus(sys.argv[1], 'bench')
call = QDBusMessage.createMethodCall('org.freedesktop.DBus', '/org/freedesktop/DBus',
                                     'org.freedesktop.DBus', 'GetId')
assert conn.call(call).type() == QDBusMessage.MessageType.ReplyMessage
added = rss() - before
start = time.perf_counter()
for _ in range(int(sys.argv[2])):
    conn.call(call)
print(added, (time.perf_counter() - start) / int(sys.argv[2]))
"""


def run(script: str, address: str, calls: int) -> tuple[float, float]:
    done = subprocess.run([sys.executable, "-c", script, address, str(calls)],
                          capture_output=True, text=True, check=True,
                          env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    added, per_call = done.stdout.split()
    return float(added), float(per_call)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    with private_session_bus() as address:
        jeepney = run(JEEPNEY, address, args.calls)
        qtdbus = run(QTDBUS, address, args.calls)
    print(f"D-Bus client, {args.calls} calls with a reply on a private bus:")
    print(f"  jeepney   +{jeepney[0]:5.1f} MiB RSS   {jeepney[1] * 1e6:7.0f} µs a call")
    print(f"  QtDBus    +{qtdbus[0]:5.1f} MiB RSS   {qtdbus[1] * 1e6:7.0f} µs a call")
    print("  both are far inside the 10 s portal deadline and add ~2 MiB; jeepney is kept:")
    print("  tracker/ imports no Qt (the capture worker must not load it), and the app")
    print("  already holds jeepney for desktop notices, so it costs the app nothing more")
    print(json.dumps({"bench": "dbus_client", "jeepney_rss_mib": round(jeepney[0], 1),
                      "jeepney_call_us": round(jeepney[1] * 1e6), "qtdbus_rss_mib":
                      round(qtdbus[0], 1), "qtdbus_call_us": round(qtdbus[1] * 1e6)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
