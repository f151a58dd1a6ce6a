"""Alpaca instruction data: ``{instruction, input, output}`` records, as a JSON array or JSONL.

Each record is one conversation: an optional ``system`` turn, the ``history`` pairs
LLaMA-Factory adds (``[[question, answer], ...]``), then the instruction (with the input
appended after a blank line when there is one) and the output. Databricks Dolly's spelling
(``context`` for input, ``response`` for output) is read the same way. Template placeholders
such as ``{{name}}`` are data, not markup: they are kept verbatim.
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

INPUT_KEYS = ("input", "context")
OUTPUT_KEYS = ("output", "response")

# When the first record is too big to parse from the head: it must open with an Alpaca key.
_TOP_KEY = re.compile(r'^\s*\[?\s*\{\s*"(?:instruction|system|history)"\s*:')
_INSTRUCTION = re.compile(r'"instruction"\s*:')
_OUTPUT = re.compile(r'"(?:output|response)"\s*:')


class AlpacaImporter(Importer):
    name: ClassVar[str] = "alpaca"
    description: ClassVar[str] = "Alpaca JSON/JSONL: {instruction, input, output} records"
    capabilities: ClassVar[frozenset[str]] = frozenset({HAS_ROLES, STREAMS})
    extensions: ClassVar[tuple[str, ...]] = (".json", ".jsonl")

    def sniff(self, item: InputItem) -> float:
        head = json_head(item)
        if not head:
            return 0.0
        record = first_record(head)
        if record is not None:
            return 0.9 if _is_record(record) else 0.0
        # The first record runs past the head: it must open with an Alpaca key, and the other
        # key may be past the head too (a long input pushes the output out of it).
        found = _TOP_KEY.match(head) and (_INSTRUCTION.search(head) or _OUTPUT.search(head))
        return 0.7 if found else 0.0

    def read(self, item: InputItem, options: Mapping[str, Any]) -> Iterator[ImportItem]:
        if not isinstance(item, InputFile):
            raise ParseError("whole input", "expected a single JSON or JSONL file")
        stats = TextStats()
        records = iter_records(item, stats, "Alpaca JSONL records")
        shaped = 0
        for place, record in records:
            if isinstance(record, Skip):
                yield record
                continue
            shaped += _is_record(record)
            yield from _conversation(place, record)
        if not shaped:
            # Valid JSON of another shape: not this format, rather than a file of skips.
            raise ParseError("whole file", "expected Alpaca records: 'instruction' and 'output'")
        yield from repairs(stats)


def _is_record(record: Any) -> bool:
    return (
        isinstance(record, dict)
        and "instruction" in record
        and any(k in record for k in OUTPUT_KEYS)
    )


def _first_text(record: Mapping[str, Any], keys: tuple[str, ...]) -> tuple[str, str | None]:
    """The first of ``keys`` present in the record, and its value if it is text."""
    for key in keys:
        if key in record and record[key] is not None:
            value = record[key]
            return key, value if isinstance(value, str) else None
    return keys[0], ""


def _conversation(place: str, record: Any) -> Iterator[ImportItem]:
    if not isinstance(record, dict):
        yield Skip(place, "expected an object with 'instruction' and 'output'")
        return
    instruction = record.get("instruction")
    input_key, extra = _first_text(record, INPUT_KEYS)
    output_key, output = _first_text(record, OUTPUT_KEYS)
    if instruction is not None and not isinstance(instruction, str):
        yield Skip(place, "'instruction' is not text")
        return
    if extra is None:
        yield Skip(place, f"'{input_key}' is not text")
        return
    if not output or not output.strip():
        yield Skip(place, f"record has no text '{output_key}'")
        return
    prompt = "\n\n".join(part for part in (instruction or "", extra) if part.strip())
    if not prompt:
        yield Skip(place, "record has neither 'instruction' nor input text")
        return
    turns: list[Turn] = []
    system = record.get("system")
    if isinstance(system, str) and system.strip():
        turns.append(_turn("system", system, f"{place}.system"))
    history, skips = _history(place, record.get("history"))
    yield from skips
    turns.extend(history)
    user_place = f"{place}.instruction" if (instruction or "").strip() else f"{place}.{input_key}"
    turns.append(_turn("user", prompt, user_place))
    turns.append(_turn("assistant", output, f"{place}.{output_key}"))
    rid = record.get("id")
    key = str(rid) if isinstance(rid, (str, int)) and not isinstance(rid, bool) else ""
    yield Conversation(key=key, title=None, place=place, turns=turns)


def _history(place: str, history: Any) -> tuple[list[Turn], list[Skip]]:
    """Earlier exchanges as turns; a malformed pair is skipped, the rest of the record kept."""
    if history is None:
        return [], []
    if not isinstance(history, list):
        return [], [Skip(f"{place}.history", "expected a list of [question, answer] pairs")]
    turns: list[Turn] = []
    skips: list[Skip] = []
    for j, pair in enumerate(history):
        where = f"{place}.history[{j}]"
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not all(isinstance(p, str) and p.strip() for p in pair)
        ):
            skips.append(Skip(where, "expected a [question, answer] pair of texts"))
            continue
        turns.append(_turn("user", pair[0], f"{where}[0]"))
        turns.append(_turn("assistant", pair[1], f"{where}[1]"))
    return turns, skips


def _turn(role: Role, text: str, place: str) -> Turn:
    return Turn(speaker=role, text=text, place=place, role=role)
