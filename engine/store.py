"""The SQLite store of a workspace: schema, migrations, and the only code in afina that writes SQL.

One database per workspace (``.afina/afina.db``) in WAL mode, so the TUI and a CLI command can
work on it at once. The schema version lives in ``PRAGMA user_version``; ``MIGRATIONS[i]``
takes a database from version ``i`` to ``i + 1``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from afina.engine.errors import NotFound, WorkspaceError
from afina.engine.ingest.textio import nfc
from afina.engine.types import Conversation, ConversationInfo, Source, StoredTurn, Turn

MIGRATIONS: tuple[str, ...] = (
    # 0 -> 1: sources, what was noted while reading them, conversations and their turns.
    """
    CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL UNIQUE,
        importer TEXT NOT NULL,
        imported_at TEXT NOT NULL,
        size INTEGER NOT NULL,
        conversations INTEGER NOT NULL DEFAULT 0,
        turns INTEGER NOT NULL DEFAULT 0,
        duplicates INTEGER NOT NULL DEFAULT 0,
        skipped INTEGER NOT NULL DEFAULT 0,
        repaired INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE source_notes (
        id INTEGER PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES sources(id),
        kind TEXT NOT NULL CHECK (kind IN ('skip', 'repair')),
        place TEXT NOT NULL,
        message TEXT NOT NULL,
        count INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX source_notes_source ON source_notes(source_id);
    CREATE TABLE conversations (
        id INTEGER PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES sources(id),
        importer TEXT NOT NULL,
        key TEXT NOT NULL,
        title TEXT,
        place TEXT NOT NULL,
        meta TEXT,
        UNIQUE (importer, key)
    );
    CREATE INDEX conversations_source ON conversations(source_id);
    CREATE TABLE turns (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id),
        seq INTEGER NOT NULL,
        minute INTEGER NOT NULL,
        key INTEGER NOT NULL,
        speaker TEXT NOT NULL,
        role TEXT CHECK (role IN ('user', 'assistant', 'system', 'tool')),
        text TEXT NOT NULL,
        ts TEXT,
        reply_to TEXT,
        thread TEXT,
        alternatives TEXT,
        meta TEXT,
        source_id INTEGER NOT NULL REFERENCES sources(id),
        place TEXT NOT NULL
    );
    -- Leading with the minute keeps index inserts nearly in order for a chat that is
    -- imported oldest first (random 64-bit keys alone make every insert a random write).
    CREATE UNIQUE INDEX turns_key ON turns(conversation_id, minute, key);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
_BATCH = 4096
# Skips and repairs are summarised by reason in the source row; only the first few of each
# are kept with their place, so a file with a million system lines doesn't bloat the store.
MAX_NOTES_PER_SOURCE = 200


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _hash64(*parts: str) -> int:
    digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8", "surrogatepass"), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def _json_or_none(value: object) -> str | None:
    return json.dumps(value, ensure_ascii=False, default=str) if value else None


class Store:
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
                for statement in _statements(MIGRATIONS[version]):
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
            (path, sha256, importer, _now(), size),
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


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


class Stopped(Exception):
    """Raised by a SourceWriter when its ``should_stop`` says so, to roll the source back."""


class SourceWriter:
    """Adds one source's conversations; the caller's transaction makes it all or nothing."""

    def __init__(
        self,
        db: sqlite3.Connection,
        source_id: int,
        importer: str,
        sha256: str,
        should_stop: Callable[[], bool],
    ) -> None:
        self._db = db
        self.source_id = source_id
        self._importer = importer
        self._sha = sha256
        self._should_stop = should_stop
        self.conversations = 0
        self.turns = 0
        self.duplicates = 0
        self.skipped = 0
        self.repaired = 0
        self._notes = 0

    def add_conversation(self, conv: Conversation) -> tuple[int, int]:
        """Store a conversation's new turns; returns (turns added, turns already present).

        A conversation already in the store (same importer and key) gets only the turns it
        does not have yet, so an overlapping later export adds only what is new.
        """
        turns: Iterable[Turn] = conv.turns
        if conv.key:
            key = conv.key
        elif isinstance(turns, Sequence):
            # No id in the format: the content identifies the conversation across exports.
            key = "h:" + format(
                _hash64(*(f"{t.speaker}\x1e{t.text}" for t in turns)) & (2**64 - 1), "016x"
            )
        else:
            key = f"p:{self._sha[:16]}:{conv.place}"
        db = self._db
        db.execute(
            "INSERT INTO conversations (source_id, importer, key, title, place, meta)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (importer, key) DO NOTHING",
            (self.source_id, self._importer, key, conv.title, conv.place, _json_or_none(conv.meta)),
        )
        conv_id, next_seq = db.execute(
            "SELECT c.id,"
            " coalesce((SELECT max(seq) + 1 FROM turns WHERE conversation_id = c.id), 0)"
            " FROM conversations c WHERE c.importer = ? AND c.key = ?",
            (self._importer, key),
        ).fetchone()
        added = seen = 0
        for plain, full in _rows(turns, conv_id, self.source_id, next_seq):
            if self._should_stop():
                raise Stopped
            before = db.total_changes
            db.executemany(_INSERT_PLAIN_TURN, plain)
            db.executemany(_INSERT_TURN, full)
            n = db.total_changes - before
            added += n
            seen += len(plain) + len(full) - n
        self.conversations += 1
        self.turns += added
        self.duplicates += seen
        return added, seen

    def note(self, kind: str, place: str, message: str, count: int = 1) -> None:
        if kind == "skip":
            self.skipped += count
        else:
            self.repaired += count
        if self._notes < MAX_NOTES_PER_SOURCE:
            self._notes += 1
            self._db.execute(
                "INSERT INTO source_notes (source_id, kind, place, message, count)"
                " VALUES (?, ?, ?, ?, ?)",
                (self.source_id, kind, place, message, count),
            )

    def finish(self) -> None:
        self._db.execute(
            "UPDATE sources SET conversations = ?, turns = ?, duplicates = ?, skipped = ?,"
            " repaired = ? WHERE id = ?",
            (
                self.conversations,
                self.turns,
                self.duplicates,
                self.skipped,
                self.repaired,
                self.source_id,
            ),
        )


