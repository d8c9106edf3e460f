"""Keyboard and mouse counting on X11 from the X server's raw input events (XInput 2),
read on the app's own X connection: no other connection, thread or library.

The app asks the server for ``XI_RawKeyPress``, ``XI_RawButtonPress`` and
``XI_RawMotion`` on the root window, where raw events arrive whichever window has the
focus, and a native event filter on Qt's event loop counts them. Of an event the filter
reads its kind and, for a button, its number (wheel or click); which key was pressed is
never read, so only counts can be kept.

This replaces pynput on X11 (issue 13, lean app): pynput opens two more X connections
through python-xlib, runs a thread for each, and holds python-xlib's protocol and keysym
tables, about 9 MiB of the tray app; in Python it spent ~90 µs on each event. Where
there is no XInput 2 (or Qt is not on its xcb platform) :func:`open_xi2_source` answers
``None`` and the app counts with pynput.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

from PySide6.QtCore import QAbstractNativeEventFilter, QByteArray, QCoreApplication
from PySide6.QtGui import QGuiApplication, QNativeInterface

from tracker.activity import ActivityCounter
from tracker.clock import Clock

log = logging.getLogger(__name__)

XCB_EVENT = b"xcb_generic_event_t"
_GE_GENERIC = 35  # an extension's event (XGE); ``extension`` says whose
XI_RAW_KEY_PRESS = 13
XI_RAW_BUTTON_PRESS = 15
XI_RAW_MOTION = 17
RAW_EVENTS = (1 << XI_RAW_KEY_PRESS) | (1 << XI_RAW_BUTTON_PRESS) | (1 << XI_RAW_MOTION)
_ALL_MASTER_DEVICES = 1  # each event once, from the keyboard or pointer the user sees
_WHEEL_BUTTONS = range(4, 8)  # up, down, left, right


class _ExtensionReply(ctypes.Structure):
    _fields_ = [("response_type", ctypes.c_uint8), ("pad0", ctypes.c_uint8),
                ("sequence", ctypes.c_uint16), ("length", ctypes.c_uint32),
                ("present", ctypes.c_uint8), ("major_opcode", ctypes.c_uint8),
                ("first_event", ctypes.c_uint8), ("first_error", ctypes.c_uint8)]


class _ScreenIterator(ctypes.Structure):
    # ``data`` points at an xcb_screen_t, whose first field is the root window
    _fields_ = [("data", ctypes.POINTER(ctypes.c_uint32)), ("rem", ctypes.c_int),
                ("index", ctypes.c_int)]


class _EventMask(ctypes.Structure):
    _fields_ = [("deviceid", ctypes.c_uint16), ("mask_len", ctypes.c_uint16),
                ("mask", ctypes.c_uint32)]


class _Cookie(ctypes.Structure):
    _fields_ = [("sequence", ctypes.c_uint)]


class _RawEvent(ctypes.Structure):
    """The head of an xcb_input_raw_*_event_t (as far as ``detail``)."""

    _fields_ = [("response_type", ctypes.c_uint8), ("extension", ctypes.c_uint8),
                ("sequence", ctypes.c_uint16), ("length", ctypes.c_uint32),
                ("event_type", ctypes.c_uint16), ("deviceid", ctypes.c_uint16),
                ("time", ctypes.c_uint32), ("detail", ctypes.c_uint32)]


class _Xcb:
    """The few libxcb and libxcb-xinput calls this needs, on Qt's connection."""

    def __init__(self, connection: int) -> None:
        names = [ctypes.util.find_library(name) for name in ("xcb", "xcb-xinput", "c")]
        if None in names:
            raise OSError("libxcb, libxcb-xinput or libc not found")
        xcb, xinput, libc = (ctypes.CDLL(name) for name in names if name is not None)
        self._connection = ctypes.c_void_p(connection)
        self._extension = ctypes.addressof(ctypes.c_char.in_dll(xinput, "xcb_input_id"))
        self._get_extension_data = xcb.xcb_get_extension_data
        self._get_extension_data.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self._get_extension_data.restype = ctypes.POINTER(_ExtensionReply)
        self._get_setup = xcb.xcb_get_setup
        self._get_setup.argtypes = [ctypes.c_void_p]
        self._get_setup.restype = ctypes.c_void_p
        self._roots_iterator = xcb.xcb_setup_roots_iterator
        self._roots_iterator.argtypes = [ctypes.c_void_p]
        self._roots_iterator.restype = _ScreenIterator
        self._screen_next = xcb.xcb_screen_next
        self._screen_next.argtypes = [ctypes.POINTER(_ScreenIterator)]
        self._screen_next.restype = None
        self._select = xinput.xcb_input_xi_select_events_checked
        self._select.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_uint16,
                                 ctypes.POINTER(_EventMask)]
        self._select.restype = _Cookie
        self._request_check = xcb.xcb_request_check
        self._request_check.argtypes = [ctypes.c_void_p, _Cookie]
        self._request_check.restype = ctypes.c_void_p
        self._free = libc.free
        self._free.argtypes = [ctypes.c_void_p]
        self._free.restype = None

    def xinput_opcode(self) -> int | None:
        """The XInput extension's major opcode, or ``None`` if the server has none."""
        reply = self._get_extension_data(self._connection, self._extension)
        if not reply or not reply.contents.present:
            return None
        return int(reply.contents.major_opcode)

    def roots(self) -> list[int]:
        screens = self._roots_iterator(self._get_setup(self._connection))
        roots = []
        while screens.rem > 0:
            roots.append(int(screens.data[0]))
            self._screen_next(ctypes.byref(screens))
        return roots

    def select(self, window: int, events: int) -> bool:
        """Ask for ``events`` (a mask of XI event types) on ``window``; False if refused."""
        mask = _EventMask(_ALL_MASTER_DEVICES, 1, events)
        cookie = self._select(self._connection, window, 1, ctypes.byref(mask))
        error = self._request_check(self._connection, cookie)  # waits for the answer
        if error:
            self._free(error)
            return False
        return True


