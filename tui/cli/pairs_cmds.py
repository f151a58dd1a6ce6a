"""`afina pairs ...`, `afina curate` and `afina stats`: pairs and their review."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import click
from rich.table import Table

from afina.engine.actions import curation
from afina.engine.errors import UsageError
from afina.engine.store.pairs import Change
from afina.engine.types import PAIR_STATUSES, PairFilter
from afina.tui.cli.context import get_workspace
from afina.tui.cli.output import emit_json, out

ALL = 10**9


@click.group("pairs")
def pairs_group() -> None:
    """Instruction -> response pairs: extract, list, show, accept, reject, edit, undo, redo."""


@pairs_group.command("extract")
@click.option("--source", "source_id", type=int, default=None, help="Only this source.")
@click.option("--assistant", "speakers", multiple=True, help="A speaker who is the assistant.")
@click.option("--assistant-role", default=None, help="The role that is the assistant.")
@click.option("--multi-turn", is_flag=True, help="Keep earlier turns as context.")
@click.option("--context", "context_turns", type=int, default=6, show_default=True)
@click.option("--system", "system_prompt", default=None, help="System prompt for every pair.")
@click.option(
    "--keep-detours",
    is_flag=True,
    help="Keep identity checks (agent asks for a CPF, customer gives it) as pairs of their own.",
)
@click.option("--no-scrub", is_flag=True, help="Keep personal data (not recommended).")
@click.option("--allow", multiple=True, help="A value never scrubbed (the company's phone).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def extract_cmd(
    ctx: click.Context,
    source_id: int | None,
    speakers: tuple[str, ...],
    assistant_role: str | None,
    multi_turn: bool,
    context_turns: int,
    system_prompt: str | None,
    keep_detours: bool,
    no_scrub: bool,
    allow: tuple[str, ...],
    as_json: bool,
) -> None:
    """Extract pairs from conversations; without --assistant, it is guessed per source."""
    request = curation.ExtractRequest(
        source_id=source_id,
        assistant_speakers=speakers,
        assistant_role=assistant_role,
        multi_turn=multi_turn,
        context_turns=context_turns,
        system_prompt=system_prompt,
        skip_detours=not keep_detours,
        scrub=not no_scrub,
        allow=allow,
    )
    report = curation.extract(get_workspace(ctx), request)
    result = {
        "conversations": report.conversations,
        "added": report.added,
        "already_there": report.existing,
        "pii_scrubbed": dict(report.pii),
        "names_kept_as_recurring": list(report.kept_names),
        "assistants": {
            str(k): {"assistant": who, "confidence": conf}
            for k, (who, conf) in report.assistants.items()
        },
    }
    if as_json:
        emit_json(result)
        return
    out.print(
        f"{report.added} new pairs from {report.conversations} conversations "
        f"({report.existing} already there)."
    )
    if report.pii:
        found = ", ".join(f"{n} {kind}" for kind, n in report.pii.most_common())
        out.print(f"Personal data replaced by placeholders: {found}.")
    if report.kept_names:
        shown = ", ".join(report.kept_names[:8]) + (", ..." if len(report.kept_names) > 8 else "")
        out.print(
            f"Kept as names of products, places or staff (in many conversations): {shown}."
        )
    for source, (who, conf) in list(report.assistants.items())[:10]:
        guess = f" (guessed, confidence {conf:.2f})" if conf is not None else ""
        out.print(f"  source {source}: assistant = {who}{guess}")


@click.command("curate")
@click.option("--accept-passing", is_flag=True, help="Accept every pair that passes the rules.")
@click.option("--no-dedupe", is_flag=True, help="Skip duplicate detection.")
@click.option(
    "--threshold", type=float, default=0.8, show_default=True, help="Near-duplicate Jaccard."
)
@click.option(
    "--max-per-answer",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Keep at most N paraphrases of one answer (0: no cap).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def curate_cmd(
    ctx: click.Context,
    accept_passing: bool,
    no_dedupe: bool,
    threshold: float,
    max_per_answer: int,
    as_json: bool,
) -> None:
    """Run the cleaning rules and the dedupe over pending pairs (one undoable batch).

    Duplicates are pairs with a near-identical question (greetings and fillers aside) and
    the same answer; other questions with one answer are paraphrases and stay.
    """
    request = curation.CurateRequest(accept_passing, not no_dedupe, threshold, max_per_answer)
    curated = curation.curate(get_workspace(ctx), request)
    report, counts = curated.report, curated.pairs
    tokens = (
        f"tokens of {curated.tokenizer}"
        if curated.tokenizer
        else "approximate tokens (tokenizer not available)"
    )
    result = {
        **asdict(report),
        "duplicates": dict(report.duplicates),
        "pairs": counts,
        "lengths_in": tokens,
    }
    if as_json:
        emit_json(result)
        return
    out.print(f"Checked {report.checked} pending pairs (lengths in {tokens}).")
    for rule, n in report.removed.items():
        changed = report.rewritten.get(rule, 0)
        out.print(f"  {rule:<13} removed {n:>6}   rewrote {changed:>6}")
    for kind, n in report.duplicates.items():
        out.print(f"  {'duplicate':<13} removed {n:>6}   ({kind})")
    if report.capped:
        out.print(f"  {'answer cap':<13} removed {report.capped:>6}   (over {max_per_answer})")
    if not no_dedupe:
        out.print(
            f"Kept {report.paraphrase_groups} paraphrase groups (questions worded differently "
            f"that share one answer): {report.paraphrase_pairs} pairs."
        )
    if accept_passing:
        out.print(f"Accepted {report.accepted} pairs that passed.")
    out.print(_counts_line(counts) + "   (afina pairs undo takes this run back)")


def _filters(func: Any) -> Any:
    options = [
        click.option("--status", type=click.Choice(PAIR_STATUSES), default=None),
        click.option("--tag", default=None),
        click.option("--source", "source_id", type=int, default=None),
        click.option("--conversation", "conversation_id", type=int, default=None),
        click.option("--rule", default=None, help="Pairs a rule hit (e.g. url, duplicate)."),
        click.option("--split", type=click.Choice(["train", "validation", "test"]), default=None),
        click.option("--search", default=None, help="Text in the prompt or response."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _filter(kw: dict[str, Any]) -> PairFilter:
    keys = ("status", "tag", "source_id", "conversation_id", "rule", "split", "search")
    return PairFilter(**{k: kw.pop(k) for k in keys})


@pairs_group.command("list")
@_filters
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--offset", type=int, default=0)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def list_cmd(ctx: click.Context, limit: int, offset: int, as_json: bool, **kw: Any) -> None:
    """List pairs by filter (filtering and paging happen in the database)."""
    where = _filter(kw)
    with get_workspace(ctx).open_store() as store:
        rows = store.pairs(where, limit, offset)
        total = store.count_pairs(where)
    if as_json:
        emit_json({"total": total, "pairs": [asdict(p) for p in rows]})
        return
    table = Table("id", "status", "split", "tags", "prompt", "response", box=None)
    for p in rows:
        table.add_row(
            str(p.id),
            p.status,
            p.split or "",
            ",".join(p.tags),
            _short(p.prompt),
            _short(p.response),
        )
    out.print(table)
    out.print(f"{len(rows)} of {total} shown (--offset to page)")


@pairs_group.command("show")
@click.argument("pair_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def show_cmd(ctx: click.Context, pair_id: int, as_json: bool) -> None:
    """One pair in full, with its context, review state and what the rules found."""
    with get_workspace(ctx).open_store() as store:
        p = store.pair(pair_id)
        hits = store.rule_hits(pair_id)
    if as_json:
        emit_json({**asdict(p), "rule_hits": [asdict(h) for h in hits]})
        return
    out.print(
        f"[bold]pair {p.id}[/] · conversation {p.conversation_id} · {p.status}"
        + (" · edited" if p.edited else "")
        + (f" · {p.split}" if p.split else "")
    )
    if p.system:
        out.print(f"[dim]system:[/] {p.system}", markup=True)
    for role, text in p.context:
        out.print(f"[dim]{role}:[/]", markup=True)
        out.print(text, markup=False)
    out.print("[cyan]prompt:[/]")
    out.print(p.prompt, markup=False)
    out.print("[green]response:[/]")
    out.print(p.response, markup=False)
    if p.tags or p.note:
        out.print(f"tags: {', '.join(p.tags)}  note: {p.note or ''}", markup=False)
    for h in hits:
        out.print(f"[yellow]{h.rule}[/] {h.field} {h.detail}", highlight=False)


def _status_command(name: str, status: str) -> click.Command:
    @click.argument("ids", nargs=-1, type=int)
    @_filters
    @click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
    @click.pass_context
    def command(ctx: click.Context, ids: tuple[int, ...], as_json: bool, **kw: Any) -> None:
        where = _filter(kw)
        if not ids and where == PairFilter():
            raise UsageError(f"say which pairs to {name}: ids, or filters such as --status pending")
        with get_workspace(ctx).open_store() as store:
            targets = list(ids) or store.pair_ids(where)
            changed = store.review([Change(i, "status", status) for i in targets], name)
        if as_json:
            emit_json({"action": name, "pairs": len(targets), "changed": changed})
        else:
            out.print(f"{status.capitalize()} {changed} of {len(targets)} pairs.")

    command.__doc__ = f"Mark pairs {status}: by id, or every pair a filter selects (one batch)."
    return pairs_group.command(name)(command)


_status_command("accept", "accepted")
_status_command("reject", "rejected")
_status_command("reset", "pending")


@pairs_group.command("edit")
@click.argument("pair_id", type=int)
@click.option("--prompt", default=None, help="New prompt text.")
@click.option("--response", default=None, help="New response text.")
@click.option("--tag", "add_tags", multiple=True, help="Add a tag.")
@click.option("--untag", "remove_tags", multiple=True, help="Remove a tag.")
@click.option("--note", default=None, help="A note on the pair.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def edit_cmd(
    ctx: click.Context,
    pair_id: int,
    prompt: str | None,
    response: str | None,
    add_tags: tuple[str, ...],
    remove_tags: tuple[str, ...],
    note: str | None,
    as_json: bool,
) -> None:
    """Edit a pair's prompt or response, its tags or its note (undoable).

    Personal data typed into the prompt or response (a name, a phone number) is replaced by a
    placeholder before it is stored, the same one its conversation already uses.
    """
    request = curation.PairEdit(pair_id, prompt, response, note, add_tags, remove_tags)
    if request.is_empty():
        raise UsageError("nothing to edit", "give --prompt, --response, --tag, --untag or --note")
    report = curation.edit(get_workspace(ctx), request)
    if as_json:
        emit_json(
            {
                "pair": pair_id,
                "changed": report.changed,
                "scrubbed": dict(report.scrubbed),
                "placeholders": report.placeholders,
            }
        )
    else:
        out.print(f"Pair {pair_id}: {report.changed} change(s).")
        if report.placeholders:
            out.print(
                f"Personal data replaced by {', '.join(report.placeholders)}; a value the "
                "business wants kept (its own phone, its name) goes in [curate] pii_allow."
            )


@pairs_group.command("undo")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def undo_cmd(ctx: click.Context, as_json: bool) -> None:
    """Take back the latest review change (a whole bulk action or curate run at once)."""
    with get_workspace(ctx).open_store() as store:
        done = store.undo()
    _report_step("undo", done, as_json)


@pairs_group.command("redo")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def redo_cmd(ctx: click.Context, as_json: bool) -> None:
    """Repeat the latest undone review change."""
    with get_workspace(ctx).open_store() as store:
        done = store.redo()
    _report_step("redo", done, as_json)


def _report_step(step: str, done: tuple[int, str] | None, as_json: bool) -> None:
    """What undo or redo did: the batch's action and how many values it changed back."""
    if as_json:
        emit_json(None if done is None else {"changes": done[0], "action": done[1]})
    elif done is None:
        out.print(f"Nothing to {step}.")
    else:
        past = {"undo": "Undid", "redo": "Redid"}[step]
        out.print(f"{past} '{done[1]}' ({done[0]} changes).")


@click.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def stats_cmd(ctx: click.Context, as_json: bool) -> None:
    """Counts: sources, conversations, turns, pairs by status and split."""
    with get_workspace(ctx).open_store() as store:
        counts = store.counts()
        pairs = store.pair_counts()
    if as_json:
        emit_json({**counts, "pairs": pairs})
        return
    out.print(
        f"{counts['sources']} sources, {counts['conversations']} conversations, "
        f"{counts['turns']} turns"
    )
    out.print(_counts_line(pairs))


def _counts_line(counts: dict[str, int]) -> str:
    line = ", ".join(f"{counts.get(s, 0)} {s}" for s in PAIR_STATUSES)
    splits = ", ".join(f"{counts[s]} {s}" for s in ("train", "validation", "test") if s in counts)
    return f"Pairs: {line}" + (f"; accepted by split: {splits}" if splits else "")


def _short(text: str, width: int = 50) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


COMMANDS = (pairs_group, curate_cmd, stats_cmd)
