"""Curate's one-line prompt: asks for a tag, a note, a search, a pair id or a filter."""

from __future__ import annotations

from textual.widgets import Input

ASKS = {
    "tag": "Tag to add to the pair; Enter adds it, Escape cancels",
    "note": "Note on the pair (empty clears it); Enter saves, Escape cancels",
    "search": "Text to search in prompts and responses (empty: all); Enter applies",
    "goto": "Pair id to jump to; Enter goes",
    "narrow": "Filter: tag:NAME source:ID rule:NAME split:NAME (space-separated; empty clears)",
}


class AskInput(Input):
    """Hidden until asked; ``asking`` says what the answer is for (one of ``ASKS``)."""

    asking: str | None = None

    def ask(self, what: str, value: str = "") -> None:
        """Show the prompt for ``what`` with ``value`` to start from, and take the keys."""
        self.asking = what
        self.placeholder = ASKS[what]
        self.value = value
        self.add_class("active")
        self.focus()

    def close(self) -> None:
        self.asking = None
        self.remove_class("active")
