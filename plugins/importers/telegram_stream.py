"""Telegram's ``result.json`` read as a stream of JSON events, one message at a time.

An account export is a single JSON object, often hundreds of megabytes; parsed whole it
takes about five times its size in memory (a 200 MB file peaked at 937 MB). Here ijson's
basic events are walked by hand instead: a chat's few fields before its messages (name,
type, id) are kept, every other section (contacts, sessions, profile pictures) is passed
over without being built, and each message is built alone and handed over before the next
is read. Memory stays flat, bounded by the biggest single message.

The shapes read: one chat ``{name, type, id, messages: [...]}``, or an account export whose
``chats`` and ``left_chats`` are ``{about, list: [chat, ...]}`` (Telegram Desktop) or a plain
list of chats. The chat's fields must come before its messages, as Telegram writes them; a
field written after the messages is not seen.

Bytes are decoded like every text afina reads (a BOM or UTF-16 honoured, bad bytes replaced
and counted in ``TextStats``), go through ``jsonio``'s nesting-depth guard, and reach ijson as
UTF-8. Events are ijson's basic ones, without the path string its prefixed ``parse`` builds
for every event (quadratic in the depth of a hostile file).
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from afina.engine.errors import ParseError
from afina.engine.ingest.inputs import InputFile
from afina.engine.ingest.jsonio import MAX_ELEMENT_BYTES, DepthGuard
from afina.engine.ingest.textio import TextStats, sniff_encoding
from afina.engine.types import Skip

READ_BYTES = 256 * 1024
CHAT_FIELDS = ("name", "type", "id")
SECTIONS = ("chats", "left_chats")
EXPECTED = (
    "expected a Telegram export: a chat {name, type, id, messages: [...]} or an account "
    "export with chats: {list: [...]} or chats: [...]"
)
_STARTS = ("start_map", "start_array")
_ENDS = ("end_map", "end_array")

Events = Callable[[], tuple[str, Any]]


class Chat:
    """One chat: where it is, the fields read before its messages, and its messages, which
    can be read once, in order, before the walk goes on to the next chat."""

    def __init__(self, place: str, fields: dict[str, Any], walk: _Walk) -> None:
        self.place = place
        self.fields = fields
        self._walk = walk
        self._stream: Iterator[tuple[str, Any]] | None = None

    def messages(self) -> Iterator[tuple[str, Any]]:
        """``(place, message)`` for each message, each built only when it is pulled."""
        if self._stream is None:
            prefix = "" if self.place == "$" else f"{self.place}."
            self._stream = self._walk.messages(prefix)
        return self._stream

    def finish(self) -> None:
        """Move the walk past the messages nobody read: built when a reader began them,
        passed over unbuilt when nobody did."""
        if self._stream is None:
            self._walk.skip("start_array")
        else:
            for _ in self._stream:
                pass


def iter_chats(file: InputFile, stats: TextStats) -> Iterator[Chat | Skip]:
    """Each chat of the export (a chat that is not an object with messages, as a Skip).

    A chat's messages must be read, or left, before the next item is asked for. Raises
    ``ParseError`` for invalid JSON, a document of another shape, a message over
    ``MAX_ELEMENT_BYTES`` or nesting past ``jsonio.MAX_JSON_DEPTH``.
    """
    walk = _Walk(file, stats)
    try:
        yield from walk.document()
    finally:
        walk.close()


class _Source:
    """The file's bytes for ijson, as UTF-8, and a guard on the bytes read since the walk
    last finished something (a message, a skipped value)."""

    def __init__(self, file: InputFile, stats: TextStats) -> None:
        encoding, bom = sniff_encoding(file.head())
        stats.encoding = encoding
        self._stats = stats
        self._utf8 = encoding == "utf-8"
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        self._encoding = encoding
        self._held = b""  # the start of a character a read cut in two
        self._raw: BinaryIO = file.open()
        self._raw.read(bom)
        self._depth = DepthGuard()
        self._lines = 0
        self.total = 0
        self.mark = 0
        self.last = ""  # the place last finished, for error messages

    def read(self, n: int = -1) -> bytes:
        if n == 0:
            return b""  # ijson reads nothing first, to learn whether it gets bytes or text
        if self.total - self.mark > MAX_ELEMENT_BYTES:
            raise ParseError(
                self.where(),
                f"more than {MAX_ELEMENT_BYTES // 1024**2} MiB in one value; "
                "not a Telegram export this size",
            )
        raw = self._raw.read(n if n > 0 else READ_BYTES)
        self.total += len(raw)
        out = self._decode(raw)
        self._depth.feed(out)  # raises before ijson sees a block nested too deep
        return out

    def _decode(self, raw: bytes) -> bytes:
        data = self._held + raw
        try:
            text = self._decoder.decode(raw, final=not raw)
        except UnicodeDecodeError:
            return self._repair(data, final=not raw)
        held = self._held = self._decoder.getstate()[0]
        if self._utf8:
            # Valid UTF-8 goes to ijson as it is; only a character cut at the end waits.
            self._lines += data.count(b"\n")
            return data[: len(data) - len(held)] if held else data
        self._lines += text.count("\n")
        return text.encode("utf-8")

    def _repair(self, data: bytes, final: bool) -> bytes:
        """This read's bytes decoded leniently: each bad byte a U+FFFD, counted."""
        lenient = codecs.getincrementaldecoder(self._encoding)(errors="replace")
        text = lenient.decode(data, final)
        self._held = lenient.getstate()[0]
        self._decoder.reset()
        self._decoder.decode(self._held)  # the strict decoder goes on from the cut character
        marker = "\ufffd".encode(self._encoding, errors="ignore")  # Windows-1252 has none
        bad = text.count("\ufffd") - (data.count(marker) if marker else 0)
        if bad > 0:
            stats = self._stats
            stats.replaced += bad
            if stats.first_replaced_line is None:
                before = text.count("\n", 0, text.index("\ufffd"))
                stats.first_replaced_line = self._lines + before + 1
        self._lines += text.count("\n")
        return text.encode("utf-8")

    def where(self) -> str:
        return f"after {self.last}" if self.last else "start of file"

    def close(self) -> None:
        self._raw.close()


