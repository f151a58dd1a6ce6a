"""How the CLI talks: tables and progress for people, JSON for scripts, one-line errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def fail(message: str, hint: str | None = None) -> None:
    # Escaped: messages name settings ("[workspace] name") and paths that rich would read as
    # markup tags and drop.
    err.print(f"[bold red]error:[/] {escape(message)}", markup=True, highlight=False)
    if hint:
        err.print(f"  [dim]hint:[/] {escape(hint)}")


@contextmanager
def byte_progress(total: int, enabled: bool, unit: str = "bytes") -> Iterator[Progress]:
    """A progress bar over bytes read (or items of ``unit``), on stderr; only on a terminal."""
    counts = (
        [DownloadColumn(), TransferSpeedColumn()]
        if unit == "bytes"
        else [MofNCompleteColumn(), TextColumn(unit)]
    )
    bar = Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        *counts,
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not (enabled and err.is_terminal),
    )
    with bar:
        bar.add_task("", total=max(total, 1))
        yield bar
