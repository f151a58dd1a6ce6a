"""Customer-support dialogs in the ABCD shape (asappresearch/abcd, Action-Based Conversations).

The file is a list of records, or an object mapping split names ("train", "dev", "test") to
such lists. A record has ``convo_id``, ``original``: ``[[speaker, text], ...]`` with speakers
``customer``, ``agent`` and ``action``, a lower-cased ``delexed`` copy and a ``scenario``.
Action lines say what the agent did in its tools ("Account has been pulled up for ..."); they
are kept as system turns, marked ``{"action": True}``, because they explain the replies.
``delexed`` is read only when a record has no ``original``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from afina.engine.errors import ParseError
from afina.engine.ingest.contract import HAS_ROLES, Importer
from afina.engine.ingest.inputs import InputFile, InputItem
from afina.engine.ingest.jsonio import iter_json_items, json_head
from afina.engine.ingest.textio import TextStats, repairs
from afina.engine.types import Conversation, ImportItem, Role, Skip, Turn

ROLE_OF: dict[str, Role] = {"customer": "user", "agent": "assistant", "action": "system"}

_CONVO_ID = re.compile(r'"convo_id"\s*:')
_TURNS = re.compile(r'"original"\s*:\s*\[\s*\[\s*"|"delexed"\s*:\s*\[\s*\{\s*"speaker"')


class SupportDialogsImporter(Importer):
    name: ClassVar[str] = "support-dialogs"
    description: ClassVar[str] = "ABCD-style support dialogs: customer/agent/action turns"
    capabilities: ClassVar[frozenset[str]] = frozenset({HAS_ROLES})
    extensions: ClassVar[tuple[str, ...]] = (".json",)

    def sniff(self, item: InputItem) -> float:
        head = json_head(item)
        if not _CONVO_ID.search(head) or not _TURNS.search(head):
            return 0.0
        return 0.9

    def read(self, item: InputItem, options: Mapping[str, Any]) -> Iterator[ImportItem]:
        if not isinstance(item, InputFile):
            raise ParseError("whole input", "expected a single JSON file")
        stats = TextStats()
        shaped = 0
        for place, record, split in _records(iter_json_items(item, stats)):
            shaped += isinstance(record, dict) and _lines(record)[0] is not None
            yield from _conversation(place, record, split)
        if not shaped:
            raise ParseError("whole file", "expected dialogs with 'original' [speaker, text] lines")
        yield from repairs(stats)


def _records(items: Iterator[tuple[str, Any]]) -> Iterator[tuple[str, Any, str | None]]:
    """``(place, record, split)`` from a list of dialogs, an object of splits or one dialog."""
    for place, value in items:
        if place != "$":
            yield place, value, None
            continue
        if not isinstance(value, dict):
            raise ParseError("$", "expected a list of dialogs or an object of splits")
        if "convo_id" in value or "original" in value:
            yield "$", value, None
            continue
        splits = {name: records for name, records in value.items() if isinstance(records, list)}
        if not splits:
            raise ParseError("$", "expected split names (train, dev, test) with lists of dialogs")
        for name, records in splits.items():
            for i, record in enumerate(records):
                yield f"{name}[{i}]", record, name


def _conversation(place: str, record: Any, split: str | None) -> Iterator[ImportItem]:
    if not isinstance(record, dict):
        yield Skip(place, "expected a dialog object with 'original' turns")
        return
    lines, field = _lines(record)
    if lines is None:
        yield Skip(place, "dialog has no 'original' list of [speaker, text]")
        return
    turns: list[Turn] = []
    for i, line in enumerate(lines):
        where = f"{place}.{field}[{i}]"
        turn = _turn(where, line)
        if isinstance(turn, Skip):
            yield turn
        else:
            turns.append(turn)
    if not turns:
        yield Skip(place, "dialog has no turns with text")
        return
    cid = record.get("convo_id")
    key = str(cid) if isinstance(cid, (str, int)) and not isinstance(cid, bool) else ""
    title, meta = _scenario(record.get("scenario"))
    if split:
        meta["split"] = split
    if field == "delexed":
        meta["delexed"] = True
    yield Conversation(key=key, title=title, place=place, turns=turns, meta=meta)


def _lines(record: Mapping[str, Any]) -> tuple[list[Any] | None, str]:
    """The dialog's lines and the field they came from; the delexed copy only as a fallback."""
    for field in ("original", "delexed"):
        if isinstance(record.get(field), list):
            return record[field], field
    return None, "original"


def _turn(place: str, line: Any) -> Turn | Skip:
    # "original" holds [speaker, text] pairs; "delexed" holds {"speaker", "text", ...} objects.
    if isinstance(line, dict):
        speaker, text = line.get("speaker"), line.get("text")
    elif isinstance(line, list) and len(line) == 2:
        speaker, text = line
    else:
        return Skip(place, "expected a [speaker, text] pair")
    if not isinstance(speaker, str) or not isinstance(text, str):
        return Skip(place, "speaker and text must both be text")
    if not text.strip():
        return Skip(place, "empty message")
    role = ROLE_OF.get(speaker.lower())
    meta: dict[str, object] = {"action": True} if role == "system" else {}
    return Turn(speaker=speaker, text=text, place=place, role=role, meta=meta)


def _scenario(scenario: Any) -> tuple[str | None, dict[str, object]]:
    """A title from the scenario's flow and subflow, which say what the customer wanted.

    The scenario's persona and order details are left out: they are synthetic PII that
    would only have to be scrubbed again.
    """
    if not isinstance(scenario, dict):
        return None, {}
    meta: dict[str, object] = {
        k: scenario[k] for k in ("flow", "subflow") if isinstance(scenario.get(k), str)
    }
    parts = [str(meta[k]) for k in ("flow", "subflow") if k in meta]
    return (" / ".join(parts) or None), meta
