"""Bookkeeping while the shared limiter is unreachable: rate-limited logging and a counter."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger("app.ratelimit")


class OutageTracker:
    """Logs the first failure, then at most once per ``log_interval_s`` with a count.

    After a failure the limiter is not asked again for ``probe_interval_s``, so a
    Redis that times out costs one request a timeout, not every request.
    """

    def __init__(
        self,
        *,
        log_interval_s: float = 60.0,
        probe_interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log_interval_s = log_interval_s
        self.probe_interval_s = probe_interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self._last_failure: float | None = None
        self._last_log: float | None = None
        self._unlogged = 0
        self.failures_total = 0  # requests decided without the limiter (open or closed)
        self.errors_logged = 0

    @property
    def degraded(self) -> bool:
        return self._last_failure is not None

    def should_skip(self) -> bool:
        with self._lock:
            return (
                self._last_failure is not None
                and self._clock() - self._last_failure < self.probe_interval_s
            )

    def record_failure(self, reason: str, *, fail_open: bool, probed: bool = True) -> None:
        """Count one request decided without the limiter; ``probed`` if Redis was asked."""
        with self._lock:
            now = self._clock()
            self.failures_total += 1
            self._unlogged += 1
            if probed or self._last_failure is None:
                self._last_failure = now
            if self._last_log is not None and now - self._last_log < self.log_interval_s:
                return
            count, self._unlogged = self._unlogged, 0
            self._last_log = now
            self.errors_logged += 1
        logger.error(
            "rate limiter unavailable, failing %s (%d request(s) since last report): %s",
            "open" if fail_open else "closed",
            count,
            reason,
        )

    def record_success(self) -> None:
        with self._lock:
            if self._last_failure is None:
                return
            self._last_failure = None
            self._last_log = None
            pending, self._unlogged = self._unlogged, 0
        logger.warning("rate limiter reachable again (%d unreported failure(s))", pending)
