"""WhatsApp chat exports: the ``.txt`` a phone writes (Android or iOS, any language).

One file is one chat. Each message starts with a timestamp line (``31/01/23, 14:05 - Ana: oi``
on Android, ``[31.01.23, 14:05:09] Ana: oi`` on iOS); lines without one continue the
message before. Lines with no "Name:" are system lines (encryption notices, joins, group
changes) and are counted, not imported. Media placeholders stay as ``[media]`` turns so the
conversation around them keeps its shape; deleted messages are counted and dropped.

Exports run to millions of lines, so the conversation's turns are a generator that parses as
it is pulled, with one specialised regex per file (see ``whatsapp_lines``). Skips are
tallied while parsing and yielded after the conversation, a few with their places and one
summary per reason, so memory stays flat however many system lines a chat has.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator, Mapping
from itertools import chain
from types import MappingProxyType
from typing import Any, ClassVar

from afina.engine.errors import ParseError
from afina.engine.ingest.contract import STREAMS, Importer
from afina.engine.ingest.inputs import HEAD_BYTES, InputFile, InputItem
from afina.engine.ingest.textio import TextStats, head_text, iter_blocks, repairs
from afina.engine.plugins import Option
from afina.engine.types import Conversation, ImportItem, Repair, Skip, Turn
from afina.plugins.importers.whatsapp_lines import (
    DELETED,
    FLAG,
    MEDIA,
    SUSPECT_ENDINGS,
    Clock,
    DateOrder,
    Layout,
    chat_name,
    classify,
    clean_speaker,
    detect_layout,
    drop_marks,
    match_header,
    special_kind,
)

MEDIA_TEXT = "[media]"
NO_META: Mapping[str, object] = MappingProxyType({})
SNIFF_LINES = 40
DETECT_LINES = 2000
# Places kept for each kind of skip; past these, one summary line says how many more.
PLACES_PER_REASON = 20
_SPEAKER_CACHE = 10_000

SYSTEM = "system line"
BAD_DATE = "timestamp not understood; message kept without one"


class WhatsAppImporter(Importer):
    name: ClassVar[str] = "whatsapp"
    description: ClassVar[str] = "WhatsApp chat export (.txt from Android or iOS, any language)"
    capabilities: ClassVar[frozenset[str]] = frozenset({STREAMS})
    extensions: ClassVar[tuple[str, ...]] = (".txt",)
    options: ClassVar[tuple[Option, ...]] = (
        Option(
            "date_order",
            "choice",
            "auto",
            "day-first (dmy) or month-first (mdy) dates; auto decides from the file and "
            "falls back to day-first unless the file uses US-style AM/PM",
            ("auto", "dmy", "mdy"),
        ),
    )

    def sniff(self, item: InputItem) -> float:
        if not isinstance(item, InputFile):
            return 0.0
        try:
            head = head_text(item, 16 * 1024)
        except Exception:  # a sniffer never raises: unreadable means "not mine"
            return 0.0
        return _sniff_head(head, item.basename.lower())

    def read(self, item: InputItem, options: Mapping[str, Any]) -> Iterator[ImportItem]:
        if not isinstance(item, InputFile):
            raise ParseError("whole input", "expected one WhatsApp .txt file")
        head = head_text(item)
        layout = detect_layout(_lines(drop_marks(head), DETECT_LINES))
        if layout is None:
            if not head.strip():
                return
            raise ParseError(
                "line 1",
                "expected WhatsApp message lines like '31/01/23, 14:05 - Name: text' "
                "or '[31.01.23, 14:05:09] Name: text'",
            )
        order = _date_order(str(options.get("date_order", "auto")), layout, item)
        stats = TextStats()
        tally = Tally()
        turns = _turns(item, layout, Clock(order), stats, tally, _lrm_outside_stamps(head, layout))
        first = next(turns, None)
        if first is not None:
            name = chat_name(item)
            meta = {
                "platform": "ios" if layout.brackets else "android",
                "date_order": "ymd" if layout.year_first else order,
            }
            yield Conversation(name, name or None, "whole file", chain([first], turns), meta)
        for _ in turns:  # the consumer may have stopped early: finish counting what was skipped
            pass
        yield from tally.items()
        if first is None:
            yield Skip("whole file", "no messages, only system lines")
        yield from repairs(stats)
        if stats.long_lines:
            yield Repair(f"line {stats.long_lines[0]}", "over-long line cut", len(stats.long_lines))


def _lines(text: str, limit: int) -> list[str]:
    lines = text.split("\n", limit)[:limit]
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _sniff_head(head: str, basename: str) -> float:
    lines = [line for line in _lines(drop_marks(head), SNIFF_LINES) if line.strip()]
    if not lines:
        return 0.0
    first = match_header(lines[0])
    if first is None:
        return 0.0
    matches = [m for m in map(match_header, lines) if m is not None]
    rests = [m.string[m.end() :] for m in matches]
    if first["open"] and any(r.startswith(("<", "*", "-!-")) for r in rests):
        return 0.1  # IRC-style "[date time] <nick> text"
    score = 0.9 if len(matches) >= 2 or len(lines) == 1 else 0.75
    if len(first["a"]) == 4:
        score = _year_first_score(first["mid"], rests)
    if "whatsapp" in basename or basename == "_chat.txt":
        score = min(score + 0.05, 0.95)
    return score


# WhatsApp's end-to-end encryption notice, which opens every chat, in the languages of the
# locales that write the year first (Swedish, Hungarian, Lithuanian, Chinese, Japanese, Korean,
# Canadian French, South African English) and a few more.
_E2E = re.compile(
    r"end-to-end|Ende-zu-Ende|ponta a ponta|extremo a extremo|bout en bout|ände till ände"
    r"|totalsträckskrypter|végponttól|visapusiškai|エンドツーエンド|端到端|종단간",
    re.I,
)
# "Name: " words that are log levels, not people: generic logs also put the year first.
_LOG_WORDS = frozenset({"debug", "info", "warning", "warn", "error", "critical", "fatal", "trace"})


def _year_first_score(mid: str, rests: list[str]) -> float:
    """How sure a file of year-first headers is WhatsApp.

    Log writers of every kind put the year first too, so one more WhatsApp trait is asked
    for: its encryption notice, or the comma it puts between date and time with most lines
    spoken by a "Name: ". Without either, only a file whose every line is spoken scores
    enough to be picked (the notice line has no speaker, so most real chats have a trait).
    """
    spoken = sum(1 for r in rests if _spoken(r)) / len(rests)
    if any(_E2E.search(r) for r in rests[:3]) or (mid.startswith(",") and spoken >= 0.5):
        return 0.85
    return 0.6 if spoken == 1.0 else 0.3


def _spoken(rest: str) -> bool:
    name, colon, _ = rest.partition(": ")
    name = name.strip()
    return bool(colon) and 0 < len(name) <= 60 and name.lower() not in _LOG_WORDS


def _lrm_outside_stamps(head: str, layout: Layout) -> bool:
    """Whether LRMs can stay in the text while headers are matched (see ``_turns``).

    They can unless some sit inside timestamps (right-to-left locales): then fewer headers
    match with them than without, and every mark must go before matching.
    """
    if FLAG not in head:
        return True
    pattern = layout.block_pattern()
    kept = pattern.findall(drop_marks("\n" + head, keep_flag=True))
    return len(kept) >= len(pattern.findall(drop_marks("\n" + head)))


def _date_order(option: str, layout: Layout, file: InputFile) -> DateOrder:
    if option == "dmy":
        return "dmy"
    if option == "mdy":
        return "mdy"
    if layout.year_first:
        return "dmy"  # unused: year-first dates are read by their shape
    if layout.order is not None:
        return layout.order
    if file.size > HEAD_BYTES:
        found = scan_order(file, layout)
        if found is not None:
            return found
    return "mdy" if layout.us_markers else "dmy"


class Tally:
    """Skips and repairs counted while parsing: the first few with places, then a count."""

    def __init__(self) -> None:
        self.places: dict[str, list[int]] = {}
        self.counts: dict[str, int] = {}
        self.repairs: dict[str, tuple[int, int]] = {}

    def skip(self, reason: str, lineno: int, lines: int = 1) -> None:
        n = self.counts.get(reason, 0)
        self.counts[reason] = n + lines
        if n < PLACES_PER_REASON:
            listed = min(lines, PLACES_PER_REASON - n)
            self.places.setdefault(reason, []).extend(range(lineno, lineno + listed))

    def repair(self, what: str, lineno: int) -> None:
        first, n = self.repairs.get(what, (lineno, 0))
        self.repairs[what] = (first, n + 1)

    def items(self) -> Iterator[ImportItem]:
        for reason, lines in self.places.items():
            for lineno in lines:
                yield Skip(f"line {lineno}", reason)
            more = self.counts[reason] - len(lines)
            if more:
                yield Skip(f"after line {lines[-1]}", f"{reason}, more not listed", more)
        for what, (first, n) in self.repairs.items():
            yield Repair(f"line {first}", what, n)


TurnMaker = Callable[[str, str, str, "str | None", Mapping[str, object]], Turn]
_TURN_FIELDS = (
    "speaker", "text", "place", "role", "timestamp", "key", "reply_to", "thread",
    "alternatives", "meta",
)  # fmt: skip


def _turn_maker() -> TurnMaker:
    """``Turn(speaker, text, place, timestamp=ts, meta=meta)``, built about twice as fast.

    Building the Turn is the biggest single cost of a line: the frozen dataclass's
    ``__init__`` sets each of its ten fields through ``object.__setattr__``. Setting the
    slots through their descriptors gives the very same object in half the time. Should
    Turn ever gain fields or a ``__post_init__``, this falls back to the constructor.
    """
    names = tuple(f.name for f in dataclasses.fields(Turn))
    if names != _TURN_FIELDS or hasattr(Turn, "__post_init__") or "__slots__" not in vars(Turn):
        return _plain_turn
    new = object.__new__
    s0, s1, s2, s3, s4, s5, s6, s7, s8, s9 = (vars(Turn)[n].__set__ for n in names)

    def make(
        speaker: str, text: str, place: str, ts: str | None, meta: Mapping[str, object]
    ) -> Turn:
        t = new(Turn)
        s0(t, speaker)
        s1(t, text)
        s2(t, place)
        s3(t, None)
        s4(t, ts)
        s5(t, "")
        s6(t, None)
        s7(t, None)
        s8(t, ())
        s9(t, meta)
        return t

    return make


def _plain_turn(
    speaker: str, text: str, place: str, ts: str | None, meta: Mapping[str, object]
) -> Turn:
    return Turn(speaker, text, place, None, ts, "", None, None, (), meta)


_TURN_MAKER = _turn_maker()


def scan_order(file: InputFile, layout: Layout) -> DateOrder | None:
    """Search the whole file for a date that settles day-first against month-first.

    Only needed when the head had no day over 12 (a busy chat's first fortnight): one regex
    search per block, stopping at the first evidence. Progress is not reported for this
    pass, so the bytes are counted once, by the reading pass.
    """
    evidence = layout.evidence_pattern()
    saved, file.progress = file.progress, None
    try:
        for block in iter_blocks(file, TextStats()):
            found = evidence.search(drop_marks("\n" + block, keep_flag=True))
            if found:
                return "dmy" if found.group(1) else "mdy"
        return None
    finally:
        file.progress = saved


def _turns(
    file: InputFile,
    layout: Layout,
    clock: Clock,
    stats: TextStats,
    tally: Tally,
    keep_lrm: bool = True,
) -> Iterator[Turn]:
    """The chat's turns, parsed as they are pulled.

    One regex finds the header lines of a whole block; the lines between two headers
    continue the message before, so they are taken as one slice, never looked at one by
    one. The loop is flat on purpose: it runs once per message of chats with millions, so
    lookups are bound to locals and a one-line text message goes through no helper calls.
    """
    finditer = layout.block_pattern().finditer
    make_turn = _TURN_MAKER
    dates, times = clock.dates, clock.times
    kind_of = special_kind
    suspect = SUSPECT_ENDINGS
    no_meta = NO_META
    speakers: dict[str, str | None] = {}
    ios = layout.brackets
    started = False
    base = 0  # lines in the blocks before this one
    # The message being read; it is complete when the next header line (or the end) comes.
    speaker: str | None = None
    text = place = ""
    ts: str | None = None
    extra: list[str] | None = None
    meta = no_meta

    for block in iter_blocks(file, stats):
        # A newline in front: every header line is then found at the newline before it.
        # LRMs inside lines usually stay: a message that has one loses it below (or in
        # ``_finish``), once its iOS meaning has been read.
        chunk = drop_marks("\n" + block, keep_flag=keep_lrm)
        marked = FLAG in chunk
        # Line numbers count on from the last header: ``lineno`` is the number of the line
        # after the newline at ``last_p``; ``prev_end`` is where the last header line ends.
        last_p, lineno, prev_end = 0, base + 1, 0
        for m in finditer(chunk):
            d, t, raw, body = m.groups()
            try:
                hm = times[t]
            except KeyError:
                hm = clock.time(t)
            if not hm:
                continue  # no time after all: the line continues the message before
            p, end = m.span()
            if p == prev_end:
                if p:
                    lineno += 1
            else:
                gap = chunk[prev_end + 1 : p]
                if speaker is not None:
                    if extra is None:
                        extra = [gap]
                    else:
                        extra.append(gap)
                elif not started:
                    first = lineno + chunk.count("\n", last_p, prev_end)
                    tally.skip("text before the first message", first, gap.count("\n") + 1)
                lineno += chunk.count("\n", last_p, p)
            last_p = p
            prev_end = end
            if speaker is not None:
                if extra is None and text:
                    yield make_turn(speaker, text, place, ts, meta)
                else:
                    turn = _finish(speaker, text, extra, place, ts, meta, tally)
                    if turn is not None:
                        yield turn
                    extra = None
                speaker = None
            started = True
            try:
                day = dates[d]
            except KeyError:
                day = clock.date(d)
            if day:
                ts = day + hm
            else:
                ts = None
                tally.repair(BAD_DATE, lineno)
            if raw is None:
                # "Name:text" without the space happens; a system line has no colon.
                j = body.find(":")
                if j > 0 and (speakers.get(body[:j]) or j == len(body) - 1):
                    raw = body[:j]
                    body = body[j + 1 :]
                else:
                    tally.skip(SYSTEM, lineno)
                    continue
            try:
                name = speakers[raw]
            except KeyError:
                name = clean_speaker(raw)
                if len(speakers) < _SPEAKER_CACHE:
                    speakers[raw] = name
            if name is None:
                tally.skip(SYSTEM, lineno)
                continue
            flagged = False
            if marked and FLAG in body:
                flagged = body[0] == FLAG
                body = body.replace(FLAG, "")
            kind = kind_of(body)
            if kind is None and body.endswith(suspect):
                kind, body, file_name = classify(body)
            else:
                file_name = None
            if kind is None:
                if flagged and ios:
                    # iOS marks the text of system events with a leading LRM, even when
                    # it shows the group's name as the sender.
                    tally.skip(SYSTEM, lineno)
                    continue
                speaker = name
                text = body
                meta = no_meta
            elif kind is MEDIA:
                speaker = name
                text = MEDIA_TEXT
                meta = {"media": True, "file": file_name} if file_name else {"media": True}
            else:
                tally.skip("deleted message" if kind is DELETED else kind, lineno)
            place = f"line {lineno}"
        # The lines after the block's last header continue its message (or what was skipped).
        if prev_end + 1 < len(chunk):
            gap = chunk[prev_end + 1 : -1]
            if speaker is not None:
                if extra is None:
                    extra = [gap]
                else:
                    extra.append(gap)
            elif not started:
                first = lineno + chunk.count("\n", last_p, prev_end)
                tally.skip("text before the first message", first, gap.count("\n") + 1)
        base += block.count("\n")
    if speaker is not None:
        turn = _finish(speaker, text, extra, place, ts, meta, tally)
        if turn is not None:
            yield turn


def _finish(
    speaker: str,
    text: str,
    extra: list[str] | None,
    place: str,
    ts: str | None,
    meta: Mapping[str, object],
    tally: Tally,
) -> Turn | None:
    """A message with continuation lines, or an empty one: the slow path."""
    if extra is not None:
        more = "\n".join(extra)
        if FLAG in more:
            more = more.replace(FLAG, "")
        if meta.get("media"):
            # Android puts a media caption on the lines after "IMG-….jpg (file attached)".
            caption = more.strip("\n")
            if caption:
                text = caption
                meta = {"attachment": meta.get("file") or True}
        else:
            text = (text + "\n" + more).strip("\n")
    if not text.strip():
        tally.skip("empty message", int(place.rsplit(" ", 1)[-1]))
        return None
    return Turn(speaker, text, place, None, ts, "", None, None, (), meta)