class _RawInputFilter(QAbstractNativeEventFilter):
    """Counts the raw events of the XInput extension ``opcode`` into ``counter``."""

    def __init__(self, opcode: int, counter: ActivityCounter, clock: Clock) -> None:
        super().__init__()
        self._opcode = opcode
        self._counter = counter
        self._clock = clock

    def nativeEventFilter(
        self, eventType: QByteArray | bytes | bytearray | memoryview, message: int, /
    ) -> object:
        if eventType == XCB_EVENT:
            event = _RawEvent.from_address(int(message))
            if event.response_type & 0x7F == _GE_GENERIC and event.extension == self._opcode:
                self._count(event)
        return False, 0  # Qt goes on with every event as before

    def _count(self, event: _RawEvent) -> None:
        kind = event.event_type
        if kind == XI_RAW_MOTION:
            self._counter.record_mouse_move(self._clock.monotonic())
        elif kind == XI_RAW_BUTTON_PRESS:
            if event.detail in _WHEEL_BUTTONS:
                self._counter.record_mouse_scroll()
            else:
                self._counter.record_mouse_button()
        elif kind == XI_RAW_KEY_PRESS:  # which key (``detail``) is not read
            self._counter.record_key()


class Xi2InputSource:
    """An :class:`tracker.activity.InputSource` on the app's X connection (see the module
    docstring). Start and stop it on the GUI thread; it counts on the GUI thread."""

    def __init__(self, xcb: _Xcb, opcode: int, clock: Clock) -> None:
        self._xcb = xcb
        self._opcode = opcode
        self._clock = clock
        self._filter: _RawInputFilter | None = None

    def start(self, counter: ActivityCounter) -> None:
        if self._filter is not None:
            return
        self._filter = _RawInputFilter(self._opcode, counter, self._clock)
        QCoreApplication.instance().installNativeEventFilter(self._filter)  # type: ignore[union-attr]
        for root in self._xcb.roots():
            if not self._xcb.select(root, RAW_EVENTS):
                log.warning("the X server refused raw input events on root %#x: keyboard "
                            "and mouse activity there is not counted", root)

    def stop(self) -> None:
        if self._filter is None:
            return
        for root in self._xcb.roots():
            self._xcb.select(root, 0)
        app = QCoreApplication.instance()
        if app is not None:
            app.removeNativeEventFilter(self._filter)
        self._filter = None


def open_xi2_source(clock: Clock) -> Xi2InputSource | None:
    """The raw-event source on this app's X connection, or ``None`` where there is none
    to have: not on Qt's xcb platform, no XInput on the server, or no libxcb-xinput."""
    if QGuiApplication.platformName() != "xcb":
        return None
    native = QGuiApplication.instance()
    x11 = native.nativeInterface() if isinstance(native, QGuiApplication) else None
    if not isinstance(x11, QNativeInterface.QX11Application):
        return None
    try:
        xcb = _Xcb(x11.connection())
    except (OSError, AttributeError) as error:
        log.info("no raw X input events (%s): counting with pynput", error)
        return None
    opcode = xcb.xinput_opcode()
    if opcode is None:
        log.info("the X server has no XInput extension: counting with pynput")
        return None
    return Xi2InputSource(xcb, opcode, clock)
