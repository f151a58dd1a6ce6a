"""Turning the engine's import callbacks into a few progress updates a second.

The engine reports every block it reads (thousands a second on a big export); the screen
only needs to redraw a bar. This runs in the worker thread and calls ``post`` at most once
per ``interval`` seconds, plus once at each file start so the file name is never stale.
"""

from __future__ import annotations

from collections.abc import Callable
from time import monotonic

from afina.engine.ingest.run import Progress

PostFn = Callable[[int, int, str], object]  # (bytes done, bytes total, current file)


class ThrottledProgress:
    def __init__(self, total: int, post: PostFn, interval: float = 0.05) -> None:
        self.total = total
        self.done = 0
        self.current = ""
        self._post = post
        self._interval = interval
        self._last = 0.0

    def start(self, path: str, size: int) -> None:
        self.current = path
        self._emit()

    def advance(self, n: int) -> None:
        self.done += n
        if monotonic() - self._last >= self._interval:
            self._emit()

    def _emit(self) -> None:
        self._last = monotonic()
        self._post(min(self.done, self.total), self.total, self.current)

    def callbacks(self, should_stop: Callable[[], bool] = lambda: False) -> Progress:
        return Progress(on_start=self.start, on_bytes=self.advance, should_stop=should_stop)
