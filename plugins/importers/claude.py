"""Claude.ai data export: ``conversations.json``, conversations of ``chat_messages``.

Messages link to their parent through ``parent_message_uuid``; a retried answer or an edited
prompt starts a new branch. We import the branch that ends at the most recently created
message and keep retried sibling answers as ``alternatives``. Old-style exports have no
parent links and no ``content`` blocks: their messages are one chain in file order.

How content blocks become a turn (one message is always exactly one turn):

- ``text`` blocks are the turn's text, joined by blank lines; without any, the message's
  ``text`` field is used.
- ``thinking`` blocks are the model's private reasoning: not text, only counted in meta.
- ``tool_use`` / ``tool_result`` blocks stay inside the assistant message that made them,
  in ``meta["tool_uses"]`` and ``meta["tool_results"]``, so the answer reads as one turn and
  a retried answer still lines up with the one it replaced.
- ``attachments`` with ``extracted_content`` are appended to the text as
  ``[attachment: name]`` blocks, since that text is what the model saw; uploaded ``files``
  (images, PDFs) leave a ``[file: name]`` line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

from afina.engine.ingest.contract import HAS_ROLES, STREAMS, Importer, as_file
from afina.engine.ingest.inputs import InputItem
from afina.engine.ingest.jsonio import checked_records, json_head
from afina.engine.ingest.textio import TextStats, repairs
from afina.engine.types import Conversation, ImportItem, Role, Skip, Turn
from afina.plugins.importers._tree import MessageTree

_CHAT_MESSAGES = re.compile(r'"chat_messages"\s*:\s*\[')
_SENDER = re.compile(r'"sender"\s*:\s*"')
_EMPTY_MESSAGES = re.compile(r'"chat_messages"\s*:\s*\[\s*\]')
_ROLE_OF: dict[str, Role] = {"human": "user", "assistant": "assistant"}
# ISO 8601 as Claude writes it ("2026-02-01T09:00:00.000000Z"), read by hand because
# datetime.fromisoformat on Python 3.10 rejects "Z" and odd fraction lengths.
_ISO = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d+))?)?\s*(Z|[+-]\d\d:?\d\d)?$"
)


class ClaudeImporter(Importer):
    name: ClassVar[str] = "claude"
    description: ClassVar[str] = (
        "Claude.ai export (conversations.json): the latest branch, retried answers as alternatives"
    )
    # Big exports are streamed; memory is bounded by the largest single conversation.
    capabilities: ClassVar[frozenset[str]] = frozenset({HAS_ROLES, STREAMS})
    extensions: ClassVar[tuple[str, ...]] = (".json",)

    def sniff(self, item: InputItem) -> float:
        head = json_head(item)
        if not _CHAT_MESSAGES.search(head):
            return 0.0
        if _SENDER.search(head) or _EMPTY_MESSAGES.search(head):
            return 0.95
        return 0.7

    def read(self, item: InputItem, options: Mapping[str, Any]) -> Iterator[ImportItem]:
        file = as_file(item)
        stats = TextStats()
        records = checked_records(
            file,
            stats,
            "chat_messages",
            single="expected a Claude conversation (with 'chat_messages') or a list of them",
            listed="expected a list of Claude conversation objects",
            missing="expected Claude conversations: objects with 'chat_messages'",
        )
        for place, record in records:
            yield from _conversation(place, record)
        yield from repairs(stats)


def _conversation(place: str, record: Any) -> Iterator[ImportItem]:
    if not isinstance(record, dict):
        yield Skip(place, "expected a conversation object")
        return
    raw = record.get("chat_messages")
    if not isinstance(raw, list) or not raw:
        yield Skip(place, "conversation has no chat_messages")
        return
    messages: dict[str, tuple[int, dict[str, Any]]] = {}  # internal id -> (index, message)
    for i, msg in enumerate(raw):
        if isinstance(msg, dict):
            messages[_internal_id(msg, i, messages)] = (i, msg)
        else:
            yield Skip(f"{place}.chat_messages[{i}]", "expected a message object")
    tree = _tree(messages)
    path = tree.latest_path()
    turns: list[Turn] = []
    for nid in path:
        i, msg = messages[nid]
        # A repeated uuid gets no key, so keys stay unique within the conversation.
        key = nid if nid == msg.get("uuid") else ""
        result = _turn(f"{place}.chat_messages[{i}]", msg, key, turns[-1].key if turns else None)
        if isinstance(result, Skip):
            yield result
            continue
        if result.role == "assistant":
            alternatives = _alternatives(tree, messages, nid)
            if alternatives:
                result = replace(result, alternatives=alternatives)
        turns.append(result)
    if not turns:
        yield Skip(place, "conversation has no messages to import")
        return
    yield Conversation(
        key=_str(record.get("uuid")),
        title=_str(record.get("name")) or None,
        place=place,
        turns=turns,
        meta=_conversation_meta(record, len(messages) - len(path)),
    )


def _internal_id(msg: dict[str, Any], index: int, taken: Mapping[str, object]) -> str:
    """The message's uuid, or a position-based id where it has none or repeats one."""
    uuid = msg.get("uuid")
    if isinstance(uuid, str) and uuid and uuid not in taken:
        return uuid
    return f"#{index}"


