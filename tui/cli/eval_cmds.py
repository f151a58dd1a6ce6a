"""`afina eval` (assistants over held-out questions, a report with intervals), `afina evals`
(the saved evaluations) and `afina report` (one of them, as Markdown or JSON)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from rich.table import Table
from rich.text import Text

from afina.engine.actions.evaluate import EvalRequest, evaluate
from afina.engine.chat.prompts import KINDS
from afina.engine.errors import NotFound
from afina.engine.eval import saved
from afina.engine.eval.run import EVALUATORS, EvalOptions
from afina.tui.cli.context import get_workspace
from afina.tui.cli.output import byte_progress, echo, emit_json, err, out

SHOWN = ("rouge_l", "token_f1", "facts", "bleu", "perplexity", "latency_s")


def _names(value: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in value.split(",") if x.strip())


@click.command("eval")
@click.option("--run", "run_id", default=None, help="A finished run (default: the latest).")
@click.option(
    "--assistants",
    default=None,
    help=f"Comma-separated, among {', '.join(KINDS)} (default: all; base ones without a run).",
)
@click.option(
    "--examples",
    type=click.Path(path_type=Path),
    default=None,
    help="Held-out questions (JSONL); default: the run's test split.",
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Use the first N only.")
@click.option("--index", default="default", show_default=True, help="Retrieval index.")
@click.option("-k", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--max-tokens", type=click.IntRange(min=1), default=96, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True)
@click.option(
    "--evaluators",
    default=",".join(EVALUATORS),
    show_default=True,
    help="Evaluator plugins, comma-separated.",
)
@click.option("--no-forgetting", is_flag=True, help="Skip the forgetting probe.")
@click.option("--no-leakage", is_flag=True, help="Skip the leakage check.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def eval_cmd(
    ctx: click.Context,
    run_id: str | None,
    assistants: str | None,
    examples: Path | None,
    limit: int | None,
    index: str,
    k: int,
    max_tokens: int,
    batch_size: int,
    evaluators: str,
    no_forgetting: bool,
    no_leakage: bool,
    as_json: bool,
) -> None:
    """Every assistant answers the held-out questions; the report (Markdown and JSON, with
    95% intervals) is kept under the run, in runs/<id>/eval/<time>/."""
    request = EvalRequest(
        run_id=run_id,
        assistants=_names(assistants) if assistants else None,
        examples=examples,
        limit=limit,
        options=EvalOptions(
            index=index,
            k=k,
            max_new_tokens=max_tokens,
            batch_size=batch_size,
            evaluators=_names(evaluators),
            forgetting=not no_forgetting,
            leakage=not no_leakage,
        ),
    )
    with byte_progress(0, not as_json, "answers") as bar:
        task = bar.task_ids[0]
        bar.update(task, description="answering")

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=max(total, 1))

        result = evaluate(get_workspace(ctx), request, progress, on_note=err.print).result
    if as_json:
        emit_json({"folder": str(result.folder), "report": result.report})
        return
    show_summary(result.report)
    out.print(f"\nReport: {result.folder / saved.REPORT_MD}")


def show_summary(report: Mapping[str, Any]) -> None:
    specs = {m["name"]: m for m in report.get("metrics", [])}
    shown = [m for m in SHOWN if m in specs]
    table = Table(title=report.get("title"), title_justify="left")
    table.add_column("assistant")
    for m in shown:
        table.add_column(specs[m]["label"], justify="right")
    for a, entry in report["assistants"].items():
        cells = []
        for m in shown:
            v = entry["metrics"].get(m)
            digits = specs[m]["digits"]
            cells.append(
                f"{v['mean']:.{digits}f} [{v['lo']:.{digits}f}, {v['hi']:.{digits}f}]" if v else "–"
            )
        table.add_row(a, *cells)
    out.print(table)
    for s in report.get("findings") or []:
        out.print(Text("• " + s))
    leak = report.get("leakage") or {}
    if leak.get("flagged"):
        n = len({x["example"] for x in leak["flagged"]})
        out.print(Text(f"! {n} references sit nearly verbatim in the training data or index"))
    f = report.get("forgetting")
    if f:
        out.print(
            Text(f"Forgetting probe: general-text perplexity {f['before']:.2f} → {f['after']:.2f}")
        )


@click.command("evals")
@click.option("--run", "run_id", default=None, help="Only this run's evaluations.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def evals_cmd(ctx: click.Context, run_id: str | None, as_json: bool) -> None:
    """The saved evaluations, newest first."""
    ws = get_workspace(ctx)
    found = [e for e in saved.list_evals(ws) if run_id is None or e.run == run_id]
    rows: list[dict[str, Any]] = []
    for e in found:
        report = e.report()
        rows.append(
            {
                "id": e.stamp,
                "run": e.run,
                "folder": str(e.folder),
                "assistants": list(report.get("assistants", {})),
                "examples": (report.get("examples") or {}).get("n"),
            }
        )
    if as_json:
        emit_json(rows)
        return
    if not rows:
        out.print("No evaluations yet: run `afina eval`.")
        return
    table = Table("id", "run", "assistants", "examples")
    for r in rows:
        table.add_row(
            str(r["id"]), str(r["run"] or "–"), ", ".join(r["assistants"]), str(r["examples"])
        )
    out.print(table)


@click.command("report")
@click.argument("eval_id", required=False)
@click.option("--run", "run_id", default=None, help="The latest evaluation of this run.")
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
@click.pass_context
def report_cmd(ctx: click.Context, eval_id: str | None, run_id: str | None, as_json: bool) -> None:
    """Print an evaluation's report (default: the newest)."""
    ws = get_workspace(ctx)
    found = [
        e
        for e in saved.list_evals(ws)
        if (eval_id is None or e.stamp == eval_id) and (run_id is None or e.run == run_id)
    ]
    if not found:
        raise NotFound("no such evaluation", "`afina evals` lists them")
    e = found[0]
    if as_json:
        emit_json(json.loads((e.folder / saved.REPORT_JSON).read_text(encoding="utf-8")))
        return
    echo((e.folder / saved.REPORT_MD).read_text(encoding="utf-8"), nl=False)


COMMANDS = (eval_cmd, evals_cmd, report_cmd)
