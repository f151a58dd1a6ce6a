"""OpenAI chat fine-tuning data: ``{"messages": [{"role", "content"}], "tools"?}`` per JSONL line.

Also reads a JSON array of such records (LLaMA-Factory's ``mllm_demo.json`` with ``images``
and ``<image>`` placeholders) and a file holding one record. Assistant tool calls become
readable text (``[tool call] name({...})``) with the calls themselves kept in the turn's meta;
tool results are turns with role ``tool``. Content given as a list of parts is flattened:
text parts joined, media parts shown as ``[image]``, ``[audio]``, ``[file]``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from afina.engine.errors import ParseError
from afina.engine.ingest.contract import HAS_ROLES, STREAMS, Importer
from afina.engine.ingest.inputs import InputFile, InputItem
from afina.engine.ingest.jsonio import first_record, iter_records, json_head
from afina.engine.ingest.textio import TextStats, repairs
from afina.engine.types import Conversation, ImportItem, Role, Skip, Turn

# "developer" is the newer name OpenAI gives the system prompt; "function" the older tool role.
ROLE_OF: dict[str, Role] = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "assistant": "assistant",
    "tool": "tool",
    "function": "tool",
}
# Media parts have no text worth training on; a marker keeps the turn readable.
MEDIA_MARKER = {
    "image_url": "[image]",
    "image": "[image]",
    "input_image": "[image]",
    "input_audio": "[audio]",
    "audio": "[audio]",
    "file": "[file]",
    "input_file": "[file]",
}
TEXT_PART_KEYS = ("text", "refusal")
# Records other than the messages that are worth keeping with the conversation.
RECORD_META = ("tools", "functions", "images", "videos", "audios")

# When the first record is too big to parse from the head: "messages" must be one of its own
# keys (only scalar-valued keys before it), not a list nested deeper, as in ChatGPT exports.
_TOP_MESSAGES = re.compile(
    r'^\s*\[?\s*\{\s*(?:"[^"\\]*"\s*:\s*(?:"(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*|true|false|null)\s*,\s*)*'
    r'"messages"\s*:\s*\[\s*\{'
)
_ROLE = re.compile(r'"role"\s*:\s*"(?:system|developer|user|assistant|tool|function)"')


class OpenAIMessagesImporter(Importer):
    name: ClassVar[str] = "openai-jsonl"
    description: ClassVar[str] = "OpenAI chat fine-tuning JSONL: {messages: [{role, content}]}"
    capabilities: ClassVar[frozenset[str]] = frozenset({HAS_ROLES, STREAMS})
    extensions: ClassVar[tuple[str, ...]] = (".jsonl", ".json")

    def sniff(self, item: InputItem) -> float:
        head = json_head(item)
        if not head:
            return 0.0
        record = first_record(head)
        if record is not None:
            return 0.9 if _is_record(record) else 0.0
        # The first record runs past the head: judge by its opening only.
        return 0.7 if _TOP_MESSAGES.match(head) and _ROLE.search(head) else 0.0

    def read(self, item: InputItem, options: Mapping[str, Any]) -> Iterator[ImportItem]:
        if not isinstance(item, InputFile):
            raise ParseError("whole input", "expected a single JSON or JSONL file")
        stats = TextStats()
        records = iter_records(item, stats, "OpenAI chat JSONL", note_cut_lines=True)
        shaped = 0
        for place, record in records:
            if isinstance(record, Skip):
                yield record
                continue
            shaped += isinstance(record, dict) and isinstance(record.get("messages"), list)
            yield from _conversation(place, record)
        if not shaped:
            # Valid JSON of another shape: not this format, rather than a file of skips.
            raise ParseError("whole file", "expected OpenAI chat records with a 'messages' list")
        yield from repairs(stats)


def _is_record(record: Any) -> bool:
    if not isinstance(record, dict) or not isinstance(record.get("messages"), list):
        return False
    messages = record["messages"]
    return bool(messages) and all(
        isinstance(m, dict) and isinstance(m.get("role"), str) and m["role"].lower() in ROLE_OF
        for m in messages
    )


def _conversation(place: str, record: Any) -> Iterator[ImportItem]:
    if not isinstance(record, dict) or not isinstance(record.get("messages"), list):
        yield Skip(place, "expected an object with a 'messages' list")
        return
    turns: list[Turn] = []
    for i, message in enumerate(record["messages"]):
        where = f"{place}.messages[{i}]"
        turn = _turn(where, message)
        if isinstance(turn, Skip):
            yield turn
        else:
            turns.append(turn)
    if not turns:
        yield Skip(place, "conversation has no messages with text")
        return
    rid = record.get("id")
    key = str(rid) if isinstance(rid, (str, int)) and not isinstance(rid, bool) else ""
    meta = {k: record[k] for k in RECORD_META if record.get(k)}
    yield Conversation(key=key, title=None, place=place, turns=turns, meta=meta)


def _turn(place: str, message: Any) -> Turn | Skip:
    if not isinstance(message, dict):
        return Skip(place, "expected a message object with 'role' and 'content'")
    raw_role = message.get("role")
    if not isinstance(raw_role, str) or not raw_role:
        return Skip(place, "message has no 'role'")
    content = _content_text(message.get("content"))
    if content is None:
        return Skip(place, "message 'content' is neither text, a list of parts nor null")
    calls = _tool_calls(message)
    text = "\n".join(part for part in (content, *(_render_call(c) for c in calls)) if part)
    if not text.strip():
        return Skip(place, "message has no text")
    name = message.get("name")
    speaker = name if isinstance(name, str) and name else raw_role
    meta: dict[str, object] = {}
    if calls:
        meta["tool_calls"] = calls
    for field in ("tool_call_id", "weight"):
        if message.get(field) is not None:
            meta[field] = message[field]
    mid = message.get("id")
    return Turn(
        speaker=speaker,
        text=text,
        place=place,
        role=ROLE_OF.get(raw_role.lower()),
        key=mid if isinstance(mid, str) else "",
        meta=meta,
    )


def _content_text(content: Any) -> str | None:
    """The message's text, or None when ``content`` has a shape the format does not allow."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        content = [content]
    if not isinstance(content, list):
        return None
    pieces = [_part_text(part) for part in content]
    return "\n".join(p for p in pieces if p)


