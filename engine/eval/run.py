"""An evaluation: every chosen assistant answers the held-out questions, each answer is
scored by the evaluator plugins, and a report with intervals is written under the run.

One model is loaded for all assistants (see ``afina.engine.chat.assistants``); answers are
generated in batches (``afina.engine.chat.batch``), which is what makes five assistants over
a few dozen questions fit in minutes on a CPU. Beside the scores the report carries:

- a forgetting probe: perplexity of short general-knowledge answers (shipped with afina)
  under the base model and under the fine-tune; a fine-tune that forgot how to speak
  shows it here before a person finds it in chat;
- a leakage check: held-out references found nearly word for word in the run's training
  data or in the retrieval index, which would measure memory instead of generalisation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from afina.engine.chat.assistants import Assistants
from afina.engine.chat.prompts import KINDS, RETRIEVES, TUNED
from afina.engine.errors import UsageError
from afina.engine.eval import saved
from afina.engine.eval.contract import Evaluator, MetricSpec
from afina.engine.eval.examples import EvalExample, read_examples
from afina.engine.eval.leakage import find_leaks
from afina.engine.eval.retrieval_hits import from_sources
from afina.engine.paths import shipped_data
from afina.engine.plugins import load_plugin
from afina.engine.workspace import Workspace

EVALUATORS = ("overlap", "bleu", "facts", "perplexity", "latency")
PROBE = "general/probe.jsonl"  # general-knowledge answers for the forgetting probe
GOALS = {"rouge_l": 0.25, "token_f1": 0.25}  # the fine-tune against the base model


@dataclass(frozen=True)
class EvalOptions:
    assistants: tuple[str, ...] = KINDS
    index: str = "default"
    k: int = 3
    max_new_tokens: int = 96
    batch_size: int = 8
    evaluators: tuple[str, ...] = EVALUATORS
    forgetting: bool = True
    leakage: bool = True
    n_boot: int = 2000
    examples_from: str = ""  # what the examples are, for the report


@dataclass
class EvalResult:
    folder: Path
    report: dict[str, Any]
    answers: list[dict[str, Any]] = field(default_factory=list)


def work_units(examples: int, options: EvalOptions) -> int:
    """How many answers the evaluation generates: its progress total."""
    return examples * len(options.assistants)


def check_assistants(names: Sequence[str], has_run: bool) -> tuple[str, ...]:
    unknown = [n for n in names if n not in KINDS]
    if unknown:
        raise UsageError(f"no assistant {unknown[0]!r}", f"assistants: {', '.join(KINDS)}")
    if not has_run and any(n in TUNED for n in names):
        raise UsageError("ft and ft+rag need a finished run", "give --run ID")
    if len(set(names)) != len(names):
        raise UsageError("an assistant is named twice")
    return tuple(names)


def _evaluators(names: Sequence[str]) -> list[Evaluator]:
    out = []
    for name in names:
        cls = load_plugin("evaluator", name)
        if not issubclass(cls, Evaluator):
            raise UsageError(f"evaluator {name!r} does not keep the evaluator contract")
        out.append(cls())
    return out


def _answers_for(
    team: Assistants,
    kind: str,
    examples: Sequence[EvalExample],
    options: EvalOptions,
    advance: Callable[[int], None],
) -> list[dict[str, Any]]:
    from afina.engine.chat.batch import reference_nlls, reply_batch

    prompts = [team.messages_for(kind, ex.question) for ex in examples]
    model = team.model_for(kind)
    base = kind not in TUNED
    generated = reply_batch(
        model,
        [m for m, _ in prompts],
        options.max_new_tokens,
        base=base,
        batch_size=options.batch_size,
        on_batch=advance,
    )
    nlls = reference_nlls(
        model,
        [(m, ex.reference) for (m, _), ex in zip(prompts, examples, strict=True)],
        base=base,
        batch_size=options.batch_size,
    )
    rows = []
    for ex, (_, sources), gen, nll in zip(examples, prompts, generated, nlls, strict=True):
        rows.append(
            {
                "example": ex.id,
                "assistant": kind,
                "question": ex.question,
                "reference": ex.reference,
                "answer": gen.text,
                "sources": [
                    {"key": s.key, "score": round(s.score, 4), "text": s.text} for s in sources
                ],
                "tags": list(ex.tags),
                "seconds": round(gen.seconds, 3),
                "tokens": gen.tokens,
                "_nlls": nll,
                "_facts": list(ex.facts),
            }
        )
    return rows


def _score(rows: list[dict[str, Any]], evaluators: Sequence[Evaluator]) -> list[dict[str, Any]]:
    """Report rows (assistant, example, tags, scores); each answer row gains its scores."""
    report_rows = []
    for r in rows:
        context = {
            "question": r["question"],
            "latency_s": r["seconds"],
            "nlls": r.pop("_nlls"),
            "tags": r["tags"],
        }
        facts = r.pop("_facts")
        if facts:
            context["facts"] = facts
        scores: dict[str, float] = {}
        for ev in evaluators:
            scores.update(ev.score(r["answer"], r["reference"], context))
        r["scores"] = {k: round(v, 4) for k, v in scores.items() if math.isfinite(v)}
        report_rows.append(
            {"assistant": r["assistant"], "example": r["example"], "tags": r["tags"], **scores}
        )
    return report_rows


def _corpus(
    rows: Sequence[Mapping[str, Any]], evaluators: Sequence[Evaluator], names: Sequence[str]
) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for a in names:
        mine = [r for r in rows if r["assistant"] == a]
        for ev in evaluators:
            got = ev.score_corpus([r["answer"] for r in mine], [r["reference"] for r in mine])
            if got:
                out.setdefault(a, {}).update(got)
    return out


def forgetting_probe(team: Assistants, batch_size: int = 8) -> dict[str, Any]:
    """Perplexity of general-text answers under the base model and under the fine-tune
    (one model with its adapter off and on, or the base model beside a full fine-tune)."""
    from afina.engine.chat.batch import reference_nlls
    from afina.engine.eval.metrics import pooled_perplexity

    probe = read_examples(shipped_data(PROBE))
    items = [([{"role": "user", "content": ex.question}], ex.reference) for ex in probe]
    base, tuned = team.model_for("base"), team.model_for("ft")
    before = reference_nlls(base, items, base=base is tuned, batch_size=batch_size)
    after = reference_nlls(tuned, items, batch_size=batch_size)
    b, a = pooled_perplexity(before), pooled_perplexity(after)
    return {"before": b, "after": a, "ratio": a / b, "texts": len(items)}


def leakage_check(
    team: Assistants, examples: Sequence[EvalExample], run_dir: Path | None, index: bool
) -> dict[str, Any]:
    from afina.engine.training.data import read_messages

    corpora: list[tuple[str, list[tuple[str, str]]]] = []
    train = run_dir / "data" / "pairs.train.jsonl" if run_dir is not None else None
    if train is not None and train.is_file():
        texts = [(f"train:{n}", m[-1]["content"]) for n, m in enumerate(read_messages(train), 1)]
        corpora.append(("train", texts))
    if index:
        from afina.engine.rag.index_files import read_records
        from afina.engine.rag.workspace_index import index_folder

        records = read_records(index_folder(team.ws, team.index))
        texts = [
            (str(r["key"]), str(r.get("payload", {}).get("response") or r.get("text", "")))
            for r in records
        ]
        corpora.append(("index", texts))
    leaks = find_leaks([(ex.id, ex.reference) for ex in examples], corpora)
    return {
        "checked": len(examples),
        "against": [where for where, _ in corpora],
        "flagged": [leak.to_json() for leak in leaks],
    }


def evaluate(
    ws: Workspace,
    examples: Sequence[EvalExample],
    options: EvalOptions,
    *,
    run_dir: Path | None = None,
    embedder: Any = None,
    advance: Callable[[int], None] = lambda n: None,
) -> EvalResult:
    """Answer, score, report and save; returns the folder the report was written to."""
    from afina.engine.eval.report import build_report  # numpy, which `afina --help` never loads

    names = check_assistants(options.assistants, run_dir is not None)
    if not examples:
        raise UsageError("no examples to evaluate on")
    evaluators = _evaluators(options.evaluators)
    team = Assistants(ws, run_dir, index=options.index, k=options.k, embedder=embedder)
    target = "ft" if "ft" in names else None
    probe = forgetting_probe(team, options.batch_size) if options.forgetting and target else None
    answered: dict[str, list[dict[str, Any]]] = {}
    # The base kinds first: the tuned ones run with the adapter merged (see batch.merged).
    for kind in [n for n in names if n not in TUNED]:
        answered[kind] = _answers_for(team, kind, examples, options, advance)
    tuned = [n for n in names if n in TUNED]
    if tuned:
        from afina.engine.chat.batch import merged

        with merged(team.model_for(tuned[0])):
            for kind in tuned:
                answered[kind] = _answers_for(team, kind, examples, options, advance)
    rows = [r for kind in names for r in answered[kind]]
    report_rows = _score(rows, evaluators)
    specs: dict[str, MetricSpec] = {m.name: m for ev in evaluators for m in ev.metrics}
    baseline = "base" if "base" in names else None
    report = build_report(
        report_rows,
        baseline=baseline,
        target=target,
        goals=GOALS if baseline and target else None,
        specs=specs,
        corpus=_corpus(rows, evaluators, names),
        n_boot=options.n_boot,
        title=f"afina evaluation of {run_dir.name}" if run_dir else "afina evaluation",
    )
    report["run"] = run_dir.name if run_dir else None
    report["examples"] = {"from": options.examples_from, "n": len(examples)}
    report["settings"] = {
        "k": options.k,
        "index": options.index if any(n in RETRIEVES for n in names) else None,
        "max_new_tokens": options.max_new_tokens,
        "batch_size": options.batch_size,
        "latency": "seconds per answer: each batch's time shared among its answers",
    }
    retrieving = [n for n in names if n in RETRIEVES]
    if retrieving:
        # few-shot, rag and ft+rag ask the index the same questions: one kind's sources serve all.
        hits = from_sources(examples, [r["sources"] for r in answered[retrieving[0]]], options.k)
        if hits:
            report["retrieval"] = {"assistants": retrieving, **hits}
    if probe:
        report["forgetting"] = probe
    if options.leakage:
        report["leakage"] = leakage_check(
            team, examples, run_dir, index=any(n in RETRIEVES for n in names)
        )
    folder = saved.new_folder(ws, run_dir)
    saved.save(folder, report, rows)
    return EvalResult(folder, report, rows)
