"""`afina votes ...`: blind votes between assistants, their ratings and preference pairs."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.table import Table
from rich.text import Text

from afina.engine.curation.export import atomic_write
from afina.engine.store.votes import read_votes_file
from afina.engine.types import Vote
from afina.tui.cli.context import get_workspace
from afina.tui.cli.output import emit_json, out

if TYPE_CHECKING:
    # ratings brings numpy, which the CLI does not load at start-up (`afina --help`).
    from afina.engine.eval.ratings import Rating

LEVEL = 0.95

# Why a vote gives no preference pair, in the words the export prints.
REASONS = {
    "tie": "tie",
    "both_bad": "both bad",
    "missing_answer": "an answer missing",
    "same_answer": "the same text on both sides",
}


@click.group("votes")
def votes_group() -> None:
    """Blind votes between assistants: list, ratings, export preference pairs, import, delete."""


@votes_group.command("list")
@click.option("--run", "run_id", default=None, help="Only votes on this run's assistants.")
@click.option("--tag", default=None, help="Only votes with this tag.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def list_cmd(
    ctx: click.Context, run_id: str | None, tag: str | None, limit: int, as_json: bool
) -> None:
    """The latest votes, oldest first (--limit how many)."""
    with get_workspace(ctx).open_store() as store:
        rows = store.vote_rows(run=run_id, tag=tag, limit=limit)
        total = store.vote_count(run=run_id, tag=tag)
    if as_json:
        emit_json({"total": total, "votes": rows})
        return
    if not total:
        out.print("No votes yet. Vote in the Compare screen, or `afina votes import FILE`.")
        return
    table = Table("id", "time", "A vs B", "outcome", "winner", "prompt", box=None)
    for r in rows:
        # Text, not str: a prompt or a name with [brackets] is not rich markup.
        table.add_row(
            str(r["id"]),
            r["time"][:16].replace("T", " "),  # to the minute; seconds and zone are noise here
            Text(f"{r['left']} vs {r['right']}"),
            {"a": "A", "b": "B", "tie": "tie", "both_bad": "both bad"}[r["outcome"]],
            Text(r["winner"] or "-"),
            Text(_short(r["prompt"])),
        )
    out.print(table)
    out.print(f"{len(rows)} of {total} shown (the latest; --limit for more)")


@votes_group.command("ratings")
@click.option(
    "--method",
    type=click.Choice(["bt", "elo"]),
    default="bt",
    show_default=True,
    help="Bradley-Terry (order-free) or sequential Elo.",
)
@click.option("--by-tag", is_flag=True, help="One table per tag.")
@click.option("--run", "run_id", default=None, help="Only votes on this run's assistants.")
@click.option(
    "--boot",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Bootstrap resamples for the intervals.",
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def ratings_cmd(
    ctx: click.Context, method: str, by_tag: bool, run_id: str | None, boot: int, as_json: bool
) -> None:
    """Each assistant's rating with a 95% interval, and its wins, losses and ties."""
    from afina.engine.eval.ratings import ratings_by_tag, ratings_table

    with get_workspace(ctx).open_store() as store:
        votes = store.votes(run=run_id)
    options: dict[str, Any] = {"method": method, "n_boot": boot, "level": LEVEL}
    tables = ratings_by_tag(votes, **options) if by_tag else {"": ratings_table(votes, **options)}
    untagged = sum(1 for v in votes if not v.tags)
    if as_json:
        result: dict[str, Any] = {"method": method, "level": LEVEL, "votes": len(votes)}
        as_dicts = {t: [_rating_dict(r) for r in rows] for t, rows in tables.items()}
        if by_tag:
            result |= {"by_tag": as_dicts, "untagged": untagged}
        else:
            result["ratings"] = as_dicts[""]
        emit_json(result)
        return
    if not votes:
        where = f" for run {run_id}" if run_id else ""
        out.print(f"No votes yet{where}, so no ratings. Vote in the Compare screen first.")
        return
    name = {"bt": "Bradley-Terry", "elo": "Elo"}[method]
    out.print(
        f"{name} ratings from {len(votes)} votes, {LEVEL:.0%} intervals over {boot} resamples"
    )
    if by_tag and not tables:
        out.print("No vote has a tag.")
    for t, rows in tables.items():
        if t:
            out.print(Text(f"\n{t}", style="bold"))
        out.print(_ratings_table(rows))
    if by_tag and untagged:
        out.print(f"\nVotes without a tag are in no table: {untagged}.")


