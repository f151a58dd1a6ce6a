"""Recording an imported source: in one transaction, or in batches kept hidden until complete.

A big file used to be one transaction, which held the workspace's write lock for the whole
file: every other command waited, then failed with "database is locked". Now an import
commits about every half second (see :data:`~afina.engine.store.writer.BATCH_SECONDS`) with
its source marked incomplete; readers skip incomplete sources, and the last batch marks it
complete, so for the person a file is still imported whole or not at all. A stopped or failed
import deletes what it wrote; one that crashed leaves it for the next import, or the next
store opened while no import runs, to delete.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path

from afina.engine.errors import AfinaError, WorkspaceBusy, WorkspaceError
from afina.engine.store.busy import ImportLock
from afina.engine.store.common import now
from afina.engine.store.writer import SourceExists, SourceWriter
from afina.engine.types import Source

SOURCE_COLS = "id, path, sha256, importer, imported_at, size, conversations, turns, skipped"
# The sources no reader may see yet: an import still writing, or one that died.
HIDDEN = "(SELECT id FROM sources WHERE complete = 0)"
# How many turns those hold, counted over the range of ids each wrote (see schema 3 -> 4).
HIDDEN_TURNS = (
    "(SELECT coalesce(sum((SELECT count(*) FROM turns t"
    " WHERE t.id > s.turns_after AND t.source_id = s.id)), 0)"
    " FROM sources s WHERE s.complete = 0)"
)


class StagingMixin:
    _db: sqlite3.Connection
    _lock: ImportLock
    path: Path
    transaction: Callable[[], AbstractContextManager[None]]
    _begin: Callable[[], None]
    _rollback: Callable[[], None]
    _take_turns: Callable[[], None]

    def source_by_sha(self, sha256: str) -> Source | None:
        """The complete source with this content, if any."""
        row = self._db.execute(
            f"SELECT {SOURCE_COLS} FROM sources WHERE sha256 = ? AND complete = 1", (sha256,)
        ).fetchone()
        return Source(*row) if row else None

    def begin_source(
        self,
        path: str,
        sha256: str,
        importer: str,
        size: int,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> SourceWriter:
        """Start recording a source; call inside :meth:`transaction` so a failure leaves nothing,
        and end with the writer's ``finish``, which makes the source visible.

        ``should_stop`` is polled between batches of turns; when it says yes the writer
        raises :class:`Stopped`, and the transaction rolls the source back.
        """
        source_id = self._insert_source(path, sha256, importer, size)
        return SourceWriter(self._db, source_id, importer, sha256, should_stop)

    @contextmanager
    def importing_alone(
        self,
        what: str,
        should_stop: Callable[[], bool] = lambda: False,
        on_wait: Callable[[str], None] = lambda holder: None,
    ) -> Iterator[None]:
        """Hold the import lock for the block (waiting for another import's file to end),
        with ``what`` as the note a busy command shows ("importing chats.zip"). Whatever an
        earlier import left incomplete is deleted first: holding the lock proves it dead."""
        with self._lock.hold(what, should_stop, on_wait):
            self._drop_incomplete()
            yield

    @contextmanager
    def import_source(
        self,
        path: str,
        sha256: str,
        importer: str,
        size: int,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> Iterator[SourceWriter]:
        """Record a source in batches, complete when the block ends, deleted if it raises.

        Raises :class:`SourceExists` when this content is in the store already (two
        imports of one file at once: the second learns it only at its insert).
        """
        try:
            with self.transaction():
                source_id = self._insert_source(path, sha256, importer, size)
        except sqlite3.IntegrityError:
            row = self._db.execute(
                f"SELECT {SOURCE_COLS} FROM sources WHERE sha256 = ?", (sha256,)
            ).fetchone()
            if row is None:
                raise
            raise SourceExists(Source(*row)) from None
        writer = SourceWriter(self._db, source_id, importer, sha256, should_stop, self._take_turns)
        try:
            self._begin()
            yield writer
            writer.finish()
            self._db.execute("COMMIT")
        except BaseException as e:
            self._rollback()
            # Busy or damaged: deleting would wait or fail the same way; the next import
            # deletes the rows instead (they stay hidden until then).
            if not isinstance(e, WorkspaceError):
                self._drop_quietly(source_id)
            raise

    def clean_abandoned(self) -> None:
        """Delete incomplete sources if no import is running (they are a crashed one's)."""
        if self._db.execute("SELECT 1 FROM sources WHERE complete = 0 LIMIT 1").fetchone() is None:
            return
        # Busy: they stay hidden, and the next open tries again.
        with self._lock.try_hold() as free, suppress(WorkspaceBusy):
            if free:
                self._drop_incomplete()

    def _insert_source(self, path: str, sha256: str, importer: str, size: int) -> int:
        cur = self._db.execute(
            "INSERT INTO sources (path, sha256, importer, imported_at, size, complete,"
            " turns_after) VALUES (?, ?, ?, ?, ?, 0, (SELECT coalesce(max(id), 0) FROM turns))",
            (path, sha256, importer, now(), size),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def _drop_incomplete(self) -> None:
        for (source_id,) in self._db.execute(f"SELECT id FROM {HIDDEN}").fetchall():
            with self.transaction():
                self._drop(source_id)

    def _drop_quietly(self, source_id: int) -> None:
        """Delete an import's rows as it fails; if that fails too (the database is busy or
        damaged, or the process is going down), the next import deletes them."""
        try:
            with self.transaction():
                self._drop(source_id)
        except (AfinaError, sqlite3.Error):
            pass

    def _drop(self, source_id: int) -> None:
        db = self._db
        db.execute(
            "DELETE FROM turns WHERE source_id = ?1"
            " AND id > (SELECT turns_after FROM sources WHERE id = ?1)",
            (source_id,),
        )
        db.execute("DELETE FROM source_notes WHERE source_id = ?", (source_id,))
        # A conversation this source started may hold turns of sources written beside it
        # (an import bypassing the lock, such as a test's single transaction): it passes to
        # the oldest of them instead of going.
        db.execute(
            "UPDATE conversations SET source_id ="
            " (SELECT min(t.source_id) FROM turns t WHERE t.conversation_id = conversations.id)"
            " WHERE source_id = ?"
            " AND EXISTS (SELECT 1 FROM turns t WHERE t.conversation_id = conversations.id)",
            (source_id,),
        )
        db.execute("DELETE FROM conversations WHERE source_id = ?", (source_id,))
        db.execute("DELETE FROM sources WHERE id = ? AND complete = 0", (source_id,))
