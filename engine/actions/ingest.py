"""Import: chat exports (files, folders, zips) into a workspace's sources.

Finding what to import and importing it are two steps, because the Import screen shows the
candidates (and previews them) before anything is written; the CLI takes both at once. The
workspace's ``[import]`` settings (the zip member limit, each importer's options) are read
here; a caller only adds options of its own over them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from afina.engine.ingest.discover import Candidate, Sniffer
from afina.engine.ingest.preview import Preview, preview
from afina.engine.ingest.run import FileSummary, Progress, import_candidates
from afina.engine.workspace import Workspace

ImporterOptions = Mapping[str, Mapping[str, Any]]  # importer name -> its option values

# An import waits longer than a command for its turn at the database: giving up half-way
# through a big file throws away minutes of work, and nobody is waiting at a prompt for it.
IMPORT_BUSY_SECONDS = 30.0


def sniffer(ws: Workspace, importer: str | None = None) -> Sniffer:
    """What chooses an importer for each file (``importer`` forces one), with the
    workspace's size limit on zip members. Its ``candidates(paths)`` walks lazily, so a
    screen can show them as they are found and stop part-way."""
    return Sniffer(importer, ws.config.import_.max_zip_member_mib * 1024**2)


def importer_options(ws: Workspace, extra: ImporterOptions | None = None) -> dict[str, Any]:
    """afina.toml's options per importer, with ``extra`` over them key by key."""
    options: dict[str, dict[str, Any]] = {
        name: dict(values) for name, values in ws.config.import_.options.items()
    }
    for name, values in (extra or {}).items():
        options.setdefault(name, {}).update(values)
    return options


def preview_candidate(
    ws: Workspace, candidate: Candidate, extra: ImporterOptions | None = None
) -> Preview:
    """The first conversations of a candidate as its importer would read them, storing nothing."""
    name = candidate.importer.name if candidate.importer else ""
    return preview(candidate, importer_options(ws, extra).get(name))


@dataclass(frozen=True)
class Imported:
    """One summary per file, and the workspace's totals after the import."""

    summaries: list[FileSummary]
    counts: dict[str, int]


def import_files(
    ws: Workspace,
    candidates: Iterable[Candidate],
    extra: ImporterOptions | None = None,
    progress: Progress | None = None,
) -> Imported:
    """Import each candidate (each file all or nothing); ``extra``: importer options over
    afina.toml's; ``progress``: the callbacks that draw progress and can stop the run.

    Raises :class:`~afina.engine.errors.WorkspaceBusy` or ``WorkspaceDamaged`` when the
    database cannot be written; the files imported before stay."""
    options = importer_options(ws, extra)
    with ws.open_store() as store:
        store.busy_seconds = IMPORT_BUSY_SECONDS
        summaries = import_candidates(store, candidates, options, progress)
        counts = store.counts()
    return Imported(summaries, counts)
