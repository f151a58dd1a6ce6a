"""ChatGPT data export: ``conversations.json``, conversations whose messages form a tree.

Each conversation has a ``mapping`` of nodes ``{id, message, parent, children}``; every
regenerated answer or edited prompt is a branch. We import the branch the person last saw
(from ``current_node`` up to the root), and keep regenerated answers as ``alternatives``
of the assistant turn they competed with. Model reasoning (``thoughts``,
``reasoning_recap``), custom instructions and hidden messages are counted as skips, never
turns; the empty system message every conversation starts with is structure and is
dropped silently. Tool calls (``code`` to the python tool, browsing) stay as turns with
their ``recipient`` in meta, tool output becomes ``tool`` turns.

Also accepts one conversation object instead of a list. Exports of hundreds of MB are
streamed one conversation at a time.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, ClassVar, cast

from afina.engine.ingest.contract import HAS_ROLES, STREAMS, Importer, as_file
from afina.engine.ingest.inputs import InputItem
from afina.engine.ingest.jsonio import checked_records, json_head
from afina.engine.ingest.textio import TextStats, repairs
from afina.engine.types import ROLES, Conversation, ImportItem, Role, Skip, Turn
from afina.plugins.importers._tree import MessageTree

_MAPPING = re.compile(r'"mapping"\s*:\s*\{')
_CURRENT_NODE = re.compile(r'"current_node"\s*:')
_AUTHOR_ROLE = re.compile(r'"author"\s*:\s*\{[^{}]*"role"\s*:')
_PARENT = re.compile(r'"parent"\s*:')

# Content that is not conversation text: counted as a skip with this reason.
_NOT_TURNS = {
    "thoughts": "model reasoning (thoughts) is not imported",
    "reasoning_recap": "model reasoning summary is not imported",
    "user_editable_context": "custom instructions are not imported",
    "model_editable_context": "model memory context is not imported",
}
# Non-text parts of a message, shown as a placeholder so the text still reads right.
_PLACEHOLDERS = {
    "image_asset_pointer": "[image]",
    "audio_asset_pointer": "[audio]",
    "real_time_user_audio_video_asset_pointer": "[audio]",
    "video_container_asset_pointer": "[video]",
}


class ChatGPTImporter(Importer):
    name: ClassVar[str] = "chatgpt"
    description: ClassVar[str] = (
        "ChatGPT export (conversations.json): the branch last shown, regenerations as alternatives"
    )
    # Big exports are streamed; memory is bounded by the largest single conversation.
    capabilities: ClassVar[frozenset[str]] = frozenset({HAS_ROLES, STREAMS})
    extensions: ClassVar[tuple[str, ...]] = (".json",)

    def sniff(self, item: InputItem) -> float:
        head = json_head(item)
        if not _MAPPING.search(head):
            return 0.0
        if _CURRENT_NODE.search(head):
            return 0.95
        if _AUTHOR_ROLE.search(head):
            return 0.9
        # A mapping of parent-linked nodes whose messages are past the head: likely, not sure.
        return 0.6 if _PARENT.search(head) else 0.2

    def read(self, item: InputItem, options: Mapping[str, Any]) -> Iterator[ImportItem]:
        file = as_file(item)
        stats = TextStats()
        records = checked_records(
            file,
            stats,
            "mapping",
            single="expected a ChatGPT conversation (an object with a 'mapping') or a list of them",
            listed="expected a list of ChatGPT conversation objects",
            missing="expected ChatGPT conversations: objects with a 'mapping'",
        )
        for place, record in records:
            yield from _conversation(place, record)
        yield from repairs(stats)


@dataclass
class _Branch:
    """Turns of the chosen branch being built, and alternatives waiting for their answer."""

    turns: list[Turn]
    last_answer: int | None = None  # index of the latest assistant turn since the last user turn
    pending: list[str] | None = None
    started: bool = False  # a non-system turn has been seen: empty system messages now count

    def add(self, turn: Turn) -> None:
        if turn.role == "user":
            self.settle()
        if turn.role == "assistant":
            self.last_answer = len(self.turns)
        self.turns.append(turn)

    def settle(self) -> None:
        """Give waiting alternatives to the last answer of the exchange that just ended."""
        if self.pending and self.last_answer is not None:
            t = self.turns[self.last_answer]
            self.turns[self.last_answer] = replace(t, alternatives=(*t.alternatives, *self.pending))
        self.pending = None
        self.last_answer = None


def _conversation(place: str, record: Any) -> Iterator[ImportItem]:
    if not isinstance(record, dict):
        yield Skip(place, "expected a conversation object")
        return
    mapping = record.get("mapping")
    if not isinstance(mapping, dict) or not mapping:
        yield Skip(place, "conversation has no 'mapping' of messages")
        return
    nodes: dict[str, dict[str, Any]] = {}
    for nid, node in mapping.items():
        if isinstance(node, dict):
            nodes[str(nid)] = node
        else:
            yield Skip(_node_place(place, str(nid)), "expected a node object")
    tree = _tree(nodes)
    path = _chosen_path(tree, record.get("current_node"))
    branch = _Branch(turns=[])
    for i, nid in enumerate(path):
        node_place = _node_place(place, nid)
        message = nodes[nid].get("message")
        if message is None:
            continue  # the structural root
        if not isinstance(message, dict):
            yield Skip(node_place, "expected a message object")
            continue
        if i > 0:
            _collect_alternatives(branch, tree, nodes, nid)
        reply_to = branch.turns[-1].key if branch.turns else None
        result = _turn(nid, node_place, message, reply_to, branch.started)
        if isinstance(result, Skip):
            yield result
        elif result is not None:
            branch.started = branch.started or result.role != "system"
            branch.add(result)
    branch.settle()
    if not branch.turns:
        yield Skip(place, "conversation has no messages to import")
        return
    yield Conversation(
        key=_conversation_key(record),
        title=record["title"] if isinstance(record.get("title"), str) else None,
        place=place,
        turns=branch.turns,
        meta=_conversation_meta(record, nodes, path),
    )


def _node_place(place: str, nid: str) -> str:
    return f"{place}.mapping[{nid!r}]"


def _tree(nodes: dict[str, dict[str, Any]]) -> MessageTree:
    """Link nodes by ``parent``, filling gaps from ``children`` (some exports have only one)."""
    parent: dict[str, str | None] = {}
    for nid, node in nodes.items():
        up = node.get("parent")
        parent[nid] = up if isinstance(up, str) and up in nodes and up != nid else None
    for nid, node in nodes.items():
        kids = node.get("children")
        for kid in kids if isinstance(kids, list) else ():
            if isinstance(kid, str) and kid in nodes and kid != nid and parent[kid] is None:
                parent[kid] = nid
    created = {nid: _message_time(node.get("message")) for nid, node in nodes.items()}
    return MessageTree(list(nodes), parent, created)


def _chosen_path(tree: MessageTree, current: Any) -> list[str]:
    if isinstance(current, str) and current in tree:
        return tree.path_to(current)
    return tree.latest_path()


def _collect_alternatives(
    branch: _Branch, tree: MessageTree, nodes: dict[str, dict[str, Any]], nid: str
) -> None:
    """Where the branch chose one of several assistant answers, remember the others' texts."""
    if _role(nodes[nid].get("message")) != "assistant":
        return
    for sib in tree.siblings(nid):
        if _role(nodes[sib].get("message")) != "assistant":
            continue
        text = _branch_answer(tree, nodes, sib)
        if text is not None:
            branch.pending = [*(branch.pending or []), text]


