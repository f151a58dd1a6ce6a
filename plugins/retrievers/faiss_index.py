"""The built-in retriever: sentence-transformers embeddings in a FAISS index chosen by size
(exact inner product below ``hnsw_threshold`` entries, HNSW from there on), queried densely,
lexically (BM25 over the same stored texts) or both fused by rank: the ``mode`` option.

An index built before ``mode`` existed has no such option saved and opens with the default,
which needs nothing new on disk (BM25 is built from the stored texts when the index opens)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from afina.engine.plugins import Option
from afina.engine.rag.contract import (
    EXTENDS,
    INCREMENTAL,
    BuildProgress,
    BuildReport,
    Entry,
    Hit,
    Retriever,
)
from afina.engine.rag.embed import DEFAULT_EMBEDDER, Embedder, load_embedder
from afina.engine.rag.index import KINDS, build_index, settings_from
from afina.engine.rag.index_query import HYBRID, LEXICAL, MODES, VectorIndex

# Measured on the sample domain's held-out questions (benchmarks/retrieval_hits.py): see
# benchmarks/RESULTS.md for hit@1 and hit@3 per language and mode.
DEFAULT_MODE = HYBRID

FAISS_OPTIONS: tuple[Option, ...] = (
    Option(
        "embedder",
        "str",
        DEFAULT_EMBEDDER,
        "sentence-transformers model: the embedded all-MiniLM-L6-v2, a model id or a folder "
        "(hash:DIM: a model-free hashing embedder for tests)",
    ),
    Option(
        "mode",
        "choice",
        DEFAULT_MODE,
        "how a query finds entries: dense (embeddings), lexical (BM25 over accent-folded "
        "words) or hybrid (both, fused by reciprocal rank)",
        MODES,
    ),
    Option("device", "str", "", "where the embedder runs: cpu, cuda ... (empty: automatic)"),
    Option("batch_size", "int", 32, "texts per embedding batch"),
    Option("kind", "choice", "auto", "index structure: auto (by size), flat or hnsw", KINDS),
    Option("hnsw_threshold", "int", 50_000, "with kind=auto, entries from which HNSW is used"),
    Option("hnsw_m", "int", 32, "HNSW: neighbours per node (more: better recall, more memory)"),
    Option("ef_construction", "int", 200, "HNSW: search breadth while building"),
    Option("ef_search", "int", 128, "HNSW: search breadth per query (more: better recall)"),
)


class FaissRetriever(Retriever):
    name: ClassVar[str] = "faiss"
    description: ClassVar[str] = "sentence-transformers embeddings in a FAISS index (flat or HNSW)"
    options: ClassVar[tuple[Option, ...]] = FAISS_OPTIONS
    capabilities: ClassVar[frozenset[str]] = frozenset({INCREMENTAL, EXTENDS})

    def __init__(self, options: Mapping[str, Any] | None = None, *, embedder: Any = None) -> None:
        super().__init__(options, embedder=embedder)
        self._index: VectorIndex | None = None

    @property
    def embedder(self) -> Embedder:
        """The injected embedder, else the one the options name (loaded once per process)."""
        if self._embedder is None:
            s = self.settings
            self._embedder = load_embedder(s["embedder"], s["device"], s["batch_size"])
        return self._embedder

    def build(
        self,
        entries: Sequence[Entry],
        folder: Path,
        progress: BuildProgress | None = None,
        *,
        inputs: Mapping[str, Any] | None = None,
    ) -> BuildReport:
        return self._build(entries, folder, progress, inputs, extend=False)

    def extend(
        self,
        entries: Sequence[Entry],
        folder: Path,
        progress: BuildProgress | None = None,
        *,
        inputs: Mapping[str, Any] | None = None,
    ) -> BuildReport:
        return self._build(entries, folder, progress, inputs, extend=True)

    def _build(
        self,
        entries: Sequence[Entry],
        folder: Path,
        progress: BuildProgress | None,
        inputs: Mapping[str, Any] | None,
        *,
        extend: bool,
    ) -> BuildReport:
        if progress:
            progress("load", 0, 0)
        report = build_index(
            entries,
            folder,
            self.embedder,
            settings_from(self.settings),
            progress=progress,
            extend=extend,
            retriever=self.name,
            options=self.settings,
            inputs=inputs,
        )
        self._index = None
        return report

    @classmethod
    def load(cls, folder: Path, *, embedder: Any = None) -> FaissRetriever:
        index = VectorIndex.open(folder)
        known = {o.name for o in cls.options}
        saved = {k: v for k, v in index.meta.get("options", {}).items() if k in known}
        retriever = cls(saved, embedder=embedder)
        retriever._index = index
        return retriever

    def warm(self) -> None:
        self.embedder  # noqa: B018  (the property loads it)

    def query(self, text: str, k: int = 5) -> list[Hit]:
        if self._index is None:
            raise RuntimeError("query before load: use FaissRetriever.load(folder)")
        mode = self.settings["mode"]
        # BM25 alone needs no model: a lexical index answers without loading one.
        embedder = None if mode == LEXICAL else self.embedder
        return self._index.query(embedder, text, k, mode)

    def info(self) -> dict[str, Any]:
        return dict(self._index.meta) if self._index is not None else {}
