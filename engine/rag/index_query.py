"""A built vector index, opened: its metadata, entries and FAISS index, searched by vector
or by the text of a query.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from afina.engine.errors import UsageError
from afina.engine.rag.contract import Hit
from afina.engine.rag.embed import Embedder
from afina.engine.rag.index import HNSW
from afina.engine.rag.index_files import GRAPH, VECTORS, IndexDamaged, read_meta, read_records


class VectorIndex:
    """A built index, loaded: its metadata, entries and FAISS index."""

    def __init__(
        self, folder: Path, meta: dict[str, Any], records: list[dict[str, Any]], faiss_index: Any
    ) -> None:
        self.folder = folder
        self.meta = meta
        self.records = records
        self.faiss_index = faiss_index

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

    def query(self, embedder: Embedder, text: str, k: int = 5) -> list[Hit]:
        if embedder.name != self.meta["embedder"]:
            raise UsageError(
                f"this index was built with the embedder {self.meta['embedder']!r}, "
                f"not {embedder.name!r}",
                "query it with the same embedder, or rebuild it",
            )
        vector = embedder.encode([text])
        return [self.hit(row, score) for row, score in self.search(vector, k)[0]]
