"""A built vector index, opened: its metadata, entries and FAISS index, searched by vector
or by the text of a query, densely (nearest vectors), lexically (BM25 over the stored texts)
or both, fused by rank (see :mod:`lexical`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from afina.engine.errors import UsageError
from afina.engine.rag.contract import Hit
from afina.engine.rag.embed import Embedder
from afina.engine.rag.index import HNSW
from afina.engine.rag.index_files import GRAPH, VECTORS, IndexDamaged, read_meta, read_records
from afina.engine.rag.lexical import BM25, fuse

DENSE, HYBRID, LEXICAL = "dense", "hybrid", "lexical"
MODES = (DENSE, HYBRID, LEXICAL)
# How deep each ranking goes into the fusion. Shallow on purpose: on the sample domain's
# held-out questions hit@3 fell from 0.684 (depth 5) and 0.658 (10) to 0.608 (50), as entries
# that are mediocre in both rankings add up past one that is first in one of them.
FUSION_DEPTH = 10


def lexical_text(record: dict[str, Any]) -> str:
    """What BM25 reads of an entry: a pair's question and answer (its passage), a document
    chunk's heading trail and text (its embedded text); both where neither holds the other."""
    text, passage = str(record.get("text", "")), str(record.get("passage", ""))
    if text in passage:
        return passage
    if passage in text:
        return text
    return f"{text}\n{passage}"


class VectorIndex:
    """A built index, loaded: its metadata, entries and FAISS index."""

    def __init__(
        self, folder: Path, meta: dict[str, Any], records: list[dict[str, Any]], faiss_index: Any
    ) -> None:
        self.folder = folder
        self.meta = meta
        self.records = records
        self.faiss_index = faiss_index
        self._bm25: BM25 | None = None

    @property
    def bm25(self) -> BM25:
        """BM25 statistics of the stored texts, built on first use."""
        if self._bm25 is None:
            self._bm25 = BM25(lexical_text(r) for r in self.records)
        return self._bm25

    @classmethod
    def open(cls, folder: Path) -> VectorIndex:
        import faiss
        import numpy as np

        folder = Path(folder)
        meta = read_meta(folder)
        index: Any
        try:
            records = read_records(folder)
            kind = meta["index"]["kind"]
            if kind == HNSW:
                index = faiss.read_index(str(folder / GRAPH))
                index.hnsw.efSearch = int(meta["index"]["hnsw"]["ef_search"])
            else:
                vectors = np.load(folder / VECTORS)
                index = faiss.IndexFlatIP(int(meta["dim"]))
                if len(vectors):
                    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        except (OSError, ValueError, KeyError, RuntimeError) as e:
            raise IndexDamaged(
                f"{folder}: damaged index: {type(e).__name__}: {e}",
                "rebuild it with `afina index build`",
            ) from e
        if index.ntotal != len(records):
            raise IndexDamaged(
                f"{folder}: the index holds {index.ntotal} vectors for {len(records)} entries",
                "rebuild it with `afina index build`",
            )
        return cls(folder, meta, records, index)

    def __len__(self) -> int:
        return len(self.records)

    def search(self, vectors: Any, k: int) -> list[list[tuple[int, float]]]:
        """For each query vector, the ``k`` nearest entries as (row, score), best first."""
        import numpy as np

        if k < 1:
            raise UsageError(f"k must be at least 1, got {k}")
        q = np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)
        if not len(self.records):
            return [[] for _ in range(len(q))]
        k = min(k, len(self.records))
        hnsw = getattr(self.faiss_index, "hnsw", None)
        if hnsw is not None and hnsw.efSearch < k:
            hnsw.efSearch = k
        scores, rows = self.faiss_index.search(q, k)
        return [
            [(int(r), float(s)) for r, s in zip(rr, ss, strict=True) if r >= 0]
            for rr, ss in zip(rows, scores, strict=True)
        ]

    def hit(self, row: int, score: float) -> Hit:
        r = self.records[row]
        return Hit(r["key"], score, r["passage"], r["source"], r["payload"])

    def query(
        self, embedder: Embedder | None, text: str, k: int = 5, mode: str = DENSE
    ) -> list[Hit]:
        """The ``k`` best entries for ``text``, scored by cosine similarity (dense), BM25
        (lexical) or reciprocal rank fusion (hybrid)."""
        if mode not in MODES:
            raise UsageError(f"unknown retrieval mode {mode!r}", f"modes: {', '.join(MODES)}")
        if k < 1:
            raise UsageError(f"k must be at least 1, got {k}")
        if mode == LEXICAL:
            return [self.hit(row, score) for row, score in self.bm25.top(text, k)]
        if embedder is None:
            raise UsageError(f"{mode} retrieval needs the index's embedder")
        if embedder.name != self.meta["embedder"]:
            raise UsageError(
                f"this index was built with the embedder {self.meta['embedder']!r}, "
                f"not {embedder.name!r}",
                "query it with the same embedder, or rebuild it",
            )
        vector = embedder.encode([text])
        if mode == DENSE:
            return [self.hit(row, score) for row, score in self.search(vector, k)[0]]
        depth = max(k, FUSION_DEPTH)
        dense = [row for row, _ in self.search(vector, depth)[0]]
        lexical = [row for row, _ in self.bm25.top(text, depth)]
        return [self.hit(row, score) for row, score in fuse([dense, lexical], k)]
