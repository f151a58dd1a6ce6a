"""Telegram Desktop's JSON export (``result.json``): one chat, or a whole account.

A single chat is ``{name, type, id, messages: [...]}``; "Export Telegram data" writes
``{about, personal_information, ..., chats: {list: [chat, ...]}, left_chats: {list: [...]}}``.
Each chat becomes a conversation keyed by its id. Messages carry ``text`` either as a string
or as a list of strings and entities (``{type: bold|link|mention..., text}``): the visible
text is their concatenation. Service messages (joins, calls, pins) are counted per action,
not imported. Media without a caption stays as a ``[media]`` turn so the conversation keeps
its shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import Any, ClassVar

from afina.engine.errors import ParseError
from afina.engine.ingest.contract import Importer
from afina.engine.ingest.inputs import InputFile, InputItem
from afina.engine.ingest.jsonio import first_char, load_json
from afina.engine.ingest.textio import TextStats, head_text
from afina.engine.types import Conversation, ImportItem, Repair, Skip, Turn

MEDIA_TEXT = "[media]"
# Service messages of one kind listed with their places, per chat; past these, one summary.
PLACES_PER_ACTION = 3
# Keys of a message that mean it carries something besides text, and the kind to record.
MEDIA_KEYS = (
    ("media_type", None),
    ("photo", "photo"),
    ("file", "file"),
    ("sticker_emoji", "sticker"),
    ("location_information", "location"),
    ("contact_information", "contact"),
    ("game_title", "game"),
    ("invoice_information", "invoice"),
)
CHAT_TYPES = (
    "personal_chat|private_group|private_supergroup|public_supergroup|private_channel"
    "|public_channel|bot_chat|saved_messages"
)
_SINGLE_CHAT = re.compile(rf'"type"\s*:\s*"(?:{CHAT_TYPES})"')
_ACCOUNT = re.compile(r'"personal_information"\s*:|"chats"\s*:\s*\{\s*"(?:about|list)"\s*:')
_MESSAGES = re.compile(r'"messages"\s*:\s*\[')
_TELEGRAM_FIELDS = re.compile(
    r'"date_unixtime"\s*:|"from_id"\s*:\s*"(?:user|channel)\d|"text_entities"\s*:'
)
_LOCAL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?")


class TelegramImporter(Importer):
    name: ClassVar[str] = "telegram"
    description: ClassVar[str] = "Telegram Desktop JSON export (result.json): a chat or an account"
    extensions: ClassVar[tuple[str, ...]] = (".json",)

    def sniff(self, item: InputItem) -> float:
        if not isinstance(item, InputFile):
            return 0.0
        try:
            if first_char(item) != "{":
                return 0.0
            head = head_text(item)
        except Exception:  # a sniffer never raises: unreadable means "not mine"
            return 0.0
        telegram_fields = _TELEGRAM_FIELDS.search(head) is not None
        if _ACCOUNT.search(head) and (telegram_fields or "personal_information" in head):
            return 0.9
        if _MESSAGES.search(head) and (_SINGLE_CHAT.search(head) or telegram_fields):
            return 0.9 if item.basename == "result.json" or _SINGLE_CHAT.search(head) else 0.8
        return 0.0

    def read(self, item: InputItem, options: Mapping[str, Any]) -> Iterator[ImportItem]:
        if not isinstance(item, InputFile):
            raise ParseError("whole input", "expected one Telegram result.json file")
        stats = TextStats()
        doc = load_json(item, stats)
        for place, chat in _chats(doc):
            yield from _chat(place, chat)
        if stats.replaced:
            where = f"line {stats.first_replaced_line}"
            yield Repair(where, "undecodable bytes replaced", stats.replaced)


def _chats(doc: Any) -> Iterator[tuple[str, Any]]:
    """(place, chat) for each chat of a single-chat or a whole-account export."""
    if isinstance(doc, dict) and "messages" in doc:
        if not isinstance(doc["messages"], list):
            raise ParseError("$.messages", "expected a list of messages")
        yield "$", doc
        return
    sections = [s for s in ("chats", "left_chats") if isinstance(doc, dict) and s in doc]
    if not sections:
        raise ParseError(
            "$",
            "expected a Telegram export: a chat {name, type, id, messages: [...]} "
            "or an account export with chats: {list: [...]}",
        )
    for section in sections:
        listed = doc[section].get("list") if isinstance(doc[section], dict) else None
        if not isinstance(listed, list):
            raise ParseError(section, "expected {list: [chat, ...]}")
        for i, chat in enumerate(listed):
            yield f"{section}.list[{i}]", chat


def _chat(place: str, chat: Any) -> Iterator[ImportItem]:
    if not isinstance(chat, dict) or not isinstance(chat.get("messages"), list):
        yield Skip(place, "expected a chat with a 'messages' list")
        return
    prefix = "" if place == "$" else f"{place}."
    turns: list[Turn] = []
    skips: list[Skip] = []
    services: dict[str, list[str]] = {}
    for i, msg in enumerate(chat["messages"]):
        where = f"{prefix}messages[{i}]"
        if isinstance(msg, dict) and msg.get("type") == "service":
            action = msg.get("action")
            services.setdefault(action if isinstance(action, str) else "unknown", []).append(where)
            continue
        turn = _turn(where, msg)
        if isinstance(turn, Skip):
            skips.append(turn)
        else:
            turns.append(turn)
    if turns:
        name = chat.get("name")
        title = name if isinstance(name, str) and name else None
        meta = {"type": chat["type"]} if isinstance(chat.get("type"), str) else {}
        yield Conversation(_chat_key(chat), title, place, turns, meta)
    yield from skips
    yield from _service_skips(services)
    if not turns:
        yield Skip(place, "chat has no messages to import")


def _chat_key(chat: dict[str, Any]) -> str:
    """The chat id (stable across exports of the account), else its name."""
    cid = chat.get("id")
    if isinstance(cid, (int, str)) and not isinstance(cid, bool) and str(cid):
        return str(cid)
    name = chat.get("name")
    return name if isinstance(name, str) else ""


def _service_skips(services: dict[str, list[str]]) -> Iterator[Skip]:
    for action, places in services.items():
        reason = f"service message ({action})"
        for where in places[:PLACES_PER_ACTION]:
            yield Skip(where, reason)
        more = len(places) - PLACES_PER_ACTION
        if more > 0:
            last = places[PLACES_PER_ACTION - 1]
            yield Skip(f"after {last}", f"{reason}, more not listed", more)


def _turn(where: str, msg: Any) -> Turn | Skip:
    if not isinstance(msg, dict):
        return Skip(where, "expected a message object")
    kind = msg.get("type", "message")
    if kind != "message":
        return Skip(where, f"unknown message type {kind!r}")
    text = _text(msg.get("text"))
    if not text:
        text = _text(msg.get("text_entities")) or ""
    meta: dict[str, object] = {}
    poll = _poll(msg.get("poll"))
    if poll:
        text = f"{text}\n{poll}" if text else poll
        meta["poll"] = True
    media = _media(msg)
    if not text.strip():
        if media is None:
            return Skip(where, "message has no text")
        text = MEDIA_TEXT
        meta["media"] = True
    if media is not None:
        meta["media_type"] = media
    for key in ("from_id", "forwarded_from", "sticker_emoji"):
        if isinstance(msg.get(key), str):
            meta[key] = msg[key]
    return Turn(
        speaker=_speaker(msg),
        text=text,
        place=where,
        timestamp=_timestamp(msg),
        key=_id(msg.get("id")) or "",
        reply_to=_id(msg.get("reply_to_message_id")),
        meta=meta,
    )


def _text(value: Any) -> str | None:
    """The visible text of ``text`` or ``text_entities``: strings and entities' texts joined."""
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        return None
    parts = []
    for part in value:
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, dict) and isinstance(part.get("text"), str):
            parts.append(part["text"])
    return "".join(parts)


