"""`afina models`, `afina train` and `afina jobs`: fine-tuning as background jobs."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import click

from afina.engine.actions import train
from afina.engine.text import printable
from afina.engine.training import jobs
from afina.tui.cli.context import get_workspace
from afina.tui.cli.follow import follow_run
from afina.tui.cli.output import echo, emit_json, err, out


@click.command("models")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def models_cmd(as_json: bool) -> None:
    """Base models usable without network: the embedded default and the Hugging Face cache."""
    from afina.engine.models import list_models

    found = list_models()
    if as_json:
        emit_json([dataclasses.asdict(m) for m in found])
        return
    for m in found:
        mark = "[green]✓[/]" if m.ready else "[red]✗[/]"
        out.print(f"{mark} {m.name}  [dim]{m.kind}: {m.note}[/]", markup=True)


def _pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    result = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r}: expected KEY=VALUE", param_hint=what)
        result[key.strip()] = value.strip()
    return result


@click.command("train")
@click.option(
    "--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override a [train] setting."
)
@click.option("--method", default=None, help="Training method (`afina plugins` lists them).")
@click.option("--base-model", default=None, help="Base model: name, folder or Hugging Face id.")
@click.option("--option", "options", multiple=True, metavar="KEY=VALUE", help="A method option.")
@click.option("--dry-run", is_flag=True, help="Preflight: measure a few steps, start nothing.")
@click.option("--follow", "-f", is_flag=True, help="Follow the run after starting it.")
@click.option(
    "--on", "on", default=None, metavar="NAME", help="Train on a GPU box (`afina remote add`)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def train_cmd(
    ctx: click.Context,
    sets: tuple[str, ...],
    method: str | None,
    base_model: str | None,
    options: tuple[str, ...],
    dry_run: bool,
    follow: bool,
    on: str | None,
    as_json: bool,
) -> None:
    """Fine-tune the base model on the accepted pairs, in a background job."""
    ws = get_workspace(ctx)
    given = (("method", method), ("base_model", base_model))
    request = train.TrainRequest(
        overrides=(*sets, *(f"{key}={value}" for key, value in given if value)),
        method_options=_pairs(options, "--option"),
    )
    if dry_run:
        _dry_run(ws, request, as_json)
        return
    if dry_run and on:
        raise click.UsageError("--dry-run measures on this machine; leave out --on")
    started = train.start_training(ws, request, on=on)
    run_dir, spec, pid = started.run_dir, started.spec, started.pid
    if as_json and not follow:
        emit_json({"run": spec.id, "path": str(run_dir), "pid": pid, "host": on})
        return
    if not as_json:
        where = f" on {on}" if on else ""
        out.print(
            f"Started run {spec.id}{where} (pid {pid}): {spec.examples} training pairs, "
            f"{spec.settings.method} on {spec.settings.base_model}"
        )
        out.print(
            f"[dim]Follow it with `afina jobs attach {spec.id}`; it goes on if you close "
            "this terminal.[/]",
            markup=True,
        )
    if follow:
        _report_end(_follow_and_pull(run_dir, as_json), run_dir, as_json)


def _follow_and_pull(
    run_dir: Path, as_json: bool, offset: int | None = None
) -> dict[str, Any] | None:
    """Follow the run; once it has ended, bring back what a remote one made (a local run is
    here already: nothing to do)."""
    final = follow_run(run_dir, as_json, offset=offset)
    if final is not None:
        pulled = jobs.pull(run_dir)
        if pulled and not as_json:
            err.print(f"pulled {', '.join(pulled)} into {run_dir} (sha256 checked)", markup=False)
    return final


def _dry_run(ws: Any, request: train.TrainRequest, as_json: bool) -> None:
    from afina.engine.training.preflight import measure

    def timed(spec: Any, run_dir: Path) -> dict[str, Any]:
        with err.status("preflight: loading the model and timing a few steps"):
            return measure(spec, run_dir)

    report = train.preflight(ws, request, timed, scratch_prefix="afina-dry-run-")
    if as_json:
        emit_json(report)
        return
    data = report["data"]["train"]
    out.print(
        f"[bold]Preflight[/]: {report['method']} on {report['base_model']} "
        f"({report['hardware']['device']}, {report['precision']})",
        markup=True,
    )
    out.print(f"  settings: {report['why']}")
    for line in report["chosen"]:
        out.print(f"    {line}", markup=False)
    out.print(
        f"  system prompt: {report['system_prompt'] or '(the template default)'}", markup=False
    )
    if report["system_prompt_why"]:
        out.print(f"    ({report['system_prompt_why']})", markup=False)
    out.print(
        f"  train pairs: {data['examples']}, kept {data['kept']} "
        f"({data['context_trimmed']} with earlier context trimmed), dropped "
        f"{sum(data['dropped'].values())} {data['dropped'] or ''}"
    )
    out.print(
        f"  tokens: {data['tokens']} ({data['loss_tokens']} carry loss), longest "
        f"{data['longest']}; padding {report['padding_share']:.1%} of batch slots"
    )
    out.print(f"  steps: {report['steps_per_epoch']} per epoch, {report['total_steps']} in all")
    out.print(
        f"  measured: {report['seconds_per_step']} s/step, peak memory "
        f"{report['peak_rss_mib']} MiB; estimate {report['estimated_seconds'] / 60:.1f} min"
    )
    t = report["template"]
    mark = "[green]ok[/]" if t["ok"] else "[red]MISMATCH[/]"
    out.print(
        f"  chat template: answers end with {t['answer_end_tokens']}, generation stops on "
        f"{t['generation_stops_on']}: {mark}",
        markup=True,
    )
    out.print(
        "  loss view of the first pair ([reverse]highlighted[/] tokens carry loss):", markup=True
    )
    from rich.text import Text

    view = Text("  ")
    for text, carries in report["loss_view"]:
        view.append(text, style="reverse green" if carries else "dim")
    out.print(view)


def _report_end(final: dict[str, Any] | None, run_dir: Path, as_json: bool) -> None:
    if as_json:
        return
    if final is None:
        st = jobs.status(run_dir)
        if st.state in ("running", "starting"):
            return  # detached
        out.print(
            f"[red]the runner ended without a final event[/] (state {st.state}); "
            f"see {run_dir / jobs.LOG_FILE}",
            markup=True,
        )
        raise SystemExit(1)
    if final["type"] == "failed":
        out.print(f"[red]failed:[/] {final.get('message')}", markup=True)
        if final.get("hint"):
            out.print(f"  [dim]hint:[/] {final['hint']}", markup=True)
        raise SystemExit(1)
    if final["type"] == "stopped":
        out.print(
            f"stopped at step {final.get('steps')}; `afina jobs resume {run_dir.name}` goes on"
        )
        return
    out.print(
        f"[green]finished[/]: {final.get('steps')} steps, train loss "
        f"{final.get('train_loss', 0):.4f}, validation loss "
        f"{final.get('eval_loss', float('nan')):.4f}; adapter in {final.get('final')}",
        markup=True,
    )


@click.group("jobs", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@click.pass_context
def jobs_group(ctx: click.Context, as_json: bool) -> None:
    """Training runs: list them, or attach, stop, resume, and read logs."""
    if ctx.invoked_subcommand is not None:
        return
    runs = jobs.list_runs(get_workspace(ctx))
    if as_json:
        emit_json([r.to_json() for r in runs])
        return
    if not runs:
        out.print("No runs yet; start one with `afina train`.")
        return
    for r in runs:
        loss = f"loss {r.loss:.4f}" if r.loss is not None else ""
        val = f" val {r.val_loss:.4f}" if r.val_loss is not None else ""
        out.print(f"{r.id}  {r.state:<11} {r.method:<6} step {r.step}/{r.total}  {loss}{val}")


@jobs_group.command("attach")
@click.argument("run_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print events as JSON lines.")
@click.pass_context
def attach_cmd(ctx: click.Context, run_id: str | None, as_json: bool) -> None:
    """Follow a run live (the newest without ID); Ctrl-C detaches, the run goes on."""
    run_dir = jobs.find_run(get_workspace(ctx), run_id)
    st = jobs.status(run_dir)
    if st.state not in ("running", "starting") and not as_json:
        out.print(f"run {st.id} is {st.state} at step {st.step}/{st.total}. {st.message}")
    _report_end(_follow_and_pull(run_dir, as_json), run_dir, as_json)


@jobs_group.command("pull")
@click.argument("run_id", required=False)
@click.option("--checkpoints", "with_checkpoints", is_flag=True, help="Its checkpoints too.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def pull_cmd(ctx: click.Context, run_id: str | None, with_checkpoints: bool, as_json: bool) -> None:
    """Bring a remote run's adapter, metrics and curves back here, checked by hash."""
    run_dir, pulled = train.pull_run(get_workspace(ctx), run_id, with_checkpoints)
    if as_json:
        emit_json({"run": run_dir.name, "pulled": pulled})
    elif pulled:
        out.print(f"run {run_dir.name}: pulled {', '.join(pulled)} (sha256 checked)")
    else:
        out.print(f"run {run_dir.name} ran on this machine: nothing to pull")


