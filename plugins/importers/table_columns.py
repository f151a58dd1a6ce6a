"""The column mapping of a table of messages: which column (CSV) or field (JSONL) holds the
text, the speaker, the conversation, the time and the role, found by common names unless
the options name them, and the turn one row makes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from afina.engine.errors import ParseError
from afina.engine.plugins import Option
from afina.engine.types import Role, Turn
from afina.plugins.importers.table_rows import Tally, parse_when

TEXT_NAMES = ("text", "message", "content", "body", "utterance")
SPEAKER_NAMES = ("speaker", "author", "from", "user", "name", "sender", "role")
CONVERSATION_NAMES = (
    "conversation", "conversation_id", "thread", "thread_id", "session", "dialog_id", "chat_id",
)  # fmt: skip
TIMESTAMP_NAMES = ("timestamp", "time", "date", "created_at")
ROLE_NAMES = ("role",)

ROLE_OF: dict[str, Role] = {
    "user": "user", "human": "user", "customer": "user", "client": "user", "question": "user",
    "assistant": "assistant", "gpt": "assistant", "bot": "assistant", "ai": "assistant",
    "model": "assistant", "agent": "assistant", "answer": "assistant", "chatbot": "assistant",
    "system": "system", "tool": "tool", "function": "tool",
}  # fmt: skip


def column_options(extra: tuple[Option, ...] = ()) -> tuple[Option, ...]:
    return (
        Option(
            "text",
            "str",
            "",
            "column/field with the message text (empty: text, message, content, body or utterance)",
        ),
        Option(
            "speaker",
            "str",
            "",
            "column/field with the speaker (empty: speaker, author, "
            "from, user, name, sender or role)",
        ),
        Option(
            "conversation",
            "str",
            "",
            "column/field that groups rows into conversations "
            "(empty: conversation, conversation_id, thread, thread_id, session, dialog_id or "
            "chat_id; none found: the whole file is one conversation)",
        ),
        Option(
            "timestamp",
            "str",
            "",
            "column/field with the time (empty: timestamp, time, date or created_at)",
        ),
        Option(
            "role",
            "str",
            "",
            "column/field whose values are user/assistant/system "
            "(empty: a column named role, if any)",
        ),
        *extra,
    )


def find_name(
    names: Iterable[str], wanted: Sequence[str], exclude: Iterable[str] = ()
) -> str | None:
    """The first name (case-insensitively) in ``wanted`` order that ``names`` has."""
    skip = set(exclude)
    by_lower: dict[str, str] = {}
    for n in names:
        if n not in skip:
            by_lower.setdefault(str(n).strip().lower(), n)
    for w in wanted:
        if w in by_lower:
            return by_lower[w]
    return None


@dataclass(frozen=True)
class Columns:
    """Which column (CSV) or field (JSONL) holds what; None where the table has none."""

    text: str
    speaker: str | None = None
    conversation: str | None = None
    timestamp: str | None = None
    role: str | None = None


def mapping_given(options: Mapping[str, Any]) -> bool:
    return any(options.get(k) for k in ("text", "speaker", "conversation", "timestamp", "role"))


def resolve_columns(names: Sequence[str], options: Mapping[str, Any], place: str) -> Columns:
    """Columns from the options, else by common names. No text column is a ParseError."""
    known = ", ".join(repr(n) for n in names[:20]) or "none"

    def pick(option: str, wanted: Sequence[str], taken: Iterable[str]) -> str | None:
        given = str(options.get(option) or "")
        if not given:
            return find_name(names, wanted, taken)
        if given in names:
            return given
        found = find_name(names, (given.lower(),))
        if found is None and "." not in given:
            raise ParseError(place, f"no column {given!r} for option {option}; columns: {known}")
        return found or given  # a dotted path into JSON objects is looked up per record

    text = pick("text", TEXT_NAMES, ())
    if text is None:
        raise ParseError(
            place,
            f"no text column (text, message, content, body, utterance); columns: {known}; "
            "name it with the option text=<column>",
        )
    conversation = pick("conversation", CONVERSATION_NAMES, (text,))
    taken = [c for c in (text, conversation) if c]
    speaker = pick("speaker", SPEAKER_NAMES, taken)
    timestamp = pick("timestamp", TIMESTAMP_NAMES, [*taken, *(c for c in (speaker,) if c)])
    role = pick("role", ROLE_NAMES, (text,))
    return Columns(text, speaker, conversation, timestamp, role)


def field_value(record: Mapping[str, object], name: str | None) -> object:
    """A field's value; a dotted name walks into nested JSON objects."""
    if name is None:
        return None
    if name in record:
        return record[name]
    if "." not in name:
        return None
    value: object = record
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def scalar(value: object) -> str:
    """Text for an id or name cell: numbers as written, anything structured as empty."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return format(value, "g") if isinstance(value, float) else str(value)
    return ""


def build_turn(
    record: Mapping[str, object], cols: Columns, place: str, tally: Tally
) -> Turn | None:
    text = field_value(record, cols.text)
    if isinstance(text, int | float) and not isinstance(text, bool):
        text = str(text)
    if not isinstance(text, str):
        tally.add("text missing or not a string", place)
        return None
    if not text.strip():
        tally.add("empty text", place)
        return None
    speaker = scalar(field_value(record, cols.speaker))
    role = ROLE_OF.get(scalar(field_value(record, cols.role)).lower()) if cols.role else None
    timestamp = None
    if cols.timestamp:
        raw = field_value(record, cols.timestamp)
        timestamp = parse_when(raw)
        if timestamp is None and scalar(raw):
            tally.add("time not understood, turn kept without it", place)
    return Turn(
        speaker=speaker or (role or ""), text=text, place=place, role=role, timestamp=timestamp
    )
