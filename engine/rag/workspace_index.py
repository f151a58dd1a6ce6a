"""A workspace's indexes: its accepted train pairs and, optionally, a folder of documents,
indexed by a retriever plugin under ``indexes/<name>/``.

A pair is found by its prompt (what a person asks) and hands back prompt and response; a
document chunk is found by its heading trail and text. Building again syncs the index with
the workspace: new and edited pairs are embedded, unchanged ones keep their vectors, removed
ones go. The retriever, its options, the documents folder and the chunk settings of the last
build are kept, so a bare ``afina index build`` refreshes the index as it was made.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afina.engine.errors import AfinaError, NotFound, UsageError
from afina.engine.plugins import load_plugin
from afina.engine.rag.chunk import Size, chunk_folder, doc_files
from afina.engine.rag.contract import BuildProgress, BuildReport, Entry, Retriever
from afina.engine.rag.index_files import META, content_sha256, read_meta
from afina.engine.types import PairFilter
from afina.engine.workspace import Workspace

DEFAULT_INDEX = "default"
DEFAULT_RETRIEVER = "faiss"
CHUNK_SIZE = 800
CHUNK_OVERLAP = 100
CHUNK_UNITS = ("chars", "tokens")
ALL = 10**9  # "no limit" for store listings
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class DocsSettings:
    folder: Path
    chunk_size: int = CHUNK_SIZE
    chunk_overlap: int = CHUNK_OVERLAP
    unit: str = "chars"

    def to_json(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "chunk_size": self.chunk_size,
            "chunk_overlap": self.chunk_overlap,
            "unit": self.unit,
        }


@dataclass(frozen=True)
class WorkspaceBuild:
    name: str
    report: BuildReport
    pairs: int
    chunks: int
    docs: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            **self.report.to_json(),
            "pairs": self.pairs,
            "chunks": self.chunks,
            "docs": self.docs,
        }


def index_folder(ws: Workspace, name: str = DEFAULT_INDEX) -> Path:
    if not _NAME.match(name):
        raise UsageError(
            f"bad index name {name!r}",
            "letters, digits, '.', '_' and '-', starting with a letter or digit",
        )
    return ws.root / "indexes" / name


def list_indexes(ws: Workspace) -> list[str]:
    root = ws.root / "indexes"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if _NAME.match(p.name) and (p / META).is_file())


def pair_entries(ws: Workspace) -> list[Entry]:
    """The accepted pairs of the train split, found by their prompt."""
    with ws.open_store() as store:
        pairs = store.pairs(PairFilter(status="accepted", split="train"), limit=ALL)
    return [
        Entry(
            key=f"pair:{p.id}",
            text=p.prompt,
            source="pairs",
            passage=f"{p.prompt}\n\n{p.response}",
            payload={
                "kind": "pair",
                "pair_id": p.id,
                "conversation_id": p.conversation_id,
                "prompt": p.prompt,
                "response": p.response,
            },
        )
        for p in pairs
    ]


def doc_entries(docs: DocsSettings, size: Size = len) -> list[Entry]:
    """The chunks of the documents under ``docs.folder``, found by heading trail and text."""
    chunks = chunk_folder(
        docs.folder, max_size=docs.chunk_size, overlap=docs.chunk_overlap, size=size
    )
    return [
        Entry(
            key=f"doc:{c.path}#{c.number}",
            text=c.embed_text(),
            source=c.path,
            passage=c.text,
            payload={
                "kind": "doc",
                "path": c.path,
                "chunk": c.number,
                "start": c.start,
                "end": c.end,
                "headings": list(c.headings),
            },
        )
        for c in chunks
    ]


def _previous_meta(folder: Path) -> dict[str, Any] | None:
    with contextlib.suppress(AfinaError):
        return read_meta(folder)
    return None


def _docs_settings(
    prev: Mapping[str, Any] | None,
    docs: Path | None,
    no_docs: bool,
    chunk_size: int | None,
    chunk_overlap: int | None,
    chunk_unit: str | None,
) -> DocsSettings | None:
    if no_docs:
        if docs is not None:
            raise UsageError("give --docs or --no-docs, not both")
        return None
    before = dict(((prev or {}).get("inputs") or {}).get("docs") or {})
    if docs is None:
        if not before:
            return None
        docs = Path(before["folder"])
        if not docs.is_dir():
            raise UsageError(
                f"the documents folder of this index is gone: {docs}",
                "pass --docs FOLDER to index another one, or --no-docs to leave documents out",
            )
    unit = chunk_unit or before.get("unit") or "chars"
    overlap = chunk_overlap if chunk_overlap is not None else before.get("chunk_overlap")
    if unit not in CHUNK_UNITS:
        raise UsageError(f"chunk unit must be one of {', '.join(CHUNK_UNITS)}, got {unit!r}")
    return DocsSettings(
        folder=docs.expanduser().resolve(),
        chunk_size=int(chunk_size or before.get("chunk_size") or CHUNK_SIZE),
        chunk_overlap=int(CHUNK_OVERLAP if overlap is None else overlap),
        unit=unit,
    )


def _retriever_and_options(
    prev: Mapping[str, Any] | None, retriever: str | None, options: Mapping[str, Any] | None
) -> tuple[type[Retriever], dict[str, Any]]:
    name = retriever or (prev or {}).get("retriever") or DEFAULT_RETRIEVER
    cls = load_plugin("retriever", name)
    if not issubclass(cls, Retriever):
        raise UsageError(f"retriever {name!r} does not keep the retriever contract")
    merged: dict[str, Any] = {}
    if prev and prev.get("retriever") == name:
        known = {o.name for o in cls.options}
        merged.update({k: v for k, v in (prev.get("options") or {}).items() if k in known})
    merged.update(options or {})
    return cls, merged


def _size(unit: str, retriever: Retriever) -> Size:
    if unit == "chars":
        return len
    embedder = getattr(retriever, "embedder", None)
    count = getattr(embedder, "count_tokens", None)
    if count is None:
        raise UsageError(
            f"retriever {retriever.name!r} cannot count tokens", "use --chunk-unit chars"
        )
    return count


def gather_entries(
    ws: Workspace, docs: DocsSettings | None, size: Size = len
) -> tuple[list[Entry], int, int]:
    """Pairs and document chunks to index, and how many of each."""
    pairs = pair_entries(ws)
    chunks = doc_entries(docs, size) if docs is not None else []
    return pairs + chunks, len(pairs), len(chunks)


def build_workspace_index(
    ws: Workspace,
    name: str = DEFAULT_INDEX,
    docs: Path | None = None,
    retriever: str | None = None,
    options: Mapping[str, Any] | None = None,
    progress: BuildProgress | None = None,
    *,
    no_docs: bool = False,
    chunk_size: int | None = None,
    chunk_overlap: int | None = None,
    chunk_unit: str | None = None,
    embedder: Any = None,
) -> WorkspaceBuild:
    """Build (or bring up to date) the index ``name`` of the workspace's accepted train pairs
    and, with ``docs`` or as last time, a folder of documents. Unset settings are those of the
    last build, else the defaults; ``embedder`` replaces the one the options name (tests)."""
    folder = index_folder(ws, name)
    prev = _previous_meta(folder)
    cls, merged = _retriever_and_options(prev, retriever, options)
    r = cls(merged, embedder=embedder)
    settings = _docs_settings(prev, docs, no_docs, chunk_size, chunk_overlap, chunk_unit)
    if settings is not None:
        files = doc_files(settings.folder)  # also checks it is a folder
    entries, n_pairs, n_chunks = gather_entries(
        ws, settings, _size(settings.unit, r) if settings else len
    )
    if not entries:
        raise UsageError(
            "nothing to index: no accepted pairs in the train split"
            + (" and no documents" if settings else ""),
            "accept pairs and run `afina split`, or pass --docs FOLDER",
        )
    docs_info = None
    if settings is not None:
        docs_info = {**settings.to_json(), "files": len(files), "chunks": n_chunks}
    inputs = {"pairs": {"filter": "status=accepted, split=train", "count": n_pairs}}
    inputs["docs"] = docs_info  # type: ignore[assignment]
    report = r.build(entries, folder, progress, inputs=inputs)
    return WorkspaceBuild(name, report, n_pairs, n_chunks, docs_info)


def open_index(ws: Workspace, name: str = DEFAULT_INDEX, *, embedder: Any = None) -> Retriever:
    """The index ``name``, loaded by the retriever that built it, ready to query."""
    folder = _existing(ws, name)
    meta = read_meta(folder)
    cls = load_plugin("retriever", meta.get("retriever") or DEFAULT_RETRIEVER)
    if not issubclass(cls, Retriever):
        raise UsageError(f"retriever {cls.name!r} does not keep the retriever contract")
    return cls.load(folder, embedder=embedder)


def index_info(ws: Workspace, name: str = DEFAULT_INDEX) -> dict[str, Any]:
    """The index's metadata, its size on disk, and whether it is up to date with the
    workspace (None where telling would mean loading a model: chunks measured in tokens)."""
    folder = _existing(ws, name)
    meta = read_meta(folder)
    up_to_date: bool | None = None
    stale_reason = None
    docs = (meta.get("inputs") or {}).get("docs")
    try:
        settings = None
        if docs:
            settings = DocsSettings(
                Path(docs["folder"]), docs["chunk_size"], docs["chunk_overlap"], docs["unit"]
            )
        if settings is None or settings.unit == "chars":
            entries, _, _ = gather_entries(ws, settings)
            up_to_date = content_sha256([e.record() for e in entries]) == meta["content_sha256"]
    except AfinaError as e:
        up_to_date, stale_reason = False, e.message
    size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    return {
        "name": name,
        "folder": str(folder),
        "bytes": size,
        "up_to_date": up_to_date,
        **({"stale_reason": stale_reason} if stale_reason else {}),
        **meta,
    }


def _existing(ws: Workspace, name: str) -> Path:
    folder = index_folder(ws, name)
    if not _previous_meta(folder):
        if (folder / META).is_file():
            read_meta(folder)  # raises with what is wrong with it
        known = list_indexes(ws)
        raise NotFound(
            f"no index named {name!r} in this workspace",
            f"indexes here: {', '.join(known)}" if known else "build one with `afina index build`",
        )
    return folder
