"""Task-oriented dialogues in the Taskmaster layout (Google's Taskmaster-1, -2 and -3 corpora).

A file is a JSON array of dialogs, JSON Lines of them, or one dialog. A dialog is
``{conversation_id, instruction_id, utterances: [{index, speaker, text, segments?}, ...]}``
with speakers ``USER`` and ``ASSISTANT``; Taskmaster-3 has no ``instruction_id`` but a
``vertical`` and a ``scenario``. Each dialog is one conversation keyed by its id and titled
by its instruction. ``USER`` turns get the user role and ``ASSISTANT`` turns the assistant
role. Segments annotate slot values ("restaurant_reservation.time.reservation"); their names
are kept in the turn's ``meta["annotations"]``, since they tell which turns settle which
slot, but their character offsets are not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from afina.engine.errors import ParseError
from afina.engine.ingest.contract import HAS_ROLES, STREAMS, Importer
from afina.engine.ingest.inputs import InputFile, InputItem
from afina.engine.ingest.jsonio import first_record, iter_records, json_head
from afina.engine.ingest.textio import TextStats, repairs
from afina.engine.types import Conversation, ImportItem, Role, Skip, Turn

ROLE_OF: dict[str, Role] = {"user": "user", "assistant": "assistant"}
# Dialog fields worth keeping with the conversation (Taskmaster-3 has the last two).
META_KEYS = ("instruction_id", "vertical", "scenario")

# When the first dialog is too big to parse from the head: the head must open one, with
# Taskmaster's speakers in it.
_TOP_KEY = re.compile(r'^\s*\[?\s*\{\s*"(?:conversation_id|instruction_id|utterances)"\s*:')
_UTTERANCES = re.compile(r'"utterances"\s*:\s*\[')
_SPEAKER = re.compile(r'"speaker"\s*:\s*"(?:USER|ASSISTANT)"')


class TaskmasterImporter(Importer):
    name: ClassVar[str] = "taskmaster"
    description: ClassVar[str] = "Taskmaster dialogs (JSON/JSONL): utterances by USER and ASSISTANT"
    capabilities: ClassVar[frozenset[str]] = frozenset({HAS_ROLES, STREAMS})
    extensions: ClassVar[tuple[str, ...]] = (".json", ".jsonl")

    def sniff(self, item: InputItem) -> float:
        head = json_head(item)
        if not head:
            return 0.0
        record = first_record(head)
        if record is not None:
            return 0.9 if _is_dialog(record) else 0.0
        found = _TOP_KEY.match(head) and _UTTERANCES.search(head) and _SPEAKER.search(head)
        return 0.75 if found else 0.0

    def read(self, item: InputItem, options: Mapping[str, Any]) -> Iterator[ImportItem]:
        if not isinstance(item, InputFile):
            raise ParseError("whole input", "expected a single JSON or JSONL file")
        stats = TextStats()
        shaped = 0
        for place, record in iter_records(item, stats, "Taskmaster JSONL dialogs"):
            if isinstance(record, Skip):
                yield record
                continue
            shaped += isinstance(record, dict) and isinstance(record.get("utterances"), list)
            yield from _conversation(place, record)
        if not shaped:
            # Valid JSON of another shape: not this format, rather than a file of skips.
            raise ParseError(
                "whole file", "expected Taskmaster dialogs: objects with an 'utterances' list"
            )
        yield from repairs(stats)


def _is_dialog(record: Any) -> bool:
    """A dialog object whose first utterance is spoken by USER or ASSISTANT."""
    if not isinstance(record, dict) or "conversation_id" not in record:
        return False
    utterances = record.get("utterances")
    if not isinstance(utterances, list) or not utterances:
        return False
    first = utterances[0]
    return (
        isinstance(first, dict)
        and isinstance(first.get("text"), str)
        and str(first.get("speaker", "")).lower() in ROLE_OF
    )


def _conversation(place: str, record: Any) -> Iterator[ImportItem]:
    utterances = record.get("utterances") if isinstance(record, dict) else None
    if not isinstance(utterances, list):
        yield Skip(place, "expected a dialog with an 'utterances' list")
        return
    turns: list[Turn] = []
    for i, utterance in _in_order(utterances):
        where = f"{place}.utterances[{i}]"
        turn = _turn(where, utterance)
        if isinstance(turn, Skip):
            yield turn
        else:
            turns.append(turn)
    if not turns:
        yield Skip(place, "dialog has no utterances to import")
        return
    title = _text(record.get("instruction_id")) or None
    meta = {k: record[k] for k in META_KEYS if _text(record.get(k))}
    yield Conversation(_text(record.get("conversation_id")), title, place, turns, meta)


def _in_order(utterances: list[Any]) -> list[tuple[int, Any]]:
    """Utterances by their ``index`` (their order in the dialog) when every one has one, else
    as listed. The sort is stable, and the file's own order is almost always this one."""
    numbered = list(enumerate(utterances))
    indexes = [u.get("index") if isinstance(u, dict) else None for u in utterances]
    if all(isinstance(x, int) and not isinstance(x, bool) for x in indexes):
        numbered.sort(key=lambda pair: pair[1]["index"])
    return numbered


def _turn(where: str, utterance: Any) -> Turn | Skip:
    if not isinstance(utterance, dict):
        return Skip(where, "expected an utterance object")
    speaker = _text(utterance.get("speaker"))
    role = ROLE_OF.get(speaker.lower())
    if role is None:
        return Skip(where, f"speaker {speaker!r} is neither USER nor ASSISTANT")
    text = utterance.get("text")
    if not isinstance(text, str) or not text.strip():
        return Skip(where, "utterance has no text")
    annotations = _annotations(utterance.get("segments"))
    return Turn(
        speaker=role,
        text=text,
        place=where,
        role=role,
        key=_text(utterance.get("index")),
        meta={"annotations": annotations} if annotations else {},
    )


def _annotations(segments: Any) -> list[str]:
    """The slot names the utterance's segments carry, each once, in order."""
    names: dict[str, None] = {}
    for segment in segments if isinstance(segments, list) else []:
        annotations = segment.get("annotations") if isinstance(segment, dict) else None
        for a in annotations if isinstance(annotations, list) else []:
            if isinstance(a, dict) and isinstance(a.get("name"), str) and a["name"]:
                names[a["name"]] = None
    return list(names)


def _text(value: Any) -> str:
    """An id or name as text; numbers as written, anything else empty."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, (str, int)):
        return str(value).strip()
    return ""