def _part_text(part: Any) -> str:
    if isinstance(part, str):
        return part
    if not isinstance(part, dict):
        return ""
    kind = part.get("type")
    for key in TEXT_PART_KEYS:
        if isinstance(part.get(key), str):
            return str(part[key])
    if isinstance(kind, str) and kind not in TEXT_PART_KEYS:
        return MEDIA_MARKER.get(kind, f"[{kind}]")
    return ""


def _tool_calls(message: Mapping[str, Any]) -> list[dict[str, str]]:
    """An assistant message's calls as ``{id, name, arguments}``, legacy ``function_call`` too."""
    raw = message.get("tool_calls")
    calls = raw if isinstance(raw, list) else []
    if isinstance(message.get("function_call"), dict):
        calls = [*calls, {"function": message["function_call"]}]
    out = []
    for call in calls:
        if not isinstance(call, dict):
            continue
        inner = call.get("function")
        function: dict[str, Any] = inner if isinstance(inner, dict) else call
        name = function.get("name")
        if not isinstance(name, str) or not name:
            continue
        arguments = function.get("arguments")
        if not isinstance(arguments, str):
            # Arguments are a JSON string in the API; some tools store the object itself.
            arguments = json.dumps(arguments, ensure_ascii=False) if arguments is not None else ""
        cid = call.get("id")
        cid = cid if isinstance(cid, str) else ""
        out.append({"id": cid, "name": name, "arguments": arguments})
    return out


def _render_call(call: Mapping[str, str]) -> str:
    return f"[tool call] {call['name']}({call['arguments']})"
