"""Index: build (or bring up to date) a retrieval index of the accepted train pairs and,
optionally, a folder of documents, under ``indexes/<name>/``.

Settings left unset are those of the index's last build, else the defaults, so a bare build
refreshes the index as it was made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from afina.engine.rag.contract import BuildProgress
from afina.engine.rag.workspace_index import DEFAULT_INDEX, WorkspaceBuild, build_workspace_index
from afina.engine.workspace import Workspace


@dataclass(frozen=True)
class IndexRequest:
    """``docs``: a folder of documents (None: the last build's); ``no_docs`` leaves them out;
    ``retriever`` and ``options``: the retriever plugin and its options (None: as built)."""

    name: str = DEFAULT_INDEX
    docs: Path | None = None
    no_docs: bool = False
    retriever: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    chunk_size: int | None = None
    chunk_overlap: int | None = None
    chunk_unit: str | None = None


def build_index(
    ws: Workspace,
    request: IndexRequest = IndexRequest(),
    progress: BuildProgress | None = None,
    *,
    embedder: Any = None,
) -> WorkspaceBuild:
    """Build the index; only new and changed entries are embedded. ``progress(stage, done,
    total)`` is called as it goes; ``embedder`` replaces the configured one (tests)."""
    return build_workspace_index(
        ws,
        request.name,
        request.docs,
        request.retriever,
        dict(request.options),
        progress,
        no_docs=request.no_docs,
        chunk_size=request.chunk_size,
        chunk_overlap=request.chunk_overlap,
        chunk_unit=request.chunk_unit,
        embedder=embedder,
    )
