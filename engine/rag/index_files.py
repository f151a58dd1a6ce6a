"""A vector index's folder on disk: what it holds, how it is read, and how it is written
atomically.

A built folder holds:

- ``meta.json``: format, retriever and options, embedder name and dimension, entry count,
  the index kind and why it was chosen, the sha256 of the entries' content, the created and
  updated times, and what the last build did;
- ``entries.jsonl``: one entry a line in vector order (key, sha256 of the embedded text,
  source, text, passage, payload);
- ``vectors.npy``: the (count, dim) float32 vectors, so a rebuild can keep the vectors of
  entries whose key and text hash are unchanged and embed only the rest;
- ``index.faiss``: the HNSW graph (a flat index is rebuilt from ``vectors.npy`` on load,
  which is a copy, not worth a second file of the same bytes).

Writes are atomic: a build fills a temporary sibling folder and swaps it in with two renames;
a failure leaves the old index as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from afina.engine.errors import AfinaError, NotFound
from afina.engine.rag.contract import record_line

FORMAT = 1
META = "meta.json"
ENTRIES = "entries.jsonl"
VECTORS = "vectors.npy"
GRAPH = "index.faiss"


class IndexDamaged(AfinaError):
    """An index folder that cannot be read as one."""

    exit_code = 2


def content_sha256(records: Sequence[Mapping[str, Any]]) -> str:
    """The sha256 of the entries' content (every field, in order): what the index was built
    from. The same entries give the same hash whatever embedder or structure was used."""
    h = hashlib.sha256()
    for r in records:
        h.update(record_line(r).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def read_meta(folder: Path) -> dict[str, Any]:
    recover(folder)
    path = folder / META
    if not path.is_file():
        raise NotFound(f"no index at {folder}", "build one with `afina index build`")
    try:
        meta: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise IndexDamaged(f"{path}: unreadable index metadata: {e}") from e
    if meta.get("format") != FORMAT:
        raise IndexDamaged(
            f"{folder}: index format {meta.get('format')!r}, this afina reads {FORMAT}",
            "rebuild it with `afina index build`",
        )
    return meta


def read_records(folder: Path) -> list[dict[str, Any]]:
    with (folder / ENTRIES).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_folder(
    folder: Path, meta: dict[str, Any], records: list[dict[str, Any]], vectors: Any, graph: Any
) -> None:
    import numpy as np

    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f".{folder.name}.tmp-{os.getpid()}-{secrets.token_hex(3)}")
    tmp.mkdir()
    try:
        with (tmp / ENTRIES).open("w", encoding="utf-8") as f:
            for r in records:
                f.write(record_line(r) + "\n")
        with (tmp / VECTORS).open("wb") as f:
            np.save(f, vectors)
        if graph is not None:
            import faiss

            faiss.write_index(graph, str(tmp / GRAPH))
        (tmp / META).write_text(meta_text(meta), encoding="utf-8")
        for name in (ENTRIES, VECTORS, META, *((GRAPH,) if graph is not None else ())):
            _fsync(tmp / name)
        swap_in(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def meta_text(meta: Mapping[str, Any]) -> str:
    return json.dumps(meta, ensure_ascii=False, indent=2)


def write_file(path: Path, text: str) -> None:
    """Replace one file atomically: a temporary sibling, flushed, then renamed over it."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(3)}")
    try:
        tmp.write_text(text, encoding="utf-8")
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _fsync(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def swap_in(tmp: Path, folder: Path) -> None:
    """Put the finished folder ``tmp`` where ``folder`` is: the old one is renamed aside, the
    new one renamed in, then the old one removed. Between the two renames (microseconds) a
    reader finds nothing at ``folder``; ``recover`` puts the old one back if a crash lands
    there."""
    old = None
    if folder.exists():
        old = folder.with_name(f".{folder.name}.old-{os.getpid()}-{secrets.token_hex(3)}")
        os.rename(folder, old)
    try:
        os.rename(tmp, folder)
    except BaseException:
        if old is not None:
            os.rename(old, folder)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def has_old(folder: Path) -> bool:
    return folder.parent.is_dir() and any(folder.parent.glob(f".{folder.name}.old-*"))


def sweep(folder: Path) -> None:
    """Remove the temporary folders of builds of ``folder`` whose process is gone (killed in
    the middle of a build)."""
    if not folder.parent.is_dir():
        return
    for tmp in folder.parent.glob(f".{folder.name}.tmp-*"):
        pid = tmp.name[len(folder.name) + 6 :].split("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(tmp, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def recover(folder: Path) -> None:
    """After a crash between the two renames of ``swap_in``: the old index back in place."""
    if folder.exists() or not folder.parent.is_dir():
        return
    olds = sorted(folder.parent.glob(f".{folder.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if olds and (olds[-1] / META).is_file():
        with contextlib.suppress(OSError):
            os.rename(olds[-1], folder)
