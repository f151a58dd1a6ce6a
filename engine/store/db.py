"""The Store: one connection to a workspace database, its transactions and its queries."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from afina.engine.errors import NotFound, WorkspaceError
from afina.engine.store.busy import ImportLock
from afina.engine.store.connection import Connection, connect, is_busy
from afina.engine.store.pairs import PairsMixin
from afina.engine.store.schema import MIGRATIONS, SCHEMA_VERSION, statements
from afina.engine.store.staging import HIDDEN, HIDDEN_TURNS, SOURCE_COLS, StagingMixin
from afina.engine.store.votes import VotesMixin
from afina.engine.types import ConversationInfo, Source, StoredTurn

# How long a command waits for another one's write to end before it says the workspace is
# busy. Imports commit about every half second, so a wait this long means a writer that
# does not take turns (a huge bulk change, a stuck process).
BUSY_SECONDS = 5.0
# How often a waiting writer tries again. SQLite's own busy handler sleeps up to 100 ms
# between tries and keeps missing the short gaps an import leaves between its batches.
RETRY_SECONDS = 0.002
# How long an import pauses between two batches: several of those tries fit in it.
TURN_GAP_SECONDS = 0.01


class Store(StagingMixin, PairsMixin, VotesMixin):
    _db: Connection

    def __init__(self, path: Path, busy_seconds: float | None = None) -> None:
        self.path = path
        self._busy_seconds = BUSY_SECONDS if busy_seconds is None else busy_seconds
        self._lock = ImportLock(path)
        try:
            self._db = connect(path, self._busy_seconds, self._lock.note)
        except sqlite3.DatabaseError as e:
            raise WorkspaceError(f"{path}: cannot open the workspace database ({e})") from e
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA cache_size=-65536")
            self._migrate()
            self.clean_abandoned()
        except BaseException as e:
            self._db.close()
            if isinstance(e, sqlite3.DatabaseError):
                raise WorkspaceError(f"{path}: cannot open the workspace database ({e})") from e
            raise

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def busy_seconds(self) -> float:
        """How long this store waits for another writer before :class:`WorkspaceBusy`."""
        return self._busy_seconds

    @busy_seconds.setter
    def busy_seconds(self, seconds: float) -> None:
        self._busy_seconds = seconds
        self._raw(f"PRAGMA busy_timeout = {int(seconds * 1000)}")

    # -- schema -------------------------------------------------------------------------

    @property
    def version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        current = self.version
        if current > SCHEMA_VERSION:
            raise WorkspaceError(
                f"{self.path} has schema version {current}, newer than this afina knows "
                f"({SCHEMA_VERSION})",
                "upgrade afina",
            )
        for version in range(current, SCHEMA_VERSION):
            with self.transaction():
                if self.version != version:
                    continue  # another process migrated it while this one waited
                for statement in statements(MIGRATIONS[version]):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {version + 1}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception: all or nothing."""
        self._begin()
        try:
            yield
        except BaseException:
            self._rollback()
            raise
        self._db.execute("COMMIT")

    def _begin(self) -> None:
        """BEGIN IMMEDIATE, tried every few milliseconds until the busy timeout."""
        deadline = time.monotonic() + self._busy_seconds
        self._raw("PRAGMA busy_timeout = 0")
        try:
            while True:
                try:
                    self._raw("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as e:
                    if not is_busy(e) or time.monotonic() >= deadline:
                        raise self._db.translate(e) from e
                time.sleep(RETRY_SECONDS)
        finally:
            self._raw(f"PRAGMA busy_timeout = {int(self._busy_seconds * 1000)}")

    def _rollback(self) -> None:
        # A damaged or full database may have ended the transaction itself already; the
        # error that did it is the one to report, not a failed ROLLBACK.
        if self._db.in_transaction:
            with suppress(sqlite3.Error):
                self._raw("ROLLBACK")

    def _raw(self, sql: str) -> None:
        """A statement whose errors stay SQLite's, for the loops that handle them."""
        sqlite3.Connection.execute(self._db, sql)

    def _take_turns(self) -> None:
        """Commit, let a waiting writer in, and begin again: an import's batch boundary."""
        self._db.execute("COMMIT")
        time.sleep(TURN_GAP_SECONDS)
        self._begin()

    def integrity_check(self) -> str:
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])

    # -- reading ------------------------------------------------------------------------
    # Every query below leaves out incomplete sources, their conversations and their turns
    # (HIDDEN): an import still writing, or one that died and is not deleted yet.

    def counts(self) -> dict[str, int]:
        one = self._db.execute(
            "SELECT (SELECT count(*) FROM sources WHERE complete = 1),"
            f" (SELECT count(*) FROM conversations WHERE source_id NOT IN {HIDDEN}),"
            f" (SELECT count(*) FROM turns) - {HIDDEN_TURNS}"
        ).fetchone()
        return {"sources": one[0], "conversations": one[1], "turns": one[2]}

    def sources(self) -> list[Source]:
        rows = self._db.execute(f"SELECT {SOURCE_COLS} FROM sources WHERE complete = 1 ORDER BY id")
        return [Source(*r) for r in rows]

    def source(self, source_id: int) -> Source:
        row = self._db.execute(
            f"SELECT {SOURCE_COLS} FROM sources WHERE id = ? AND complete = 1", (source_id,)
        )
        found = row.fetchone()
        if not found:
            raise NotFound(f"no source with id {source_id}", "see `afina sources`")
        return Source(*found)

    def notes(self, source_id: int) -> list[tuple[str, str, str, int]]:
        """(kind, place, message, count) noted while importing a source."""
        rows = self._db.execute(
            "SELECT kind, place, message, count FROM source_notes WHERE source_id = ? ORDER BY id",
            (source_id,),
        )
        return [(str(k), str(p), str(m), int(c)) for k, p, m, c in rows]

    def conversations(
        self, source_id: int | None = None, limit: int = 1000, offset: int = 0
    ) -> list[ConversationInfo]:
        where = "AND c.source_id = ?" if source_id is not None else ""
        args: tuple[int, ...] = (source_id,) if source_id is not None else ()
        rows = self._db.execute(
            f"SELECT {_CONVERSATION_COLS} {_CONVERSATIONS} {where}"
            " GROUP BY c.id ORDER BY c.id LIMIT ? OFFSET ?",
            (*args, limit, offset),
        )
        return [ConversationInfo(*r) for r in rows]

    def conversation(self, conversation_id: int) -> ConversationInfo:
        row = self._db.execute(
            f"SELECT {_CONVERSATION_COLS} {_CONVERSATIONS} AND c.id = ? GROUP BY c.id",
            (conversation_id,),
        ).fetchone()
        if not row:
            raise NotFound(
                f"no conversation with id {conversation_id}", "see `afina conversations`"
            )
        return ConversationInfo(*row)

    def turns(self, conversation_id: int, limit: int | None = None) -> list[StoredTurn]:
        rows = self._db.execute(
            """SELECT t.id, t.conversation_id, t.seq, t.speaker, t.role, t.text, t.ts,
                      t.reply_to, t.thread, t.alternatives, s.path, t.place
               FROM turns t JOIN sources s ON s.id = t.source_id
               WHERE t.conversation_id = ? AND s.complete = 1 ORDER BY t.seq, t.id LIMIT ?""",
            (conversation_id, -1 if limit is None else limit),
        )
        return [
            StoredTurn(
                id=r[0],
                conversation_id=r[1],
                seq=r[2],
                speaker=r[3],
                role=r[4],
                text=r[5],
                timestamp=r[6],
                reply_to=r[7],
                thread=r[8],
                alternatives=tuple(json.loads(r[9])) if r[9] else (),
                source_path=r[10],
                place=r[11],
            )
            for r in rows
        ]


_CONVERSATION_COLS = (
    "c.id, c.source_id, c.importer, c.key, c.title, count(t.id), min(t.ts), max(t.ts)"
)
# A conversation of a complete source can still gain turns from an import in progress (a
# later export of the same chat): those are left out of its count and times too.
_CONVERSATIONS = (
    "FROM conversations c LEFT JOIN turns t"
    f" ON t.conversation_id = c.id AND t.source_id NOT IN {HIDDEN}"
    f" WHERE c.source_id NOT IN {HIDDEN}"
)
