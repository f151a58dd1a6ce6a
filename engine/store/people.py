"""Reads for the workspace-wide list of people: every speaker, the texts where someone may
say their name, and the names already scrubbed somewhere. Kept apart from the Store class so
that curation asks for exactly these and nothing is written."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

# Turns of an import still writing (or of one that died) are no one's yet: see staging.py.
from afina.engine.store.staging import HIDDEN

if TYPE_CHECKING:
    from afina.engine.store.db import Store


def speakers(store: Store) -> list[str]:
    """Every distinct speaker's display name in the workspace."""
    rows = store._db.execute(
        f"SELECT DISTINCT speaker FROM turns WHERE speaker != '' AND source_id NOT IN {HIDDEN}"
    )
    return [r[0] for r in rows]


def texts_containing(store: Store, cues: Iterable[str]) -> Iterator[str]:
    """Turn texts that contain one of ``cues`` (lower-case ASCII words, case ignored), read in
    one pass so that a workspace of millions of turns is not loaded at once."""
    cues = [c for c in cues if c]
    if not cues:
        return
    where = " OR ".join("instr(lower(text), ?) > 0" for _ in cues)
    rows = store._db.execute(
        f"SELECT text FROM turns WHERE ({where}) AND source_id NOT IN {HIDDEN}", cues
    )
    yield from (r[0] for r in rows)


def scrubbed_names(store: Store) -> list[str]:
    """Names that a past scrub of any conversation replaced (values kept in the local store)."""
    rows = store._db.execute("SELECT DISTINCT value FROM pii_values WHERE kind = 'name'")
    return [r[0] for r in rows]


def scrubbed_count(store: Store) -> int:
    """How many values past scrubs kept: it changes whenever a scrub finds something new."""
    return int(store._db.execute("SELECT count(*) FROM pii_values").fetchone()[0])


def texts_by_conversation(store: Store) -> Iterator[tuple[int, str]]:
    """Every turn's text with its conversation, streamed."""
    yield from store._db.execute(
        f"SELECT conversation_id, text FROM turns WHERE source_id NOT IN {HIDDEN}"
    )
