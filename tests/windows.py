"""
Rate limits count in fixed windows (retrosocial.limits): a whole minute for "N/minute". A test
that makes N requests and expects the next one refused must make them all in one window: when
the minute turns between them, the last one opens a new window's count and is let through.
"""

import time


def fresh_window(period: float = 60, need: float = 20) -> None:
    """Return once at least `need` seconds are left in the current window of `period` seconds
    (windows start at multiples of `period` since the epoch), sleeping into the next if not."""
    left = period - time.time() % period
    if left < need:
        time.sleep(left + 0.01)
