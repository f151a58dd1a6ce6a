"""`afina init` and `afina plugins`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from afina.engine.plugins import KINDS, list_plugins, load_plugin
from afina.engine.workspace import init_workspace
from afina.tui.cli.output import emit_json, out


@click.command("init")
@click.argument("directory", type=click.Path(path_type=Path), default=".")
@click.option(
    "--name",
    default="",
    help="The business the assistant answers for; the suggested system prompt names it.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def init_cmd(directory: Path, name: str, as_json: bool) -> None:
    """Make a workspace in DIRECTORY (default: here).

    It holds afina.toml, .afina/ (the database), runs/, indexes/ and exports/.
    """
    ws, created = init_workspace(directory, name)
    if as_json:
        emit_json({"workspace": str(ws.root), "created": created})
        return
    verb = "Made" if created else "Already a workspace:"
    out.print(f"{verb} {ws.root}")
    if created:
        out.print("Next: afina import PATH...   (chat exports, folders or zips)")


@click.command("plugins")
@click.option("--kind", type=click.Choice(list(KINDS)), default=None, help="Only this kind.")
@click.option("--verbose", "-v", is_flag=True, help="Load each plugin and show its options.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def plugins_cmd(kind: str | None, verbose: bool, as_json: bool) -> None:
    """List installed plugins (importers, trainers, retrievers, evaluators)."""
    rows = []
    for k in [kind] if kind else list(KINDS):
        for info in list_plugins(k):
            row: dict[str, object] = {
                "kind": k,
                "name": info.name,
                "target": info.target,
                "distribution": info.distribution,
            }
            if verbose:
                try:
                    cls = load_plugin(k, info.name)
                    row["description"] = cls.description
                    row["capabilities"] = sorted(cls.capabilities)
                    row["options"] = [
                        {
                            "name": o.name,
                            "type": o.type,
                            "default": o.default,
                            "help": o.help,
                            "choices": list(o.choices),
                        }
                        for o in cls.options
                    ]
                except Exception as e:  # listing must survive a broken plugin
                    row["error"] = str(e)
            rows.append(row)
    if as_json:
        emit_json(rows)
        return
    table = Table("kind", "name", "description" if verbose else "from", box=None)
    for r in rows:
        third = r.get("error") or r.get("description") if verbose else r["target"]
        table.add_row(str(r["kind"]), str(r["name"]), str(third))
        options: list[dict[str, Any]] = r.get("options", [])  # type: ignore[assignment]
        for o in options:
            table.add_row(
                "", f"  --option {o['name']}=", f"{o['help']} (default: {o['default']!r})"
            )
    out.print(table)


COMMANDS = (init_cmd, plugins_cmd)
