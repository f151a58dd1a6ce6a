"""Curate's pair pane: one pair in full, placeholders and rule hits marked, the response editor."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static, TextArea

from afina.engine.curation.clean_rules import Rule
from afina.engine.curation.hit_spans import HitSpan, hit_spans
from afina.engine.text import printable
from afina.engine.types import PairRow, RuleHit
from afina.tui.widgets.printable import shown

# What scrubbing leaves in place of personal data: <EMAIL_1>, <CPF_2>, <NAME_1>...
PLACEHOLDER = r"<[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_\d+>"
PLACEHOLDER_STYLE = "bold black on yellow"
# What a rule hit is about inside the text (an address, a template variable...).
RULE_HIT_STYLE = "bold red underline"
STATUS_STYLE = {"pending": "yellow", "accepted": "green", "rejected": "red"}

_PLACEHOLDER = re.compile(PLACEHOLDER)


def marked(text: str, spans: Iterable[HitSpan] = ()) -> Text:
    """Chat text (no markup: it is full of brackets) with its placeholders highlighted and
    the ``spans`` rule hits are about underlined."""
    out = Text(text)
    out.highlight_regex(PLACEHOLDER, PLACEHOLDER_STYLE)
    for start, end, _ in spans:
        out.stylize(RULE_HIT_STYLE, start, end)
    return out


def placeholder_kind(placeholder: str) -> str:
    """The kind a placeholder stands for, from its label: "<API_KEY_2>" -> "api key"."""
    return placeholder[1 : placeholder.rindex("_")].lower().replace("_", " ")


def placeholders(texts: Iterable[str]) -> list[str]:
    """The scrubbing placeholders in ``texts``, each once, in order of first appearance."""
    return list(dict.fromkeys(m.group() for t in texts for m in _PLACEHOLDER.finditer(t)))


def _title(name: str, style: str, flagged: bool) -> Text:
    """A field's title; ``flagged`` when a rule hit is about it (its length, its language)."""
    title = Text(name, style=style)
    if flagged:
        title.append("  ⚑ rule hits", style="bold red")
    return title


def pair_renderable(
    pair: PairRow,
    hits: Sequence[RuleHit],
    rules: Mapping[str, Rule] | None = None,
    kinds: Mapping[str, str] | None = None,
) -> RenderableType:
    """The pair for the pane.

    ``rules``: the cleaning rules as configured, to find what their hits are about in the text
    (defaults without). ``kinds``: placeholder -> kind of personal data, as the store keeps
    them; without, the kind is read off the placeholder's label.
    """
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
    in_text = False  # whether any hit is marked inside the text (then the legend shows)

    def body(text: str, fld: str) -> Text:
        nonlocal in_text
        spans = hit_spans(text, [h for h in hits if h.field == fld], rules)
        in_text = in_text or bool(spans)
        return marked(text, spans)

    flagged = {h.field for h in hits}
    if pair.system:
        parts += [Text("System", style="bold dim"), body(pair.system, "system")]
    if pair.context:
        parts.append(_title("Context", "bold dim", "context" in flagged))
        for role, text in pair.context:
            parts.append(Text.assemble((f"{role}: ", "dim cyan"), body(text, "context")))
    for name, text in (("Prompt", pair.prompt), ("Response", pair.response)):
        parts += [_title(name, "bold cyan", name.lower() in flagged), body(text, name.lower())]
    if hits:
        parts.append(Text("Rule hits", style="bold red"))
        if in_text:
            parts.append(
                Text.assemble(
                    ("  marked ", "dim"),
                    ("like this", RULE_HIT_STYLE),
                    (" in the text: what a rule found there", "dim"),
                )
            )
        for h in hits:
            where = f" ({h.field})" if h.field else ""
            parts.append(Text.assemble(("• ", "red"), (h.rule, "bold"), f"{where}: ", h.detail))
    texts = [pair.system or "", *(t for _, t in pair.context), pair.prompt, pair.response]
    found = placeholders(texts)
    if found:
        line = Text.assemble(("Personal data: ", "bold"))
        for i, ph in enumerate(found):
            kind = (kinds or {}).get(ph) or placeholder_kind(ph)
            line.append_text(Text.assemble(", " if i else "", (ph, PLACEHOLDER_STYLE), f" {kind}"))
        parts.append(line)
    if pair.note:
        parts.append(Text.assemble(("Note: ", "bold"), pair.note))
    return Group(*parts)


class PairView(VerticalScroll, can_focus=True):
    """A scrollable, focusable view of the current pair."""

    def compose(self) -> ComposeResult:
        yield Static(id="pair-body")

    def show(
        self,
        pair: PairRow,
        hits: Sequence[RuleHit],
        rules: Mapping[str, Rule] | None = None,
        kinds: Mapping[str, str] | None = None,
    ) -> None:
        body = pair_renderable(pair, hits, rules, kinds)
        self.query_one("#pair-body", Static).update(shown(body))

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

    def open(self, text: str) -> None:
        """Show the editor on ``text`` with the cursor at its end, and take the keys."""
        # A TextArea draws its text as it is, escapes included: the person edits (and saves)
        # what they can see, controls made visible.
        self.load_text(printable(text))
        self.move_cursor(self.document.end)
        self.add_class("editing")
        self.focus()

    def close(self) -> None:
        self.remove_class("editing")

    def action_save(self) -> None:
        self.post_message(self.Saved(self.text))

    def action_cancel(self) -> None:
        self.post_message(self.Cancelled())
