"""Messages the Compare screen's workers post to it.

Workers never touch widgets: the answering worker posts a pane's whole text so far, and a
newer text of the same pane replaces one still waiting in the queue, so a model faster than
the screen never makes it fall behind. Every message carries the number of the round it is
about: the person may be looking at another round by the time it arrives.
"""

from __future__ import annotations

from textual.message import Message

from afina.engine.chat.assistants import Assistants
from afina.engine.chat.compare import CastVote


class PaneText(Message):
    """Pane ``label`` of round ``n`` has ``text`` so far."""

    def __init__(self, n: int, label: str, text: str) -> None:
        super().__init__()
        self.n = n
        self.label = label
        self.text = text

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PaneText) and (message.n, message.label) == (self.n, self.label)


class ModelReady(Message):
    """The model that answers round ``n`` is loaded (in ``assistants``)."""

    def __init__(self, n: int, assistants: Assistants) -> None:
        super().__init__()
        self.n = n
        self.assistants = assistants


class RoundDone(Message):
    """Round ``n`` has every answer, or was stopped before."""

    def __init__(self, n: int, stopped: bool) -> None:
        super().__init__()
        self.n = n
        self.stopped = stopped


class VoteDone(Message):
    """A vote on round ``n`` was stored (``cast``) or refused (``note`` says why)."""

    def __init__(self, n: int, cast: CastVote | None, note: str = "") -> None:
        super().__init__()
        self.n = n
        self.cast = cast
        self.note = note
