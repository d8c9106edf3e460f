"""The real input source: pynput listeners that only bump counters.

The callbacks receive the key or pointer position from pynput and drop it on the floor:
they call ``record_*()`` with no argument about the event (only a monotonic reading for
the move throttle), so no key value or position can reach the store. pynput costs
~90 µs of CPU per event, which is why nothing more happens in them.
"""

from __future__ import annotations

from pynput import keyboard, mouse  # type: ignore[import-untyped]

from tracker.activity import ActivityCounter
from tracker.clock import Clock, SystemClock


class PynputInputSource:
    """Keyboard and mouse listeners feeding an :class:`ActivityCounter`."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock: Clock = clock or SystemClock()
        self._keyboard: keyboard.Listener | None = None
        self._mouse: mouse.Listener | None = None
        self._stopping: list[keyboard.Listener | mouse.Listener] = []

    def start(self, counter: ActivityCounter) -> None:
        if self._keyboard is not None:
            return
        clock = self._clock

        def on_press(_key: object, *_args: object) -> None:
            counter.record_key()

        def on_move(_x: int, _y: int, *_args: object) -> None:
            counter.record_mouse_move(clock.monotonic())

        def on_click(_x: int, _y: int, _button: object, pressed: bool, *_args: object) -> None:
            if pressed:
                counter.record_mouse_button()

        def on_scroll(_x: int, _y: int, _dx: int, _dy: int, *_args: object) -> None:
            counter.record_mouse_scroll()

        self._keyboard = keyboard.Listener(on_press=on_press)
        self._mouse = mouse.Listener(on_move=on_move, on_click=on_click, on_scroll=on_scroll)
        self._keyboard.start()
        self._mouse.start()
        self._keyboard.wait()
        self._mouse.wait()

    def stop(self) -> None:
        """Ask the listeners to stop; does not wait (it runs on the GUI thread).

        On Xorg a stopped listener thread may stay blocked until the next input event
        arrives (pynput issue #583, https://github.com/moses-palmer/pynput/pull/583);
        the threads are daemons and count nothing after this, so that is harmless.
        """
        self._stopping = [
            listener for listener in (self._keyboard, self._mouse) if listener is not None
        ]
        for listener in self._stopping:
            listener.stop()
        self._keyboard = None
        self._mouse = None

    def join(self, timeout: float) -> bool:
        """Wait for stopped listener threads to end (tests); True if they all did."""
        for listener in self._stopping:
            listener.join(timeout)
        return not any(listener.is_alive() for listener in self._stopping)