def _branch_answer(tree: MessageTree, nodes: dict[str, dict[str, Any]], start: str) -> str | None:
    """The final visible answer of an abandoned branch, following its newest nodes down to the
    next user message (a regeneration may think, call tools, then answer)."""
    answer: str | None = None
    seen: set[str] = set()
    cur: str | None = start
    while cur is not None and cur not in seen:
        seen.add(cur)
        message = nodes[cur].get("message")
        if _role(message) == "user":
            break
        if isinstance(message, dict) and _role(message) == "assistant" and _visible(message):
            text = _text(message.get("content"))
            if text and text.strip() and message.get("recipient") in (None, "all"):
                answer = text
        cur = tree.newest_child(cur)
    return answer


def _turn(
    nid: str, place: str, message: dict[str, Any], reply_to: str | None, started: bool
) -> Turn | Skip | None:
    """One message as a turn, a counted skip, or None for structure that is not worth a word."""
    role = _role(message)
    content = message.get("content")
    ctype = content.get("content_type") if isinstance(content, dict) else None
    text = _text(content)
    if not started and role == "system" and _blank(text) and not _custom(message):
        return None  # the empty system message a conversation starts with: structure
    if _custom(message):
        return Skip(place, "custom instructions (user system message) are not imported")
    if not _visible(message):
        return Skip(place, "message hidden from the conversation view")
    if isinstance(ctype, str) and ctype in _NOT_TURNS:
        return Skip(place, _NOT_TURNS[ctype])
    if text is None:
        reason = f"unsupported content type {ctype!r}" if ctype else "message has no content"
        return Skip(place, reason)
    if not text.strip():
        return Skip(place, "empty message")
    author = message.get("author")
    name = author.get("name") if isinstance(author, dict) else None
    return Turn(
        speaker=name if isinstance(name, str) and name else (role or ""),
        text=text,
        place=place,
        role=role,
        timestamp=_iso(_message_time(message)),
        key=nid,
        reply_to=reply_to,
        meta=_turn_meta(message, content),
    )


