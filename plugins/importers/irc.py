"""IRC logs of clients and bouncers: irssi, WeeChat, HexChat, ZNC, mIRC and dircproxy, streamed.

The line shapes live in :mod:`irc_lines`. Messages and "/me" actions are turns (an action is
a turn by its nick, marked ``{"action": True}``); joins, parts, quits, modes, topics,
notices, CTCP requests and the bouncer's own "***" status lines ("You connected") are
counted per kind, not imported. A hostmask after a nick (``<nick!user@host>``) is personal
data and is dropped: the speaker is the nick alone.

Times come as written: full dates where the log has them, else a time of day put on the day
the log's markers ("--- Day changed", "**** BEGIN LOGGING AT") announce. dircproxy writes a
day and a month ("[15 Jan 08:42]") but never a year, so without such a marker the turn keeps
its stamp in ``meta["time"]`` instead of a timestamp.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Any, ClassVar

from afina.engine.errors import ParseError
from afina.engine.ingest.contract import STREAMS, Importer, as_file
from afina.engine.ingest.inputs import InputFile, InputItem
from afina.engine.ingest.textio import TextStats, iter_lines, long_line_skips, repairs
from afina.engine.types import ImportItem, Turn
from afina.plugins.importers.irc_lines import TIME, irc_line
from afina.plugins.importers.table_rows import Tally, parse_when
from afina.plugins.importers.transcript import NOT_TRANSCRIPT_SUFFIXES, conversations, head_lines

_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d")
_CLOCK = re.compile(TIME)
_MONTH_DAY = re.compile(r"([A-Z][a-z]{2}) +(\d{1,2})\b")  # HexChat's "Jan 01 12:00:00"
_DAY_MONTH = re.compile(r"(\d{1,2}) ([A-Z][a-z]{2})\b")  # dircproxy's "15 Jan 08:42"


class IRCImporter(Importer):
    name: ClassVar[str] = "irc"
    description: ClassVar[str] = (
        "IRC log (irssi, WeeChat, HexChat, ZNC, dircproxy): <nick> messages"
    )
    capabilities: ClassVar[frozenset[str]] = frozenset({STREAMS})
    extensions: ClassVar[tuple[str, ...]] = (".log", ".txt", ".weechatlog")

    def sniff(self, item: InputItem) -> float:
        if not isinstance(item, InputFile) or item.suffix in NOT_TRANSCRIPT_SUFFIXES:
            return 0.0
        lines = head_lines(item)
        if not lines:
            return 0.0
        kinds = [irc_line(line) for line in lines]
        stamped = sum(1 for k in kinds if k.kind in ("message", "action") and k.stamped)
        known = sum(1 for k in kinds if k.kind)
        if stamped >= 2 and known >= 0.6 * len(lines):
            return 0.85
        return 0.0

    def read(self, item: InputItem, options: Mapping[str, Any]) -> Iterator[ImportItem]:
        file = as_file(item)
        stats = TextStats()
        tally = Tally()
        channel = channel_from_name(file.basename)
        events = _irc_events(iter_lines(file, stats), tally)
        count = yield from conversations(events, key=channel, title=channel or None)
        if not count:
            raise ParseError("whole file", "no IRC messages (<nick> text) found")
        yield from tally.skips()
        yield from long_line_skips(stats)
        yield from repairs(stats)


def _irc_events(lines: Iterable[tuple[int, str]], tally: Tally) -> Iterator[Turn]:
    day: date | None = None
    for lineno, line in lines:
        if not line.strip():
            continue
        place = f"line {lineno}"
        parsed = irc_line(line)
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
            yield Turn(
                speaker=parsed.nick, text=parsed.text, place=place, timestamp=timestamp, meta=meta
            )
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
    named = _named_day(stamp)
    if named is not None and day is not None:
        # The stamp names its day; the year is the one the log's last marker gave.
        try:
            day = datetime.strptime(f"{named} {day.year}", "%b %d %Y").date()
        except ValueError:
            return None, day
    if clock is None or day is None:
        return None, day
    hms = clock.group(0).split(":")
    if int(hms[0]) > 23 or any(int(x) > 59 for x in hms[1:]):
        return None, day
    return f"{day.isoformat()}T{':'.join([hms[0].zfill(2), *hms[1:]])}", day


def _named_day(stamp: str) -> str | None:
    """ "Mon DD" from a stamp that names its day (HexChat "Jan 01", dircproxy "15 Jan")."""
    m = _MONTH_DAY.match(stamp)
    if m is not None:
        return f"{m.group(1)} {m.group(2)}"
    m = _DAY_MONTH.match(stamp)
    if m is not None:
        return f"{m.group(2)} {m.group(1)}"
    return None


def _marker_date(when: str) -> date | None:
    words = when.split()
    text = " ".join(words)
    for fmt in (
        "%a %b %d %H:%M:%S %Y",
        "%a %b %d %Y",
        "%a, %d %b %Y",
        "%Y-%m-%d",
        "%a %b %d %H:%M:%S %Z %Y",
    ):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def channel_from_name(basename: str) -> str:
    """The channel a log file is named for: "#python.log", "irc.libera.#python.weechatlog"."""
    stem = PurePosixPath(basename).stem
    found = re.search(r"#[^\s/#]+", stem)
    if found is None:
        return ""
    return re.sub(r"[_-]\d{8}$", "", found.group(0))
