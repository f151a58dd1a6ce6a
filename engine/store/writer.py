"""Writing one imported source: its conversations and their turns, fast and in constant memory."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence

from afina.engine.store.common import hash64, json_or_none
from afina.engine.text import nfc
from afina.engine.types import Conversation, Source, Turn

_BATCH = 4096
# Skips and repairs are summarised by reason in the source row; only the first few of each
# are kept with their place, so a file with a million system lines doesn't bloat the store.
MAX_NOTES_PER_SOURCE = 200


# A writer in batches commits about this often, so a command waiting for the database
# waits at most about this long for its turn.
BATCH_SECONDS = 0.5


class Stopped(Exception):
    """Raised by a SourceWriter when its ``should_stop`` says so, to roll the source back."""


class SourceExists(Exception):
    """A source with this content is in the store already (another import got there first)."""

    def __init__(self, source: Source) -> None:
        super().__init__(f"already imported as source {source.id}")
        self.source = source


class SourceWriter:
    """Adds one source's conversations, all or nothing.

    Without ``take_turns`` the caller's transaction holds the whole source. With it the
    writer calls it about every :data:`BATCH_SECONDS` (it commits and begins again) and the
    source stays incomplete, hidden from every reader, until :meth:`finish`.
    """

    def __init__(
        self,
        db: sqlite3.Connection,
        source_id: int,
        importer: str,
        sha256: str,
        should_stop: Callable[[], bool],
        take_turns: Callable[[], None] | None = None,
    ) -> None:
        self._db = db
        self.source_id = source_id
        self._importer = importer
        self._sha = sha256
        self._should_stop = should_stop
        self._take_turns = take_turns
        self._due = time.monotonic() + BATCH_SECONDS
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
                hash64(*(f"{t.speaker}\x1e{t.text}" for t in turns)) & (2**64 - 1), "016x"
            )
        else:
            key = f"p:{self._sha[:16]}:{conv.place}"
        db = self._db
        db.execute(
            "INSERT INTO conversations (source_id, importer, key, title, place, meta)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (importer, key) DO NOTHING",
            (self.source_id, self._importer, key, conv.title, conv.place, json_or_none(conv.meta)),
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
            self._turn_due()
        self.conversations += 1
        self.turns += added
        self.duplicates += seen
        self._turn_due()
        return added, seen

    def _turn_due(self) -> None:
        if self._take_turns is not None and time.monotonic() >= self._due:
            self._take_turns()
            self._due = time.monotonic() + BATCH_SECONDS

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
        """Record what the source added and make it visible (complete)."""
        self._db.execute(
            "UPDATE sources SET conversations = ?, turns = ?, duplicates = ?, skipped = ?,"
            " repaired = ?, complete = 1 WHERE id = ?",
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
            key = hash64("k", t.key)
        elif ts is not None:
            n = seen.get(content, 0)
            seen[content] = n + 1
            key = content if n == 0 else hash64("r", str(content), str(n))
        else:
            key = hash64("p", str(content), str(previous))
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
                json_or_none([nfc(a) for a in alternatives]) if alternatives else None,
                json_or_none(t.meta) if t.meta else None,
                source_id,
                t.place,
            )
        )
    if plain or full:
        yield plain, full
