"""Blind votes in the store: recording them, reading them back by run, tag or session.

A stored vote keeps the two answers it judged (and the sources a RAG assistant showed), so
ratings and preference pairs can be rebuilt from the database alone, long after the run or
the index that produced the answers is gone.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from typing import Any

from afina.engine.errors import InputRefused, NotFound, ParseError, UsageError
from afina.engine.store.common import now
from afina.engine.types import Vote

Sources = Mapping[str, Sequence[Mapping[str, Any]]]


class VotesMixin:
    _db: sqlite3.Connection
    transaction: Callable[[], AbstractContextManager[None]]

    # -- writing ------------------------------------------------------------------------

    def add_vote(
        self,
        vote: Vote,
        *,
        run: str | None = None,
        session: str | None = None,
        sources: Sources | None = None,
    ) -> int:
        """Store one vote and return its id; a vote without a time is stamped now (UTC).

        ``run`` is the training run the tuned assistants came from, ``session`` the compare
        session; ``sources`` maps an assistant to the source records its answer cited.
        """
        check_vote(vote, sources)
        with self.transaction():
            return self._insert_vote(vote, run, session, sources)

    def import_votes(
        self, votes: Sequence[Vote], *, run: str | None = None, session: str | None = None
    ) -> tuple[list[int], int]:
        """Store many votes at once, all or nothing; returns the new ids and how many were
        already there.

        A vote is already there when one with the same time, prompt, assistants and outcome
        is stored, so importing the same file twice does not count every vote twice in the
        ratings. Votes without a time cannot be recognised and are always added.
        """
        for v in votes:
            check_vote(v)
        added: list[int] = []
        existing = 0
        with self.transaction():
            for v in votes:
                if v.time and self._has_vote(v):
                    existing += 1
                else:
                    added.append(self._insert_vote(v, run, session, None))
        return added, existing

    def delete_vote(self, vote_id: int) -> None:
        """Remove a vote for good (a mis-click in the compare screen)."""
        with self.transaction():
            cur = self._db.execute("DELETE FROM votes WHERE id = ?", (vote_id,))
            if not cur.rowcount:
                raise NotFound(f"no vote with id {vote_id}", "see `afina votes list`")

    def _insert_vote(
        self, vote: Vote, run: str | None, session: str | None, sources: Sources | None
    ) -> int:
        if not vote.time:
            vote = replace(vote, time=now())
        cur = self._db.execute(
            "INSERT INTO votes (at, prompt, left_assistant, right_assistant, outcome, answers,"
            " sources, tags, run, session) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                vote.time,
                vote.prompt,
                vote.left,
                vote.right,
                vote.outcome,
                json.dumps(dict(vote.answers), ensure_ascii=False),
                _sources_json(sources),
                _tags_value(vote.tags),
                run,
                session,
            ),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def _has_vote(self, v: Vote) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM votes WHERE at = ? AND prompt = ? AND left_assistant = ?"
            " AND right_assistant = ? AND outcome = ? LIMIT 1",
            (v.time, v.prompt, v.left, v.right, v.outcome),
        ).fetchone()
        return row is not None

    # -- reading ------------------------------------------------------------------------

    def votes(
        self, *, run: str | None = None, tag: str | None = None, session: str | None = None
    ) -> list[Vote]:
        """The votes a filter selects, in the order they were cast (Elo depends on it)."""
        sql, args = _where(run, tag, session)
        rows = self._db.execute(f"SELECT {_COLS} FROM votes {sql} ORDER BY id", args)
        return [_vote(r) for r in rows]

    def vote_rows(
        self,
        *,
        run: str | None = None,
        tag: str | None = None,
        session: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Votes as plain dicts with their id, run, session and sources, oldest first.

        With ``limit``, the newest ``limit`` votes: the ones a person wants to check or undo.
        """
        sql, args = _where(run, tag, session)
        rows = self._db.execute(
            f"SELECT {_COLS}, id, run, session, sources FROM votes {sql} ORDER BY id DESC LIMIT ?",
            (*args, -1 if limit is None else limit),
        ).fetchall()
        out = []
        for r in reversed(rows):
            v = _vote(r)
            out.append(
                {
                    "id": r[7],
                    **v.to_dict(),
                    "winner": v.winner,
                    "sources": json.loads(r[10]) if r[10] else None,
                    "run": r[8],
                    "session": r[9],
                }
            )
        return out

    def vote_count(
        self, *, run: str | None = None, tag: str | None = None, session: str | None = None
    ) -> int:
        sql, args = _where(run, tag, session)
        return int(self._db.execute(f"SELECT count(*) FROM votes {sql}", args).fetchone()[0])


_COLS = "prompt, left_assistant, right_assistant, outcome, answers, tags, at"


def _vote(r: Sequence[Any]) -> Vote:
    return Vote(
        prompt=r[0],
        left=r[1],
        right=r[2],
        outcome=r[3],
        answers=json.loads(r[4]),
        tags=tuple(t for t in r[5].split(",") if t),
        time=r[6],
    )


