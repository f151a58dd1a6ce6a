"""The demo's evaluation stage: the assistants answer the sample domain's held-out questions
(paraphrases that occur in no chat), and the report says how much the fine-tune helps."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from afina.engine.demo.train import DemoOptions
from afina.engine.errors import AfinaError
from afina.engine.eval.examples import EvalExample, read_examples
from afina.engine.eval.run import EvalOptions, evaluate
from afina.engine.paths import shipped_data
from afina.engine.training import jobs
from afina.engine.workspace import Workspace

HELDOUT = "sample_domain/heldout.jsonl"


def spread(examples: Sequence[EvalExample], count: int) -> list[EvalExample]:
    """``count`` examples evenly spaced over the file, so a short evaluation still covers both
    languages and every topic instead of the first block of Portuguese questions."""
    if not count or count >= len(examples):
        return list(examples)
    step = len(examples) / count
    return [examples[int(i * step)] for i in range(count)]


def demo_examples(opts: DemoOptions) -> list[EvalExample]:
    return spread(read_examples(shipped_data(HELDOUT)), opts.questions)


def demo_eval_units(opts: DemoOptions) -> int:
    return len(demo_examples(opts)) * len(opts.assistants)


def _mean(report: dict[str, Any], a: str, m: str) -> float | None:
    entry = report["assistants"].get(a, {}).get("metrics", {}).get(m)
    return None if entry is None else float(entry["mean"])


def evaluate_demo(
    ws: Workspace, opts: DemoOptions, advance: Callable[[int], None]
) -> tuple[str, dict[str, Any]]:
    finished = [r for r in jobs.list_runs(ws) if r.state == "finished"]
    if not finished:
        raise AfinaError("the demo has no finished run to evaluate", "run `afina demo` again")
    run_dir = jobs.find_run(ws, finished[-1].id)
    examples = demo_examples(opts)
    options = EvalOptions(
        assistants=opts.assistants,
        max_new_tokens=opts.max_new_tokens,
        examples_from="the sample domain's held-out questions (paraphrases in no chat)",
    )
    result = evaluate(ws, examples, options, run_dir=run_dir, advance=advance)
    report = result.report
    means = {
        a: {m: _mean(report, a, m) for m in ("rouge_l", "token_f1", "facts")}
        for a in report["assistants"]
    }
    parts = [f"{a} {v['rouge_l']:.2f}" for a, v in means.items() if v["rouge_l"] is not None]
    goals = report.get("goals") or []
    met = [g for g in goals if g["met"]]
    verdict = (
        f"goal met ({', '.join(g['metric'] for g in met)} +{min(g['diff'] for g in met):.2f} "
        "or more over base)"
        if goals and len(met) == len(goals)
        else "goal not met: "
        + "; ".join(
            f"{g['metric']} {g['diff']:+.2f} (needs +{g['least']:.2f})"
            for g in goals
            if not g["met"]
        )
        if goals
        else "no goal (base or ft not evaluated)"
    )
    summary = (
        f"{len(examples)} held-out questions; ROUGE-L: {', '.join(parts)}; {verdict}; "
        f"report in {result.folder.relative_to(ws.root)}"
    )
    return summary, {
        "report": str(result.folder / "report.md"),
        "report_json": str(result.folder / "report.json"),
        "means": means,
        "goals": goals,
        "findings": report.get("findings", []),
        "run": run_dir.name,
    }
