"""Fixtures and helpers shared by the rate limiting tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.ratelimit.bucket import MICRO, Decision
from app.ratelimit.limits import Limits


@dataclass(frozen=True)
class Burst:
    """Outcome of a concurrent burst against one bucket."""

    decisions: list[Decision]

    @property
    def allowed(self) -> int:
        return sum(d.allowed for d in self.decisions)

    @property
    def elapsed_s(self) -> float:
        stamps = [d.now_us for d in self.decisions]
        return (max(stamps) - min(stamps)) / MICRO

    def expected(self, limits: Limits) -> float:
        """What an exact token bucket lets through: full bucket plus refill over the burst."""
        return limits.burst + limits.rate_per_second * self.elapsed_s


def hammer_groups(
    groups: dict[str, tuple[Callable[[], Decision], int]], *, duration_s: float
) -> dict[str, Burst]:
    """Run every group's clients at once, released together, until ``duration_s`` passes.

    ``groups`` maps a name to ``(hit, clients)``; each client thread calls ``hit`` in a loop.
    """
    results: dict[str, list[list[Decision]]] = {
        name: [[] for _ in range(clients)] for name, (_, clients) in groups.items()
    }
    total = sum(clients for _, clients in groups.values())
    errors: list[BaseException] = []
    barrier = threading.Barrier(total + 1)
    deadline: list[float] = []

    def worker(hit: Callable[[], Decision], out: list[Decision]) -> None:
        try:
            barrier.wait(timeout=30)
            stop = deadline[0]
            while time.monotonic() < stop:
                out.append(hit())
        except BaseException as exc:  # surfaced below; a silent thread would hide failures
            errors.append(exc)

    threads = [
        threading.Thread(target=worker, args=(groups[name][0], out), daemon=True)
        for name, outs in results.items()
        for out in outs
    ]
    for thread in threads:
        thread.start()
    deadline.append(time.monotonic() + duration_s)
    barrier.wait(timeout=30)
    for thread in threads:
        thread.join(timeout=duration_s + 30)
    assert not errors, f"{len(errors)} client(s) failed, first: {errors[0]!r}"
    assert not any(t.is_alive() for t in threads), "clients did not stop"
    return {name: Burst([d for out in outs for d in out]) for name, outs in results.items()}


def hammer(hit: Callable[[], Decision], *, clients: int, duration_s: float) -> Burst:
    """``clients`` threads released together, each calling ``hit`` until ``duration_s`` passes."""
    return hammer_groups({"only": (hit, clients)}, duration_s=duration_s)["only"]