def _poll(value: Any) -> str:
    if not isinstance(value, dict) or not isinstance(value.get("question"), str):
        return ""
    answers = value.get("answers")
    options = [
        a["text"] for a in (answers if isinstance(answers, list) else [])
        if isinstance(a, dict) and isinstance(a.get("text"), str)
    ]
    return "\n".join([value["question"], *(f"- {o}" for o in options)])


def _media(msg: dict[str, Any]) -> str | None:
    for key, kind in MEDIA_KEYS:
        value = msg.get(key)
        if value is not None and value != "":
            return kind or (value if isinstance(value, str) else key)
    return None


def _speaker(msg: dict[str, Any]) -> str:
    for key in ("from", "author", "from_id"):
        value = msg.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def _timestamp(msg: dict[str, Any]) -> str | None:
    """UTC from ``date_unixtime`` (newer exports); else the local ``date`` as written."""
    unix = msg.get("date_unixtime")
    if isinstance(unix, (str, int)) and not isinstance(unix, bool):
        try:
            return datetime.fromtimestamp(int(unix), timezone.utc).isoformat()
        except (ValueError, OverflowError, OSError):
            pass
    date = msg.get("date")
    if isinstance(date, str) and _LOCAL_DATE.fullmatch(date):
        return date
    return None


def _id(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or value == "":
        return None
    return str(value)
