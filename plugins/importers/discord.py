"""Discord channels exported by DiscordChatExporter, as JSON or CSV: one conversation a file.

JSON: ``{guild, channel: {id, name, ...}, messages: [{id, type, timestamp, content,
author: {id, name, nickname, isBot}, attachments, embeds, reference: {messageId}}]}``.
Exports of big servers run to gigabytes, so past the whole-document limit the messages are
streamed with ijson. CSV: columns ``AuthorID, Author, Date, Content, Attachments,
Reactions``; its dates follow the exporter's locale, so a date we cannot read leaves the
turn without a timestamp (counted) rather than guessing day from month.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from itertools import chain
from pathlib import PurePosixPath
from typing import Any, ClassVar

from afina.engine.errors import ParseError
from afina.engine.ingest.contract import STREAMS, Importer, as_file
from afina.engine.ingest.inputs import InputFile, InputItem
from afina.engine.ingest.jsonio import WHOLE_LIMIT, first_char, load_json, stream_items
from afina.engine.ingest.textio import TextStats, long_line_skips, repairs
from afina.engine.types import Conversation, ImportItem, Turn
from afina.plugins.importers.table_rows import (
    Tally,
    csv_rows,
    parse_when,
    safe_head,
)

# Message kinds that are people talking; the rest (joins, pins, calls ...) are notices.
SPOKEN_KINDS = frozenset({"Default", "Reply"})
CSV_COLUMNS = ("authorid", "author", "date", "content")

_GUILD = re.compile(r'"guild"\s*:\s*\{')
_CHANNEL = re.compile(r'"channel"\s*:\s*\{')
_MESSAGES = re.compile(r'"messages"\s*:\s*\[')
# The exporter names files "Guild - Category - channel [123456789].json".
_CHANNEL_ID = re.compile(r"\[(\d{5,})\]")


class DiscordJSONImporter(Importer):
    name: ClassVar[str] = "discord-json"
    description: ClassVar[str] = "Discord channel exported by DiscordChatExporter (JSON)"
    capabilities: ClassVar[frozenset[str]] = frozenset({STREAMS})
    extensions: ClassVar[tuple[str, ...]] = (".json",)

    def sniff(self, item: InputItem) -> float:
        if not isinstance(item, InputFile):
            return 0.0
        head = safe_head(item)
        if head.lstrip("\ufeff \t\r\n")[:1] != "{" or not _GUILD.search(head):
            return 0.0
        if _CHANNEL.search(head) and _MESSAGES.search(head):
            return 0.95
        return 0.6 if _CHANNEL.search(head) else 0.0

    def read(self, item: InputItem, options: Mapping[str, Any]) -> Iterator[ImportItem]:
        file = as_file(item)
        stats = TextStats()
        tally = Tally()
        if file.size > WHOLE_LIMIT and first_char(file) == "{":
            guild, channel, messages = _streamed_parts(file)
        else:
            guild, channel, messages = _whole_parts(load_json(file, stats))
        turns = (
            t
            for i, msg in enumerate(messages)
            if (t := _json_turn(f"messages[{i}]", msg, tally)) is not None
        )
        first = next(turns, None)
        if first is not None:
            yield Conversation(
                key=_text(channel.get("id")) or _channel_id_from_name(file),
                title=_title(guild, channel),
                place="messages",
                turns=chain([first], turns),
                meta=_channel_meta(guild, channel),
            )
            for _ in turns:  # a consumer that stopped early still gets the counts right
                pass
        yield from tally.skips()
        yield from repairs(stats)


class DiscordCSVImporter(Importer):
    name: ClassVar[str] = "discord-csv"
    description: ClassVar[str] = "Discord channel exported by DiscordChatExporter (CSV)"
    capabilities: ClassVar[frozenset[str]] = frozenset({STREAMS})
    extensions: ClassVar[tuple[str, ...]] = (".csv",)

    def sniff(self, item: InputItem) -> float:
        if not isinstance(item, InputFile):
            return 0.0
        first = safe_head(item, 4096).lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
        try:
            names = {c.strip().lower() for c in next(csv.reader([first]), [])}
        except csv.Error:
            return 0.0
        return 0.9 if names.issuperset(CSV_COLUMNS) else 0.0

    def read(self, item: InputItem, options: Mapping[str, Any]) -> Iterator[ImportItem]:
        file = as_file(item)
        stats = TextStats()
        tally = Tally()
        rows = csv_rows(file, stats)
        index = _csv_header(rows)
        turns = (
            t
            for lineno, row in rows
            if (t := _csv_turn(f"line {lineno}", row, index, tally)) is not None
        )
        first = next(turns, None)
        if first is not None:
            yield Conversation(
                key=_channel_id_from_name(file),
                title=_title_from_name(file),
                place=first.place,
                turns=chain([first], turns),
            )
            for _ in turns:
                pass
        yield from tally.skips()
        yield from long_line_skips(stats)
        yield from repairs(stats)


# ---------------------------------------------------------------- JSON


def _whole_parts(doc: object) -> tuple[dict[str, Any], dict[str, Any], list[object]]:
    if not isinstance(doc, dict) or not isinstance(doc.get("messages"), list):
        raise ParseError("$", "expected a DiscordChatExporter object with a 'messages' list")
    return _object(doc.get("guild")), _object(doc.get("channel")), doc["messages"]


def _streamed_parts(file: InputFile) -> tuple[dict[str, Any], dict[str, Any], Iterable[object]]:
    """guild and channel (they come first in the exporter's output), then messages as a stream."""
    return (
        _object(next(_ijson_items(file, "guild"), None)),
        _object(next(_ijson_items(file, "channel"), None)),
        _ijson_items(file, "messages.item"),
    )


def _ijson_items(file: InputFile, prefix: str) -> Iterator[object]:
    # through jsonio, whose depth guard refuses a hostile nesting before ijson builds it
    yield from stream_items(file, prefix)


def _json_turn(place: str, msg: object, tally: Tally) -> Turn | None:
    if not isinstance(msg, dict):
        tally.add("message is not an object", place)
        return None
    kind = _text(msg.get("type")) or "Default"
    if kind not in SPOKEN_KINDS:
        tally.add(f"{kind} notice", place)
        return None
    author = _object(msg.get("author"))
    text = _json_text(msg)
    if not text:
        tally.add("message without text or attachments", place)
        return None
    timestamp = parse_when(msg.get("timestamp"))
    if timestamp is None and msg.get("timestamp") is not None:
        tally.add("time not understood, turn kept without it", place)
    reference = _object(msg.get("reference"))
    meta: dict[str, object] = {}
    if author.get("isBot") is True:
        meta["bot"] = True
    if _text(author.get("id")):
        meta["author_id"] = _text(author.get("id"))
    return Turn(
        speaker=_text(author.get("nickname")) or _text(author.get("name")) or "unknown",
        text=text,
        place=place,
        timestamp=timestamp,
        key=_text(msg.get("id")),
        reply_to=_text(reference.get("messageId")) or None,
        meta=meta,
    )


def _json_text(msg: Mapping[str, Any]) -> str:
    """The content, then one line per attachment; embeds and stickers only when nothing else."""
    content = msg.get("content")
    parts: list[str] = [content] if isinstance(content, str) and content.strip() else []
    for a in _objects(msg.get("attachments")):
        name = _text(a.get("fileName")) or _basename(_text(a.get("url")))
        if name:
            parts.append(f"[attachment: {name}]")
    if not parts:
        for e in _objects(msg.get("embeds")):
            shown = "\n".join(x for x in (_text(e.get("title")), _text(e.get("description"))) if x)
            if shown:
                parts.append(shown)
        for s in _objects(msg.get("stickers")):
            if _text(s.get("name")):
                parts.append(f"[sticker: {_text(s.get('name'))}]")
    return "\n".join(parts)


def _title(guild: Mapping[str, Any], channel: Mapping[str, Any]) -> str | None:
    name = _text(channel.get("name"))
    server = _text(guild.get("name"))
    if not name:
        return server or None
    if not server or server == "Direct Messages":
        return name
    return f"{server} #{name}"


def _channel_meta(guild: Mapping[str, Any], channel: Mapping[str, Any]) -> dict[str, object]:
    meta = {
        "guild": _text(guild.get("name")),
        "guild_id": _text(guild.get("id")),
        "channel": _text(channel.get("name")),
        "category": _text(channel.get("category")),
        "channel_type": _text(channel.get("type")),
    }
    return {k: v for k, v in meta.items() if v}


# ---------------------------------------------------------------- CSV


def _csv_header(rows: Iterator[tuple[int, list[str] | csv.Error]]) -> dict[str, int]:
    for lineno, row in rows:
        if isinstance(row, csv.Error):
            raise ParseError(f"line {lineno}", f"unreadable CSV header ({row})")
        names = [c.strip().lstrip("\ufeff").lower() for c in row]
        if not any(names):
            continue
        if not set(names).issuperset(CSV_COLUMNS):
            raise ParseError(
                f"line {lineno}",
                "expected DiscordChatExporter columns AuthorID, Author, Date, Content",
            )
        index: dict[str, int] = {}
        for i, n in enumerate(names):
            index.setdefault(n, i)
        return index
    raise ParseError("line 1", "empty file: expected the header AuthorID,Author,Date,Content")


def _csv_turn(
    place: str, row: list[str] | csv.Error, index: Mapping[str, int], tally: Tally
) -> Turn | None:
    if isinstance(row, csv.Error):
        tally.add(f"unreadable CSV row ({row})", place)
        return None
    if not any(c.strip() for c in row):
        return None

    def cell(name: str) -> str:
        i = index.get(name)
        return row[i] if i is not None and i < len(row) else ""

    parts = [cell("content")] if cell("content").strip() else []
    # Attachment URLs are joined with commas; a URL escapes its own commas as %2C.
    parts += [f"[attachment: {_basename(u)}]" for u in cell("attachments").split(",") if u.strip()]
    if not parts:
        tally.add("message without text or attachments", place)
        return None
    date = cell("date").strip()
    timestamp = parse_when(date)
    if timestamp is None and date:
        tally.add("date not understood, turn kept without it", place)
    author_id = cell("authorid").strip()
    return Turn(
        speaker=cell("author").strip() or author_id or "unknown",
        text="\n".join(parts),
        place=place,
        timestamp=timestamp,
        meta={"author_id": author_id} if author_id else {},
    )


# ---------------------------------------------------------------- small helpers


def _channel_id_from_name(file: InputFile) -> str:
    found = _CHANNEL_ID.search(file.basename)
    return found.group(1) if found else ""


def _title_from_name(file: InputFile) -> str | None:
    stem = PurePosixPath(file.basename).stem
    return _CHANNEL_ID.sub("", stem).strip() or None


def _basename(url: str) -> str:
    return url.strip().split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def _text(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _objects(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
