"""Telegram Desktop's JSON export (``result.json``): one chat, or a whole account.

A single chat is ``{name, type, id, messages: [...]}``; "Export Telegram data" writes
``{about, personal_information, ..., chats: {list: [chat, ...]}, left_chats: {list: [...]}}``,
and some versions and tools write ``chats`` as a plain list of chats. The file is streamed,
one message at a time (see ``telegram_stream``), so a export of any size reads in flat memory.

Each conversational chat becomes a conversation keyed by its id: private chats, bot chats,
groups and supergroups. Channels are broadcasts, posts by the channel with no replies in
them (comments live in a linked discussion group, exported as a supergroup), so they teach
no exchange: they are skipped unless the ``channels`` option asks for them. Saved Messages
(notes to oneself), the Replies digest and the login codes chat are always skipped. In a bot
chat the bot's messages get the assistant role and the person's the user role.

Messages carry ``text`` either as a string or as a list of strings and entities (``{type:
bold|link|mention..., text}``): the visible text is their concatenation. Service messages
(joins, calls, pins) are counted per action, not imported. Media without a caption stays as
a ``[media]`` turn so the conversation keeps its shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from itertools import chain
from typing import Any, ClassVar

from afina.engine.errors import ParseError
from afina.engine.ingest.contract import STREAMS, Importer
from afina.engine.ingest.inputs import InputFile, InputItem
from afina.engine.ingest.jsonio import first_char
from afina.engine.ingest.textio import TextStats, head_text, repairs
from afina.engine.plugins import Option
from afina.engine.types import Conversation, ImportItem, Role, Skip, Turn
from afina.plugins.importers.telegram_stream import Chat, iter_chats

MEDIA_TEXT = "[media]"
# Service messages of one kind listed with their places, per chat; past these, one summary.
PLACES_PER_ACTION = 3
# The same for other skipped messages (no text, not an object), per reason.
PLACES_PER_REASON = 20
CHANNELS = frozenset({"private_channel", "public_channel"})
# Chat types that hold no exchange between people, and why they are skipped.
NOT_CONVERSATIONS = {
    "saved_messages": "Saved Messages: notes to oneself, not a conversation",
    "replies": "the Replies chat: copies of replies made in other chats",
    "verification_codes": "the login codes chat, not a conversation",
}
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
_ACCOUNT = re.compile(
    r'"personal_information"\s*:|"chats"\s*:\s*(?:\{\s*"(?:about|list)"\s*:|\[\s*\{)'
)
_MESSAGES = re.compile(r'"messages"\s*:\s*\[')
_TELEGRAM_FIELDS = re.compile(
    r'"date_unixtime"\s*:|"from_id"\s*:\s*"(?:user|channel)\d|"text_entities"\s*:'
)
_LOCAL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?")


class TelegramImporter(Importer):
    name: ClassVar[str] = "telegram"
    description: ClassVar[str] = "Telegram Desktop JSON export (result.json): a chat or an account"
    # Streamed: memory is bounded by the biggest single message, not the file.
    capabilities: ClassVar[frozenset[str]] = frozenset({STREAMS})
    extensions: ClassVar[tuple[str, ...]] = (".json",)
    options: ClassVar[tuple[Option, ...]] = (
        Option(
            "channels",
            "bool",
            False,
            "import channels too (broadcast posts by the channel, no replies; skipped otherwise)",
        ),
    )

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
        channels = bool(options.get("channels", False))
        for chat in iter_chats(item, stats):
            if isinstance(chat, Skip):
                yield chat
                continue
            left_out = _left_out(chat.fields.get("type"), channels)
            if left_out:
                yield Skip(chat.place, left_out)
                continue
            yield from _chat(chat)
        yield from repairs(stats)


def _left_out(kind: Any, channels: bool) -> str | None:
    """Why a chat of this type is not imported; None when it is."""
    if not isinstance(kind, str):
        return None  # no type (older or hand-made exports): read it
    if kind in CHANNELS and not channels:
        return (
            f"{kind}: broadcast posts, not a conversation "
            "(--option telegram.channels=true imports them)"
        )
    return NOT_CONVERSATIONS.get(kind)


def _chat(chat: Chat) -> Iterator[ImportItem]:
    """The chat as one conversation whose turns are read as they are pulled, then its skips."""
    tally = _Tally()
    turns = _turns(chat, tally)
    first = next(turns, None)
    if first is not None:
        fields = chat.fields
        name = fields.get("name")
        title = name if isinstance(name, str) and name else None
        meta = {"type": fields["type"]} if isinstance(fields.get("type"), str) else {}
        yield Conversation(_chat_key(fields), title, chat.place, chain([first], turns), meta)
        for _ in turns:  # the consumer may have stopped early: finish counting what was skipped
            pass
    yield from tally.items()
    if first is None:
        yield Skip(chat.place, "chat has no messages to import")


def _turns(chat: Chat, tally: _Tally) -> Iterator[Turn]:
    bot = _bot_ids(chat.fields)
    for where, msg in chat.messages():
        if isinstance(msg, dict) and msg.get("type") == "service":
            action = msg.get("action")
            tally.service(action if isinstance(action, str) else "unknown", where)
            continue
        turn = _turn(where, msg, bot)
        if isinstance(turn, Skip):
            tally.skip(turn.reason, where)
        else:
            yield turn


def _bot_ids(fields: Mapping[str, Any]) -> tuple[str, str] | None:
    """In a bot chat, how the bot's own messages are signed: ``from_id`` "user<chat id>" and
    ``from`` the chat's name. None for other chats (their turns get no roles)."""
    if fields.get("type") != "bot_chat":
        return None
    cid, name = fields.get("id"), fields.get("name")
    return (f"user{cid}" if cid is not None else "", name if isinstance(name, str) else "")


