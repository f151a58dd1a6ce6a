"""The first conversations of a candidate, read without storing anything (Import preview)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from afina.engine.errors import AfinaError
from afina.engine.ingest.discover import Candidate
from afina.engine.types import Conversation, Skip, Turn


@dataclass
class Preview:
    conversations: list[tuple[Conversation, list[Turn]]] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    error: str | None = None


def preview(
    cand: Candidate,
    options: Mapping[str, Any] | None = None,
    conversations: int = 3,
    turns: int = 6,
) -> Preview:
    """The first ``conversations`` conversations, each cut to ``turns`` turns."""
    result = Preview()
    if cand.importer is None:
        result.error = cand.reason
        return result
    try:
        resolved = cand.importer.resolve_options(dict(options or {}))
        for item in cand.importer.read(cand.item, resolved):
            if isinstance(item, Conversation):
                result.conversations.append((item, list(islice(item.turns, turns))))
                if len(result.conversations) >= conversations:
                    break
            elif isinstance(item, Skip) and len(result.skips) < 20:
                result.skips.append(item)
    except AfinaError as e:
        result.error = str(e)
    except Exception as e:  # a preview must never crash the screen that shows it
        result.error = f"the {cand.importer.name} importer failed: {type(e).__name__}: {e}"
    return result