class _Walk:
    """The event walk over one export: the document, its sections, chats and messages."""

    def __init__(self, file: InputFile, stats: TextStats) -> None:
        import ijson  # imported here: only reading a Telegram export needs it

        self._error = ijson.JSONError
        self._source = _Source(file, stats)
        self._nxt: Events = ijson.basic_parse(self._source, use_float=True).__next__

    def close(self) -> None:
        self._source.close()

    def _invalid(self, e: Exception) -> ParseError:
        # ijson's first line says what is wrong; the next ones quote the file's text.
        detail = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return ParseError(self._source.where(), f"invalid or truncated JSON: {detail}")

    # ---------------------------------------------------------------- the document

    def document(self) -> Iterator[Chat | Skip]:
        try:
            yield from self._document()
        except self._error as e:
            raise self._invalid(e) from e

    def _document(self) -> Iterator[Chat | Skip]:
        nxt = self._nxt
        if nxt()[0] != "start_map":
            raise ParseError("$", EXPECTED)
        fields: dict[str, Any] = {}
        found = False
        while True:
            event, key = nxt()
            if event == "end_map":
                break
            if key == "messages":
                event, _ = nxt()
                if event != "start_array":
                    raise ParseError("$.messages", "expected a list of messages")
                chat = Chat("$", dict(fields), self)
                yield chat
                chat.finish()
                found = True
            elif key in SECTIONS:
                yield from self._section(key)
                found = True
            elif key in CHAT_FIELDS:
                self._field(fields, key)
            else:
                self.skip(nxt()[0])
            self._done(key)
        if not found:
            raise ParseError("$", EXPECTED)
        try:
            nxt()
        except StopIteration:
            return
        raise ParseError(self._source.where(), "more JSON after the export's end")

    def _section(self, name: str) -> Iterator[Chat | Skip]:
        """``chats`` or ``left_chats``: {about, list: [...]} or a plain list of chats."""
        nxt = self._nxt
        event, _ = nxt()
        if event == "start_array":
            yield from self._chat_list(name)
            return
        if event != "start_map":
            raise ParseError(name, "expected {list: [chat, ...]} or a list of chats")
        listed = False
        while True:
            event, key = nxt()
            if event == "end_map":
                break
            if key == "list" and not listed:
                if nxt()[0] != "start_array":
                    raise ParseError(f"{name}.list", "expected a list of chats")
                yield from self._chat_list(f"{name}.list")
                listed = True
            else:
                self.skip(nxt()[0])
        if not listed:
            raise ParseError(name, "expected {list: [chat, ...]} or a list of chats")

    def _chat_list(self, prefix: str) -> Iterator[Chat | Skip]:
        nxt = self._nxt
        i = 0
        while True:
            event, _ = nxt()
            if event == "end_array":
                return
            place = f"{prefix}[{i}]"
            if event == "start_map":
                yield from self._chat(place)
            else:
                self.skip(event)
                yield Skip(place, "expected a chat with a 'messages' list")
            self._done(place)
            i += 1

    def _chat(self, place: str) -> Iterator[Chat | Skip]:
        nxt = self._nxt
        fields: dict[str, Any] = {}
        chat: Chat | None = None
        while True:
            event, key = nxt()
            if event == "end_map":
                break
            if key == "messages" and chat is None:
                event, _ = nxt()
                if event != "start_array":
                    self.skip(event)
                    continue
                chat = Chat(place, dict(fields), self)
                yield chat
                chat.finish()
            elif key in CHAT_FIELDS:
                self._field(fields, key)
            else:
                self.skip(nxt()[0])
            self._done(f"{place}.{key}")
        if chat is None:
            yield Skip(place, "expected a chat with a 'messages' list")

    def _field(self, fields: dict[str, Any], key: str) -> None:
        event, value = self._nxt()
        if event in _STARTS:
            self.skip(event)
        else:
            fields[key] = value

    def _done(self, place: str) -> None:
        self._source.mark = self._source.total
        self._source.last = place

    # ---------------------------------------------------------------- values

    def messages(self, prefix: str) -> Iterator[tuple[str, Any]]:
        """The messages of the array just opened, each built when it is pulled."""
        nxt, source, build = self._nxt, self._source, self._build
        i = 0
        try:
            while True:
                event, value = nxt()
                if event == "end_array":
                    return
                where = f"{prefix}messages[{i}]"
                if event == "start_map":
                    value = build({})
                elif event == "start_array":
                    value = build([])
                source.mark, source.last = source.total, where
                yield where, value
                i += 1
        except self._error as e:
            raise self._invalid(e) from e

    def _build(self, root: dict[str, Any] | list[Any]) -> Any:
        """The value whose start event was just read, built from its events (without
        recursion; the depth guard keeps the stack short)."""
        nxt = self._nxt
        container: Any = root
        key = None
        stack: list[tuple[Any, Any]] = []
        while True:
            event, value = nxt()
            if event == "map_key":
                key = value
                continue
            if event in _ENDS:
                if not stack:
                    return root
                container, key = stack.pop()
                continue
            if event == "start_map":
                new: Any = {}
            elif event == "start_array":
                new = []
            else:
                new = value
            if type(container) is dict:
                container[key] = new
            else:
                container.append(new)
            if event in _STARTS:
                stack.append((container, key))
                container, key = new, None

    def skip(self, event: str) -> None:
        """Pass over the value whose first event was ``event``, building nothing."""
        if event not in _STARTS:
            return
        nxt, source = self._nxt, self._source
        depth = 1
        while depth:
            event = nxt()[0]
            if event in _STARTS:
                depth += 1
            elif event in _ENDS:
                depth -= 1
            source.mark = source.total
