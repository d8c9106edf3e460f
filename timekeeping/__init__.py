"""Time for both programs: the ``Clock`` port, the system clock and a manual test clock.

The tray app (tracker/) and the backend (billing/) each take a clock as an argument;
this tiny package is the one place both import it from, so neither program imports the
other.
"""
