"""What the Compare screen shows about its rounds besides the answers: the rounds played so
far, the sources of the selected pane, and the line saying what to do next.

Everything here goes through ``Round.title`` and ``Round.hidden``, never a pane's assistant
name directly, so a blind round shows labels only until it is revealed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

from rich.text import Text
from textual.widgets import Static

from afina.engine.chat.compare import CastVote, CompareSession, Round
from afina.engine.chat.prompts import RETRIEVES
from afina.tui.display import counted
from afina.tui.widgets.printable import PrintableTable, shown

QUESTION_WIDTH = 36


@dataclass
class Entry:
    """A round as the screen keeps it. ``session`` is dropped once a newer session starts:
    it holds the assistants, and with them a loaded model."""

    n: int  # 1 for the screen's first round, across sessions
    round: Round
    session: CompareSession | None
    state: str = "answering"  # loading, answering, done, stopped, failed
    texts: dict[str, str] = field(default_factory=dict)  # each pane's text so far


def pairs_left(rnd: Round) -> list[tuple[str, str]]:
    """The pairs of panes of ``rnd`` without a vote yet, left to right."""
    label_of = {p.name: p.label for p in rnd.panes}
    voted = {frozenset((label_of[c.vote.left], label_of[c.vote.right])) for c in rnd.votes}
    return [p for p in combinations(rnd.labels, 2) if frozenset(p) not in voted]


def vote_text(rnd: Round, cast: CastVote) -> str:
    """A vote by pane labels, which say nothing of who answered."""
    label_of = {p.name: p.label for p in rnd.panes}
    left, right = label_of[cast.vote.left], label_of[cast.vote.right]
    return {
        "a": f"{left} better than {right}",
        "b": f"{right} better than {left}",
        "tie": f"{left} and {right} tie",
        "both_bad": f"{left} and {right} both bad",
    }[cast.vote.outcome]


def status_line(entry: Entry, pair: tuple[str, str]) -> Text:
    """What the person can do now with the round shown; ``pair``: the panes a vote compares."""
    rnd = entry.round
    if entry.state == "loading":
        return Text("Loading the model (once per run; a few seconds)…", style="bold cyan")
    if entry.state == "answering":
        return Text("The assistants are answering, left to right…  s stops", style="cyan")
    if entry.state in ("stopped", "failed"):
        return Text(f"Round {entry.n} {entry.state}: ask again to get every answer.")
    if not rnd.blind:
        return Text("Open mode: names are shown. Votes are taken in blind mode: press b, then ask.")
    if rnd.revealed:
        return Text(f"Revealed: {' · '.join(rnd.titles)}. Type the next question below (/).")
    if entry.session is None:
        return Text("This round belongs to an earlier comparison.")
    first, second = pair
    other = " · p other pair" if len(rnd.panes) == 3 else ""
    return Text(
        f"Vote {first} vs {second}: 1 {first} better · 2 {second} better · 3 tie · "
        f"4 both bad{other} · v reveal",
        style="bold",
    )


def sources_text(entry: Entry | None, label: str) -> Text:
    if entry is None:
        return Text("The sources of the selected pane show here.", style="dim")
    rnd = entry.round
    if label not in rnd.labels:
        return Text("")
    if rnd.hidden:
        return Text(
            "Hidden until the vote: only retrieving assistants have sources, so they would "
            "tell who answered.",
            style="dim",
        )
    pane = rnd.pane(label)
    if pane.answer is None:
        return Text(f"{pane.name}: waiting for its answer…", style="dim")
    if not pane.answer.sources:
        why = "retrieves nothing" if pane.name not in RETRIEVES else "found no sources"
        return Text(f"{pane.name} {why}.", style="dim")
    text = Text(f"{pane.name}: {counted(len(pane.answer.sources), 'source')}\n", style="bold")
    for n, s in enumerate(pane.answer.sources, 1):
        text.append(f"[{n}] {s.key}  {s.score:.2f}\n", style="bold")
        if s.payload.get("kind") == "pair":
            body = f"Q: {s.payload.get('prompt', '')}\nA: {s.payload.get('response', '')}"
        else:
            body = s.text
        text.append(body.strip() + "\n")
    text.rstrip()
    return text


class SourcesView(Static):
    def show(self, entry: Entry | None, label: str) -> None:
        self.update(shown(sources_text(entry, label)))


class RoundsTable(PrintableTable[str]):
    """The rounds of this screen, oldest first, keyed by their number."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.add_columns("#", "question", "panes", "votes")

    def add(self, entry: Entry) -> None:
        self.add_row(*self._cells(entry), key=str(entry.n))
        self.move_cursor(row=self.row_count - 1, animate=False)

    def redraw(self, entry: Entry) -> None:
        for column, value in zip(self.ordered_columns, self._cells(entry), strict=True):
            self.update_cell(str(entry.n), column.key, value, update_width=True)

    def _cells(self, entry: Entry) -> tuple[str, ...]:
        rnd = entry.round
        question = " ".join(rnd.question.split())
        if len(question) > QUESTION_WIDTH:
            question = question[: QUESTION_WIDTH - 1] + "…"
        votes = "; ".join(vote_text(rnd, c) for c in rnd.votes)
        if not votes:
            votes = {"done": "–", "loading": "answering…"}.get(entry.state, entry.state)
        return (str(entry.n), question, " · ".join(rnd.titles), votes)
