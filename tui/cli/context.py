"""Finding the workspace a command works on, and logging for it."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from afina.engine.workspace import Workspace, find_workspace, open_workspace


def get_workspace(ctx: click.Context) -> Workspace:
    given: Path | None = (ctx.find_root().obj or {}).get("workspace")
    ws = open_workspace(given) if given is not None else find_workspace()
    _log_to(ws)
    return ws


def _log_to(ws: Workspace) -> None:
    """Importer failures and the like go to .afina/logs/afina.log, never to the terminal."""
    logger = logging.getLogger("afina")
    if logger.handlers:
        return
    try:
        ws.log_dir.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(ws.log_dir / "afina.log", encoding="utf-8")
    except OSError:
        return
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
