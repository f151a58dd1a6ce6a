"""How paths and sizes are written on screen.

Paths are shown relative to the workspace when they lie inside it, and with the home folder
as ``~`` otherwise: shorter for the person, and the same on every machine for snapshots.
"""

from __future__ import annotations

import os
from pathlib import Path


def tilde(path: str | Path) -> str:
    """``path`` with the home folder written as ``~``."""
    text = str(path)
    home = str(Path.home())
    if home not in ("", os.sep) and (text == home or text.startswith(home + os.sep)):
        return "~" + text[len(home) :]
    return text


def shown_path(path: str, root: Path) -> str:
    """A stored or discovered path (possibly ``archive.zip!member``) as the person sees it.

    Inside the workspace ``root`` it is relative to it; elsewhere it is :func:`tilde`'d.
    """
    base = str(root)
    if path.startswith(base + os.sep):
        return path[len(base) + 1 :]
    return tilde(path)


def size_text(n: int) -> str:
    """A byte count in the largest unit that keeps it readable: 512 B, 1.5 KiB, 12.0 MiB."""
    value, unit = float(n), "B"
    for bigger in ("KiB", "MiB", "GiB", "TiB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"


def counted(n: int, noun: str) -> str:
    """``1 source``, ``2 sources``: the nouns on screen all take a plain -s."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