def _tree(messages: dict[str, tuple[int, dict[str, Any]]]) -> MessageTree:
    """Link messages by ``parent_message_uuid``.

    A message without the field continues the one before it in the file (that is all an
    old-style export says); a parent that is not in the file (Claude's all-zero root id,
    or a deleted message) makes the message a root.
    """
    parent: dict[str, str | None] = {}
    created: dict[str, float | None] = {}
    previous: str | None = None
    for nid, (_, msg) in messages.items():
        if "parent_message_uuid" not in msg:
            parent[nid] = previous
        else:
            up = msg.get("parent_message_uuid")
            parent[nid] = up if isinstance(up, str) and up in messages and up != nid else None
        created[nid] = _epoch(msg.get("created_at"))
        previous = nid
    return MessageTree(list(messages), parent, created)


def _alternatives(
    tree: MessageTree, messages: dict[str, tuple[int, dict[str, Any]]], nid: str
) -> tuple[str, ...]:
    """Texts of the other answers to the same prompt (retries), oldest first."""
    out = []
    for sib in tree.siblings(nid):
        msg = messages[sib][1]
        if _ROLE_OF.get(_str(msg.get("sender"))) != "assistant":
            continue
        text = _message_text(msg)[0]
        if text.strip():
            out.append(text)
    return tuple(out)


def _turn(place: str, msg: dict[str, Any], key: str, reply_to: str | None) -> Turn | Skip:
    text, meta = _message_text(msg)
    text = _with_attachments(text, msg, meta)
    if not text.strip():
        return Skip(place, "empty or whitespace-only message")
    sender = _str(msg.get("sender"))
    return Turn(
        speaker=sender,
        text=text,
        place=place,
        role=_ROLE_OF.get(sender),
        timestamp=_iso(msg.get("created_at")),
        key=key,
        reply_to=reply_to or None,
        meta=meta,
    )


def _message_text(msg: dict[str, Any]) -> tuple[str, dict[str, object]]:
    """The text the message shows, from its content blocks or, failing those, its ``text``."""
    texts: list[str] = []
    thinking = 0
    uses: list[dict[str, object]] = []
    results: list[str] = []
    content = msg.get("content")
    for block in content if isinstance(content, list) else ():
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text" and isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif kind == "thinking":
            thinking += 1
        elif kind == "tool_use":
            uses.append({"name": _str(block.get("name")), "input": block.get("input")})
        elif kind == "tool_result":
            results.append(_tool_result_text(block.get("content")))
    joined = "\n\n".join(t for t in texts if t.strip())
    if not joined and isinstance(msg.get("text"), str):
        joined = msg["text"]
    meta: dict[str, object] = {}
    if thinking:
        meta["thinking_blocks"] = thinking
    if uses:
        meta["tool_uses"] = uses
    if results:
        meta["tool_results"] = results
    return joined, meta


def _tool_result_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            b["text"] for b in content if isinstance(b, dict) and isinstance(b.get("text"), str)
        )
    return ""


def _with_attachments(text: str, msg: dict[str, Any], meta: dict[str, object]) -> str:
    """Append attachments' extracted text (what the model read) and name uploaded files."""
    blocks = [text] if text.strip() else []
    attachments = msg.get("attachments")
    for att in attachments if isinstance(attachments, list) else ():
        if not isinstance(att, dict):
            continue
        name = _str(att.get("file_name")) or "unnamed"
        extracted = att.get("extracted_content")
        if isinstance(extracted, str) and extracted.strip():
            blocks.append(f"[attachment: {name}]\n{extracted}")
        else:
            blocks.append(f"[attachment: {name}]")
    files = _file_names(msg)
    blocks.extend(f"[file: {name}]" for name in files)
    if files:
        meta["files"] = files
    return "\n\n".join(blocks)


def _file_names(msg: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for field in ("files", "files_v2"):  # newer exports repeat files under files_v2
        entries = msg.get(field)
        for entry in entries if isinstance(entries, list) else ():
            name = _str(entry.get("file_name")) if isinstance(entry, dict) else ""
            if name and name not in names:
                names.append(name)
    return names


def _conversation_meta(record: dict[str, Any], off_branch: int) -> dict[str, object]:
    meta: dict[str, object] = {}
    for field in ("created_at", "updated_at"):
        stamp = _iso(record.get(field))
        if stamp:
            meta[field] = stamp
    summary = _str(record.get("summary"))
    if summary:
        meta["summary"] = summary
    if off_branch > 0:
        # Messages on other branches are not imported; say how many, so nothing vanishes unseen.
        meta["other_branch_messages"] = off_branch
    return meta


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _parse_time(value: Any) -> datetime | None:
    match = _ISO.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    tz: timezone | None = None
    if zone == "Z":
        tz = timezone.utc
    elif zone:
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        if offset >= timedelta(hours=24):
            return None
        tz = timezone(sign * offset)
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=tz,
        )
    except ValueError:
        return None


def _iso(value: Any) -> str | None:
    parsed = _parse_time(value)
    return parsed.isoformat() if parsed is not None else None


def _epoch(value: Any) -> float | None:
    """Creation time for ordering branches; a time without offset is taken as UTC."""
    parsed = _parse_time(value)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.timestamp()
    except (OverflowError, ValueError):
        return None
