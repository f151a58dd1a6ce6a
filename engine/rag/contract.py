"""The retriever contract: builds an index over entries (pairs, document chunks) and answers
queries with the nearest ones. Registered under the ``afina.retrievers`` entry-point group.

A retriever is made with its options (declared, so a UI can draw its form) and, optionally,
an embedder object (tests inject a fake one; otherwise the ``embedder`` option names it).
``build`` writes ``folder`` whole and atomically; ``load`` opens a built folder; ``query``
embeds a text and returns the nearest entries, best first.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from afina.engine.errors import UsageError
from afina.engine.plugins import Plugin

# Capability flags a retriever may declare.
INCREMENTAL = "incremental"  # a rebuild embeds only new and changed entries
EXTENDS = "extends"  # can add entries to a built index without the rest of its sources

# Told (stage, done, total): stages "load" (the embedder), "embed" (texts), "index" (vectors).
BuildProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Entry:
    """One thing to find: ``text`` is embedded, ``passage`` is handed back to a reader."""

    key: str  # unique in an index: "pair:12", "doc:faq.md#3"
    text: str
    source: str = ""  # where it came from: "pairs", or a document's path
    passage: str | None = None  # the text when None
    payload: Mapping[str, Any] = field(default_factory=dict)  # JSON values only

    def text_hash(self) -> str:
        """The sha256 of the embedded text: an unchanged key and hash keep their vector."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def record(self) -> dict[str, Any]:
        """The entry as stored beside the index (one JSON line)."""
        return {
            "key": self.key,
            "hash": self.text_hash(),
            "source": self.source,
            "text": self.text,
            "passage": self.text if self.passage is None else self.passage,
            "payload": dict(self.payload),
        }


def record_line(record: Mapping[str, Any]) -> str:
    """A record's canonical JSON line (sorted keys): what the content hash covers."""
    return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Hit:
    key: str
    # higher is nearer: cosine similarity (dense), BM25 (lexical) or the fused reciprocal-rank
    # score (hybrid: about 0.03 for an entry first in both rankings)
    score: float
    text: str  # the entry's passage
    source: str
    payload: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "payload": dict(self.payload)}


@dataclass(frozen=True)
class BuildReport:
    folder: str
    count: int  # entries in the index now
    embedded: int  # of them, embedded in this build
    reused: int  # of them, vectors kept from the previous build
    removed: int  # entries of the previous build that are gone
    kind: str  # the index structure, e.g. "flat" or "hnsw"
    why: str
    embedder: str
    content_sha256: str
    seconds: float
    changed: bool  # whether the index differs from the one it replaced

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Retriever(Plugin, ABC):
    kind: ClassVar[str] = "retriever"

    def __init__(self, options: Mapping[str, Any] | None = None, *, embedder: Any = None) -> None:
        self.settings: dict[str, Any] = self.resolve_options(dict(options or {}))
        self._embedder = embedder

    @abstractmethod
    def build(
        self,
        entries: Sequence[Entry],
        folder: Path,
        progress: BuildProgress | None = None,
        *,
        inputs: Mapping[str, Any] | None = None,
    ) -> BuildReport:
        """Make ``folder`` an index of exactly ``entries`` (replacing what was there, reusing
        what it can); ``folder`` is left as it was if this fails. ``inputs`` (JSON values:
        where the entries came from) is recorded in the metadata as is."""

    def extend(
        self,
        entries: Sequence[Entry],
        folder: Path,
        progress: BuildProgress | None = None,
        *,
        inputs: Mapping[str, Any] | None = None,
    ) -> BuildReport:
        """Add ``entries`` to the index in ``folder`` (replacing those with the same key)."""
        raise UsageError(f"retriever {self.name!r} cannot extend an index; rebuild it instead")

    @classmethod
    @abstractmethod
    def load(cls, folder: Path, *, embedder: Any = None) -> Retriever:
        """The index built in ``folder``, ready to query."""

    def warm(self) -> None:
        """Load what a query needs (the embedding model) now, so the first query is not slow."""

    @abstractmethod
    def query(self, text: str, k: int = 5) -> list[Hit]:
        """The ``k`` entries nearest to ``text``, best first."""

    def info(self) -> dict[str, Any]:
        """What the index says about itself (its metadata); empty before build or load."""
        return {}
