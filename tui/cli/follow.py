"""Following a training run from its events: a live bar for people, JSON lines for scripts.

Ctrl-C stops the following, never the run: the runner is another process.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from afina.engine.launch.remote.ssh import RemoteError
from afina.engine.training.events import FINAL, last_start_offset
from afina.engine.training.jobs import RECONNECTING, follow, retrying, runner_pid
from afina.tui.cli.output import err, out


def _reconnecting(e: RemoteError, delay: float) -> None:
    """A remote run's link dropped: say so and wait; the run goes on there."""
    err.print(f"{RECONNECTING} {e.message} (again in {delay:.0f} s)", markup=False)


def _describe(e: dict[str, Any], val: float | None) -> str:
    parts = [f"loss {e['loss']:.4f}"]
    if val is not None:
        parts.append(f"val {val:.4f}")
    if e.get("tokens_per_s"):
        parts.append(f"{e['tokens_per_s']:.0f} tok/s")
    return "  ".join(parts)


def _events(run_dir: Path, offset: int | None) -> Any:
    """The current attempt's events until its runner has ended; then the final event, or
    None if the runner died without one."""
    final = None
    start = last_start_offset(run_dir) if offset is None else offset
    for e in follow(run_dir, offset=start, on_retry=_reconnecting):
        if e is None:
            if retrying(lambda: runner_pid(run_dir), _reconnecting) is None:
                return final
            continue
        if e["type"] == "started":
            final = None
        elif e["type"] in FINAL:
            final = e
        yield e
    return None


def follow_run(
    run_dir: Path, as_json: bool = False, quiet_advice: bool = False, offset: int | None = None
) -> dict[str, Any] | None:
    """Show the run's events until it ends (returns the final event) or the runner dies
    without one (returns None). Ctrl-C detaches (returns None)."""
    if as_json:
        return _follow_json(run_dir, offset)
    bar = Progress(
        TextColumn("train"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}", markup=False),
        TimeRemainingColumn(),
        console=err,
        transient=False,
        disable=not err.is_terminal,
    )
    val: float | None = None
    try:
        with bar:
            task = bar.add_task("starting", total=None)
            stream = _events(run_dir, offset)
            while True:
                try:
                    e = next(stream)
                except StopIteration as done:
                    return done.value
                t = e["type"]
                if t == "started":
                    bar.update(task, description="loading the model and data")
                elif t == "ready":
                    bar.update(task, total=e["total"], description="training")
                    if e.get("resumed_from"):
                        bar.console.print(f"resumed from {Path(e['resumed_from']).name}")
                elif t == "step":
                    bar.update(
                        task, completed=e["step"], total=e["total"], description=_describe(e, val)
                    )
                elif t == "eval":
                    val = e["loss"]
                elif t == "advice" and not quiet_advice:
                    bar.console.print(
                        f"[dim]step {e['step']}:[/] {escape(e['message'])}", markup=True
                    )
                elif t == "checkpoint":
                    bar.console.print(f"[dim]checkpoint at step {e['step']}[/]", markup=True)
    except KeyboardInterrupt:
        out.print("\ndetached; the run goes on (`afina jobs attach` to follow it again)")
    return None


def _follow_json(run_dir: Path, offset: int | None) -> dict[str, Any] | None:
    stream = _events(run_dir, offset)
    try:
        while True:
            e = next(stream)
            sys.stdout.write(json.dumps(e, default=str) + "\n")
            sys.stdout.flush()
    except StopIteration as done:
        return done.value
    except KeyboardInterrupt:
        return None