def _minute(ts: str) -> int:
    """YYYYMMDDHHMM of an ISO timestamp, for ordering the turn index; 0 if it has no such prefix."""
    digits = ts[0:4] + ts[5:7] + ts[8:10] + ts[11:13] + ts[14:16]
    return int(digits) if len(digits) == 12 and digits.isdigit() else 0


_INSERT_TURN = (
    "INSERT OR IGNORE INTO turns (conversation_id, seq, minute, key, speaker, role, text, ts,"
    " reply_to, thread, alternatives, meta, source_id, place)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)


_INSERT_PLAIN_TURN = (
    "INSERT OR IGNORE INTO turns (conversation_id, seq, minute, key, speaker, text, ts,"
    " source_id, place) VALUES (?,?,?,?,?,?,?,?,?)"
)


def _rows(
    turns: Iterable[Turn], conv_id: int, source_id: int, first_seq: int
) -> Iterator[tuple[list[tuple[object, ...]], list[tuple[object, ...]]]]:
    """Turn rows in batches, each with a stable key, in constant memory.

    Turns without an id are keyed by content. With a timestamp: (speaker, time, text) plus
    an occurrence number among identical messages of that timestamp. Without one: the
    content plus the previous message's content, so the same line said twice in different
    places stays two turns. Either way an export that starts earlier or later than the last
    one (WhatsApp keeps only the newest messages) still lines up with what is stored.

    This loop runs once per message of every import (a million for a big WhatsApp chat),
    so it avoids per-turn calls where it can: ASCII text is NFC already, and speakers repeat.
    Most chat messages have no role, reply, thread, alternatives or meta; they go in a
    batch of their own whose INSERT binds only the filled columns (a quarter less work).
    """
    plain: list[tuple[object, ...]] = []  # rows whose optional columns are all empty
    full: list[tuple[object, ...]] = []
    seen: dict[int, int] = {}
    speakers: dict[str, str] = {}
    group_ts: str | None = None
    minute = 0
    previous = 0
    digest = hashlib.blake2b
    for seq, t in enumerate(turns, first_seq):
        if len(plain) + len(full) >= _BATCH:
            yield plain, full
            plain, full = [], []
        text = t.text if t.text.isascii() else nfc(t.text)
        speaker = speakers.get(t.speaker)
        if speaker is None:
            speaker = speakers[t.speaker] = nfc(t.speaker)
        ts = t.timestamp
        raw = f"c\x1f{speaker}\x1f{ts or ''}\x1f{text}".encode("utf-8", "surrogatepass")
        content = int.from_bytes(digest(raw, digest_size=8).digest(), "big", signed=True)
        if ts != group_ts:
            seen.clear()
            group_ts = ts
            minute = _minute(ts) if ts is not None else 0
        if t.key:
            key = _hash64("k", t.key)
        elif ts is not None:
            n = seen.get(content, 0)
            seen[content] = n + 1
            key = content if n == 0 else _hash64("r", str(content), str(n))
        else:
            key = _hash64("p", str(content), str(previous))
        previous = content
        alternatives = t.alternatives
        if not (t.role or t.reply_to or t.thread or alternatives or t.meta):
            plain.append((conv_id, seq, minute, key, speaker, text, ts, source_id, t.place))
            continue
        full.append(
            (
                conv_id,
                seq,
                minute,
                key,
                speaker,
                t.role,
                text,
                ts,
                t.reply_to,
                t.thread,
                _json_or_none([nfc(a) for a in alternatives]) if alternatives else None,
                _json_or_none(t.meta) if t.meta else None,
                source_id,
                t.place,
            )
        )
    if plain or full:
        yield plain, full
