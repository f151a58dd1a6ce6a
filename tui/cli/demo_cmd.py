"""`afina demo [DIR]`: the README's main-job command."""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path

import click

from afina.engine.demo import STAGES
from afina.engine.ingest.run import Progress
from afina.engine.workspace import init_workspace
from afina.tui.cli.output import byte_progress, emit_json, out


@click.command("demo")
@click.argument("directory", type=click.Path(path_type=Path), default="afina-demo")
@click.option("--json", "as_json", is_flag=True, help="Print the stage results as JSON.")
def demo_cmd(directory: Path, as_json: bool) -> None:
    """Run afina's whole path on the bundled sample domain, offline, in DIRECTORY."""
    ws, _ = init_workspace(directory)
    results = []
    for name, stage, size, unit in STAGES:
        started = time.monotonic()
        with byte_progress(size(ws), not as_json, unit) as bar:
            task = bar.task_ids[0]
            bar.update(task, description=name)
            result = stage(ws, Progress(on_bytes=partial(bar.advance, task)))
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
    if as_json:
        emit_json({"workspace": str(ws.root), "stages": results})
        return
    out.print(f"\nWorkspace: {ws.root}")
    out.print(f"Open it in the terminal UI:  afina --workspace {ws.root}")


COMMANDS = (demo_cmd,)
