"""Evaluate: the assistants answer held-out questions and a report with intervals is saved
under the run (``runs/<id>/eval/<stamp>/``).

Which run, which assistants and which questions are decided here from what the workspace
holds: the newest finished run by default, the retrieving assistants only where there is an
index, and the run's test split when no questions are given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from afina.engine.chat.generate import has_final
from afina.engine.chat.prompts import KINDS, RETRIEVES, TUNED
from afina.engine.errors import NotFound, UsageError
from afina.engine.eval.examples import read_examples, run_test_split
from afina.engine.eval.run import EvalOptions, EvalResult, check_assistants, work_units
from afina.engine.eval.run import evaluate as run_evaluation
from afina.engine.rag.workspace_index import list_indexes
from afina.engine.training import jobs
from afina.engine.workspace import Workspace

Progress = Callable[[int, int], None]  # (answers done, answers in all)


@dataclass(frozen=True)
class EvalRequest:
    """``assistants`` None: every kind the workspace can serve; ``examples`` None: the run's
    test split; ``limit``: the first N examples only; ``options``: how to answer and score
    (its ``assistants`` and ``examples_from`` are decided here and replaced)."""

    run_id: str | None = None
    assistants: tuple[str, ...] | None = None
    examples: Path | None = None
    limit: int | None = None
    options: EvalOptions = field(default_factory=EvalOptions)


@dataclass(frozen=True)
class Evaluation:
    """The saved evaluation, and notes on what was left out and why."""

    result: EvalResult
    notes: tuple[str, ...] = ()


def evaluate(
    ws: Workspace,
    request: EvalRequest = EvalRequest(),
    progress: Progress | None = None,
    *,
    on_note: Callable[[str], None] | None = None,
    embedder: Any = None,
) -> Evaluation:
    """Every chosen assistant answers the questions; scored, reported and saved. ``on_note``
    hears what was left out as soon as it is decided, before the long part starts."""
    wanted = request.assistants
    run_dir = _run_dir(ws, request.run_id, wanted)
    names = check_assistants(
        wanted or (KINDS if run_dir else tuple(k for k in KINDS if k not in TUNED)),
        run_dir is not None,
    )
    notes: list[str] = []
    index = request.options.index
    if not wanted and index not in list_indexes(ws):
        # By default the retrieving assistants join only when there is something to retrieve.
        names = tuple(n for n in names if n not in RETRIEVES)
        notes.append(
            f"No index {index!r}: few-shot, rag and ft+rag left out (`afina index build`)."
        )
        if on_note is not None:
            on_note(notes[-1])
    if request.examples is not None:
        examples, source = request.examples, str(request.examples)
    elif run_dir is not None:
        examples, source = run_test_split(run_dir), f"the test split of run {run_dir.name}"
    else:
        raise UsageError("without a run, give the questions to evaluate on", "--examples FILE")
    items = read_examples(examples, request.limit)
    options = replace(request.options, assistants=names, examples_from=source)
    total, done = work_units(len(items), options), 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    if progress is not None:
        progress(0, total)
    result = run_evaluation(ws, items, options, run_dir=run_dir, embedder=embedder, advance=advance)
    return Evaluation(result, tuple(notes))


def _run_dir(ws: Workspace, run_id: str | None, wanted: tuple[str, ...] | None) -> Path | None:
    """The run named, else the newest run with a final result (none: base kinds only)."""
    if run_id:
        return jobs.find_run(ws, run_id)
    if wanted is not None and not any(w in TUNED for w in wanted):
        return None
    done = [r.id for r in jobs.list_runs(ws) if has_final(jobs.find_run(ws, r.id))]
    if not done:
        if wanted is not None:
            raise NotFound("no finished run to evaluate", "train one with `afina train`")
        return None
    return jobs.find_run(ws, done[-1])  # runs are listed oldest first