class _Tally:
    """A chat's skips: the first few places per reason, then how many more (flat memory)."""

    def __init__(self) -> None:
        self.skips: dict[str, list[str]] = {}
        self.services: dict[str, list[str]] = {}
        self.counts: dict[tuple[bool, str], int] = {}

    def skip(self, reason: str, where: str) -> None:
        self._add(self.skips, False, reason, where, PLACES_PER_REASON)

    def service(self, action: str, where: str) -> None:
        self._add(self.services, True, action, where, PLACES_PER_ACTION)

    def _add(
        self, places: dict[str, list[str]], service: bool, key: str, where: str, keep: int
    ) -> None:
        listed = places.setdefault(key, [])
        if len(listed) < keep:
            listed.append(where)
        self.counts[service, key] = self.counts.get((service, key), 0) + 1

    def items(self) -> Iterator[Skip]:
        for service, places in ((False, self.skips), (True, self.services)):
            for key, listed in places.items():
                reason = f"service message ({key})" if service else key
                for where in listed:
                    yield Skip(where, reason)
                more = self.counts[service, key] - len(listed)
                if more > 0:
                    yield Skip(f"after {listed[-1]}", f"{reason}, more not listed", more)


def _chat_key(chat: Mapping[str, Any]) -> str:
    """The chat id (stable across exports of the account), else its name."""
    cid = chat.get("id")
    if isinstance(cid, (int, str)) and not isinstance(cid, bool) and str(cid):
        return str(cid)
    name = chat.get("name")
    return name if isinstance(name, str) else ""


def _turn(where: str, msg: Any, bot: tuple[str, str] | None = None) -> Turn | Skip:
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
    role: Role | None = None
    if bot is not None:
        by_bot = (bot[0] and msg.get("from_id") == bot[0]) or (bot[1] and msg.get("from") == bot[1])
        role = "assistant" if by_bot else "user"
    return Turn(
        speaker=_speaker(msg),
        text=text,
        place=where,
        role=role,
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
        a["text"]
        for a in (answers if isinstance(answers, list) else [])
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
