"""`afina demo`: the whole path on the sample domain that ships with afina, offline.

Each stage is a function over a workspace; the UI draws progress. Later stages (curate,
train, compare, report) join this list as they are built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

from afina.engine.errors import AfinaError
from afina.engine.ingest.discover import Sniffer
from afina.engine.ingest.run import FileSummary, Progress, import_candidates
from afina.engine.workspace import Workspace


def sample_domain() -> Path:
    """The sample domain's folder, shipped as package data (afina.datasets)."""
    # afina.datasets is a namespace package (data only, no __init__.py); importlib.resources
    # trips over the editable-install placeholder in its path, so walk the path directly.
    spec = find_spec("afina.datasets")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        root = Path(folder) / "sample_domain"
        if root.is_dir():
            return root
    raise AfinaError("the sample domain is missing from this install", "reinstall afina")


@dataclass
class StageResult:
    name: str
    summary: str
    details: dict[str, object] = field(default_factory=dict)


def stage_import(ws: Workspace, progress: Progress) -> StageResult:
    root = sample_domain()
    paths = [root / "whatsapp", root / "slack"]
    candidates = list(Sniffer().candidates(paths))
    with ws.open_store() as store:
        summaries = import_candidates(store, candidates, ws.config.import_.options, progress)
        counts = store.counts()
    refused = [s for s in summaries if s.status == "refused"]
    if refused:
        raise AfinaError(
            f"the sample domain failed to import: {refused[0].path}: {refused[0].reason}"
        )
    return StageResult(
        "import",
        f"{counts['conversations']} conversations, {counts['turns']} turns from "
        f"{sum(s.status == 'imported' for s in summaries)} files",
        {"files": [s.to_json() for s in summaries], "workspace": counts},
    )


def import_size() -> int:
    root = sample_domain()
    return sum(
        p.stat().st_size
        for d in ("whatsapp", "slack")
        for p in (root / d).rglob("*")
        if p.is_file()
    )


Stage = Callable[[Workspace, Progress], StageResult]
STAGES: tuple[tuple[str, Stage, Callable[[], int]], ...] = (("import", stage_import, import_size),)

__all__ = ["STAGES", "FileSummary", "StageResult", "sample_domain"]
