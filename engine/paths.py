"""Where afina keeps things outside a workspace: the user's cache folder."""

from __future__ import annotations

import os
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
