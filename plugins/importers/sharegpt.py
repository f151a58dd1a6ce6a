"""ShareGPT / Vicuna: ``[{"id", "conversations": [{"from": "human"|"gpt", "value"}]}]``.

Also accepts a single object instead of a list, and the ``messages``/``role``/``content``
spelling some tools write with ShareGPT's outer shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from afina.engine.ingest.contract import HAS_ROLES, Importer, as_file
from afina.engine.ingest.inputs import InputItem
from afina.engine.ingest.jsonio import iter_json_items, json_head
from afina.engine.ingest.textio import TextStats, repairs
from afina.engine.types import Conversation, ImportItem, Skip, Turn

ROLE_OF = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "chatgpt": "assistant",
    "bing": "assistant",
    "bard": "assistant",
    "model": "assistant",
    "system": "system",
    "tool": "tool",
    "function_call": "assistant",
    "observation": "tool",
    "function": "tool",
}
_HEAD = re.compile(r'"conversations"\s*:\s*\[\s*\{\s*"(from|value)"')


class ShareGPTImporter(Importer):
    name: ClassVar[str] = "sharegpt"
    description: ClassVar[str] = "ShareGPT/Vicuna JSON: conversations of {from, value} turns"
    capabilities: ClassVar[frozenset[str]] = frozenset({HAS_ROLES})
    extensions: ClassVar[tuple[str, ...]] = (".json",)

    def sniff(self, item: InputItem) -> float:
        return 0.9 if _HEAD.search(json_head(item)) else 0.0

    def read(self, item: InputItem, options: Mapping[str, Any]) -> Iterator[ImportItem]:
        file = as_file(item)
        stats = TextStats()
        for place, record in iter_json_items(file, stats):
            yield from _conversation(place, record)
        yield from repairs(stats)


def _conversation(place: str, record: Any) -> Iterator[ImportItem]:
    if not isinstance(record, dict) or not isinstance(record.get("conversations"), list):
        yield Skip(place, "expected an object with a 'conversations' list")
        return
    turns = []
    for i, msg in enumerate(record["conversations"]):
        where = f"{place}.conversations[{i}]"
        if not isinstance(msg, dict):
            yield Skip(where, "expected an object with 'from' and 'value'")
            continue
        speaker = str(msg.get("from", msg.get("role", "")))
        text = msg.get("value", msg.get("content"))
        if not isinstance(text, str):
            yield Skip(where, "turn has no text 'value'")
            continue
        turns.append(
            Turn(speaker=speaker, text=text, place=where, role=ROLE_OF.get(speaker.lower()))  # type: ignore[arg-type]
        )
    if not turns:
        yield Skip(place, "conversation has no turns")
        return
    key = str(record.get("id", "")) if record.get("id") is not None else ""
    yield Conversation(key=key, title=None, place=place, turns=turns)
