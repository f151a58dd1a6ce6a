"""The import lock: one import writes a workspace at a time, and says what it is doing.

Imports commit in batches, so between two batches other commands get their turn at the
database; two imports interleaving their batches could not stay all or nothing, though (an
overlapping export's turns would belong to whichever came first, and vanish with it if it
then failed). So imports take turns file by file through an OS lock on ``afina.db.busy``,
which holds one line about the holder ("importing chats.zip (pid 12, started 12:03)").

The lock lives exactly as long as its process: the OS releases it when the process dies,
however it dies. That is what lets the next import, or the next open, tell an import still
writing from one that crashed and left an incomplete source to delete.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from afina.engine.store.writer import Stopped

POLL_SECONDS = 0.1
# An import that waits this long for the lock tells the person what it waits for; a shorter
# wait is another process glancing at the note, not an import running.
SAY_AFTER_SECONDS = 0.5


class ImportLock:
    """The lock of one workspace database, as one store sees it."""

    def __init__(self, db_path: Path) -> None:
        self.path = db_path.with_name(db_path.name + ".busy")
        self.held = False

    @contextmanager
    def hold(
        self,
        what: str,
        should_stop: Callable[[], bool],
        on_wait: Callable[[str], None],
    ) -> Iterator[None]:
        """Wait for the lock (polling ``should_stop``: :class:`Stopped` when it says yes),
        write ``what`` into it, and hold it for the block. ``on_wait`` hears what the
        holder is doing, once, when the wait is more than a glance."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            self._wait(fd, should_stop, on_wait)
            note = f"{what} (pid {os.getpid()}, started {datetime.now():%H:%M})"
            os.ftruncate(fd, 0)
            os.pwrite(fd, note.encode("utf-8"), 0)
            self.held = True
            try:
                yield
            finally:
                self.held = False
                # Emptied before the lock goes, so nobody reads a finished import as running.
                os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # releases the lock

    @contextmanager
    def try_hold(self) -> Iterator[bool]:
        """Hold the lock for the block if nobody does (True), else do nothing (False)."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:  # a read-only workspace: nothing can be cleaned there anyway
            yield False
            return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            self.held = True
            try:
                yield True
            finally:
                self.held = False
        finally:
            os.close(fd)

    def note(self) -> str | None:
        """What another holder of the lock said it is doing; None when nobody else holds it."""
        if self.held:
            return None  # this store is the importer: it is not waiting for itself
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                said = os.pread(fd, 1024, 0).decode("utf-8", "replace").strip()
                return said or "an import"
            fcntl.flock(fd, fcntl.LOCK_UN)  # free: what the file says is from a crashed import
            return None
        finally:
            os.close(fd)

    def _wait(
        self,
        fd: int,
        should_stop: Callable[[], bool],
        on_wait: Callable[[str], None],
    ) -> None:
        started = time.monotonic()
        said = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
            if should_stop():
                raise Stopped
            if not said and time.monotonic() - started >= SAY_AFTER_SECONDS:
                said = True
                on_wait(os.pread(fd, 1024, 0).decode("utf-8", "replace").strip() or "an import")
            time.sleep(POLL_SECONDS)