@jobs_group.command("stop")
@click.argument("run_id", required=False)
@click.option("--now", is_flag=True, help="Kill at once instead of saving a checkpoint first.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def stop_cmd(ctx: click.Context, run_id: str | None, now: bool, as_json: bool) -> None:
    """Stop a run after it saves a checkpoint; `afina jobs resume` goes on from there."""
    run_dir, state = train.stop_run(get_workspace(ctx), run_id, now)
    if as_json:
        emit_json({"run": run_dir.name, "state": state})
    else:
        out.print(f"run {run_dir.name}: {state}")


@jobs_group.command("resume")
@click.argument("run_id", required=False)
@click.option("--follow", "-f", is_flag=True, help="Follow the run after resuming it.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def resume_cmd(ctx: click.Context, run_id: str | None, follow: bool, as_json: bool) -> None:
    """Go on with a stopped, failed or interrupted run from its newest complete checkpoint."""
    from afina.engine.training import checkpoints

    ws = get_workspace(ctx)
    run_dir = jobs.find_run(ws, run_id)
    offset = (run_dir / "events.jsonl").stat().st_size if (run_dir / "events.jsonl").exists() else 0
    _, pid = train.resume_run(ws, run_dir.name)  # follows from here, not the run's start
    latest = checkpoints.latest(run_dir)
    if as_json and not follow:
        emit_json({"run": run_dir.name, "pid": pid, "from": str(latest) if latest else None})
        return
    if not as_json:
        where = f"from {latest.name}" if latest else "from the start (no complete checkpoint)"
        out.print(f"Resumed run {run_dir.name} {where} (pid {pid})")
    if follow:
        _report_end(_follow_and_pull(run_dir, as_json, offset=offset), run_dir, as_json)


@jobs_group.command("curves")
@click.argument("run_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the points as JSON.")
@click.pass_context
def curves_cmd(ctx: click.Context, run_id: str | None, as_json: bool) -> None:
    """Training and validation loss of a run, drawn in the terminal."""
    from afina.engine.training.events import loss_curves, read_events

    run_dir = jobs.find_run(get_workspace(ctx), run_id)
    train, val = loss_curves(read_events(run_dir))
    if as_json:
        emit_json({"run": run_dir.name, "train": train, "validation": val})
        return
    if not train:
        out.print(f"run {run_dir.name} has no steps yet")
        return
    import plotext as plt

    plt.clear_figure()
    plt.plotsize(min(out.width, 100), 20)
    if not out.is_terminal:
        plt.theme("clear")
    plt.plot([s for s, _ in train], [v for _, v in train], label="train")
    if val:
        plt.plot([s for s, _ in val], [v for _, v in val], label="validation", marker="o")
    # plotext draws its own colours with escapes, so only what goes in is made printable.
    plt.title(printable(f"run {run_dir.name}: loss"))
    plt.xlabel("step")
    click.echo(plt.build())


@jobs_group.command("logs")
@click.argument("run_id", required=False)
@click.option("--events", "show_events", is_flag=True, help="The events file instead of the log.")
@click.option(
    "--tail", "-n", type=int, default=50, show_default=True, help="Lines to show (0: all)."
)
@click.pass_context
def logs_cmd(ctx: click.Context, run_id: str | None, show_events: bool, tail: int) -> None:
    """The runner's output (warnings, tracebacks) or its raw events."""
    run_dir = jobs.find_run(get_workspace(ctx), run_id)
    path = run_dir / ("events.jsonl" if show_events else jobs.LOG_FILE)
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        lines = []
    # The log holds whatever the runner printed, data included: shown, never obeyed.
    echo("\n".join(lines[-tail:] if tail else lines))


COMMANDS = (models_cmd, train_cmd, jobs_group)
