"""Plain-text chats: "Speaker: text" transcripts and IRC client logs. Both are streamed.

Transcripts: one turn per "Speaker: text" line, optionally after "[timestamp]" or "HH:MM";
lines without a speaker continue the previous turn. Blank lines split conversations only
when asked to (``split_on_blank``). The sniffer is strict on purpose: Markdown, YAML, logs
and e-mail headers also have "word: text" lines, so it wants most lines to be speaker lines,
at least two speakers who each speak twice, and none of WhatsApp's or IRC's line shapes.

IRC: irssi ("12:00 <nick> text", "-!-" events, "--- Day changed"), WeeChat
("2024-01-01 12:00:00<TAB>nick<TAB>text"), HexChat ("Jan 01 12:00:00 <nick><TAB>text") and
ZNC/mIRC ("[12:00:00] <nick> text", "***" events). "/me" actions are turns; joins, parts,
quits, modes, topics and other events are counted per kind, not imported.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Any, ClassVar

from afina.engine.errors import ParseError
from afina.engine.ingest.contract import STREAMS, Importer, as_file
from afina.engine.ingest.inputs import InputFile, InputItem
from afina.engine.ingest.textio import TextStats, iter_lines, long_line_skips, repairs
from afina.engine.plugins import Option
from afina.engine.types import Conversation, ImportItem, Turn
from afina.plugins.importers.table_rows import (
    Tally,
    parse_when,
    safe_head,
)

# Structured formats whose "key: value" lines are not speakers.
NOT_TRANSCRIPT_SUFFIXES = frozenset({
    ".json", ".jsonl", ".ndjson", ".csv", ".tsv", ".yml", ".yaml", ".toml", ".ini", ".cfg",
    ".py", ".js", ".ts", ".html", ".htm", ".xml", ".rst", ".sql", ".sh",
})
LOG_LEVELS = frozenset({
    "debug", "info", "warning", "warn", "error", "critical", "fatal", "trace", "notice",
    "note", "todo", "fixme", "xxx", "hint", "tip", "important", "caution", "failed", "passed",
    "ok", "skipped", "success", "failure",
})
# Keys of "Key: value" files (mail and HTTP headers, Python package metadata, Debian control
# and copyright files, docstrings) that look like speakers to a pattern. Only the sniffer
# refuses them: a transcript read on purpose may have a speaker called "Name".
HEADER_KEYS = frozenset({
    "metadata-version", "name", "version", "summary", "author", "author-email", "maintainer",
    "maintainer-email", "license", "license-file", "license-expression", "classifier",
    "requires-dist", "requires-python", "requires-external", "project-url", "provides-extra",
    "home-page", "download-url", "keywords", "platform", "description",
    "description-content-type", "dynamic", "format", "files", "copyright", "source",
    "upstream-name", "upstream-contact", "comment", "disclaimer", "package", "pin",
    "pin-priority", "depends", "pre-depends", "recommends", "suggests", "conflicts",
    "section", "priority", "architecture", "status", "homepage", "content-type",
    "content-length", "content-transfer-encoding", "mime-version", "from", "to", "subject",
    "date", "cc", "bcc", "reply-to", "message-id", "received", "return-path", "host",
    "user-agent", "accept", "title", "url", "type", "id", "key", "value", "path", "reason",
    "test results", "usage", "example", "examples", "returns", "return", "parameters",
    "params", "args", "arguments", "raises", "yields", "see also", "default", "options",
})
SNIFF_LINES = 200

_TIME = r"\d{1,2}:\d{2}(?::\d{2})?"
# "[ts] Speaker: text", "HH:MM Speaker: text" or "Speaker: text"; "Speaker:" alone opens a
# turn whose text follows on the next lines.
_SPEAKER_LINE = re.compile(
    r"^(?:\[(?P<bracket>[^\]\n]{1,40})\]\s*|(?P<time>" + _TIME + r"(?:\s?[AaPp]\.?[Mm]\.?)?)\s+)?"
    r"(?P<speaker>[^\s:<>\[\]{}()\"'`*#|=@/\\\-+>0-9][^:<>\[\]{}\"`|=\\]{0,39}?)"
    r"\s*:(?:\s+(?P<text>.*))?$"
)
# WhatsApp: "12/01/2020, 10:00 - " (Android), "[12.01.20, 10:00:00] " (iOS).
_WHATSAPP = re.compile(r"^\u200e?\[?\d{1,2}[./-]\d{1,2}[./-]\d{2,4},?\s+\d{1,2}[:.]\d{2}")


class TranscriptImporter(Importer):
    name: ClassVar[str] = "transcript"
    description: ClassVar[str] = 'Plain-text transcript of "Speaker: text" lines'
    capabilities: ClassVar[frozenset[str]] = frozenset({STREAMS})
    extensions: ClassVar[tuple[str, ...]] = (".txt", ".log", ".md")
    options: ClassVar[tuple[Option, ...]] = (
        Option("split_on_blank", "bool", False,
               "a blank line ends a conversation (else the file is one conversation)"),
    )

    def sniff(self, item: InputItem) -> float:
        if not isinstance(item, InputFile) or item.suffix in NOT_TRANSCRIPT_SUFFIXES:
            return 0.0
        lines = _head_lines(item)
        if len(lines) < 4:
            return 0.0
        speakers: dict[str, int] = {}
        changes = prose = 0
        previous = ""
        for line in lines:
            if _WHATSAPP.match(line) or _is_irc(line):
                return 0.0
            found = _speaker_line(line)
            if found is None or not found.text.strip() or found.speaker.lower() in HEADER_KEYS:
                continue
            speakers[found.speaker] = speakers.get(found.speaker, 0) + 1
            changes += found.speaker != previous
            said = found.text.strip()
            prose += " " in said or said[-1] in ".!?…)"
            previous = found.speaker
        matched = sum(speakers.values())
        regular = sum(n for n in speakers.values() if n >= 2)
        if (
            matched < 0.6 * len(lines)
            or sum(1 for n in speakers.values() if n >= 2) < 2
            or regular < 0.8 * matched  # "key: value" files: mostly one-off keys
            or changes < 0.3 * matched  # lists of "Key: value" repeat a key in long runs
            or prose < 0.5 * matched  # settings have one-word values; people write phrases
        ):
            return 0.0
        return 0.75 if matched >= 0.9 * len(lines) else 0.7

    def read(self, item: InputItem, options: Mapping[str, Any]) -> Iterator[ImportItem]:
        file = as_file(item)
        stats = TextStats()
        tally = Tally()
        split = bool(options.get("split_on_blank", False))
        events = _transcript_events(iter_lines(file, stats), split, tally)
        count = yield from _conversations(events, key="", title=None)
        if not count:
            raise ParseError("whole file", 'no "Speaker: text" lines found')
        yield from tally.skips()
        yield from long_line_skips(stats)
        yield from repairs(stats)


class IRCImporter(Importer):
    name: ClassVar[str] = "irc"
    description: ClassVar[str] = "IRC log (irssi, WeeChat, HexChat, ZNC): <nick> messages"
    capabilities: ClassVar[frozenset[str]] = frozenset({STREAMS})
    extensions: ClassVar[tuple[str, ...]] = (".log", ".txt", ".weechatlog")

    def sniff(self, item: InputItem) -> float:
        if not isinstance(item, InputFile) or item.suffix in NOT_TRANSCRIPT_SUFFIXES:
            return 0.0
        lines = _head_lines(item)
        if not lines:
            return 0.0
        kinds = [_irc_line(line) for line in lines]
        stamped = sum(1 for k in kinds if k.kind in ("message", "action") and k.stamped)
        known = sum(1 for k in kinds if k.kind)
        if stamped >= 2 and known >= 0.6 * len(lines):
            return 0.85
        return 0.0

    def read(self, item: InputItem, options: Mapping[str, Any]) -> Iterator[ImportItem]:
        file = as_file(item)
        stats = TextStats()
        tally = Tally()
        channel = _channel_from_name(file.basename)
        events = _irc_events(iter_lines(file, stats), tally)
        count = yield from _conversations(events, key=channel, title=channel or None)
        if not count:
            raise ParseError("whole file", "no IRC messages (<nick> text) found")
        yield from tally.skips()
        yield from long_line_skips(stats)
        yield from repairs(stats)


# ---------------------------------------------------------------- streaming conversations

_BREAK = object()  # between conversations in an event stream


def _conversations(
    events: Iterable[Turn | object], key: str, title: str | None
) -> Generator[ImportItem, None, int]:
    """Conversations whose turns are read lazily from one shared stream of turns and breaks.

    Returns how many conversations were yielded. Each conversation's turns are a generator;
    whatever a consumer leaves unread is drained before the next conversation starts.
    """
    stream = iter(events)
    count = 0
    while True:
        first = next((e for e in stream if isinstance(e, Turn)), None)
        if first is None:
            return count
        turns = _until_break(first, stream)
        yield Conversation(key=key, title=title, place=first.place, turns=turns)
        count += 1
        for _ in turns:
            pass


def _until_break(first: Turn, stream: Iterator[Turn | object]) -> Iterator[Turn]:
    yield first
    for event in stream:
        if not isinstance(event, Turn):
            return
        yield event


def _head_lines(file: InputFile) -> list[str]:
    head = safe_head(file, 32 * 1024)
    lines = head.splitlines()
    if len(head) >= 32 * 1024 and lines:
        lines.pop()  # cut mid-line
    return [ln for ln in lines if ln.strip()][:SNIFF_LINES]


# ---------------------------------------------------------------- transcripts


def _is_irc(line: str) -> bool:
    """A line only IRC logs have (a bullet "* text" alone does not count)."""
    irc = _irc_line(line)
    return irc.kind in ("marker", "message") or irc.stamped


@dataclass
class _SpeakerLine:
    speaker: str
    text: str
    stamp: str  # the timestamp as written, or ""


def _speaker_line(line: str) -> _SpeakerLine | None:
    m = _SPEAKER_LINE.match(line)
    if m is None:
        return None
    speaker = m.group("speaker").strip()
    low = speaker.lower()
    if low.startswith(("http", "www.")) or "://" in speaker or low in LOG_LEVELS:
        return None
    return _SpeakerLine(speaker, m.group("text") or "", m.group("bracket") or m.group("time") or "")


@dataclass
class _Pending:
    """A turn being read: continuation lines join it until the next speaker line."""

    speaker: str
    place: str
    stamp: str
    lines: list[str] = field(default_factory=list)
    blanks: int = 0

    def turn(self) -> Turn | None:
        text = "\n".join(self.lines).strip("\n")
        if not text.strip():
            return None
        timestamp = parse_when(self.stamp) if self.stamp else None
        meta = {"time": self.stamp} if self.stamp and timestamp is None else {}
        return Turn(speaker=self.speaker, text=text, place=self.place, timestamp=timestamp,
                    meta=meta)


def _transcript_events(
    lines: Iterable[tuple[int, str]], split_on_blank: bool, tally: Tally
) -> Iterator[Turn | object]:
    pending: _Pending | None = None
    for lineno, line in lines:
        if not line.strip():
            if pending is not None:
                pending.blanks += 1
                if split_on_blank:
                    yield from _flush(pending, tally)
                    pending = None
                    yield _BREAK
            continue
        found = _speaker_line(line)
        if found is not None:
            if pending is not None:
                yield from _flush(pending, tally)
            pending = _Pending(found.speaker, f"line {lineno}", found.stamp, [found.text])
        elif pending is not None:
            pending.lines += [""] * pending.blanks + [line]
            pending.blanks = 0
        else:
            tally.add("text before the first speaker line", f"line {lineno}")
    if pending is not None:
        yield from _flush(pending, tally)


def _flush(pending: _Pending, tally: Tally) -> Iterator[Turn]:
    turn = pending.turn()
    if turn is None:
        tally.add("speaker line without text", pending.place)
    else:
        yield turn


# ---------------------------------------------------------------- IRC

_STAMP = (
    r"(?:\[(?P<bracket>[^\]\n]{4,40})\]"
    r"|(?P<iso>\d{4}-\d{2}-\d{2}[ T]" + _TIME + r")"
    r"|(?P<month>[A-Z][a-z]{2} [ \d]\d " + _TIME + r")"
    r"|(?P<time>" + _TIME + r"))"
)
_WEECHAT = re.compile(
    r"^(?P<iso>\d{4}-\d{2}-\d{2}[ T]" + _TIME + r")\t(?P<prefix>[^\t]*)\t(?P<text>.*)$"
)
_STAMPED = re.compile(r"^" + _STAMP + r"[ \t]+(?P<body>.*)$")
_MESSAGE = re.compile(r"^<\s*[~&@%+ ]?(?P<nick>[^>\s]{1,40})>[ \t]?(?P<text>.*)$")
_ACTION = re.compile(r"^\*[ \t]+(?P<nick>[^\s*]{1,40})[ \t](?P<text>.+)$")
_EVENT = re.compile(r"^(?P<marker>-!-|\*\*\*|\*|--|-->|<--)[ \t]+(?P<text>.*)$")
_NOTICE = re.compile(r"^-(?P<nick>[^\s-]{1,40})-\s(?P<text>.*)$")
_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d")
_CLOCK = re.compile(_TIME)
_MONTH_DAY = re.compile(r"([A-Z][a-z]{2}) +(\d{1,2})")  # HexChat's "Jan 01 12:00:00"
_MARKER = re.compile(
    r"^(?:---\s+(?:Day changed|Log opened|Log closed)|\*{4}\s+(?:BEGIN|ENDING) LOGGING AT)"
    r"\s*(?P<when>.*)$"
)
_EVENT_KINDS = (
    ("join", ("has joined", "joins:", "joined the channel")),
    ("part", ("has left", "parts:", "has parted")),
    ("quit", ("has quit", "quits:")),
    ("nick", ("is now known as", "nick change")),
    ("kick", ("kicked", "kicks:")),
    ("topic", ("topic",)),
    ("mode", ("mode", "sets mode")),
)


@dataclass
class _IRCLine:
    """What one IRC log line is: kind "" (not IRC), message, action, event kinds, marker."""

    kind: str
    nick: str = ""
    text: str = ""
    stamp: str = ""  # time or date-time as written
    stamped: bool = False
    when: str = ""  # for markers: the date they announce


def _irc_line(line: str) -> _IRCLine:
    marker = _MARKER.match(line)
    if marker:
        return _IRCLine("marker", when=marker.group("when"))
    weechat = _WEECHAT.match(line)
    if weechat:
        return _weechat(weechat)
    stamped = _STAMPED.match(line)
    if stamped:
        stamp = next(g for g in ("bracket", "iso", "month", "time") if stamped.group(g))
        body = _irc_body(stamped.group("body"))
        body.stamp, body.stamped = stamped.group(stamp), bool(body.kind)
        return body
    return _irc_body(line)


def _weechat(m: re.Match[str]) -> _IRCLine:
    prefix, text, stamp = m.group("prefix").strip(), m.group("text"), m.group("iso")
    if prefix == "*":
        nick, _, action = text.partition(" ")
        return _IRCLine("action", nick, action, stamp, True)
    if prefix in ("-->", "<--", "--", "=!=", ""):
        return _IRCLine(_event_kind(text, prefix), text=text, stamp=stamp, stamped=True)
    return _IRCLine("message", prefix.lstrip("~&@%+"), text, stamp, True)


def _irc_body(body: str) -> _IRCLine:
    m = _MESSAGE.match(body)
    if m:
        return _IRCLine("message", m.group("nick"), m.group("text"))
    m = _EVENT.match(body)
    if m:
        marker, text = m.group("marker"), m.group("text")
        # A lone "*" opens both actions ("* nick waves") and HexChat events ("* nick has
        # joined"): only the event's wording tells them apart.
        kind = _event_kind(text, "" if marker == "*" else marker)
        if kind:
            return _IRCLine(kind, text=text)
    m = _ACTION.match(body)
    if m:
        return _IRCLine("action", m.group("nick"), m.group("text"))
    m = _NOTICE.match(body)
    if m:
        return _IRCLine("notice", m.group("nick"), m.group("text"))
    return _IRCLine("")


def _event_kind(text: str, prefix: str = "") -> str:
    low = text.lower()
    for kind, phrases in _EVENT_KINDS:
        if any(p in low for p in phrases):
            return kind
    if prefix == "-->":
        return "join"
    if prefix == "<--":
        return "part"
    return "other event" if prefix else ""


def _irc_events(lines: Iterable[tuple[int, str]], tally: Tally) -> Iterator[Turn]:
    day: date | None = None
    for lineno, line in lines:
        if not line.strip():
            continue
        place = f"line {lineno}"
        parsed = _irc_line(line)
        if parsed.kind == "marker":
            day = _marker_date(parsed.when) or day
        elif parsed.kind in ("message", "action"):
            text = parsed.text.strip()
            if not text:
                tally.add("empty message", place)
                continue
            timestamp, day = _irc_time(parsed.stamp, day)
            meta: dict[str, object] = {"action": True} if parsed.kind == "action" else {}
            if parsed.stamp and timestamp is None:
                meta["time"] = parsed.stamp  # a time of day with no date known
            yield Turn(speaker=parsed.nick, text=parsed.text, place=place,
                       timestamp=timestamp, meta=meta)
        elif parsed.kind:
            tally.add(f"{parsed.kind} line", place)
        else:
            tally.add("unrecognised line", place)


def _irc_time(stamp: str, day: date | None) -> tuple[str | None, date | None]:
    """ISO 8601 for a line's stamp: full dates as written, times on the day being logged."""
    if not stamp:
        return None, day
    full = parse_when(stamp) if _FULL_DATE.match(stamp) else None
    if full is not None:
        return full, datetime.fromisoformat(full).date()
    clock = _CLOCK.search(stamp)
    month_day = _MONTH_DAY.match(stamp)
    if month_day and day is not None:
        try:
            day = datetime.strptime(f"{month_day.group(1)} {month_day.group(2)} {day.year}",
                                    "%b %d %Y").date()
        except ValueError:
            return None, day
    if clock is None or day is None:
        return None, day
    hms = clock.group(0).split(":")
    if int(hms[0]) > 23 or any(int(x) > 59 for x in hms[1:]):
        return None, day
    return f"{day.isoformat()}T{':'.join([hms[0].zfill(2), *hms[1:]])}", day


def _marker_date(when: str) -> date | None:
    words = when.split()
    text = " ".join(words)
    for fmt in ("%a %b %d %H:%M:%S %Y", "%a %b %d %Y", "%a, %d %b %Y", "%Y-%m-%d",
                "%a %b %d %H:%M:%S %Z %Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _channel_from_name(basename: str) -> str:
    """The channel a log file is named for: "#python.log", "irc.libera.#python.weechatlog"."""
    stem = PurePosixPath(basename).stem
    found = re.search(r"#[^\s/#]+", stem)
    if found is None:
        return ""
    return re.sub(r"[_-]\d{8}$", "", found.group(0))
