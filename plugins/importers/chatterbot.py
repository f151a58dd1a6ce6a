"""ChatterBot corpus YAML: ``categories: [...]`` and ``conversations: [[utterance, ...], ...]``.

Speakers alternate implicitly and the first utterance is the user's, so the role comes from
an utterance's position in its list, not from the turns kept: skipping a bad entry never
shifts who said what after it. The file is parsed with PyYAML's safe loader only, and
aliases (``*name``) are refused: each one repeats a whole node, so a 200 KB file of aliases
of aliases unfolds into gigabytes of text. Hand-written corpora do not use them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any, ClassVar

import yaml

from afina.engine.errors import ParseError
from afina.engine.ingest.contract import HAS_ROLES, Importer
from afina.engine.ingest.inputs import InputFile, InputItem
from afina.engine.ingest.textio import TextStats, decode_all, repairs, suffixed_head
from afina.engine.types import Conversation, ImportItem, Repair, Skip, Turn

# Corpora are small hand-written files; a huge one is a mistake or an attack on the parser.
MAX_BYTES = 64 * 1024**2
SUFFIXES = (".yml", ".yaml")
USER, BOT = "user", "bot"

_CONVERSATIONS = re.compile(r"^conversations\s*:", re.MULTILINE)


class ChatterBotImporter(Importer):
    name: ClassVar[str] = "chatterbot-yaml"
    description: ClassVar[str] = "ChatterBot corpus YAML: conversations as lists of utterances"
    capabilities: ClassVar[frozenset[str]] = frozenset({HAS_ROLES})
    extensions: ClassVar[tuple[str, ...]] = SUFFIXES

    def sniff(self, item: InputItem) -> float:
        head = suffixed_head(item, SUFFIXES)
        if head is None:
            return 0.0
        return 0.9 if _CONVERSATIONS.search(head) else 0.0

    def read(self, item: InputItem, options: Mapping[str, Any]) -> Iterator[ImportItem]:
        if not isinstance(item, InputFile):
            raise ParseError("whole input", "expected a single YAML file")
        stats = TextStats()
        doc = _load(decode_all(item.read_bytes(MAX_BYTES), stats))
        conversations = doc.get("conversations")
        if not isinstance(conversations, list):
            raise ParseError("conversations", "expected a list of conversations (lists of texts)")
        categories = _categories(doc.get("categories"))
        meta: dict[str, object] = {"categories": categories} if categories else {}
        coerced = _Coerced()
        for i, utterances in enumerate(conversations):
            yield from _conversation(f"conversations[{i}]", utterances, meta, coerced)
        if coerced.count:
            what = "YAML non-text values (yes/no, numbers) read as text"
            yield Repair(coerced.first, what, coerced.count)
        yield from repairs(stats)


class _Coerced:
    """Utterances YAML turned into booleans, numbers or dates, read back as text."""

    def __init__(self) -> None:
        self.count = 0
        self.first = ""

    def add(self, place: str) -> None:
        self.count += 1
        self.first = self.first or place


class _NoAliasLoader(yaml.SafeLoader):
    """The safe loader, failing at the first alias before it is resolved."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            mark = event.start_mark
            raise ParseError(
                f"line {mark.line + 1} column {mark.column + 1}",
                f"YAML alias '*{event.anchor}' refused: aliases can unfold a small file into"
                " gigabytes; write the repeated text out",
            )
        return super().compose_node(parent, index)


def _load(text: str) -> dict[str, Any]:
    try:
        doc = yaml.load(text, Loader=_NoAliasLoader)  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        place = "whole file" if mark is None else f"line {mark.line + 1} column {mark.column + 1}"
        problem = getattr(e, "problem", None) or "not valid YAML"
        raise ParseError(place, f"invalid YAML: {problem}") from e
    except RecursionError as e:
        raise ParseError("whole file", "YAML nested too deeply") from e
    if not isinstance(doc, dict):
        raise ParseError("whole file", "expected a mapping with a 'conversations' list")
    return doc


def _categories(value: Any) -> list[str]:
    # Usually a list; a lone category written as a plain string is taken as one.
    if isinstance(value, str):
        return [value]
    return [c for c in value if isinstance(c, str)] if isinstance(value, list) else []


def _conversation(
    place: str, utterances: Any, meta: dict[str, object], coerced: _Coerced
) -> Iterator[ImportItem]:
    if not isinstance(utterances, list):
        yield Skip(place, "expected a list of utterances")
        return
    turns: list[Turn] = []
    for j, value in enumerate(utterances):
        where = f"{place}[{j}]"
        text = _text(value)
        if text is None or not text.strip():
            yield Skip(where, "utterance is not text")
            continue
        if not isinstance(value, str):
            coerced.add(where)
        user = j % 2 == 0
        turns.append(
            Turn(
                speaker=USER if user else BOT,
                text=text,
                place=where,
                role="user" if user else "assistant",
            )
        )
    if not turns:
        yield Skip(place, "conversation has no utterances")
        return
    yield Conversation(key="", title=None, place=place, turns=turns, meta=meta)


def _text(value: Any) -> str | None:
    """An utterance's text. YAML 1.1 reads a bare ``Yes`` or ``42`` as a boolean or a number;
    without the source spelling, the closest text is given back."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float, date)):
        return str(value)
    return None
