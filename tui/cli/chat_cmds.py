"""Talking to assistants (base, few-shot, rag, ft, ft+rag) from the terminal.

- `afina ask`: one question to one or more assistants;
- `afina chat`: a conversation with one assistant, its answers streamed as they are written;
- `afina compare`: two or three assistants side by side, blind with votes if asked.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from afina.engine.chat.prompts import KINDS, TUNED
from afina.engine.errors import UsageError
from afina.engine.training import jobs
from afina.engine.workspace import Workspace
from afina.tui.cli.context import get_workspace
from afina.tui.cli.output import echo, emit_json, err, json_text, out

if TYPE_CHECKING:
    from afina.engine.chat.assistants import Answer, Assistants
    from afina.engine.chat.compare import CompareSession, Round
    from afina.engine.rag.context import Source

QUIT = "/quit"


def _run_dir(ws: Workspace, run_id: str | None, kinds: Sequence[str]) -> Path | None:
    """The run behind the tuned kinds: the one named, or the newest when a tuned kind is
    asked for without one."""
    return jobs.find_run(ws, run_id) if run_id or any(k in TUNED for k in kinds) else None


def _team(
    ws: Workspace, kinds: Sequence[str], run_id: str | None, index: str, k: int
) -> Assistants:
    from afina.engine.chat.assistants import Assistants

    return Assistants(ws, _run_dir(ws, run_id, kinds), index=index, k=k)


def _source_lines(sources: Sequence[Source]) -> list[Text]:
    lines = []
    for n, s in enumerate(sources, 1):
        first = s.text.strip().splitlines()[0] if s.text.strip() else s.key
        lines.append(Text(f"[{n}] {s.key} ({s.score:.2f}): {first[:90]}", style="dim"))
    return lines


def _facts(a: Answer) -> str:
    first = f", first words after {a.first_token_s:.1f} s" if a.first_token_s is not None else ""
    return f"{a.seconds:.1f} s, {a.tokens} tokens{first}"


def _read(prompt: str) -> str | None:
    """A line from the person, stripped; None at end of input (Ctrl-D) or Ctrl-C."""
    try:
        return str(click.prompt(prompt, default="", show_default=False, prompt_suffix="> ")).strip()
    except click.exceptions.Abort:
        return None


def _stdin_lines() -> Iterator[str]:
    for line in sys.stdin:
        if line.strip():
            yield line.strip()


def _json_line(value: object) -> None:

    # One object a line, flushed: a script reading the pipe gets each answer as it is ready.
    click.echo(json_text(value, indent=None))


_assistant_options = [
    click.option("--run", "run_id", default=None, help="A finished run for ft and ft+rag."),
    click.option("--index", default="default", show_default=True, help="The retrieval index."),
    click.option("-k", type=int, default=3, show_default=True, help="Retrieved pairs or chunks."),
    click.option(
        "--max-tokens",
        type=click.IntRange(min=1),
        default=128,
        show_default=True,
        help="New tokens per answer at most.",
    ),
]


def assistant_options(f: click.decorators.FC) -> click.decorators.FC:
    for option in reversed(_assistant_options):
        f = option(f)
    return f


# -- ask --------------------------------------------------------------------------------------


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
@assistant_options
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
    wanted = kinds or (("base", "ft") if run_id else ("base",))
    team = _team(get_workspace(ctx), wanted, run_id, index, k)
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
        for line in _source_lines(a.sources):
            out.print(Text("  ") + line)
        out.print()


# -- chat -------------------------------------------------------------------------------------


@click.command("chat")
@click.option(
    "--assistant",
    "-a",
    "kind",
    type=click.Choice(KINDS),
    default=None,
    help="Who answers (default: ft with --run, else base).",
)
@assistant_options
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Read one question a line from stdin, write one JSON answer a line.",
)
@click.pass_context
def chat_cmd(
    ctx: click.Context,
    kind: str | None,
    run_id: str | None,
    index: str,
    k: int,
    max_tokens: int,
    as_json: bool,
) -> None:
    """Chat with one assistant; each answer is streamed as it is written.

    Every question is answered on its own (the assistant does not see earlier turns).
    Type /sources for the sources of the last answer, /quit or Ctrl-D to leave.
    """
    who = kind or ("ft" if run_id else "base")
    team = _team(get_workspace(ctx), [who], run_id, index, k)
    if as_json:
        for line in _stdin_lines():
            _json_line(team.answer(who, line, max_tokens).to_json())
        return
    with err.status("loading the model"):
        team.model_for(who)
    out.print(Text.assemble(("afina chat", "bold"), f" with {who}", ("  /sources /quit", "dim")))
    last: Answer | None = None
    while (question := _read("you")) is not None and question != QUIT:
        if not question:
            continue
        if question == "/sources":
            if last is None or not last.sources:
                out.print(Text(f"no sources: {who} retrieves nothing" if last else "ask first"))
            for source in _source_lines(last.sources if last else []):
                out.print(source)
            continue
        if question.startswith("/"):
            out.print(Text(f"no command {question}; commands: /sources, {QUIT}", style="yellow"))
            continue
        out.print(Text(f"{who}> ", style="bold cyan"), end="")
        # model output is untrusted text too: a model can be made to write ESC sequences
        last = team.answer(who, question, max_tokens, on_text=lambda p: echo(p, nl=False))
        click.echo()
        out.print(Text(_facts(last), style="dim"))


# -- compare ----------------------------------------------------------------------------------


def _pane_cell(rnd: Round, label: str, streaming: str | None) -> RenderableType:
    pane = rnd.pane(label)
    if pane.answer is None:
        return Text(streaming + " …" if streaming else "…")
    parts: list[RenderableType] = [Text(pane.answer.text or "(no answer)")]
    if not rnd.hidden:  # timings and sources would tell who answered
        parts.append(Text(_facts(pane.answer), style="dim"))
        parts += _source_lines(pane.answer.sources)
    return Group(*parts)


def _round_table(rnd: Round, streamed: dict[str, str]) -> Table:
    table = Table(title=Text(rnd.question, style="bold"), expand=True, show_lines=True)
    for title in rnd.titles:
        table.add_column(Text(title), ratio=1, overflow="fold")
    table.add_row(*(_pane_cell(rnd, label, streamed.get(label)) for label in rnd.labels))
    return table


def _play(session: CompareSession, rnd: Round) -> None:
    """Every pane answers in turn; on a terminal the table fills in as the words come."""
    streamed: dict[str, str] = {}
    if not out.is_terminal:
        session.answer(rnd)
        out.print(_round_table(rnd, streamed))
        return
    from rich.live import Live

    with Live(_round_table(rnd, streamed), console=out, refresh_per_second=8) as live:

        def on_text(label: str, piece: str) -> None:
            streamed[label] = streamed.get(label, "") + piece
            live.update(_round_table(rnd, streamed))

        session.answer(rnd, on_text)
        live.update(_round_table(rnd, streamed))


def _ask_vote(session: CompareSession, rnd: Round) -> bool:
    """One vote on the round, or a skip; False when the person ended the input."""
    labels = [label.lower() for label in rnd.labels]
    if len(labels) == 2:
        pair = labels
    else:
        pairs = ["ab", "ac", "bc"]
        try:
            picked = click.prompt(
                "Compare which two panes? ab / ac / bc, s to skip",
                type=click.Choice([*pairs, "s"], case_sensitive=False),
                show_choices=False,
            ).lower()
        except click.exceptions.Abort:
            return False
        if picked == "s":
            return True
        pair = list(picked)
    first, second = pair
    keys = {first: "a", second: "b", "t": "tie", "x": "both_bad", "s": ""}
    try:
        key = click.prompt(
            f"Better: {first} / {second}, t(ie), x (both bad), s(kip)",
            type=click.Choice(list(keys), case_sensitive=False),
            show_choices=False,
        ).lower()
    except click.exceptions.Abort:
        return False
    if keys[key]:
        cast = session.vote(rnd, keys[key], (first, second))
        out.print(Text(f"vote {cast.id} saved", style="dim"))
    return True


def _reveal(session: CompareSession, rnd: Round) -> None:
    names = session.reveal(rnd)
    out.print(Text("  ·  ".join(f"{label} was {name}" for label, name in names.items()), "bold"))
    for pane in rnd.panes:
        if pane.answer is not None and pane.answer.sources:
            out.print(Text(f"{pane.label} ({pane.name}) was given:", style="dim"))
            for line in _source_lines(pane.answer.sources):
                out.print(Text("  ") + line)


@click.command("compare")
@click.argument("kinds", nargs=-1, required=True, type=click.Choice(KINDS), metavar="A B [C]")
@assistant_options
@click.option("--blind", is_flag=True, help="Hide who answered (panes A, B), vote, then reveal.")
@click.option(
    "--question",
    "-q",
    "questions",
    multiple=True,
    help="A question to ask (repeat for several; default: ask them one by one here).",
)
@click.option("--seed", type=int, default=None, help="Seed the blind order (a repeatable session).")
@click.option("--tag", "tags", multiple=True, help="Tag the votes of this session (repeatable).")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="No voting: write each question's answers as one JSON object a line.",
)
@click.pass_context
def compare_cmd(
    ctx: click.Context,
    kinds: tuple[str, ...],
    run_id: str | None,
    index: str,
    k: int,
    max_tokens: int,
    blind: bool,
    questions: tuple[str, ...],
    seed: int | None,
    tags: tuple[str, ...],
    as_json: bool,
) -> None:
    """Two or three assistants answer the same questions, side by side with their sources.

    With --blind the panes are A and B (and C) in a new order each question; say which
    answer is better, then see who gave it. Votes are stored in the workspace (`afina votes`).
    """
    from afina.engine.chat.compare import CompareSession

    if as_json and blind:
        raise UsageError("--json does not vote", "leave out --blind, or --json to vote")
    team = _team(get_workspace(ctx), kinds, run_id, index, k)
    session = CompareSession(team, kinds, blind, seed, max_new_tokens=max_tokens, tags=tags)
    if as_json:
        for question in questions or _stdin_lines():
            _json_line(session.ask(question).to_json())
        return
    with err.status("loading the model"):
        team.model_for(kinds[0])
    asked = iter(questions) if questions else iter(lambda: _read("question"), None)
    for question in asked:
        if question == QUIT:
            break
        if not question:
            continue
        rnd = session.start(question)
        _play(session, rnd)
        if blind:
            going_on = _ask_vote(session, rnd)
            _reveal(session, rnd)
            if not going_on:
                break
        out.print()
    if blind:
        cast = sum(len(r.votes) for r in session.rounds)
        out.print(
            Text(f"{cast} vote(s) saved (session {session.id}); `afina votes ratings` ranks them")
        )


COMMANDS = (ask_cmd, chat_cmd, compare_cmd)
