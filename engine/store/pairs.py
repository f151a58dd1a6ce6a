"""Pairs in the store: adding extracted pairs, listing them by filter, and the review log.

Every review change (status, edits, tags, note) is a row in ``review_ops`` inside a
``review_batches`` row; nothing is updated in place except ``pair_state``, the current
state the log adds up to, which is written in the same transaction so a listing of 100k
pairs is one indexed query. Undo appends a batch that reverses the last one; redo appends a
batch that repeats it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from afina.engine.errors import AfinaError, NotFound
from afina.engine.store.common import hash64, like_escaped, now
from afina.engine.types import PAIR_STATUSES, PairDraft, PairFilter, PairRow, RuleHit

REVIEW_FIELDS = ("status", "prompt", "response", "tags", "note")


@dataclass(frozen=True)
class Change:
    """One review change asked for: set ``field`` of ``pair_id`` to ``value``."""

    pair_id: int
    field: str
    value: str | None


class PairsMixin:
    _db: sqlite3.Connection
    transaction: Callable[[], AbstractContextManager[None]]

    # -- adding -------------------------------------------------------------------------

    def add_pairs(
        self, drafts: Sequence[PairDraft], keys: Sequence[int] | None = None
    ) -> tuple[list[int], int]:
        """Store new pairs; returns the ids of those added and how many were already there.

        A pair is known by its key (default :func:`pair_key`), so extracting again adds only
        new pairs; pass the keys of the unscrubbed drafts when storing scrubbed ones.
        Call inside :meth:`transaction`.
        """
        added: list[int] = []
        existing = 0
        created = now()
        for d, key in zip(drafts, keys or [pair_key(d) for d in drafts], strict=True):
            cur = self._db.execute(
                "INSERT OR IGNORE INTO pairs (conversation_id, key, prompt, response, context,"
                " system, turn_ids, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    d.conversation_id,
                    key,
                    d.prompt,
                    d.response,
                    json.dumps(d.context, ensure_ascii=False) if d.context else None,
                    d.system,
                    json.dumps(d.turn_ids),
                    created,
                ),
            )
            if cur.rowcount:
                assert cur.lastrowid is not None
                added.append(cur.lastrowid)
                self._db.execute("INSERT INTO pair_state (pair_id) VALUES (?)", (cur.lastrowid,))
            else:
                existing += 1
        return added, existing

    def add_rule_hits(self, pair_id: int, hits: Iterable[RuleHit]) -> None:
        """Record what rules found in a pair; a hit already recorded is not added twice."""
        self._db.executemany(
            "INSERT INTO rule_hits (pair_id, rule, field, detail) SELECT ?, ?, ?, ?"
            " WHERE NOT EXISTS (SELECT 1 FROM rule_hits"
            " WHERE pair_id = ? AND rule = ? AND field = ? AND detail = ?)",
            [(pair_id, h.rule, h.field, h.detail) * 2 for h in hits],
        )

    def rule_hits(self, pair_id: int) -> list[RuleHit]:
        rows = self._db.execute(
            "SELECT rule, detail, field FROM rule_hits WHERE pair_id = ? ORDER BY rowid",
            (pair_id,),
        )
        return [RuleHit(rule, detail, field) for rule, detail, field in rows]

    def keep_pii_values(self, conversation_id: int, mapping: dict[str, tuple[str, str]]) -> None:
        """Remember placeholder -> (kind, value) for a conversation; only this store has them."""
        self._db.executemany(
            "INSERT OR IGNORE INTO pii_values (conversation_id, placeholder, kind, value)"
            " VALUES (?, ?, ?, ?)",
            [(conversation_id, ph, kind, value) for ph, (kind, value) in mapping.items()],
        )

    def pii_values(self, conversation_id: int) -> dict[str, tuple[str, str]]:
        rows = self._db.execute(
            "SELECT placeholder, kind, value FROM pii_values WHERE conversation_id = ?",
            (conversation_id,),
        )
        return {ph: (kind, value) for ph, kind, value in rows}

    def set_splits(self, splits: dict[int, str]) -> None:
        """Record each conversation's split (train, validation, test)."""
        with self.transaction():
            self._db.executemany(
                "INSERT INTO splits (conversation_id, split) VALUES (?, ?)"
                " ON CONFLICT (conversation_id) DO UPDATE SET split = excluded.split",
                list(splits.items()),
            )

    # -- reading ------------------------------------------------------------------------

    def count_pairs(self, where: PairFilter | None = None) -> int:
        sql, args = _where(where or PairFilter())
        return int(self._db.execute(f"SELECT count(*) {_FROM} {sql}", args).fetchone()[0])

    def pair_counts(self) -> dict[str, int]:
        """Pairs per status and per split (accepted pairs only count toward a split)."""
        counts = dict.fromkeys(PAIR_STATUSES, 0)
        for status, n in self._db.execute("SELECT status, count(*) FROM pair_state GROUP BY 1"):
            counts[status] = n
        for split, n in self._db.execute(
            f"SELECT sp.split, count(*) {_FROM} WHERE s.status = 'accepted'"
            " AND sp.split IS NOT NULL GROUP BY 1"
        ):
            counts[split] = n
        return counts

    def pair_ids(self, where: PairFilter | None = None) -> list[int]:
        sql, args = _where(where or PairFilter())
        return [r[0] for r in self._db.execute(f"SELECT p.id {_FROM} {sql} ORDER BY p.id", args)]

    def pairs(
        self, where: PairFilter | None = None, limit: int = 100, offset: int = 0
    ) -> list[PairRow]:
        """One page of pairs in id order; the filtering and paging happen in SQL."""
        sql, args = _where(where or PairFilter())
        rows = self._db.execute(
            f"SELECT {_PAIR_COLS} {_FROM} {sql} ORDER BY p.id LIMIT ? OFFSET ?",
            (*args, limit, offset),
        )
        return [_pair_row(r) for r in rows]

    def pair(self, pair_id: int) -> PairRow:
        row = self._db.execute(f"SELECT {_PAIR_COLS} {_FROM} WHERE p.id = ?", (pair_id,)).fetchone()
        if row is None:
            raise NotFound(f"no pair with id {pair_id}", "see `afina pairs list`")
        return _pair_row(row)

    # -- reviewing ----------------------------------------------------------------------

    def review(
        self,
        changes: Sequence[Change],
        action: str,
        hits: Mapping[int, Sequence[RuleHit]] | None = None,
    ) -> int:
        """Apply changes as one batch in the log; returns how many values really changed.

        ``hits`` (rule hits per pair) are recorded in the same transaction, so what a rule
        found and what it did to the pair are never apart.
        """
        for c in changes:
            _check(c)
        with self.transaction():
            for pair_id, found in (hits or {}).items():
                self.add_rule_hits(pair_id, found)
            batch = self._new_batch("do", None, action)
            return self._apply(batch, [(c.pair_id, c.field, c.value) for c in changes])

    def undo(self) -> tuple[int, str] | None:
        """Reverse the latest batch still in effect; (changes, its action) or None if none."""
        with self.transaction():
            done, _ = self._stacks()
            if not done:
                return None
            target, action = done[-1]
            ops = self._ops(target)
            batch = self._new_batch("undo", target, action)
            return self._apply(batch, [(p, f, before) for p, f, before, _ in ops]), action

    def redo(self) -> tuple[int, str] | None:
        """Repeat the latest undone batch, if nothing was done since; None if there is none."""
        with self.transaction():
            _, undone = self._stacks()
            if not undone:
                return None
            target, action = undone[-1]
            ops = self._ops(target)
            batch = self._new_batch("redo", target, action)
            return self._apply(batch, [(p, f, after) for p, f, _, after in ops]), action

    def review_log(self, limit: int = 50) -> list[tuple[int, str, str, str, int]]:
        """The newest batches: (id, kind, action, at, ops)."""
        rows = self._db.execute(
            "SELECT b.id, b.kind, b.action, b.at, count(o.id) FROM review_batches b"
            " LEFT JOIN review_ops o ON o.batch_id = b.id GROUP BY b.id ORDER BY b.id DESC"
            " LIMIT ?",
            (limit,),
        )
        return [(int(i), str(k), str(a), str(at), int(n)) for i, k, a, at, n in rows]

    def _new_batch(self, kind: str, ref: int | None, action: str) -> int:
        cur = self._db.execute(
            "INSERT INTO review_batches (kind, ref, action, at) VALUES (?, ?, ?, ?)",
            (kind, ref, action, now()),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def _apply(self, batch: int, changes: Iterable[tuple[int, str, str | None]]) -> int:
        changed = 0
        for pair_id, field, value in changes:
            row = self._db.execute(
                f"SELECT {field} FROM pair_state WHERE pair_id = ?", (pair_id,)
            ).fetchone()
            if row is None:
                raise NotFound(f"no pair with id {pair_id}", "see `afina pairs list`")
            if row[0] == value:
                continue
            self._db.execute(
                "INSERT INTO review_ops (batch_id, pair_id, field, before, after)"
                " VALUES (?, ?, ?, ?, ?)",
                (batch, pair_id, field, row[0], value),
            )
            self._db.execute(
                f"UPDATE pair_state SET {field} = ? WHERE pair_id = ?", (value, pair_id)
            )
            changed += 1
        return changed

    def _ops(self, batch: int) -> list[tuple[int, str, str | None, str | None]]:
        rows = self._db.execute(
            "SELECT pair_id, field, before, after FROM review_ops WHERE batch_id = ?"
            " ORDER BY id DESC",
            (batch,),
        )
        return [(int(p), str(f), b, a) for p, f, b, a in rows]

    def _stacks(self) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
        """Batches in effect (undo candidates) and batches undone (redo candidates).

        Replays the batch list: a new change empties the redo stack, as in any editor.
        """
        done: list[tuple[int, str]] = []
        undone: list[tuple[int, str]] = []
        for bid, kind, action in self._db.execute(
            "SELECT id, kind, action FROM review_batches ORDER BY id"
        ):
            if kind == "do":
                done.append((bid, action))
                undone.clear()
            elif kind == "undo" and done:
                undone.append(done.pop())
            elif kind == "redo" and undone:
                done.append((bid, undone.pop()[1]))
        return done, undone


_FROM = (
    "FROM pairs p JOIN pair_state s ON s.pair_id = p.id"
    " LEFT JOIN splits sp ON sp.conversation_id = p.conversation_id"
)
_PAIR_COLS = (
    "p.id, p.conversation_id, coalesce(s.prompt, p.prompt), coalesce(s.response, p.response),"
    " p.context, p.system, s.status, s.tags, s.note,"
    " (s.prompt IS NOT NULL OR s.response IS NOT NULL), sp.split, p.turn_ids"
)


def _pair_row(r: tuple[Any, ...]) -> PairRow:
    return PairRow(
        id=r[0],
        conversation_id=r[1],
        prompt=r[2],
        response=r[3],
        context=tuple((str(a), str(b)) for a, b in json.loads(r[4])) if r[4] else (),
        system=r[5],
        status=r[6],
        tags=tuple(t for t in r[7].split(",") if t),
        note=r[8],
        edited=bool(r[9]),
        split=r[10],
        turn_ids=tuple(json.loads(r[11])),
    )


def _where(f: PairFilter) -> tuple[str, tuple[object, ...]]:
    clauses: list[str] = []
    args: list[object] = []
    if f.status is not None:
        clauses.append("s.status = ?")
        args.append(f.status)
    if f.tag is not None:
        clauses.append("s.tags LIKE ? ESCAPE '\\'")
        args.append(f"%,{like_escaped(f.tag)},%")
    if f.conversation_id is not None:
        clauses.append("p.conversation_id = ?")
        args.append(f.conversation_id)
    if f.source_id is not None:
        clauses.append("p.conversation_id IN (SELECT id FROM conversations WHERE source_id = ?)")
        args.append(f.source_id)
    if f.rule is not None:
        clauses.append("p.id IN (SELECT pair_id FROM rule_hits WHERE rule = ?)")
        args.append(f.rule)
    if f.split is not None:
        clauses.append("sp.split = ?")
        args.append(f.split)
    if f.search:
        clauses.append(
            "(coalesce(s.prompt, p.prompt) LIKE ? ESCAPE '\\'"
            " OR coalesce(s.response, p.response) LIKE ? ESCAPE '\\')"
        )
        args.extend([f"%{like_escaped(f.search)}%"] * 2)
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), tuple(args)


def pair_key(draft: PairDraft) -> int:
    """What identifies a pair across extractions: its turns, context and text."""
    return hash64(
        "pair", json.dumps(draft.turn_ids), json.dumps(draft.context), draft.prompt, draft.response
    )


def _check(c: Change) -> None:
    if c.field not in REVIEW_FIELDS:
        raise AfinaError(
            f"cannot change {c.field!r} of a pair", f"fields: {', '.join(REVIEW_FIELDS)}"
        )
    if c.field == "status" and c.value not in PAIR_STATUSES:
        raise AfinaError(f"status must be one of {', '.join(PAIR_STATUSES)}; got {c.value!r}")


def tags_value(tags: Iterable[str]) -> str:
    """The stored form of a tag set: ",a,b," so a tag filter is one LIKE."""
    clean = sorted({t.strip() for t in tags if t.strip()})
    for t in clean:
        if "," in t:
            raise AfinaError(f"a tag cannot contain a comma: {t!r}")
    return "," + ",".join(clean) + "," if clean else ""


__all__ = ["REVIEW_FIELDS", "Change", "PairsMixin", "pair_key", "tags_value"]
