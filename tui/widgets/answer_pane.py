"""The Compare screen's panes: each one an assistant's answer filling in as it is generated.

A pane knows only its label (A, B, C) and the title the round gives it (``Round.title``:
the label alone while a blind round is hidden), so a blind round cannot leak through it.
Focus on a pane's text selects it (the sources panel follows the selected pane).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Label, Static

from afina.engine.chat.assistants import Answer
from afina.engine.chat.compare import LABELS
from afina.engine.text import printable
from afina.tui.display import counted
from afina.tui.widgets.printable import shown
from afina.tui.widgets.round_views import Entry

EMPTY_ANSWER = "(no text: the answer was empty)"


def answer_stats(answer: Answer) -> str:
    """Time, tokens and time to the first word: what a person weighs beside the text."""
    parts = [f"{answer.seconds:.1f} s"]
    if answer.tokens:
        parts.append(f"{answer.tokens} tokens")
    if answer.first_token_s is not None:
        parts.append(f"first after {answer.first_token_s:.1f} s")
    return " · ".join(parts)


class AnswerPane(Vertical):
    class Selected(Message):
        """The pane's text got the focus: show what belongs to ``label`` (its sources)."""

        def __init__(self, label: str) -> None:
            super().__init__()
            self.label = label

    def __init__(self, label: str, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="answer-pane")
        self.label = label
        self.text = ""  # the answer so far

    def compose(self) -> ComposeResult:
        yield Label(self.label, classes="answer-title")
        with VerticalScroll(classes="answer-scroll"):
            yield Static(classes="answer-text")
        yield Label("", classes="answer-status")

    def reset(self, title: str, status: str) -> None:
        """A new round: the title, no text, and what the pane is waiting for."""
        self.text = ""
        self.set_title(title)
        self.query_one(".answer-text", Static).update("")
        self.set_status(status)

    def set_title(self, title: str) -> None:
        self.query_one(".answer-title", Label).update(shown(title))

    def set_status(self, status: str, style: str = "dim") -> None:
        self.query_one(".answer-status", Label).update(Text(status, style=style))

    def set_loading(self, loading: bool) -> None:
        self.query_one(".answer-text", Static).loading = loading

    def show_text(self, text: str, placeholder: str = "") -> None:
        """The answer so far (``placeholder`` while it is empty); the view follows the end
        while the person has not scrolled up."""
        scroll = self.query_one(".answer-scroll", VerticalScroll)
        at_end = scroll.scroll_y >= scroll.max_scroll_y
        self.text = text
        # A model trained on chat logs can write what they held, escapes included.
        body = Text(printable(text)) if text else Text(placeholder, style="dim italic")
        self.query_one(".answer-text", Static).update(body)
        if at_end:
            scroll.scroll_end(animate=False)

    def focus_text(self) -> None:
        self.query_one(".answer-scroll", VerticalScroll).focus()

    def on_descendant_focus(self) -> None:
        self.post_message(self.Selected(self.label))


class ComparePanes(Horizontal):
    """Three panes, of which a round of two shows A and B."""

    def compose(self) -> ComposeResult:
        for label in LABELS:
            yield AnswerPane(label, id=f"pane-{label.lower()}")

    def pane(self, label: str) -> AnswerPane:
        return self.query_one(f"#pane-{label.lower()}", AnswerPane)

    def show(self, entry: Entry, selected: str) -> None:
        """Draw ``entry`` afresh: titles, the text so far, each pane's state."""
        rnd = entry.round
        for pane in self.query(AnswerPane):
            pane.display = pane.label in rnd.labels
        for p in rnd.panes:
            pane = self.pane(p.label)
            pane.reset(rnd.title(p.label), "")
            pane.show_text(p.answer.text if p.answer is not None else entry.texts.get(p.label, ""))
        self.redraw(entry, selected)

    def redraw(self, entry: Entry, selected: str) -> None:
        """Titles (a reveal changes them), states, and answers that have come in."""
        rnd = entry.round
        streaming = next((p.label for p in rnd.panes if p.answer is None), None)
        for p in rnd.panes:
            pane = self.pane(p.label)
            pane.set_title(rnd.title(p.label))
            pane.set_loading(entry.state == "loading")
            pane.set_class(p.label == selected, "selected")
            if p.answer is not None:
                extra = ""
                if not rnd.hidden and p.answer.sources:
                    extra = f" · {counted(len(p.answer.sources), 'source')}"
                pane.set_status(answer_stats(p.answer) + extra)
                if not pane.text:
                    pane.show_text(p.answer.text, EMPTY_ANSWER)
            elif entry.state == "loading":
                pane.set_status("loading the model…")
            elif entry.state == "answering":
                if p.label == streaming:
                    pane.set_status("answering…", "cyan")
                else:
                    pane.set_status(f"waiting for {streaming}…")
            else:
                pane.set_status(entry.state, "yellow" if entry.state == "stopped" else "red")

    def select(self, label: str) -> None:
        for pane in self.query(AnswerPane):
            pane.set_class(pane.label == label, "selected")
