"""The tracker's clock: the shared port and clocks from :mod:`timekeeping.clock`."""

from timekeeping.clock import Clock, ManualClock, SystemClock, utc

__all__ = ["Clock", "ManualClock", "SystemClock", "utc"]
