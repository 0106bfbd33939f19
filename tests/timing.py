"""Speed without wall-clock thresholds: an input four times longer must not cost much more
than four times as much, timed twice in the same run (a quadratic cost would be sixteen)."""

import time
from collections.abc import Callable


def seconds(action: Callable[[], object], repeat: int = 3) -> float:
    """The fastest of a few runs of `action`, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def grows_linearly(run: Callable[[object], object], make: Callable[[int], object], size: int):
    """Whether run(make(4 * size)) costs under ten times run(make(size)) (4 is linear)."""
    small, large = make(size), make(4 * size)
    return seconds(lambda: run(large)) < 10 * max(seconds(lambda: run(small)), 0.001)
