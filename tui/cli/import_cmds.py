"""`afina import`, `afina sources`, `afina conversations`, `afina show`."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click
from rich.table import Table

from afina.engine.actions import ingest
from afina.engine.errors import AfinaError
from afina.engine.ingest.run import FileSummary, Progress, totals
from afina.tui.cli.context import get_workspace
from afina.tui.cli.output import byte_progress, emit_json, err, out


def parse_options(
    pairs: tuple[str, ...], default_importer: str | None
) -> dict[str, dict[str, str]]:
    """`KEY=VALUE` (for --format's importer) or `IMPORTER.KEY=VALUE` into per-importer options."""
    options: dict[str, dict[str, str]] = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq:
            raise AfinaError(f"--option {pair!r} must look like KEY=VALUE or IMPORTER.KEY=VALUE")
        importer, dot, name = key.rpartition(".")
        if not dot:
            if default_importer is None:
                raise AfinaError(
                    f"--option {pair!r} needs an importer name without --format",
                    "write it as IMPORTER.KEY=VALUE",
                )
            importer = default_importer
        options.setdefault(importer, {})[name] = value
    return options


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    default=None,
    help="Importer to use instead of sniffing (see `afina plugins`).",
)
@click.option(
    "--option", "-o", "opts", multiple=True, help="Importer option KEY=VALUE or IMPORTER.KEY=VALUE."
)
@click.option("--json", "as_json", is_flag=True, help="Print the per-file summary as JSON.")
@click.pass_context
def import_cmd(
    ctx: click.Context,
    paths: tuple[Path, ...],
    fmt: str | None,
    opts: tuple[str, ...],
    as_json: bool,
) -> None:
    """Import chat exports (files, folders, zips); formats are sniffed unless --format."""
    ws = get_workspace(ctx)
    sniffer = ingest.sniffer(ws, fmt)
    candidates = list(sniffer.candidates(paths))
    total = sum(c.item.size for c in candidates if c.importer is not None)
    with byte_progress(total, not as_json) as bar:
        task = bar.task_ids[0]
        progress = Progress(
            on_start=lambda path, size: bar.update(task, description=Path(path).name[:40]),
            on_bytes=lambda n: bar.advance(task, n),
            on_wait=lambda holder: err.print(
                f"waiting for another import to finish: {holder}", markup=False, soft_wrap=True
            ),
        )
        imported = ingest.import_files(ws, candidates, parse_options(opts, fmt), progress)
    summaries, counts = imported.summaries, imported.counts
    if as_json:
        emit_json(
            {
                "files": [s.to_json() for s in summaries],
                "totals": totals(summaries),
                "workspace": counts,
                "plugin_problems": sniffer.problems,
            }
        )
    elif len(summaries) == 1 and summaries[0].status == "refused":
        # One file, refused: the reason is the whole answer; a table of zeros and a line of
        # totals would only bury it.
        s = summaries[0]
        out.print(f"refused {s.path}: {s.reason}", markup=False, highlight=False, soft_wrap=True)
    else:
        _print_summary(summaries, counts)
        for problem in sniffer.problems:
            err.print(f"[yellow]warning:[/] {problem}")
    if any(s.status == "refused" for s in summaries):
        ctx.exit(2)


_STYLE = {
    "imported": "green",
    "unchanged": "dim",
    "skipped": "yellow",
    "refused": "red",
    "stopped": "yellow",
}


