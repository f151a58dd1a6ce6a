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