def _where(run: str | None, tag: str | None, session: str | None) -> tuple[str, tuple[str, ...]]:
    clauses: list[str] = []
    args: list[str] = []
    if run is not None:
        clauses.append("run = ?")
        args.append(run)
    if session is not None:
        clauses.append("session = ?")
        args.append(session)
    if tag is not None:
        # instr, not LIKE: a tag with % or _ in it must match only itself.
        clauses.append("instr(tags, ?) > 0")
        args.append(f",{tag},")
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), tuple(args)


def _tags_value(tags: Iterable[str]) -> str:
    # Unlike pair tags these keep their order, so a vote reads back exactly as it was cast.
    tags = list(tags)
    return "," + ",".join(tags) + "," if tags else ""


def _sources_json(sources: Sources | None) -> str | None:
    if not sources:
        return None
    return json.dumps(
        {name: [dict(s) for s in items] for name, items in sources.items()},
        ensure_ascii=False,
        default=str,
    )


def check_vote(vote: Vote, sources: Sources | None = None) -> None:
    """Refuse a vote the store cannot use: a missing answer, a bad tag, stray sources.

    Both answers are required because a vote without them can be rated but never turned
    into a preference pair, and nobody can check later what was judged.
    """
    missing = [name for name in (vote.left, vote.right) if name not in vote.answers]
    if missing:
        raise UsageError(
            f"the vote has no answer from {' or '.join(repr(m) for m in missing)}",
            "a vote keeps both answers it compared",
        )
    for t in vote.tags:
        if not t.strip() or "," in t:
            raise UsageError(f"a vote tag must be non-empty and without commas: {t!r}")
    stray = sorted(set(sources or {}) - {vote.left, vote.right})
    if stray:
        raise UsageError(
            f"sources given for {', '.join(map(repr, stray))}, who is not in the vote",
            f"the vote compares {vote.left!r} and {vote.right!r}",
        )
    for name, items in (sources or {}).items():
        if isinstance(items, (str, bytes)) or not all(isinstance(s, Mapping) for s in items):
            raise UsageError(f"the sources of {name!r} must be a list of objects")


def dump_votes(votes: Iterable[Vote]) -> str:
    """Votes as JSON Lines (one vote an object a line)."""
    return "".join(json.dumps(v.to_dict(), ensure_ascii=False) + "\n" for v in votes)


def load_votes(lines: Iterable[str]) -> list[Vote]:
    """Votes from JSON Lines; a bad line raises ParseError naming the line."""
    votes: list[Vote] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            if not isinstance(d, dict):
                raise ValueError("expected a JSON object")
            votes.append(Vote.from_dict(d))
        except ValueError as e:  # json.JSONDecodeError is a ValueError
            raise ParseError(f"line {n}", str(e)) from e
    return votes


def read_votes_file(path: Path) -> list[Vote]:
    """Votes from a JSON Lines file written by ``dump_votes``, each checked like ``add_vote``.

    Any bad line fails the whole file with a ParseError naming the file and the line, so
    an import is never half done.
    """
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputRefused(str(path), None, f"cannot read it ({e.strerror})") from e
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ParseError(f"{path}: line {line}", "not UTF-8 text") from e
    # split("\n"), not splitlines(): JSON text may hold a raw U+2028, which is no line end.
    lines = text.split("\n")
    try:
        votes = load_votes(lines)
    except ParseError as e:
        raise ParseError(f"{path}: {e.place}", e.problem) from e
    numbers = [n for n, line in enumerate(lines, 1) if line.strip()]
    for n, v in zip(numbers, votes, strict=True):
        try:
            check_vote(v)
        except UsageError as e:
            raise ParseError(f"{path}: line {n}", e.message) from e
    return votes


__all__ = ["VotesMixin", "check_vote", "dump_votes", "load_votes", "read_votes_file"]


# Votes with a winner as chosen/rejected records: what `afina votes export` writes and what a
# preference-tuning objective (on the training floor) reads, so they live here, below both.
def preference_pairs(votes: Iterable[Vote], *, with_meta: bool = False) -> list[dict[str, Any]]:
    """Votes with a winner as {"prompt", "chosen", "rejected"} records, for DPO-style training.

    Ties and both-bad votes carry no preference and are skipped, as are votes missing either
    answer and votes whose two answers are the same text. ``with_meta`` adds the assistants'
    names, the tags and the time; it is off by default because a trainer may refuse columns
    it does not know.
    """
    out: list[dict[str, Any]] = []
    for v in votes:
        winner, loser = v.winner, v.loser
        if winner is None or loser is None:
            continue
        chosen, rejected = v.answers.get(winner), v.answers.get(loser)
        if chosen is None or rejected is None or chosen.strip() == rejected.strip():
            continue
        record: dict[str, Any] = {"prompt": v.prompt, "chosen": chosen, "rejected": rejected}
        if with_meta:
            record.update(
                chosen_assistant=winner, rejected_assistant=loser, tags=list(v.tags), time=v.time
            )
        out.append(record)
    return out


def preference_jsonl(votes: Iterable[Vote], *, with_meta: bool = False) -> str:
    """``preference_pairs`` as JSON Lines."""
    return "".join(
        json.dumps(r, ensure_ascii=False) + "\n"
        for r in preference_pairs(votes, with_meta=with_meta)
    )
