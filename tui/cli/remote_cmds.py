"""`afina remote add|list|remove|doctor|setup`: GPU boxes reached over SSH."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import click

from afina.engine.errors import UsageError
from afina.tui.cli.context import get_workspace
from afina.tui.cli.output import emit_json, err, out

json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")


def _gib(n: int | None) -> str:
    return "unknown" if n is None else f"{n / 1024**3:.1f} GiB"


@click.group("remote")
def remote_group() -> None:
    """GPU boxes afina trains on over SSH (your own ssh: ~/.ssh/config, agent, keys)."""


@remote_group.command("add")
@click.argument("name")
@click.argument("destination")
@click.option("--workdir", default=None, help="afina's folder there (default: ~/afina).")
@click.option("--python", default=None, help="The Python there (default: python3).")
@click.option(
    "--accept-new",
    is_flag=True,
    help="Trust the host key without asking (check its fingerprint first).",
)
@json_option
@click.pass_context
def add_cmd(
    ctx: click.Context,
    name: str,
    destination: str,
    workdir: str | None,
    python: str | None,
    accept_new: bool,
    as_json: bool,
) -> None:
    """Add host NAME, reached as DESTINATION (an ssh alias, user@host, ssh://user@host:port).

    An unknown host key is shown by its fingerprint and asked about; a changed one is
    refused.
    """
    from afina.engine.actions.remote import add_host
    from afina.engine.launch.remote.ssh import ScannedKey

    ws = get_workspace(ctx)

    def confirm(key: ScannedKey) -> bool:
        err.print(f"The host key of {destination} is not known yet. Its fingerprint:")
        for line in key.fingerprints:
            err.print(f"  {line}", soft_wrap=True)  # whole, to compare by eye
        if accept_new:
            err.print("accepting it (--accept-new)")
            return True
        if not sys.stdin.isatty():
            raise UsageError(
                f"{name}: the host key of {destination} is not known and there is no terminal "
                "to ask",
                "check the fingerprint above with whoever runs the box, then pass --accept-new",
            )
        return click.confirm("Trust this host key?", default=False, err=True)

    result = add_host(ws, name, destination, confirm, workdir=workdir, python=python)
    if as_json:
        emit_json({"host": dataclasses.asdict(result.host), "accepted": list(result.fingerprints)})
        return
    out.print(f"Added {name} ({destination}); next: `afina remote doctor {name}`")


@remote_group.command("list")
@json_option
@click.pass_context
def list_cmd(ctx: click.Context, as_json: bool) -> None:
    """The hosts of this workspace."""
    from afina.engine.launch.remote.hosts import load_hosts

    hosts = load_hosts(get_workspace(ctx).root)
    if as_json:
        emit_json([dataclasses.asdict(h) for h in hosts.values()])
        return
    if not hosts:
        out.print("no hosts yet: `afina remote add NAME DESTINATION`")
    for h in hosts.values():
        out.print(f"{h.name}  {h.destination}  workdir {h.workdir}  python {h.python}")


@remote_group.command("remove")
@click.argument("name")
@click.pass_context
def remove_cmd(ctx: click.Context, name: str) -> None:
    """Forget host NAME (its accepted host key stays in .afina/known_hosts)."""
    from afina.engine.launch.remote.hosts import remove_host

    host = remove_host(get_workspace(ctx).root, name)
    out.print(f"Removed {host.name} ({host.destination})")


@remote_group.command("doctor")
@click.argument("name")
@json_option
@click.pass_context
def doctor_cmd(ctx: click.Context, name: str, as_json: bool) -> None:
    """What host NAME offers for training and what is missing, each with its fix.

    Exits 2 when something there blocks training.
    """
    from afina.engine.actions.remote import doctor

    ws = get_workspace(ctx)
    with err.status(f"examining {name}"):
        report = doctor(ws, name)
    if as_json:
        emit_json(report.to_json())
    else:
        out.print(f"{name} ({report.host.destination}): {report.system}")
        py = report.python_version or "missing"
        out.print(f"  python  {report.python_path}: {py} ({report.python_kind})")
        there = report.afina_version or "not installed"
        out.print(f"  afina   {there} there, {report.local_version} here")
        for gpu in report.gpus:
            out.print(f"  GPU     {gpu.name}, {gpu.memory}, driver {gpu.driver}")
        if report.gpu_note:
            out.print(f"  GPU     {report.gpu_note}")
        t = report.torch
        if t is None:
            out.print(f"  torch   missing ({report.torch_error})")
        else:
            cuda = f"CUDA on {t['devices']} device(s)" if t["cuda"] else "no CUDA (CPU only)"
            bf16 = ", bf16" if t["bf16"] else ""
            out.print(f"  torch   {t['version']}: {cuda}{bf16}")
        out.print(f"  disk    {_gib(report.disk_free)} free in {report.disk_path or '?'}")
        out.print(f"  memory  {_gib(report.mem_available)} available of {_gib(report.mem_total)}")
        for p in report.problems:
            mark = "[red]✗[/]" if p.blocking else "[yellow]![/]"
            fix = f": {p.fix}" if p.fix else ""
            out.print(f"{mark} {p.text}{fix}", markup=True)
        if report.usable:
            out.print("[green]ready to train there[/]", markup=True)
    if not report.usable:
        ctx.exit(2)


@remote_group.command("setup")
@click.argument("name")
@click.option("--python", default=None, help="The Python there to build on (default: the host's).")
@click.option(
    "--no-venv",
    is_flag=True,
    help="Use a Python that already has torch (a conda image): install only afina beside it.",
)
@click.option(
    "--wheel",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Ship this afina wheel (default: build one from this afina's source).",
)
@click.option("--model", is_flag=True, help="Also convert the workspace's base model there once.")
@json_option
@click.pass_context
def setup_cmd(
    ctx: click.Context,
    name: str,
    python: str | None,
    no_venv: bool,
    wheel: Path | None,
    model: bool,
    as_json: bool,
) -> None:
    """Install this afina version on host NAME: a venv in its workdir with afina[ml] (CUDA
    torch where a GPU is found, else the CPU build), or with --no-venv only afina beside an
    existing Python."""
    from afina.engine.actions.remote import setup

    ws = get_workspace(ctx)
    with err.status(f"setting up {name}") as status:
        result = setup(
            ws,
            name,
            python=python,
            venv=not no_venv,
            wheel=wheel,
            model=model,
            say=lambda m: status.update(m),
        )
    if as_json:
        emit_json(dataclasses.asdict(result))
        return
    out.print(f"afina {result.version} installed on {name}; python there: {result.python}")
    if result.model_at:
        out.print(f"  base model ready there at {result.model_at}")
    out.print(f"next: `afina remote doctor {name}`")


COMMANDS = (remote_group,)
