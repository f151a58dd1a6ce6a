"""Extract, curate, split and export: from conversations to training data.

Every action reads the workspace's settings itself: the ``[curate] pii_allow`` values join
the caller's own ``allow`` at extraction and at the export's last scan, the cleaning rules
come from ``[curate] rules``, and lengths are counted with the ``[train] base_model``'s
tokenizer where it loads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afina.engine.curation.curate_run import CurateReport, curate_store
from afina.engine.curation.dataset_run import SplitReport, export_store, split_store
from afina.engine.curation.edit_run import EditReport, PairEdit, edit_pair
from afina.engine.curation.export import ExportResult
from afina.engine.curation.extract import ExtractOptions
from afina.engine.curation.extract_run import ExtractReport, extract_to_store
from afina.engine.curation.split import DEFAULT_RATIOS
from afina.engine.workspace import Workspace

# -- extract ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExtractRequest:
    """Who the assistant is (neither: guessed per source) and how pairs are cut.

    ``allow``: values kept from scrubbing beyond the workspace's ``pii_allow``.
    """

    source_id: int | None = None
    assistant_speakers: tuple[str, ...] = ()
    assistant_role: str | None = None
    multi_turn: bool = False
    context_turns: int = 6
    system_prompt: str | None = None
    skip_detours: bool = True
    scrub: bool = True
    allow: tuple[str, ...] = ()

    def settings(self) -> dict[str, Any]:
        """The cutting settings, the same whether the assistant is given or guessed."""
        return {
            "multi_turn": self.multi_turn,
            "context_turns": self.context_turns,
            "system_prompt": self.system_prompt,
            "skip_detours": self.skip_detours,
        }

    def options(self) -> ExtractOptions | None:
        """The extraction options, or None when the assistant is to be guessed."""
        if not (self.assistant_role or self.assistant_speakers):
            return None
        return ExtractOptions(
            assistant_role=self.assistant_role,
            assistant_speakers=self.assistant_speakers,
            **self.settings(),
        )


def extract(
    ws: Workspace,
    request: ExtractRequest = ExtractRequest(),
    on_conversation: Callable[[int], None] | None = None,
) -> ExtractReport:
    """Extract the pairs of every conversation (or one source's), personal data scrubbed."""
    with ws.open_store() as store:
        return extract_to_store(
            store,
            request.options(),
            request.source_id,
            scrub=request.scrub,
            allow=ws.scrub_allow(request.allow),
            on_conversation=on_conversation or (lambda n: None),
            guessed=request.settings(),
        )


# -- edit -------------------------------------------------------------------------------------


def edit(ws: Workspace, request: PairEdit) -> EditReport:
    """Edit one pair (prompt, response, note, tags) as one undoable change; personal data in
    the new prompt or response is replaced as at extraction, so the edit cannot leak it."""
    with ws.open_store() as store:
        return edit_pair(store, request, ws.scrub_allow())


# -- curate -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CurateRequest:
    """``dedupe`` off skips duplicate detection; ``threshold`` is the Jaccard from which two
    questions, and two answers, are near-identical; ``max_per_answer`` (0: no cap, needs the
    dedupe) keeps at most that many paraphrases of one answer."""

    accept_passing: bool = False
    dedupe: bool = True
    threshold: float = 0.8
    max_per_answer: int = 0


@dataclass(frozen=True)
class Curated:
    """A curate run's report, the pair counts after it, and what lengths were counted in
    (``tokenizer``: the base model whose tokenizer counted them; None: an estimate)."""

    report: CurateReport
    pairs: dict[str, int]
    tokenizer: str | None


def curate(ws: Workspace, request: CurateRequest = CurateRequest()) -> Curated:
    """Run the workspace's cleaning rules and the dedupe over pending pairs (one batch)."""
    from afina.engine.curation.clean import Pipeline
    from afina.engine.curation.dedupe import DedupeConfig, DedupeError
    from afina.engine.models import token_counter  # loads a tokenizer: only when curating

    if request.max_per_answer < 0 or (request.max_per_answer and not request.dedupe):
        raise DedupeError(
            f"max_per_answer {request.max_per_answer}: it must be 0 (no cap) or more, and it "
            "needs the dedupe (it counts pairs per answer group)",
            hint="give --max-per-answer 1 or more without --no-dedupe",
        )
    base = ws.config.train.base_model
    count_tokens = token_counter(base)
    pipeline = Pipeline.from_config(ws.config.curate.rules, count_tokens)
    dedupe = DedupeConfig(threshold=request.threshold) if request.dedupe else None
    with ws.open_store() as store:
        report = curate_store(
            store, pipeline, dedupe, request.accept_passing, request.max_per_answer
        )
        counts = store.pair_counts()
    return Curated(report, counts, base if count_tokens else None)


# -- split and export -------------------------------------------------------------------------


@dataclass(frozen=True)
class SplitRequest:
    ratios: tuple[float, float, float] = DEFAULT_RATIOS
    seed: int = 0
    fix_leakage: bool = False


def split(ws: Workspace, request: SplitRequest = SplitRequest()) -> SplitReport:
    """Give every conversation a split; report (and optionally fix) leakage across them."""
    with ws.open_store() as store:
        return split_store(store, request.ratios, request.seed, request.fix_leakage)


@dataclass(frozen=True)
class ExportRequest:
    """``allow``: values the last scan leaves alone beyond the workspace's ``pii_allow``."""

    format: str
    out: Path
    per_split: bool = False
    allow: tuple[str, ...] = ()


@dataclass(frozen=True)
class Exported:
    """What was written, and how many values the last personal-data scan replaced."""

    result: ExportResult
    caught: int


def export(ws: Workspace, request: ExportRequest) -> Exported:
    """Export the accepted pairs with a dataset card, scanned once more for personal data."""
    with ws.open_store() as store:
        result, caught = export_store(
            store,
            request.format,
            request.out,
            request.per_split,
            ws.scrub_allow(request.allow),
            title=ws.config.workspace.name,
        )
    return Exported(result, caught)
