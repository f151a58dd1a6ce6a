"""`afina ask`: one question to one or more assistants (base, few-shot, rag, ft, ft+rag)."""

from __future__ import annotations

import click
from rich.text import Text

from afina.engine.chat.prompts import KINDS, TUNED
from afina.engine.training import jobs
from afina.tui.cli.context import get_workspace
from afina.tui.cli.output import emit_json, err, out


@click.command("ask")
@click.argument("question")
@click.option(
    "--assistant",
    "-a",
    "kinds",
    multiple=True,
    type=click.Choice(KINDS),
    help="Who answers (repeat to ask several; default: base, and ft with a run).",
)
@click.option("--run", "run_id", default=None, help="A finished run for ft and ft+rag.")
@click.option("--index", default="default", show_default=True, help="The retrieval index.")
@click.option("-k", type=int, default=3, show_default=True, help="Retrieved pairs or chunks.")
@click.option("--max-tokens", type=int, default=128, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the answers as JSON.")
@click.pass_context
def ask_cmd(
    ctx: click.Context,
    question: str,
    kinds: tuple[str, ...],
    run_id: str | None,
    index: str,
    k: int,
    max_tokens: int,
    as_json: bool,
) -> None:
    """Ask a question; each assistant answers, with the sources it was given."""
    from afina.engine.chat.assistants import Assistants

    ws = get_workspace(ctx)
    wanted = kinds or (("base", "ft") if run_id else ("base",))
    run_dir = jobs.find_run(ws, run_id) if run_id or any(x in TUNED for x in wanted) else None
    team = Assistants(ws, run_dir, index=index, k=k)
    answers = []
    for kind in wanted:
        with err.status(f"{kind} is answering"):
            answers.append(team.answer(kind, question, max_tokens))
    if as_json:
        emit_json([a.to_json() for a in answers])
        return
    for a in answers:
        out.print(Text.assemble((f"{a.kind}", "bold cyan"), (f"  ({a.seconds:.1f} s)", "dim")))
        out.print(Text(a.text or "(no answer)"))
        for n, s in enumerate(a.sources, 1):
            first = s.text.strip().splitlines()[0] if s.text.strip() else s.key
            out.print(Text(f"  [{n}] {s.key} ({s.score:.2f}): {first[:90]}", style="dim"))
        out.print()


COMMANDS = (ask_cmd,)
