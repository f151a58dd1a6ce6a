"""Reading rows of table-like exports, shared by the tabular, Discord, Slack and transcript
importers: counted skips (:class:`Tally`), a safe head for sniffing, CSV records with bounded
fields, and timestamps in the forms exports write them.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator
from datetime import datetime, timezone

from afina.engine.ingest.inputs import InputFile
from afina.engine.ingest.textio import TextStats, head_text, iter_lines
from afina.engine.types import Skip

# A CSV field (and so a line) may grow to this size; past it the row is a Skip, not a crash
# or a memory spike (an unclosed quote would otherwise swallow the rest of the file).
FIELD_LIMIT = 16 * 1024**2


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
