"""Curate's pair pane: one pair in full, placeholders highlighted, and the response editor."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static, TextArea

from afina.engine.types import PairRow, RuleHit

# What scrubbing leaves in place of personal data: <EMAIL_1>, <CPF_2>, <NAME_1>...
PLACEHOLDER = r"<[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_\d+>"
PLACEHOLDER_STYLE = "bold black on yellow"
STATUS_STYLE = {"pending": "yellow", "accepted": "green", "rejected": "red"}


def marked(text: str) -> Text:
    """Chat text (no markup: it is full of brackets) with its placeholders highlighted."""
    out = Text(text)
    out.highlight_regex(PLACEHOLDER, PLACEHOLDER_STYLE)
    return out


def pair_renderable(pair: PairRow, hits: Sequence[RuleHit]) -> RenderableType:
    head = Text.assemble(
        (f"Pair {pair.id}", "bold"),
        "  ",
        (pair.status, STATUS_STYLE.get(pair.status, "")),
        (f"  conversation {pair.conversation_id}", "dim"),
    )
    if pair.split:
        head.append(f"  split {pair.split}", style="cyan")
    if pair.edited:
        head.append("  edited", style="magenta")
    if pair.tags:
        head.append("  tags " + ", ".join(pair.tags), style="blue")
    parts: list[RenderableType] = [head]
    if pair.system:
        parts += [Text("System", style="bold dim"), marked(pair.system)]
    if pair.context:
        parts.append(Text("Context", style="bold dim"))
        for role, text in pair.context:
            parts.append(Text.assemble((f"{role}: ", "dim cyan"), marked(text)))
    flagged = {h.field for h in hits}
    for name, text in (("Prompt", pair.prompt), ("Response", pair.response)):
        title = Text(name, style="bold cyan")
        if name.lower() in flagged:
            title.append("  ⚑ rule hits", style="bold red")
        parts += [title, marked(text)]
    if hits:
        parts.append(Text("Rule hits", style="bold red"))
        for h in hits:
            where = f" ({h.field})" if h.field else ""
            parts.append(Text.assemble(("• ", "red"), (h.rule, "bold"), f"{where}: ", h.detail))
    if pair.note:
        parts.append(Text.assemble(("Note: ", "bold"), pair.note))
    return Group(*parts)


class PairView(VerticalScroll, can_focus=True):
    """A scrollable, focusable view of the current pair."""

    def compose(self) -> ComposeResult:
        yield Static(id="pair-body")

    def show(self, pair: PairRow, hits: Sequence[RuleHit]) -> None:
        self.query_one("#pair-body", Static).update(pair_renderable(pair, hits))

    def clear(self, note: str) -> None:
        self.query_one("#pair-body", Static).update(Text(note, style="dim italic"))


class ResponseEditor(TextArea):
    """The response, edited in place: ctrl+s saves it as a review change, escape drops it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save"),
        Binding("escape", "cancel", "Cancel"),
    ]

    class Saved(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Cancelled(Message):
        pass

    def action_save(self) -> None:
        self.post_message(self.Saved(self.text))

    def action_cancel(self) -> None:
        self.post_message(self.Cancelled())
