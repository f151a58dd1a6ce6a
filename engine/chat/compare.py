"""A compare session: two or three assistants answer the same questions side by side, and in
blind mode a person votes for the better answer before learning who gave it.

Pure logic over :class:`~afina.engine.chat.assistants.Assistants`, so the CLI and the TUI's
Compare screen share one set of rules:

- panes are labelled A, B (and C) from left to right. In open mode they show the assistants
  in the order given; in blind mode the order is shuffled every round (a seeded RNG makes
  the order reproducible) and a pane's title is its label until the round is revealed;
- a vote compares two panes: A and B when two assistants answer, any two of three named by
  their labels otherwise. The pane further left is the vote's ``left`` (shown as A), so
  outcome ``a`` always means "the pane further left was better";
- votes are taken only in blind mode and only before the names are revealed: a vote cast
  knowing who answered would bias the ratings it feeds. Each pair of panes gets one vote
  a round.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from afina.engine.chat.assistants import Answer, Assistants
from afina.engine.chat.prompts import KINDS, TUNED
from afina.engine.errors import UsageError
from afina.engine.store.common import now
from afina.engine.types import OUTCOMES, Vote

LABELS = ("A", "B", "C")
_FLIPPED = {"a": "b", "b": "a", "tie": "tie", "both_bad": "both_bad"}


@dataclass
class Pane:
    """One column of a round: its label, the assistant behind it, and its answer once given."""

    label: str
    name: str
    answer: Answer | None = None


@dataclass(frozen=True)
class CastVote:
    """A vote as stored: its id in the workspace database, and the vote itself."""

    id: int
    vote: Vote


@dataclass
class Round:
    """One question and the panes answering it, in the order they are shown."""

    number: int  # 1 for the session's first question
    question: str
    panes: list[Pane]
    blind: bool
    revealed: bool = False
    votes: list[CastVote] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return [p.label for p in self.panes]

    @property
    def answered(self) -> bool:
        return all(p.answer is not None for p in self.panes)

    def pane(self, label: str) -> Pane:
        for p in self.panes:
            if p.label == label.upper():
                return p
        raise UsageError(f"no pane {label!r} in this round", f"panes: {', '.join(self.labels)}")

    def title(self, label: str) -> str:
        """What a pane's heading says: its label while the round is blind, the assistant's
        name in open mode, both once revealed ("A: rag")."""
        p = self.pane(label)
        if not self.blind:
            return p.name
        return f"{p.label}: {p.name}" if self.revealed else p.label

    @property
    def titles(self) -> list[str]:
        return [self.title(label) for label in self.labels]

    @property
    def hidden(self) -> bool:
        """Whether who answered is still secret: a blind round not yet revealed. Sources are
        secret too while it is (only the retrieving assistants have any)."""
        return self.blind and not self.revealed

    def to_json(self) -> dict[str, Any]:
        """The round as plain data, with the names and sources left out while it is hidden."""
        answers = []
        for p in self.panes:
            data: dict[str, Any] = {"pane": p.label, "assistant": p.name}
            if p.answer is not None:
                data.update(p.answer.to_json())
            if self.hidden:
                data.update(assistant=None, sources=[])
            answers.append(data)
        return {
            "round": self.number,
            "question": self.question,
            "answers": answers,
            "votes": [] if self.hidden else [{"id": c.id, **c.vote.to_dict()} for c in self.votes],
        }


class CompareSession:
    """Two or three assistants (kinds such as ``rag`` and ``ft``) answering one question at a
    time. ``ask`` (or ``start`` then ``answer``) plays a round; ``vote`` records a blind vote in
    the workspace; ``reveal`` shows who answered. ``rounds`` is the history, oldest first.
    """

    def __init__(
        self,
        assistants: Assistants,
        names: Sequence[str],
        blind: bool = False,
        seed: int | None = None,
        *,
        max_new_tokens: int = 128,
        tags: Sequence[str] = (),
    ) -> None:
        names = list(names)
        if not 2 <= len(names) <= len(LABELS):
            raise UsageError(
                f"a comparison needs two or three assistants, got {len(names)}",
                "for example: afina compare rag ft",
            )
        unknown = [n for n in names if n not in KINDS]
        if unknown:
            raise UsageError(f"no assistant kind {unknown[0]!r}", f"kinds: {', '.join(KINDS)}")
        if len(set(names)) != len(names):
            raise UsageError("each assistant can be compared only once", ", ".join(names))
        tuned = [n for n in names if n in TUNED]
        if tuned and assistants.run_dir is None:
            # Refused now rather than after the person has typed the first question.
            raise UsageError(f"assistant {tuned[0]!r} needs a finished run", "give --run ID")
        self.assistants = assistants
        self.names = names
        self.blind = blind
        self.max_new_tokens = max_new_tokens
        self.tags = tuple(tags)
        self.id = uuid.uuid4().hex[:12]  # recorded with each vote: one sitting's votes
        self.rounds: list[Round] = []
        self._rng = random.Random(seed)

    @property
    def run_id(self) -> str | None:
        """The id of the run the tuned assistants come from, stored with every vote."""
        return self.assistants.run_dir.name if self.assistants.run_dir is not None else None

    def start(self, question: str) -> Round:
        """A new round for ``question`` with its panes placed but not yet answered, so a
        screen can draw them before the first word arrives."""
        if not question.strip():
            raise UsageError("the question is empty")
        order = self._rng.sample(self.names, len(self.names)) if self.blind else self.names
        panes = [Pane(label, name) for label, name in zip(LABELS, order, strict=False)]
        r = Round(len(self.rounds) + 1, question.strip(), panes, self.blind)
        self.rounds.append(r)
        return r

    def answer(self, round: Round, on_text: Callable[[str, str], None] | None = None) -> Round:
        """Each pane's assistant answers in turn, left to right. ``on_text(label, piece)``
        gets the text as it is decoded, keyed by the pane's label (never the name, so a
        blind screen cannot give it away)."""
        for pane in round.panes:
            if pane.answer is not None:
                continue
            stream = None if on_text is None else _bind(on_text, pane.label)
            pane.answer = self.assistants.answer(
                pane.name, round.question, self.max_new_tokens, stream
            )
        return round

    def ask(self, question: str, on_text: Callable[[str, str], None] | None = None) -> Round:
        """``start`` and ``answer`` in one call: the round, every pane answered."""
        return self.answer(self.start(question), on_text)

    def vote(self, round: Round, outcome: str, panes: Sequence[str] | None = None) -> CastVote:
        """Store a blind vote between two panes of ``round`` and return it.

        ``outcome`` is ``a`` (the first pane named was better), ``b`` (the second), ``tie`` or
        ``both_bad``. Two panes are A and B; with three, name the two compared, e.g.
        ``("A", "C")``. Naming them right to left is the mirror of the same vote.
        """
        if panes is None:
            if len(round.panes) != 2:
                raise UsageError("with three panes a vote names the two it compares", "A and C")
            panes = ("A", "B")
        if outcome not in OUTCOMES:
            raise UsageError(f"no vote outcome {outcome!r}", f"outcomes: {', '.join(OUTCOMES)}")
        if not round.blind:
            raise UsageError("votes are taken only in blind comparisons", "start it with --blind")
        if round.revealed:
            raise UsageError("this round's names are already shown", "a vote must be blind")
        if len(panes) != 2 or panes[0].upper() == panes[1].upper():
            raise UsageError("a vote compares two different panes", "for example: A and B")
        first, second = round.pane(panes[0]), round.pane(panes[1])
        if round.labels.index(first.label) > round.labels.index(second.label):
            first, second, outcome = second, first, _FLIPPED[outcome]
        if first.answer is None or second.answer is None:
            raise UsageError("the round is not answered yet", "let every pane answer before voting")
        if any({c.vote.left, c.vote.right} == {first.name, second.name} for c in round.votes):
            raise UsageError(f"panes {first.label} and {second.label} already have a vote")
        vote = Vote(
            prompt=round.question,
            left=first.name,
            right=second.name,
            outcome=outcome,  # type: ignore[arg-type]  # checked against OUTCOMES above
            answers={first.name: first.answer.text, second.name: second.answer.text},
            tags=self.tags,
            time=now(),
        )
        sources = {
            p.name: p.answer.to_json()["sources"]
            for p in (first, second)
            if p.answer is not None and p.answer.sources
        }
        with self.assistants.ws.open_store() as store:
            vote_id = store.add_vote(vote, run=self.run_id, session=self.id, sources=sources)
        cast = CastVote(vote_id, vote)
        round.votes.append(cast)
        return cast

    def reveal(self, round: Round) -> dict[str, str]:
        """Show who answered in each pane (label to name); no votes after this."""
        round.revealed = True
        return {p.label: p.name for p in round.panes}


def _bind(on_text: Callable[[str, str], None], label: str) -> Callable[[str], None]:
    return lambda piece: on_text(label, piece)
