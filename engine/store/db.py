"""The Store: one connection to a workspace database, its transactions and its queries."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from afina.engine.errors import NotFound, WorkspaceError
from afina.engine.store.common import now
from afina.engine.store.pairs import PairsMixin
from afina.engine.store.schema import MIGRATIONS, SCHEMA_VERSION, statements
from afina.engine.store.votes import VotesMixin
from afina.engine.store.writer import SourceWriter
from afina.engine.types import ConversationInfo, Source, StoredTurn


class Store(PairsMixin, VotesMixin):
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA cache_size=-65536")
            self._migrate()
        except sqlite3.DatabaseError as e:
            raise WorkspaceError(f"{path}: cannot open the workspace database ({e})") from e

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
                for statement in statements(MIGRATIONS[version]):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {version + 1}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception: all or nothing."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def integrity_check(self) -> str:
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])

    # -- writing an import ----------------------------------------------------------------

    def source_by_sha(self, sha256: str) -> Source | None:
        row = self._db.execute(f"SELECT {_SOURCE_COLS} FROM sources WHERE sha256 = ?", (sha256,))
        found = row.fetchone()
        return Source(*found) if found else None

    def begin_source(
        self,
        path: str,
        sha256: str,
        importer: str,
        size: int,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> SourceWriter:
        """Start recording a source; call inside :meth:`transaction` so a failure leaves nothing.

        ``should_stop`` is polled between batches of turns; when it says yes the writer
        raises :class:`Stopped`, and the transaction rolls the source back.
        """
        cur = self._db.execute(
            "INSERT INTO sources (path, sha256, importer, imported_at, size)"
            " VALUES (?, ?, ?, ?, ?)",
            (path, sha256, importer, now(), size),
        )
        assert cur.lastrowid is not None
        return SourceWriter(self._db, cur.lastrowid, importer, sha256, should_stop)

    # -- reading --------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        one = self._db.execute(
            "SELECT (SELECT count(*) FROM sources), (SELECT count(*) FROM conversations),"
            " (SELECT count(*) FROM turns)"
        ).fetchone()
        return {"sources": one[0], "conversations": one[1], "turns": one[2]}

    def sources(self) -> list[Source]:
        rows = self._db.execute(f"SELECT {_SOURCE_COLS} FROM sources ORDER BY id")
        return [Source(*r) for r in rows]

    def source(self, source_id: int) -> Source:
        row = self._db.execute(f"SELECT {_SOURCE_COLS} FROM sources WHERE id = ?", (source_id,))
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
        where = "WHERE c.source_id = ?" if source_id is not None else ""
        args: tuple[int, ...] = (source_id,) if source_id is not None else ()
        rows = self._db.execute(
            f"""SELECT c.id, c.source_id, c.importer, c.key, c.title,
                       count(t.id), min(t.ts), max(t.ts)
                FROM conversations c LEFT JOIN turns t ON t.conversation_id = c.id
                {where} GROUP BY c.id ORDER BY c.id LIMIT ? OFFSET ?""",
            (*args, limit, offset),
        )
        return [ConversationInfo(*r) for r in rows]

    def conversation(self, conversation_id: int) -> ConversationInfo:
        row = self._db.execute(
            """SELECT c.id, c.source_id, c.importer, c.key, c.title,
                      count(t.id), min(t.ts), max(t.ts)
               FROM conversations c LEFT JOIN turns t ON t.conversation_id = c.id
               WHERE c.id = ? GROUP BY c.id""",
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
               WHERE t.conversation_id = ? ORDER BY t.seq, t.id LIMIT ?""",
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


_SOURCE_COLS = "id, path, sha256, importer, imported_at, size, conversations, turns, skipped"
