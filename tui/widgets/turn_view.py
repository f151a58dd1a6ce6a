"""The turns pane of Home: a conversation's turns with where each came from."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from afina.engine.types import ConversationInfo, StoredTurn
from afina.tui.display import shown_path
from afina.tui.widgets.printable import shown


def turn_text(turn: StoredTurn, root: Path) -> Text:
    """One turn: a header (speaker, role, time, file and place), then its text.

    Built from Text pieces rather than markup: chat text is full of brackets that markup would
    eat or choke on.
    """
    head = Text()
    head.append(turn.speaker or "(no speaker)", style="bold cyan")
    if turn.role and turn.role != turn.speaker:
        head.append(f" [{turn.role}]", style="magenta")
    if turn.timestamp:
        head.append(f"  {turn.timestamp}", style="dim")
    head.append(f"  {shown_path(turn.source_path, root)} {turn.place}", style="dim italic")
    return Text.assemble(head, "\n", Text(turn.text), "\n")


def conversation_header(conv: ConversationInfo, shown: int) -> Text:
    title = conv.title or conv.key
    more = f"first {shown} of {conv.turns} turns" if shown < conv.turns else f"{conv.turns} turns"
    return Text.assemble((title, "bold"), (f"  ({conv.importer}, {more})\n", "dim"))


class TurnView(VerticalScroll, can_focus=True):
    """A scrollable, focusable view of one conversation's turns."""

    def __init__(self, root: Path, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._root = root

    def compose(self) -> ComposeResult:
        yield Static(Text("Choose a conversation to read its turns.", style="dim"), id="turns-body")

    def show(
        self,
        conv: ConversationInfo,
        turns: Sequence[StoredTurn],
        marks: Sequence[str] = (),
        mark_style: str = "reverse",
    ) -> None:
        """``marks``: words to highlight in the turns (the personal data Curate found)."""
        parts = [conversation_header(conv, len(turns))]
        for t in turns:
            text = turn_text(t, self._root)
            if marks:
                text.highlight_words(marks, mark_style)
            parts.append(text)
        self.query_one("#turns-body", Static).update(shown(Group(*parts)))
        self.scroll_home(animate=False)

    def clear(self, note: str) -> None:
        self.query_one("#turns-body", Static).update(Text(note, style="dim"))
