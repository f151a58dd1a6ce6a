"""Plain-text transcripts of "Speaker: text" lines, streamed.

One turn per "Speaker: text" line, optionally after "[timestamp]" or "HH:MM"; lines without
a speaker continue the previous turn. Blank lines split conversations only when asked to
(``split_on_blank``). The sniffer is strict on purpose: Markdown, YAML, logs and e-mail
headers also have "word: text" lines, so it wants most lines to be speaker lines, at least
two speakers who each speak twice, and none of WhatsApp's or IRC's line shapes.

IRC logs have their own importer (``irc``), which shares the streaming of conversations
below.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from afina.engine.errors import ParseError
from afina.engine.ingest.contract import STREAMS, Importer, as_file
from afina.engine.ingest.inputs import InputFile, InputItem
from afina.engine.ingest.textio import TextStats, iter_lines, long_line_skips, repairs
from afina.engine.plugins import Option
from afina.engine.types import Conversation, ImportItem, Turn
from afina.plugins.importers.irc_lines import TIME, is_irc
from afina.plugins.importers.table_rows import Tally, parse_when, safe_head

# Structured formats whose "key: value" lines are not speakers.
NOT_TRANSCRIPT_SUFFIXES = frozenset({
    ".json", ".jsonl", ".ndjson", ".csv", ".tsv", ".yml", ".yaml", ".toml", ".ini", ".cfg",
    ".py", ".js", ".ts", ".html", ".htm", ".xml", ".rst", ".sql", ".sh",
})  # fmt: skip
LOG_LEVELS = frozenset({
    "debug", "info", "warning", "warn", "error", "critical", "fatal", "trace", "notice",
    "note", "todo", "fixme", "xxx", "hint", "tip", "important", "caution", "failed", "passed",
    "ok", "skipped", "success", "failure",
})  # fmt: skip
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
})  # fmt: skip
SNIFF_LINES = 200

# "[ts] Speaker: text", "HH:MM Speaker: text" or "Speaker: text"; "Speaker:" alone opens a
# turn whose text follows on the next lines.
_SPEAKER_LINE = re.compile(
    r"^(?:\[(?P<bracket>[^\]\n]{1,40})\]\s*|(?P<time>" + TIME + r"(?:\s?[AaPp]\.?[Mm]\.?)?)\s+)?"
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
        Option(
            "split_on_blank",
            "bool",
            False,
            "a blank line ends a conversation (else the file is one conversation)",
        ),
    )

    def sniff(self, item: InputItem) -> float:
        if not isinstance(item, InputFile) or item.suffix in NOT_TRANSCRIPT_SUFFIXES:
            return 0.0
        lines = head_lines(item)
        if len(lines) < 4:
            return 0.0
        speakers: dict[str, int] = {}
        changes = prose = 0
        previous = ""
        for line in lines:
            if _WHATSAPP.match(line) or is_irc(line):
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
        count = yield from conversations(events, key="", title=None)
        if not count:
            raise ParseError("whole file", 'no "Speaker: text" lines found')
        yield from tally.skips()
        yield from long_line_skips(stats)
        yield from repairs(stats)


# ---------------------------------------------------------------- streaming conversations

_BREAK = object()  # between conversations in an event stream


def conversations(
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


def head_lines(file: InputFile) -> list[str]:
    """The head's non-blank lines for a sniffer (a line the head cut short left out)."""
    head = safe_head(file, 32 * 1024)
    lines = head.splitlines()
    if len(head) >= 32 * 1024 and lines:
        lines.pop()  # cut mid-line
    return [ln for ln in lines if ln.strip()][:SNIFF_LINES]


# ---------------------------------------------------------------- transcripts


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
        return Turn(
            speaker=self.speaker, text=text, place=self.place, timestamp=timestamp, meta=meta
        )


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
