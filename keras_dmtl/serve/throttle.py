"""Throttling sign-in attempts: a wrong password may not be guessed fast."""

import collections
import threading
import time


class SignInThrottle:
    """Refuses sign-in attempts after too many recent failures.

    Failures are counted per user name and per client address over a
    sliding window; once either has `max_failures` in the last `window`
    seconds, every further attempt for it is refused (without checking
    the password) until the oldest failure leaves the window. A success
    clears the name's failures.

    Args:
        max_failures: int, failures allowed in the window.
        window: float, seconds.
        clock: callable returning seconds (for tests), default
            `time.monotonic`.

    Example:

    ```python
    throttle = SignInThrottle(max_failures=5, window=300)
    wait = throttle.wait_seconds("operator", "10.0.0.7")
    if wait == 0 and not authenticate(...):
        throttle.failed("operator", "10.0.0.7")
    ```
    """

    def __init__(self, max_failures=5, window=300.0, clock=time.monotonic):
        if max_failures < 1 or window <= 0:
            raise ValueError("max_failures must be 1 or more and window "
                             "more than 0")
        self.max_failures = int(max_failures)
        self.window = float(window)
        self.clock = clock
        self._failures = collections.defaultdict(collections.deque)
        self._lock = threading.Lock()

    def _keys(self, name, address):
        return (("name", name.lower()), ("address", address))

    def _prune(self, key, now):
        times = self._failures.get(key)
        while times and times[0] <= now - self.window:
            times.popleft()
        if times is not None and not times:
            del self._failures[key]
        return self._failures.get(key, ())

    def wait_seconds(self, name, address):
        """float, how long attempts for this name or address are refused
        (0: an attempt may be checked now)."""
        now = self.clock()
        with self._lock:
            wait = 0.0
            for key in self._keys(name, address):
                times = self._prune(key, now)
                if len(times) >= self.max_failures:
                    oldest = times[-self.max_failures]
                    wait = max(wait, oldest + self.window - now)
            return wait

    def failed(self, name, address):
        """Counts a failed attempt."""
        now = self.clock()
        with self._lock:
            for key in self._keys(name, address):
                self._failures[key].append(now)

    def succeeded(self, name, address):
        """Clears the name's failures (the address keeps its own)."""
        with self._lock:
            self._failures.pop(("name", name.lower()), None)
