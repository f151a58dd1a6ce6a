"""`afina index build|query|info|eval`: the retrieval index of the accepted train pairs and
docs, and how often it finds the facts of held-out questions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from afina.engine.actions.index import IndexRequest, build_index
from afina.engine.rag.index_query import MODES
from afina.engine.rag.workspace_index import CHUNK_UNITS, DEFAULT_INDEX, index_info, open_index
from afina.tui.cli.context import get_workspace
from afina.tui.cli.output import byte_progress, emit_json, err, out

STAGES = {"load": "loading the embedder", "embed": "embedding", "index": "indexing"}


def _options(values: tuple[str, ...]) -> dict[str, str]:
    result = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r}: expected KEY=VALUE", param_hint="--option")
        result[key.strip()] = value.strip()
    return result


name_option = click.option(
    "--name", default=DEFAULT_INDEX, show_default=True, help="Which index of the workspace."
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")


@click.group("index")
def index_group() -> None:
    """Retrieval indexes of the accepted train pairs (and documents), under indexes/<name>/."""


@index_group.command("build")
@name_option
@click.option(
    "--docs",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="A folder of Markdown and text documents to index beside the pairs "
    "(default: the one of the last build).",
)
@click.option("--no-docs", is_flag=True, help="Leave documents out (pairs only).")
@click.option("--retriever", default=None, help="Retriever plugin (default: faiss, or as built).")
@click.option("--option", "options", multiple=True, metavar="KEY=VALUE", help="A retriever option.")
@click.option("--chunk-size", type=click.IntRange(min=1), default=None, help="Chunk size (800).")
@click.option("--chunk-overlap", type=click.IntRange(min=0), default=None, help="Overlap (100).")
@click.option("--chunk-unit", type=click.Choice(CHUNK_UNITS), default=None, help="chars or tokens.")
@json_option
@click.pass_context
def build_cmd(
    ctx: click.Context,
    name: str,
    docs: Path | None,
    no_docs: bool,
    retriever: str | None,
    options: tuple[str, ...],
    chunk_size: int | None,
    chunk_overlap: int | None,
    chunk_unit: str | None,
    as_json: bool,
) -> None:
    """Build the index, or bring it up to date: only new and changed entries are embedded."""
    ws = get_workspace(ctx)
    with byte_progress(0, not as_json, unit="texts") as bar:
        task = bar.task_ids[0]

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=STAGES.get(stage, stage), total=max(total, 1))
            bar.update(task, completed=done)

        request = IndexRequest(
            name, docs, no_docs, retriever, _options(options), chunk_size, chunk_overlap, chunk_unit
        )
        result = build_index(ws, request, progress)
    if as_json:
        emit_json(result.to_json())
        return
    r = result.report
    what = f"{result.pairs} pairs" + (f", {result.chunks} document chunks" if result.docs else "")
    state = "updated" if r.changed else "already up to date"
    out.print(f"Index {name!r} {state}: {r.count} entries ({what}) in {r.seconds:.1f} s")
    out.print(
        f"  embedded {r.embedded}, kept {r.reused}, removed {r.removed}; embedder {r.embedder}"
    )
    out.print(f"  {r.kind}: {r.why}", markup=False)
    out.print(f"[dim]  {r.folder}[/]", markup=True)


@index_group.command("query")
@click.argument("text")
@click.option("-k", "k", type=click.IntRange(min=1), default=5, show_default=True, help="Hits.")
@name_option
@json_option
@click.pass_context
def query_cmd(ctx: click.Context, text: str, k: int, name: str, as_json: bool) -> None:
    """The entries nearest to TEXT, best first."""
    ws = get_workspace(ctx)
    retriever = open_index(ws, name)
    if not as_json:
        with err.status("loading the embedder"):
            retriever.warm()
    hits = retriever.query(text, k)
    if as_json:
        emit_json([h.to_json() for h in hits])
        return
    if not hits:
        out.print("No entries.")
    for rank, hit in enumerate(hits, 1):
        out.print(f"[bold]{rank}.[/] {hit.score:.3f}  [cyan]{hit.key}[/]", markup=True)
        out.print(_indent(hit.text), markup=False)


def _indent(text: str, width: int = 400) -> str:
    short = text if len(text) <= width else text[: width - 1] + "…"
    return "\n".join("    " + line for line in short.splitlines())


@index_group.command("info")
@name_option
@json_option
@click.pass_context
def info_cmd(ctx: click.Context, name: str, as_json: bool) -> None:
    """What the index holds, how it was built, and whether the workspace changed since."""
    ws = get_workspace(ctx)
    info = index_info(ws, name)
    if as_json:
        emit_json(info)
        return
    _print_info(info)


@index_group.command("eval")
@click.option(
    "--examples",
    "examples_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help='Held-out questions (JSON Lines) with "facts" and optionally "lang".',
)
@click.option(
    "-k",
    "k",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Sources per question.",
)
@click.option(
    "--mode",
    "modes",
    multiple=True,
    type=click.Choice(MODES),
    help="Retrieval mode to measure (repeatable; default: the index's own).",
)
@name_option
@json_option
@click.pass_context
def eval_cmd(
    ctx: click.Context,
    examples_path: Path,
    k: int,
    modes: tuple[str, ...],
    name: str,
    as_json: bool,
) -> None:
    """Retrieval hit@1 and hit@k by language: how often a question's first source, or one of
    its first k, holds all its facts. No model answers; only the index is asked."""
    from afina.engine.eval.examples import read_examples
    from afina.engine.eval.retrieval_hits import measure_index

    ws = get_workspace(ctx)
    examples = read_examples(examples_path)
    results = []
    for mode in modes or (None,):
        with err.status("asking the index"):
            results.append(measure_index(ws, examples, index=name, k=k, mode=mode))
    if as_json:
        emit_json(results)
        return
    for r in results:
        out.print(
            f"[bold]{r['mode']}[/] ({r['entries']} entries, {r['embedder']}, {r['seconds']:.1f} s)",
            markup=True,
        )
        for lang, e in [("all", r["overall"]), *r["by_lang"].items()]:
            out.print(
                f"  {lang:>4}  n={e['n']:<4} hit@1 {e['hit_at_1']:.3f}  "
                f"hit@{r['k']} {e['hit_at_k']:.3f}",
                markup=False,
            )


def _print_info(info: dict[str, Any]) -> None:
    fresh = {True: "[green]up to date[/]", False: "[yellow]out of date[/]", None: "unknown"}
    index = info.get("index", {})
    inputs = info.get("inputs") or {}
    out.print(f"[bold]{info['name']}[/]  {info['folder']}", markup=True)
    out.print(
        f"  {info['count']} entries {info.get('sources', {})}, {info['bytes'] / 1e6:.1f} MB, "
        f"{fresh[info['up_to_date']]}"
        + (f" ({info['stale_reason']})" if info.get("stale_reason") else ""),
        markup=True,
    )
    mode = (info.get("options") or {}).get("mode")
    out.print(
        f"  retriever {info.get('retriever')}"
        + (f" ({mode})" if mode else "")
        + f", embedder {info['embedder']} ({info['dim']}-d)"
    )
    out.print(f"  {index.get('kind')}: {index.get('why')}", markup=False)
    docs = inputs.get("docs")
    if docs:
        out.print(
            f"  docs: {docs['folder']} ({docs['files']} files, {docs['chunks']} chunks of "
            f"{docs['chunk_size']} {docs['unit']}, overlap {docs['chunk_overlap']})",
            markup=False,
        )
    out.print(f"  content sha256 {info['content_sha256']}")
    out.print(f"  created {info['created']}, updated {info['updated']}")
    last = info.get("last_build") or {}
    if last:
        out.print(
            f"  last build: embedded {last['embedded']}, kept {last['reused']}, "
            f"removed {last['removed']} in {last['seconds']} s"
        )


COMMANDS = (index_group,)
