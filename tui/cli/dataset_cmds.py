"""`afina split` and `afina export`: from reviewed pairs to training data."""

from __future__ import annotations

from pathlib import Path

import click

from afina.engine.actions import curation
from afina.engine.curation.export import FORMATS
from afina.tui.cli.context import get_workspace
from afina.tui.cli.output import emit_json, out


@click.command("split")
@click.option("--train", type=float, default=0.8, show_default=True)
@click.option("--validation", type=float, default=0.1, show_default=True)
@click.option("--test", type=float, default=0.1, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--fix-leakage", is_flag=True, help="Reject the non-train side of leaks.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def split_cmd(
    ctx: click.Context,
    train: float,
    validation: float,
    test: float,
    seed: int,
    fix_leakage: bool,
    as_json: bool,
) -> None:
    """Split by conversation (stable as data arrives) and report leakage across splits."""
    request = curation.SplitRequest((train, validation, test), seed, fix_leakage)
    report = curation.split(get_workspace(ctx), request)
    leaks = [
        {"members": c.members, "kind": c.kind, "similarity": c.similarity, "drop": c.drop}
        for c in report.leakage.clusters
    ]
    if as_json:
        emit_json(
            {
                "conversations": report.conversations,
                "accepted_pairs": report.pairs,
                "leaks": leaks,
                "fixed": report.fixed,
            }
        )
        return
    out.print(f"Conversations per split: {report.conversations}")
    out.print(f"Accepted pairs per split: {report.pairs}")
    if leaks:
        verb = "rejected" if fix_leakage else "would reject with --fix-leakage"
        out.print(
            f"Leakage: {len(leaks)} clusters of near-duplicates cross splits; "
            f"{len(report.leakage.drop)} pairs {verb}."
        )
    else:
        out.print("Leakage: none found across splits.")


@click.command("export")
@click.argument("fmt", metavar="FORMAT", type=click.Choice(sorted(FORMATS)))
@click.argument("out_path", metavar="OUT", type=click.Path(path_type=Path))
@click.option("--per-split", is_flag=True, help="One file per split.")
@click.option("--allow", multiple=True, help="A value the final PII scan leaves alone.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def export_cmd(
    ctx: click.Context,
    fmt: str,
    out_path: Path,
    per_split: bool,
    allow: tuple[str, ...],
    as_json: bool,
) -> None:
    """Export accepted pairs (messages, prompt-completion, alpaca, sharegpt, hf) with a card."""
    request = curation.ExportRequest(fmt, out_path, per_split, allow)
    exported = curation.export(get_workspace(ctx), request)
    result, caught = exported.result, exported.caught
    if as_json:
        emit_json(
            {
                "format": result.format,
                "paths": [str(p) for p in result.paths],
                "card": str(result.card),
                "counts": dict(result.counts),
                "pii_replaced_at_export": caught,
            }
        )
        return
    total = sum(result.counts.values())
    out.print(f"Wrote {total} pairs ({dict(result.counts)}) to {', '.join(map(str, result.paths))}")
    out.print(f"Dataset card: {result.card}")
    if caught:
        out.print(f"The final scan replaced {caught} personal-data values left in edits.")


COMMANDS = (split_cmd, export_cmd)