@votes_group.command("export")
@click.argument("out_path", metavar="OUT.jsonl", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--with-meta", is_flag=True, help="Add the assistants' names, tags and time.")
@click.option("--run", "run_id", default=None, help="Only votes on this run's assistants.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def export_cmd(
    ctx: click.Context, out_path: Path, with_meta: bool, run_id: str | None, as_json: bool
) -> None:
    """Write votes with a winner as chosen/rejected preference pairs (JSON Lines, for DPO)."""
    from afina.engine.store.votes import preference_jsonl, preference_pairs

    with get_workspace(ctx).open_store() as store:
        votes = store.votes(run=run_id)
    text = preference_jsonl(votes, with_meta=with_meta)
    atomic_write(out_path, [text])
    # Asking preference_pairs vote by vote keeps its rules the only rules; _why_left_out
    # only names the reason.
    left_out = Counter(_why_left_out(v) for v in votes if not preference_pairs([v]))
    pairs = len(votes) - sum(left_out.values())
    if as_json:
        reasons = {k: left_out.get(k, 0) for k in REASONS}
        emit_json({"path": str(out_path), "pairs": pairs, "votes": len(votes), "left_out": reasons})
        return
    out.print(
        f"Wrote {pairs} preference pairs from {len(votes)} votes to {out_path}.", markup=False
    )
    if left_out:
        why = ", ".join(f"{REASONS[k]} {n}" for k, n in left_out.most_common())
        out.print(f"Left out {sum(left_out.values())} of {len(votes)} votes: {why}.")
    if left_out["tie"] or left_out["both_bad"]:
        out.print("A tie or a both-bad vote says neither answer is better: no chosen, no rejected.")


@votes_group.command("import")
@click.argument(
    "path", metavar="FILE.jsonl", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--run", "run_id", default=None, help="Record the votes as on this run.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def import_cmd(ctx: click.Context, path: Path, run_id: str | None, as_json: bool) -> None:
    """Add votes from a JSON Lines file (one vote a line); a bad line imports nothing."""
    ws = get_workspace(ctx)
    # The whole file is read and checked before the store opens: a bad line changes nothing.
    votes = read_votes_file(path)
    with ws.open_store() as store:
        added, existing = store.import_votes(votes, run=run_id)
        total = store.vote_count()
    if as_json:
        emit_json({"imported": len(added), "already_there": existing, "votes": total})
        return
    out.print(f"Imported {len(added)} votes ({existing} already there); {total} votes in all.")


@votes_group.command("delete")
@click.argument("vote_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def delete_cmd(ctx: click.Context, vote_id: int, as_json: bool) -> None:
    """Delete a vote (a mis-vote); there is no undo."""
    with get_workspace(ctx).open_store() as store:
        store.delete_vote(vote_id)
    if as_json:
        emit_json({"deleted": vote_id})
    else:
        out.print(f"Deleted vote {vote_id}.")


def _why_left_out(v: Vote) -> str:
    if v.outcome in ("tie", "both_bad"):
        return v.outcome
    chosen, rejected = v.answers.get(v.winner or ""), v.answers.get(v.loser or "")
    return "missing_answer" if chosen is None or rejected is None else "same_answer"


def _rating_dict(r: Rating) -> dict[str, Any]:
    # NaN is not JSON; an interval that could not be computed is null.
    return {
        k: None if isinstance(x, float) and not math.isfinite(x) else x
        for k, x in {**asdict(r), "votes": r.votes}.items()
    }


def _ratings_table(rows: list[Rating]) -> Table:
    table = Table(
        "assistant",
        "rating",
        f"{LEVEL:.0%} interval",
        "won",
        "lost",
        "tied",
        "both bad",
        "votes",
        box=None,
    )
    for r in rows:
        interval = "-" if math.isnan(r.lo) else f"{r.lo:.0f} to {r.hi:.0f}"
        table.add_row(
            Text(r.assistant),
            f"{r.rating:.0f}",
            interval,
            str(r.wins),
            str(r.losses),
            str(r.ties),
            str(r.both_bad),
            str(r.votes),
        )
    return table


def _short(text: str, width: int = 50) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


COMMANDS = (votes_group,)
