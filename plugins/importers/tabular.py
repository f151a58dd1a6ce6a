"""Generic tables of messages: CSV/TSV and JSON Lines, one message a row, with a column mapping.

Columns are found by common names (``text``, ``speaker``, ``conversation_id`` ...) unless
the person names them in the options. Rows are grouped into conversations by the
conversation column, in order of first appearance; without one, the file is a single
conversation. The CSV importer also knows the Ubuntu Dialogue Corpus layout (a ``Context``
of ``__eou__``/``__eot__``-separated utterances and the ground-truth response), where each
row is a whole conversation.

Both read the file as a stream. Grouping needs to know when a conversation has ended, so a
file with a conversation column is read twice: a first pass notes the last row of each
conversation (memory grows with the number of conversations, not rows), the second emits
each conversation as soon as it and all that started before it are complete. A file whose
conversations are contiguous never holds more than one conversation in memory.

This module also holds the small helpers the other table-like importers share: counted
skips (:class:`Tally`), CSV rows with bounded fields and timestamp parsing.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import chain
from typing import Any, ClassVar

from afina.engine.errors import ParseError
from afina.engine.ingest.contract import STREAMS, Importer, as_file
from afina.engine.ingest.inputs import InputFile, InputItem
from afina.engine.ingest.jsonio import iter_jsonl
from afina.engine.ingest.textio import (
    TextStats,
    head_text,
    iter_lines,
    long_line_skips,
    repairs,
)
from afina.engine.plugins import Option
from afina.engine.types import Conversation, ImportItem, Role, Skip, Turn

# A CSV field (and so a line) may grow to this size; past it the row is a Skip, not a crash
# or a memory spike (an unclosed quote would otherwise swallow the rest of the file).
FIELD_LIMIT = 16 * 1024**2

TEXT_NAMES = ("text", "message", "content", "body", "utterance")
SPEAKER_NAMES = ("speaker", "author", "from", "user", "name", "sender", "role")
CONVERSATION_NAMES = (
    "conversation", "conversation_id", "thread", "thread_id", "session", "dialog_id", "chat_id",
)
TIMESTAMP_NAMES = ("timestamp", "time", "date", "created_at")
ROLE_NAMES = ("role",)

ROLE_OF: dict[str, Role] = {
    "user": "user", "human": "user", "customer": "user", "client": "user", "question": "user",
    "assistant": "assistant", "gpt": "assistant", "bot": "assistant", "ai": "assistant",
    "model": "assistant", "agent": "assistant", "answer": "assistant", "chatbot": "assistant",
    "system": "system", "tool": "tool", "function": "tool",
}

# JSON objects with these keys belong to more specific importers (OpenAI messages, ShareGPT,
# Alpaca, ChatGPT, Claude, Discord, Telegram).
_OTHER_FORMAT_KEYS = frozenset({
    "messages", "conversations", "instruction", "mapping", "chat_messages", "guild", "chats",
})
# Ubuntu Dialogue Corpus markers: end of utterance, end of turn (speaker change); v1 used __EOS__.
_EOU = re.compile(r"\s*(?:__eou__|__EOS__)\s*")
_EOT = re.compile(r"\s*__eot__\s*")


def _column_options(extra: tuple[Option, ...] = ()) -> tuple[Option, ...]:
    return (
        Option("text", "str", "", "column/field with the message text (empty: text, message, "
               "content, body or utterance)"),
        Option("speaker", "str", "", "column/field with the speaker (empty: speaker, author, "
               "from, user, name, sender or role)"),
        Option("conversation", "str", "", "column/field that groups rows into conversations "
               "(empty: conversation, conversation_id, thread, thread_id, session, dialog_id or "
               "chat_id; none found: the whole file is one conversation)"),
        Option("timestamp", "str", "", "column/field with the time (empty: timestamp, time, "
               "date or created_at)"),
        Option("role", "str", "", "column/field whose values are user/assistant/system "
               "(empty: a column named role, if any)"),
        *extra,
    )


class CSVImporter(Importer):
    name: ClassVar[str] = "csv"
    description: ClassVar[str] = "CSV/TSV with one message a row (columns mapped by name)"
    capabilities: ClassVar[frozenset[str]] = frozenset({STREAMS})
    extensions: ClassVar[tuple[str, ...]] = (".csv", ".tsv")
    options: ClassVar[tuple[Option, ...]] = _column_options((
        Option("delimiter", "str", "", "field separator, e.g. ',' ';' or '\\t' (empty: detected)"),
    ))

    def sniff(self, item: InputItem) -> float:
        if not isinstance(item, InputFile):
            return 0.0
        head = safe_head(item)
        if head.lstrip()[:1] in ("{", "[", ""):
            return 0.0
        if item.suffix not in _TABLE_SUFFIXES:
            return 0.0
        delimiter = _detect_delimiter(head, item.suffix)
        rows = _head_rows(head, delimiter)
        names = rows[0] if rows else []
        if not names or any(len(n) > 64 for n in names) or not _rows_fit(rows):
            return 0.0
        if _is_ubuntu_layout(names):
            return 0.8
        if len(names) < 2 and item.suffix not in self.extensions:
            return 0.0
        # Modest: a column called "text" says little; specific formats outbid this.
        return 0.55 if _find(names, TEXT_NAMES) is not None else 0.0

    def read(self, item: InputItem, options: Mapping[str, Any]) -> Iterator[ImportItem]:
        file = as_file(item)
        delimiter = _delimiter_option(str(options.get("delimiter") or ""))
        if not delimiter:
            delimiter = _detect_delimiter(safe_head(file), file.suffix)
        stats = TextStats()
        tally = Tally()
        header = _csv_header(file, delimiter)
        if _is_ubuntu_layout(header) and not _mapping_given(options):
            yield from _ubuntu_rows(file, delimiter, header, stats, tally)
        else:
            cols = resolve_columns(header, options, "line 1")

            def rows(s: TextStats, t: Tally | None) -> Iterator[tuple[str, object]]:
                return _csv_records(file, delimiter, header, s, t)

            yield from _read_table(rows, cols, stats, tally)
        yield from tally.skips()
        yield from long_line_skips(stats)
        yield from repairs(stats)


class JSONLImporter(Importer):
    name: ClassVar[str] = "jsonl"
    description: ClassVar[str] = "JSON Lines with one message an object (fields mapped by name)"
    capabilities: ClassVar[frozenset[str]] = frozenset({STREAMS})
    extensions: ClassVar[tuple[str, ...]] = (".jsonl", ".ndjson")
    options: ClassVar[tuple[Option, ...]] = _column_options()

    def sniff(self, item: InputItem) -> float:
        if not isinstance(item, InputFile):
            return 0.0
        head = safe_head(item)
        lines = [ln for ln in head.splitlines() if ln.strip()]
        if not lines or not lines[0].lstrip().startswith("{"):
            return 0.0
        try:
            first = json.loads(lines[0])
        except (ValueError, RecursionError):
            return 0.0
        if not isinstance(first, dict) or _OTHER_FORMAT_KEYS & {str(k).lower() for k in first}:
            return 0.0
        key = _find(list(first), TEXT_NAMES)
        return 0.55 if key is not None and isinstance(first[key], str) else 0.0

    def read(self, item: InputItem, options: Mapping[str, Any]) -> Iterator[ImportItem]:
        file = as_file(item)
        stats = TextStats()
        tally = Tally()
        cols = _jsonl_columns(file, options)

        def rows(s: TextStats, t: Tally | None) -> Iterator[tuple[str, object]]:
            return iter_jsonl(file, s)

        yield from _read_table(rows, cols, stats, tally)
        yield from tally.skips()
        yield from long_line_skips(stats)
        yield from repairs(stats)


# ---------------------------------------------------------------- shared helpers


class Tally:
    """Counted skips: one ``Skip`` per reason, at the place it first happened, with a count.

    Join notices, empty rows and the like can number in the thousands; one line each would
    drown the summary.
    """

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._first: dict[str, str] = {}

    def add(self, reason: str, place: str) -> None:
        if reason not in self._counts:
            self._counts[reason] = 0
            self._first[reason] = place
        self._counts[reason] += 1

    def skips(self) -> Iterator[Skip]:
        for reason, n in self._counts.items():
            yield Skip(self._first[reason], reason, n)


def safe_head(file: InputFile, n: int = 64 * 1024) -> str:
    """The head as text for sniffing; '' when it cannot be read (a sniff must never raise)."""
    try:
        return head_text(file, n)
    except Exception:  # a broken zip member, an I/O error: not ours, whatever it is
        return ""


def csv_rows(
    file: InputFile, stats: TextStats, delimiter: str = ","
) -> Iterator[tuple[int, list[str] | csv.Error]]:
    """``(first line number, row)`` for each CSV record; a malformed record gives a csv.Error.

    Lines are streamed (a quoted field may span lines); fields are capped at FIELD_LIMIT.
    """
    # The limit is process-wide; raising it from the 128 KiB default is harmless elsewhere.
    csv.field_size_limit(FIELD_LIMIT)
    lines = (line + "\n" for _, line in iter_lines(file, stats, max_chars=FIELD_LIMIT))
    reader = csv.reader(lines, delimiter=delimiter)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            yield start, e
            continue
        yield start, row


def parse_when(value: object) -> str | None:
    """ISO 8601 text for a timestamp value, or None when it is not one we understand.

    Numbers are unix times (seconds, or milliseconds when too large for seconds) in UTC.
    Text is ISO 8601 (a trailing Z or a space separator accepted) or one of a few export
    formats, e.g. DiscordChatExporter's "dd-MMM-yy hh:mm tt". Formats without an offset stay
    naive (local time).
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return _from_unix(float(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 64:
        return None
    if re.fullmatch(r"\d{9,16}(?:\.\d+)?", text):
        return _from_unix(float(text))
    iso = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        return datetime.fromisoformat(iso).isoformat()
    except ValueError:
        pass
    if not _DATEISH.search(text):  # strptime is slow: most non-dates (a bare time) stop here
        return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).isoformat()
        except ValueError:
            continue
    return None


# Every format below has a month name or a "d/d" or "d.d" date.
_DATEISH = re.compile(r"[A-Za-z]{3}|\d[/.]\d")
# Formats whose day/month order is unambiguous (month names, or the US 12-hour clock).
_DATE_FORMATS = (
    "%d-%b-%y %I:%M %p",
    "%d-%b-%y %H:%M",
    "%d-%b-%Y %I:%M %p",
    "%d-%b-%Y %H:%M",
    "%d %b %Y %H:%M",
    "%d %b %Y %H:%M:%S",
    "%b %d, %Y %I:%M %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y.%m.%d %H:%M",
    "%Y.%m.%d %H:%M:%S",
)


def _from_unix(seconds: float) -> str | None:
    if not math.isfinite(seconds):
        return None
    if seconds > 1e14:  # microseconds
        seconds /= 1e6
    elif seconds > 1e11:  # milliseconds
        seconds /= 1e3
    if not 0 <= seconds < 4102444800:  # 1970 .. 2100: anything else is not a time
        return None
    return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat()


def _find(names: Iterable[str], wanted: Sequence[str], exclude: Iterable[str] = ()) -> str | None:
    """The first name (case-insensitively) in ``wanted`` order that ``names`` has."""
    skip = set(exclude)
    by_lower: dict[str, str] = {}
    for n in names:
        if n not in skip:
            by_lower.setdefault(str(n).strip().lower(), n)
    for w in wanted:
        if w in by_lower:
            return by_lower[w]
    return None


# ---------------------------------------------------------------- column mapping


@dataclass(frozen=True)
class Columns:
    """Which column (CSV) or field (JSONL) holds what; None where the table has none."""

    text: str
    speaker: str | None = None
    conversation: str | None = None
    timestamp: str | None = None
    role: str | None = None


def _mapping_given(options: Mapping[str, Any]) -> bool:
    return any(options.get(k) for k in ("text", "speaker", "conversation", "timestamp", "role"))


def resolve_columns(names: Sequence[str], options: Mapping[str, Any], place: str) -> Columns:
    """Columns from the options, else by common names. No text column is a ParseError."""
    known = ", ".join(repr(n) for n in names[:20]) or "none"

    def pick(option: str, wanted: Sequence[str], taken: Iterable[str]) -> str | None:
        given = str(options.get(option) or "")
        if not given:
            return _find(names, wanted, taken)
        if given in names:
            return given
        found = _find(names, (given.lower(),))
        if found is None and "." not in given:
            raise ParseError(place, f"no column {given!r} for option {option}; columns: {known}")
        return found or given  # a dotted path into JSON objects is looked up per record

    text = pick("text", TEXT_NAMES, ())
    if text is None:
        raise ParseError(
            place, f"no text column (text, message, content, body, utterance); columns: {known}; "
            "name it with the option text=<column>",
        )
    conversation = pick("conversation", CONVERSATION_NAMES, (text,))
    taken = [c for c in (text, conversation) if c]
    speaker = pick("speaker", SPEAKER_NAMES, taken)
    timestamp = pick("timestamp", TIMESTAMP_NAMES, [*taken, *(c for c in (speaker,) if c)])
    role = pick("role", ROLE_NAMES, (text,))
    return Columns(text, speaker, conversation, timestamp, role)


def _value(record: Mapping[str, object], name: str | None) -> object:
    """A field's value; a dotted name walks into nested JSON objects."""
    if name is None:
        return None
    if name in record:
        return record[name]
    if "." not in name:
        return None
    value: object = record
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _scalar(value: object) -> str:
    """Text for an id or name cell: numbers as written, anything structured as empty."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return format(value, "g") if isinstance(value, float) else str(value)
    return ""


def _build_turn(
    record: Mapping[str, object], cols: Columns, place: str, tally: Tally
) -> Turn | None:
    text = _value(record, cols.text)
    if isinstance(text, int | float) and not isinstance(text, bool):
        text = str(text)
    if not isinstance(text, str):
        tally.add("text missing or not a string", place)
        return None
    if not text.strip():
        tally.add("empty text", place)
        return None
    speaker = _scalar(_value(record, cols.speaker))
    role = ROLE_OF.get(_scalar(_value(record, cols.role)).lower()) if cols.role else None
    timestamp = None
    if cols.timestamp:
        raw = _value(record, cols.timestamp)
        timestamp = parse_when(raw)
        if timestamp is None and _scalar(raw):
            tally.add("time not understood, turn kept without it", place)
    return Turn(speaker=speaker or (role or ""), text=text, place=place, role=role,
                timestamp=timestamp)


# ---------------------------------------------------------------- grouping

# Rows as ``(place, record or error)``; called once per pass, the tally only on the last.
RowsFn = Callable[[TextStats, Tally | None], Iterator[tuple[str, object]]]


def _read_table(
    rows: RowsFn, cols: Columns, stats: TextStats, tally: Tally
) -> Iterator[ImportItem]:
    """Conversations from ``(place, record or error)`` rows; ``rows`` can be read again."""
    if cols.conversation is None:
        yield from _single_conversation(rows(stats, tally), cols, tally)
    else:
        yield from _grouped(rows, cols.conversation, cols, stats, tally)


def _records(
    rows: Iterable[tuple[str, object]], tally: Tally | None
) -> Iterator[tuple[str, Mapping[str, object]]]:
    """The rows that are records; the others are tallied (when a tally is given)."""
    for place, record in rows:
        if isinstance(record, Mapping):
            yield place, record
        elif tally is not None:
            tally.add(_problem(record), place)


def _problem(record: object) -> str:
    if isinstance(record, ParseError):
        return "invalid JSON line"
    if isinstance(record, csv.Error):
        return f"unreadable CSV row ({record})"
    return "not a JSON object"


def _single_conversation(
    rows: Iterable[tuple[str, object]], cols: Columns, tally: Tally
) -> Iterator[ImportItem]:
    """The whole file as one conversation, its turns streamed (memory stays flat)."""
    turns = (
        t for place, record in _records(rows, tally)
        if (t := _build_turn(record, cols, place, tally)) is not None
    )
    first = next(turns, None)
    if first is not None:
        yield Conversation(key="", title=None, place=first.place, turns=chain([first], turns))
        for _ in turns:  # a consumer that stopped early still gets the counts right
            pass


def _grouped(
    rows: RowsFn, column: str, cols: Columns, stats: TextStats, tally: Tally
) -> Iterator[ImportItem]:
    last: dict[str, int] = {}
    for index, (_, record) in enumerate(_records(rows(TextStats(), None), None)):
        last[_scalar(_value(record, column))] = index

    buffers: dict[str, list[Turn]] = {}
    first_place: dict[str, str] = {}
    order: deque[str] = deque()
    complete: set[str] = set()
    for index, (place, record) in enumerate(_records(rows(stats, tally), tally)):
        cid = _scalar(_value(record, column))
        if cid not in first_place:
            first_place[cid] = place
            buffers[cid] = []
            order.append(cid)
        turn = _build_turn(record, cols, place, tally)
        if turn is not None and cid in buffers:
            buffers[cid].append(turn)
        if last.get(cid) == index:
            complete.add(cid)
        while order and order[0] in complete:
            yield from _emit(order.popleft(), buffers, first_place)
    while order:  # the file changed between the passes: flush what is left
        yield from _emit(order.popleft(), buffers, first_place)


def _emit(
    cid: str, buffers: dict[str, list[Turn]], first_place: dict[str, str]
) -> Iterator[ImportItem]:
    turns = buffers.pop(cid, [])
    if turns:
        yield Conversation(key=cid, title=None, place=first_place[cid], turns=turns)


# ---------------------------------------------------------------- CSV


def _delimiter_option(raw: str) -> str:
    named = {"\\t": "\t", "tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    return named.get(raw.lower(), raw)[:1] if raw else ""


def _detect_delimiter(head: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    sample = "\n".join(head.splitlines()[:20])[:16384]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
    except csv.Error:
        return ","


_TABLE_SUFFIXES = frozenset({".csv", ".tsv", ".tab", ".txt", ".dat", ""})


def _head_rows(head: str, delimiter: str, limit: int = 20) -> list[list[str]]:
    """The first rows of the head (the header first), without a row the head cut short."""
    lines = head.lstrip("\ufeff").splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines.pop()
    rows: list[list[str]] = []
    try:
        for row in csv.reader(lines, delimiter=delimiter):
            if any(c.strip() for c in row):
                rows.append([c.strip() for c in row])
            if len(rows) >= limit:
                break
    except csv.Error:
        return rows[:1]
    return rows


def _rows_fit(rows: list[list[str]]) -> bool:
    """Most data rows have as many fields as the header (a header alone is accepted)."""
    data = rows[1:]
    fitting = sum(1 for r in data if len(r) == len(rows[0]))
    return not data or fitting >= 0.6 * len(data)


def _csv_header(file: InputFile, delimiter: str) -> list[str]:
    for lineno, row in csv_rows(file, TextStats(), delimiter):
        if isinstance(row, csv.Error):
            raise ParseError(f"line {lineno}", f"unreadable CSV header ({row})")
        if any(c.strip() for c in row):
            return [c.strip().lstrip("\ufeff") for c in row]
    raise ParseError("line 1", "empty file: expected a header row naming the columns")


def _csv_records(
    file: InputFile, delimiter: str, header: Sequence[str], stats: TextStats,
    tally: Tally | None = None,
) -> Iterator[tuple[str, object]]:
    rows = csv_rows(file, stats, delimiter)
    for _lineno, row in rows:  # skip the header (and blank lines before it)
        if isinstance(row, list) and any(c.strip() for c in row):
            break
    for lineno, row in rows:
        if isinstance(row, list):
            if not any(c.strip() for c in row):
                continue
            if len(row) > len(header) and tally is not None:
                # Often an unquoted delimiter inside the text: say so rather than lose it quietly.
                tally.add("row has more fields than the header (extra fields left out)",
                          f"line {lineno}")
            yield f"line {lineno}", dict(zip(header, row, strict=False))
        else:
            yield f"line {lineno}", row


# ---------------------------------------------------------------- Ubuntu Dialogue Corpus


def _is_ubuntu_layout(names: Sequence[str]) -> bool:
    lower = {n.strip().lower() for n in names}
    return "context" in lower and bool({"utterance", "ground truth utterance"} & lower)


def _ubuntu_rows(
    file: InputFile, delimiter: str, header: Sequence[str], stats: TextStats, tally: Tally
) -> Iterator[ImportItem]:
    context = _find(header, ("context",)) or "Context"
    response = _find(header, ("ground truth utterance", "utterance")) or "Utterance"
    label = _find(header, ("label",))
    for place, record in _records(_csv_records(file, delimiter, header, stats, tally), tally):
        turns = _ubuntu_turns(place, record, context, response, label, tally)
        if turns:
            yield Conversation(key="", title=None, place=place, turns=turns,
                               meta={"layout": "ubuntu-dialogue"})
        else:
            tally.add("row without a context", place)


def _ubuntu_turns(
    place: str, record: Mapping[str, object], context: str, response: str,
    label: str | None, tally: Tally,
) -> list[Turn]:
    raw = record.get(context)
    if not isinstance(raw, str):
        return []
    # Without __eot__ markers (corpus v1) every utterance counts as a change of speaker.
    blocks = _EOT.split(raw) if "__eot__" in raw else _EOU.split(raw)
    texts = [_join_utterances(b) for b in blocks]
    texts = [t for t in texts if t]
    answer = _join_utterances(str(record.get(response) or ""))
    if answer and label and _scalar(record.get(label)) == "0":
        # Training rows with label 0 pair the context with a random wrong answer.
        tally.add("response labelled 0 (a wrong answer) left out", place)
        answer = ""
    if not texts:
        return []
    turns = [
        Turn(speaker="AB"[i % 2], text=t, place=f"{place} context[{i}]")
        for i, t in enumerate(texts)
    ]
    if answer:
        turns.append(Turn(speaker="AB"[len(texts) % 2], text=answer, place=f"{place} response"))
    return turns


def _join_utterances(block: str) -> str:
    return "\n".join(u for u in (p.strip() for p in _EOU.split(block)) if u)


# ---------------------------------------------------------------- JSON Lines


def _jsonl_columns(file: InputFile, options: Mapping[str, Any]) -> Columns:
    """Columns resolved from the first JSON object that has the text field."""
    fallback: tuple[str, list[str]] | None = None
    records = _records(iter_jsonl(file, TextStats()), None)
    for seen, (place, record) in enumerate(records):
        names = [str(k) for k in record]
        try:
            return resolve_columns(names, options, place)
        except ParseError:
            fallback = fallback or (place, names)
        if seen >= 1000:  # a thousand objects without the field: not a table of messages
            break
    if fallback is None:
        raise ParseError("whole file", "no JSON objects found: expected one message object a line")
    return resolve_columns(fallback[1], options, fallback[0])  # raises with the columns named
