"""`afina demo [DIR]`: the README's main-job command."""

from __future__ import annotations

import dataclasses
import json
import time
from functools import partial
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from afina.engine.demo.stages import STAGES
from afina.engine.demo.train import DemoOptions, quick_options
from afina.engine.ingest.run import Progress
from afina.engine.workspace import init_workspace
from afina.tui.cli.eval_cmds import show_summary
from afina.tui.cli.output import byte_progress, emit_json, out


@click.command("demo")
@click.argument("directory", type=click.Path(path_type=Path), default="afina-demo")
@click.option(
    "--steps",
    type=int,
    default=None,
    help="Steps of the demo's fine-tune (0 skips training); default: what `afina train` "
    "recommends for the sample's pairs, at most 80.",
)
@click.option("--base-model", default=None, help="Base model instead of the embedded one.")
@click.option(
    "--quick",
    is_flag=True,
    help="A short fine-tune (30 steps), 12 questions, base/rag/ft only: about 3 minutes.",
)
@click.option(
    "--questions",
    type=click.IntRange(min=0),
    default=None,
    help="Held-out questions, spread over all 79 (default 20; 12 with --quick; 0: all).",
)
@click.option("--embedder", default=None, hidden=True, help="The index's embedder (tests).")
@click.option("--json", "as_json", is_flag=True, help="Print the stage results as JSON.")
@click.pass_context
def demo_cmd(
    ctx: click.Context,
    directory: Path,
    steps: int | None,
    base_model: str | None,
    quick: bool,
    questions: int | None,
    embedder: str | None,
    as_json: bool,
) -> None:
    """Run afina's whole path on the bundled sample domain, offline, in DIRECTORY: import,
    curate, fine-tune, index, and evaluate five assistants on held-out questions."""
    ws, _ = init_workspace(directory)
    opts = (
        quick_options(base_model, embedder)
        if quick
        else DemoOptions(base_model=base_model, embedder=embedder)
    )
    if ctx.get_parameter_source("steps") is not ParameterSource.DEFAULT:
        opts = dataclasses.replace(opts, steps=steps)
    if questions is not None:
        opts = dataclasses.replace(opts, questions=questions)
    results = []
    for name, stage, size, unit in STAGES:
        started = time.monotonic()
        with byte_progress(size(ws, opts), not as_json, unit) as bar:
            task = bar.task_ids[0]
            bar.update(task, description=name)
            result = stage(ws, Progress(on_bytes=partial(bar.advance, task)), opts)
        seconds = time.monotonic() - started
        results.append(
            {
                "stage": name,
                "summary": result.summary,
                "seconds": round(seconds, 2),
                **result.details,
            }
        )
        if not as_json:
            out.print(f"[green]✓[/] {name:<10} {result.summary}  [dim]({seconds:.1f} s)[/]")
            _show_samples(result.details.get("samples"))
    if as_json:
        emit_json({"workspace": str(ws.root), "stages": results})
        return
    report = results[-1].get("report_json")
    if report:
        out.print()
        show_summary(json.loads(Path(str(report)).read_text(encoding="utf-8")))
        out.print(f"\nThe whole report: {results[-1]['report']}")
    out.print(f"\nWorkspace: {ws.root}")
    out.print(
        f"Open it in the terminal UI:  afina --workspace {ws.root}   "
        "(e: the evaluation, m: compare assistants side by side and vote blind)"
    )


def _show_samples(samples: Any) -> None:
    """A validation question the run never saw, answered before and after fine-tuning."""
    from rich.text import Text  # chat text is full of brackets: never markup

    for sample in samples or []:
        out.print()
        for label, style, key in (
            ("Q:           ", "bold", "question"),
            ("support team:", "dim", "reference"),
            ("base model:  ", "dim", "base"),
            ("fine-tuned:  ", "green", "tuned"),
        ):
            out.print(Text.assemble(("  " + label + " ", style), sample[key]))


COMMANDS = (demo_cmd,)