def _blank(text: str | None) -> bool:
    """Readable content that says nothing (as opposed to content we cannot read)."""
    return text is not None and not text.strip()


def _role(message: Any) -> Role | None:
    if not isinstance(message, dict):
        return None
    author = message.get("author")
    role = author.get("role") if isinstance(author, dict) else None
    return cast(Role, role) if isinstance(role, str) and role in ROLES else None


def _metadata(message: dict[str, Any]) -> dict[str, Any]:
    meta = message.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _visible(message: dict[str, Any]) -> bool:
    return _metadata(message).get("is_visually_hidden_from_conversation") is not True


def _custom(message: dict[str, Any]) -> bool:
    return _metadata(message).get("is_user_system_message") is True


def _text(content: Any) -> str | None:
    """The message's text, or None when its content has no text we know how to read."""
    if not isinstance(content, dict):
        return None
    ctype = content.get("content_type")
    parts = content.get("parts")
    if isinstance(parts, list):
        return "\n".join(p for p in (_part(x) for x in parts) if p)
    if ctype == "tether_browsing_display":
        for field in ("result", "summary"):
            if isinstance(content.get(field), str):
                return str(content[field])
    if isinstance(content.get("text"), str):  # code, execution_output, tether_quote, system_error
        return str(content["text"])
    return None


def _part(part: Any) -> str:
    if isinstance(part, str):
        return part
    if not isinstance(part, dict):
        return ""
    kind = part.get("content_type")
    if isinstance(kind, str) and kind in _PLACEHOLDERS:
        return _PLACEHOLDERS[kind]
    if isinstance(part.get("text"), str):  # audio transcriptions and the like
        return str(part["text"])
    return f"[{kind}]" if isinstance(kind, str) and kind else "[attachment]"


def _turn_meta(message: dict[str, Any], content: Any) -> dict[str, object]:
    meta: dict[str, object] = {}
    recipient = message.get("recipient")
    if isinstance(recipient, str) and recipient != "all":
        meta["recipient"] = recipient
    if isinstance(content, dict):
        ctype = content.get("content_type")
        if isinstance(ctype, str) and ctype != "text":
            meta["content_type"] = ctype
        for field in ("language", "url", "domain"):
            if isinstance(content.get(field), str) and content[field] not in ("", "unknown"):
                meta[field] = content[field]
    model = _metadata(message).get("model_slug")
    if _role(message) == "assistant" and isinstance(model, str) and model:
        meta["model"] = model
    return meta


def _conversation_key(record: dict[str, Any]) -> str:
    for field in ("conversation_id", "id"):
        value = record.get(field)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return str(value)
    return ""


def _conversation_meta(
    record: dict[str, Any], nodes: dict[str, dict[str, Any]], path: list[str]
) -> dict[str, object]:
    meta: dict[str, object] = {}
    for field in ("create_time", "update_time"):
        stamp = _iso(_unix(record.get(field)))
        if stamp:
            meta[field] = stamp
    model = record.get("default_model_slug")
    if isinstance(model, str) and model:
        meta["model"] = model
    on_path = set(path)
    # Messages on other branches are not imported; say how many, so nothing vanishes unseen.
    off = sum(
        1 for nid, n in nodes.items() if nid not in on_path and isinstance(n.get("message"), dict)
    )
    if off:
        meta["other_branch_messages"] = off
    return meta


def _message_time(message: Any) -> float | None:
    return _unix(message.get("create_time")) if isinstance(message, dict) else None


def _unix(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        value = float(value)
    except OverflowError:  # an integer too big for a float
        return None
    # Outside what datetime can show (years 1..9999): treated as missing, not an error.
    return value if math.isfinite(value) and -62e9 < value < 253e9 else None


def _iso(t: float | None) -> str | None:
    if t is None:
        return None
    try:
        return datetime.fromtimestamp(t, tz=timezone.utc).isoformat()
    except (OverflowError, OSError, ValueError):
        return None
