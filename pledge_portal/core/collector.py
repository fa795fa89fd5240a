"""Python's cyclic garbage collector paused while a bounded batch of objects is made.

Reading, loading and checking a 20,000-row upload makes about a million small objects (cells, values, rows,
findings) that all live until the step ends. The collector is triggered by every few hundred allocations
and, as the survivors pile up, walks all of them again and again: a third of a 20,000-row read went to it.
Nothing in these steps makes reference cycles that need collecting (what they make is freed by reference
counting as usual), and what they make is bounded by the upload's limits, so the collector waits until the
step ends. Pauses nest; the collector runs again when the outermost one ends.
"""

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = True


@contextmanager
def paused() -> Iterator[None]:
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