def _print_summary(summaries: list[FileSummary], counts: dict[str, int]) -> None:
    table = Table("importer", "status", "conv.", "new turns", "dup.", "skipped", "file", box=None)
    table.columns[-1].overflow = "fold"
    for s in summaries:
        table.add_row(
            s.importer or "-",
            f"[{_STYLE[s.status]}]{s.status}[/]",
            str(s.conversations),
            str(s.turns),
            str(s.duplicates),
            str(s.skipped),
            s.path,
        )
    out.print(table)
    for s in summaries:
        if s.reason and s.status != "unchanged":
            out.print(f"  [{_STYLE[s.status]}]{s.status}[/] {s.path}: {s.reason}")
        for place, why in s.notes[:3] if s.skipped or s.repaired else []:
            out.print(f"  [dim]note[/] {s.path} {place}: {why}")
    t = totals(summaries)
    out.print(
        f"{t['imported']} imported, {t['unchanged']} unchanged, {t['skipped']} skipped, "
        f"{t['refused']} refused; +{t['conversations']} conversations touched, "
        f"+{t['turns']} turns. "
        f"Workspace: {counts['sources']} sources, {counts['conversations']} conversations, "
        f"{counts['turns']} turns."
    )


@click.command("sources")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def sources_cmd(ctx: click.Context, as_json: bool) -> None:
    """List imported sources: path, importer, hash and what each added."""
    with get_workspace(ctx).open_store() as store:
        sources = store.sources()
        notes = {s.id: store.notes(s.id) for s in sources} if as_json else {}
    if as_json:
        emit_json(
            [
                {
                    **asdict(s),
                    "notes": [
                        dict(zip(("kind", "place", "message", "count"), n, strict=True))
                        for n in notes[s.id]
                    ],
                }
                for s in sources
            ]
        )
        return
    table = Table(
        "id", "importer", "conv.", "turns", "skipped", "imported at", "sha256", "path", box=None
    )
    table.columns[-1].overflow = "fold"
    for s in sources:
        table.add_row(
            str(s.id),
            s.importer,
            str(s.conversations),
            str(s.turns),
            str(s.skipped),
            s.imported_at,
            s.sha256[:12],
            s.path,
        )
    out.print(table)


@click.command("conversations")
@click.option(
    "--source", "source_id", type=int, default=None, help="Only this source's conversations."
)
@click.option("--limit", type=int, default=1000, show_default=True)
@click.option("--offset", type=int, default=0)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def conversations_cmd(
    ctx: click.Context, source_id: int | None, limit: int, offset: int, as_json: bool
) -> None:
    """List conversations, optionally of one source."""
    with get_workspace(ctx).open_store() as store:
        if source_id is not None:
            store.source(source_id)  # a clear error for an unknown id
        convs = store.conversations(source_id, limit, offset)
    if as_json:
        emit_json([asdict(c) for c in convs])
        return
    table = Table("id", "source", "importer", "turns", "first", "last", "title / key", box=None)
    for c in convs:
        table.add_row(
            str(c.id),
            str(c.source_id),
            c.importer,
            str(c.turns),
            c.first_timestamp or "",
            c.last_timestamp or "",
            (c.title or c.key)[:60],
        )
    out.print(table)


@click.command("show")
@click.argument("conversation_id", type=int)
@click.option("--limit", type=int, default=None, help="Show at most this many turns.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def show_cmd(ctx: click.Context, conversation_id: int, limit: int | None, as_json: bool) -> None:
    """Show a conversation's turns with where each came from."""
    with get_workspace(ctx).open_store() as store:
        conv = store.conversation(conversation_id)
        turns = store.turns(conversation_id, limit)
    if as_json:
        emit_json({"conversation": asdict(conv), "turns": [asdict(t) for t in turns]})
        return
    out.print(f"[bold]{conv.title or conv.key}[/]  ({conv.importer}, {conv.turns} turns)")
    for t in turns:
        who = t.speaker + (f" [{t.role}]" if t.role and t.role != t.speaker else "")
        when = f" {t.timestamp}" if t.timestamp else ""
        out.print(
            f"[cyan]{who}[/][dim]{when}  {Path(t.source_path).name} {t.place}[/]", highlight=False
        )
        out.print(t.text, markup=False)
        for alt in t.alternatives:
            out.print(f"[dim]  (alternative) {alt[:200]}[/]")
        out.print()


COMMANDS = (import_cmd, sources_cmd, conversations_cmd, show_cmd)
