"""Where afina keeps things outside a workspace (the user's cache folder), and how it writes
a small file that must never be seen half-written (``write_atomic``)."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path


def cache_dir() -> Path:
    """``$AFINA_CACHE_DIR`` if set, else the platform's user cache folder (``~/.cache/afina``)."""
    override = os.environ.get("AFINA_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("afina", appauthor=False))


def shipped_data(name: str) -> Path:
    """A folder or file shipped in afina's data package (``datasets/`` in the repository)."""
    from importlib.util import find_spec

    from afina.engine.errors import AfinaError

    # afina.datasets is a namespace package (data only, no __init__.py); importlib.resources
    # trips over the editable-install placeholder in its path, so walk the path directly.
    spec = find_spec("afina.datasets")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / name
        if path.exists():
            return path
    raise AfinaError(f"{name} is missing from this afina install", "reinstall afina")


def write_atomic(path: Path, data: str | bytes, encoding: str = "utf-8") -> None:
    """Write ``path`` so that a reader, or the file after a crash or a power cut, holds either
    the old content or all of the new: a temporary file beside it (the same filesystem, so the
    rename is atomic), flushed to disk, renamed over ``path``, and the folder's entry synced."""
    raw = data.encode(encoding) if isinstance(data, str) else data
    # A name no other writer picks: the launcher and the runner write runner.pid at once.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with tmp.open("xb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    sync_folder(path.parent)


def sync_folder(folder: Path) -> None:
    """fsync a folder, so a rename inside it survives a power cut; a no-op where folders
    cannot be opened (Windows) or synced (some network filesystems)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
