"""The common language of afina: frozen values passed between importers, the store and the UIs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

Role = Literal["user", "assistant", "system", "tool"]
ROLES: tuple[str, ...] = ("user", "assistant", "system", "tool")


@dataclass(frozen=True, slots=True)
class Turn:
    """One message.

    ``place`` says where in the file the message came from ("line 12", "messages[3]",
    "mapping['a1b2']"); with the source it is the turn's provenance. ``key`` is a stable id
    within its conversation: the format's own message id when it has one, otherwise left
    empty and derived from the content when stored, so that re-importing an overlapping
    export adds only what is new. ``timestamp`` is ISO 8601 text, with an offset when the
    format gives one and without when it only gives local time.
    """

    speaker: str
    text: str
    place: str
    role: Role | None = None
    timestamp: str | None = None
    key: str = ""
    reply_to: str | None = None
    thread: str | None = None
    alternatives: tuple[str, ...] = ()
    meta: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Conversation:
    """A thread of turns from one source.

    ``key`` identifies the conversation across exports of the same account (the format's
    conversation id, a chat or channel name); an empty key makes the store derive one from
    the source file and the place. ``turns`` may be a one-shot iterator, so that line-based
    importers stream a million-message chat without holding it in memory: consume it once.
    """

    key: str
    title: str | None
    place: str
    turns: Iterable[Turn]
    meta: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Skip:
    """Something in a file that was not imported, and why (a counted warning, not an error).

    An importer that meets the same thing many times (a million system lines) may yield one
    Skip with the place of the first and the ``count`` of all.
    """

    place: str
    reason: str
    count: int = 1


@dataclass(frozen=True, slots=True)
class Repair:
    """Something fixed on the way in (e.g. undecodable bytes replaced), counted per kind."""

    place: str
    what: str
    count: int = 1


ImportItem = Conversation | Skip | Repair


@dataclass(frozen=True, slots=True)
class Source:
    """An imported file (or folder or zip read as a whole) as recorded in the store."""

    id: int
    path: str
    sha256: str
    importer: str
    imported_at: str
    size: int
    conversations: int
    turns: int
    skipped: int


@dataclass(frozen=True, slots=True)
class ConversationInfo:
    """A stored conversation, without its turns."""

    id: int
    source_id: int
    importer: str
    key: str
    title: str | None
    turns: int
    first_timestamp: str | None
    last_timestamp: str | None


@dataclass(frozen=True, slots=True)
class StoredTurn:
    """A stored turn with its provenance back to the file and place it came from."""

    id: int
    conversation_id: int
    seq: int
    speaker: str
    role: str | None
    text: str
    timestamp: str | None
    reply_to: str | None
    thread: str | None
    alternatives: tuple[str, ...]
    source_path: str
    place: str


@dataclass(frozen=True, slots=True)
class PairDraft:
    """An instruction -> response pair as extraction makes it, before it is stored.

    ``context`` holds the turns before the prompt, oldest first, as (role, text) with role
    "user" or "assistant" from the pair's point of view. ``turn_ids`` are the stored turns
    the prompt and response were built from (provenance).
    """

    conversation_id: int
    prompt: str
    response: str
    context: tuple[tuple[str, str], ...] = ()
    system: str | None = None
    turn_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleHit:
    """What a cleaning or quality rule found in a pair: the rule's name and a short detail."""

    rule: str
    detail: str
    field: str = ""  # "prompt", "response", "context" or "" for the whole pair


@dataclass(frozen=True, slots=True)
class PIIFinding:
    """A span of personal data in a text: its kind ("email", "cpf"...), where, and the value."""

    kind: str
    start: int
    end: int
    value: str


PairStatus = Literal["pending", "accepted", "rejected"]
PAIR_STATUSES: tuple[str, ...] = ("pending", "accepted", "rejected")


@dataclass(frozen=True, slots=True)
class PairRow:
    """A stored pair as a reviewer sees it: current text (edits applied) and review state."""

    id: int
    conversation_id: int
    prompt: str
    response: str
    context: tuple[tuple[str, str], ...]
    system: str | None
    status: str
    tags: tuple[str, ...]
    note: str | None
    edited: bool
    split: str | None
    turn_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class PairFilter:
    """Which pairs a listing or a bulk action covers; every field narrows, None means any."""

    status: str | None = None
    tag: str | None = None
    source_id: int | None = None
    conversation_id: int | None = None
    rule: str | None = None
    split: str | None = None
    search: str | None = None


# The chat message format: what training data, prompts and the generation service exchange,
# e.g. [{"role": "user", "content": "..."}] (OpenAI's fine-tuning format).
Messages = list[dict[str, str]]

Outcome = Literal["a", "b", "tie", "both_bad"]
OUTCOMES: tuple[str, ...] = get_args(Outcome)


@dataclass(frozen=True, slots=True)
class Vote:
    """One blind vote. ``left`` and ``right`` are the assistants shown as A and B.

    ``answers`` maps an assistant's name to its answer; ``time`` is ISO 8601 text.
    """

    prompt: str
    left: str
    right: str
    outcome: Outcome
    answers: Mapping[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    time: str = ""

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"vote outcome must be one of {', '.join(OUTCOMES)}: {self.outcome!r}")
        if self.left == self.right:
            raise ValueError(f"a vote compares two assistants, got {self.left!r} twice")

    @property
    def winner(self) -> str | None:
        return {"a": self.left, "b": self.right}.get(self.outcome)

    @property
    def loser(self) -> str | None:
        return {"a": self.right, "b": self.left}.get(self.outcome)

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "left": self.left,
            "right": self.right,
            "outcome": self.outcome,
            "answers": dict(self.answers),
            "tags": list(self.tags),
            "time": self.time,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Vote:
        missing = [k for k in ("prompt", "left", "right", "outcome") if k not in d]
        if missing:
            raise ValueError(f"a vote needs {', '.join(missing)}")
        answers = d.get("answers") or {}
        tags = d.get("tags") or ()
        if not isinstance(answers, Mapping) or not isinstance(tags, (list, tuple)):
            raise ValueError("answers must be an object and tags a list")
        return cls(
            prompt=str(d["prompt"]),
            left=str(d["left"]),
            right=str(d["right"]),
            outcome=d["outcome"],
            answers={str(k): str(v) for k, v in answers.items()},
            tags=tuple(str(t) for t in tags),
            time=str(d.get("time") or ""),
        )
