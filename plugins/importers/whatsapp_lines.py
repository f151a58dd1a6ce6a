"""The line grammar of WhatsApp chat exports: timestamps, speakers, placeholders, chat names.

Every export line that starts a message begins with a timestamp whose shape depends on the
phone (Android or iOS), its language and its region: ``31/01/23, 14:05 - Name: text``,
``[31.01.23, 14:05:09] Name: text``, ``1/31/23, 2:05 p. m. - Name: text``... The shape is
fixed within a file, so it is detected once from the head and then matched with one
specialised regex per line (see :class:`Layout`). Timestamp texts repeat endlessly in a chat,
so they are converted once and cached (:class:`Clock`), never parsed through ``datetime``.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

from afina.engine.ingest.inputs import InputFile

DateOrder = Literal["dmy", "mdy"]

# Direction marks and the BOM: WhatsApp scatters them before system lines, names and media.
# The bidi isolates (U+2066-U+2069) wrap @mentions; all are display artefacts, never text.
MARK_CHARS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
# Before a text, iOS puts a U+200E (LRM) on system events and attachments: the one mark
# worth keeping until the line is read. The others are dropped a whole block at a time.
FLAG = "\u200e"
_OTHER_MARKS = MARK_CHARS.replace(FLAG, "")


def drop_marks(text: str, keep_flag: bool = False) -> str:
    """``text`` without direction marks; with ``keep_flag``, LRMs stay except at the start of
    a line (after a newline), where they would only get in the way of the header regex.

    One ``str.replace`` per mark present: many times faster than a regex over a block.
    """
    if text.isascii():
        return text
    for mark in _OTHER_MARKS if keep_flag else MARK_CHARS:
        if mark in text:
            text = text.replace(mark, "")
    line_start = "\n" + FLAG
    while keep_flag and line_start in text:
        text = text.replace(line_start, "\n")
    return text


# Whitespace within a line: patterns also run over blocks of many lines.
_SP = r"[^\S\n]"

# Clock words that come before the time in CJK locales ("午後3:45").
_PREFIX = "午前|午後|上午|下午|오전|오후"
# A 12-hour marker after the time: "PM", "p. m.", "a.m.", "nachm.", "da tarde"... The words
# are checked later against the known ones; here only their shape (no digits or brackets).
_MARKER = _SP + r"?[^\d\s\[\]:\-][^\d\n\[\]:\-]{0,11}?"

# Any header line, for detecting the layout and sniffing; named groups describe its shape.
# The last date field is a year (2 or 4 digits) unless the year comes first: then it is a day,
# which Chinese and Japanese phones write without a leading zero ("2019/1/5"). Use
# ``match_header``, which holds the fields to that.
HEADER = re.compile(
    r"(?P<open>\[)?"
    rf"(?P<date>(?P<a>\d{{1,4}})(?P<sep>[./-]){_SP}?(?P<b>\d{{1,2}})(?P=sep){_SP}?(?P<c>\d{{1,4}}))"
    rf"(?P<dot>\.)?(?P<mid>,{_SP}?|{_SP})"
    rf"(?P<time>(?:(?P<prefix>{_PREFIX}){_SP}?)?\d{{1,2}}(?P<tsep>[:.])\d{{2}}(?:[:.]\d{{2}})?"
    rf"(?P<marker>{_MARKER})?)"
    r"(?P<close>\] | - | – |: )"
)
# The same for reading when no specialised pattern fits: groups (date, time).
_LOOSE = (
    rf"\[?(\d{{1,4}}[./-]{_SP}?\d{{1,2}}[./-]{_SP}?\d{{1,4}})\.?(?:,{_SP}?|{_SP})"
    rf"((?:(?:{_PREFIX}){_SP}?)?\d{{1,2}}[:.]\d{{2}}(?:[:.]\d{{2}})?(?:{_MARKER})?)"
    r"(?:\] | - | – |: )"
)

# 12-hour words, lower-cased without dots or spaces: en, es, pt, it, de, sv, vi, tr, el, ar,
# ja, zh, ko.
_AM = frozenset((
    "am", "a", "vorm", "fm", "sa", "öö", "πμ", "ص", "午前", "上午", "오전",
    "damanhã", "damadrugada",
))  # fmt: skip
_PM = frozenset((
    "pm", "p", "nachm", "nm", "em", "ch", "ös", "μμ", "م", "午後", "下午", "오후",
    "datarde", "danoite",
))  # fmt: skip
_TIME = re.compile(rf"(?:({_PREFIX})\s?)?(\d{{1,2}})[:.](\d{{2}})(?:[:.](\d{{2}}))?(.*)", re.S)
_NOT_MARKER_CHARS = re.compile(r"[\s.]+")


def match_header(line: str) -> re.Match[str] | None:
    """``HEADER.match(line)`` when its date has a plausible shape: a year first (4 digits) or
    last (2 or 4 digits), never a one-digit or three-digit year."""
    m = HEADER.match(line)
    if m is None:
        return None
    if len(m["a"]) == 4:
        return m if len(m["c"]) <= 2 else None
    return m if len(m["a"]) <= 2 and len(m["c"]) in (2, 4) else None


_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class Layout:
    """How the header lines of one file look, and the regexes that read them."""

    core: str  # regex source of a header up to the text, groups (date, time)
    brackets: bool  # iOS "[date, time] Name: text"
    year_first: bool
    order: DateOrder | None  # None: the head gave no evidence either way
    us_markers: bool  # "AM"/"PM" with slashes: the US habit, a hint for month-first
    sep: str
    mid: str

    def block_pattern(self) -> re.Pattern[str]:
        """Finds header lines in a block of text, each found at the newline before it.

        Starting with a literal newline lets the regex engine jump from line to line
        instead of trying every position. Groups: date, time, the name before the first
        ": " (None if there is none), the rest of the line.
        """
        return re.compile("\n" + self.core + "(?:([^:\n]*): )?([^\n]*)")

    def evidence_pattern(self) -> re.Pattern[str]:
        """Finds a header whose date settles the order: group 1 is a day (over 12) in
        front, group 2 one in the middle."""
        sep = re.escape(self.sep) + _SP + "?"
        big = r"(1[3-9]|2\d|3[01])"
        opening = r"\[" if self.brackets else ""
        fields = rf"(?:{big}{sep}\d{{1,2}}|\d{{1,2}}{sep}{big}){sep}\d{{2,4}}"
        return re.compile(f"\n{opening}{fields}{re.escape(self.mid)}")


def detect_layout(lines: Iterable[str]) -> Layout | None:
    """The layout of the header lines among ``lines`` (a file's head without marks)."""
    matches = [m for m in map(match_header, lines) if m is not None]
    if not matches:
        return None
    first = matches[0]
    core = _specialised(first)
    special = re.compile(core)
    fits = sum(1 for m in matches if special.match(m.string))
    # A stray continuation line may look like a header; most lines must fit the first one.
    if fits * 20 < len(matches) * 19:
        core = _LOOSE
    return Layout(
        core=core,
        brackets=bool(first["open"]),
        year_first=len(first["a"]) == 4,
        order=_evidence((m["a"], m["b"]) for m in matches if m["sep"] == first["sep"]),
        us_markers=first["sep"] == "/"
        and any((m["marker"] or "").strip() in ("AM", "PM") for m in matches),
        sep=first["sep"],
        mid=first["mid"],
    )


def _specialised(m: re.Match[str]) -> str:
    """A header regex with this file's literal punctuation: fewer alternatives per line."""
    sep = re.escape(m["sep"])
    space = _SP + "?" if " " in m["date"] else ""
    if len(m["a"]) == 4:  # year first: month and day may lose their leading zeros
        date = rf"(\d{{4}}{sep}{space}\d{{1,2}}{sep}{space}\d{{1,2}})"
    else:
        date = rf"(\d{{1,2}}{sep}{space}\d{{1,2}}{sep}{space}\d{{2,4}})"
    dot = r"\." if m["dot"] else ""
    tsep = re.escape(m["tsep"])
    prefix = rf"(?:(?:{_PREFIX}){_SP}?)?" if m["prefix"] else ""
    marker = rf"(?:{_MARKER})?" if m["marker"] else ""
    time = rf"({prefix}\d{{1,2}}{tsep}\d{{2}}(?:{tsep}\d{{2}})?{marker})"
    opening = r"\[" if m["open"] else ""
    return opening + date + dot + re.escape(m["mid"]) + time + re.escape(m["close"])


def _evidence(pairs: Iterable[tuple[str, str]]) -> DateOrder | None:
    """Day-first if any first field is over 12, month-first if any second one is."""
    for a, b in pairs:
        if len(a) == 4:
            continue
        if int(a) > 12:
            return "dmy"
        if int(b) > 12:
            return "mdy"
    return None


class Clock:
    """Turns the date and time texts of header lines into ISO text, each distinct text once."""

    # A chat has a few thousand distinct dates and at most 86,400 distinct times; the caches
    # are dropped past this size anyway so a hostile file cannot grow them without bound.
    LIMIT = 100_000

    def __init__(self, order: DateOrder) -> None:
        self.order = order
        self.dates: dict[str, str] = {}
        self.times: dict[str, str] = {}

    def date(self, text: str) -> str:
        """``YYYY-MM-DDT``, or "" for an impossible date (a header whose date is garbled)."""
        iso = parse_date(text, self.order)
        if len(self.dates) >= self.LIMIT:
            self.dates.clear()
        self.dates[text] = iso
        return iso

    def time(self, text: str) -> str:
        """``HH:MM[:SS]`` in 24 hours, or "" when it is no time (an unknown 12-hour word)."""
        iso = parse_time(text)
        if len(self.times) >= self.LIMIT:
            self.times.clear()
        self.times[text] = iso
        return iso


def parse_date(text: str, order: DateOrder) -> str:
    parts = _DIGITS.findall(text)
    if len(parts) != 3:
        return ""
    a, b, c = parts
    if len(a) == 4:
        y, mo, d = a, b, c
    elif order == "mdy":
        mo, d, y = a, b, c
    else:
        d, mo, y = a, b, c
    if len(y) not in (2, 4):
        return ""
    year = int(y) + (2000 if len(y) == 2 else 0)
    month, day = int(mo), int(d)
    if not (1 <= month <= 12 and year >= 1 and 1 <= day <= calendar.monthrange(year, month)[1]):
        return ""
    return f"{year:04d}-{month:02d}-{day:02d}T"


def parse_time(text: str) -> str:
    m = _TIME.fullmatch(text)
    if m is None:
        return ""
    prefix, h, mi, s, marker = m.groups()
    hour, minute = int(h), int(mi)
    half = _norm_marker(prefix or marker)
    if half in _PM:
        hour = hour + 12 if hour < 12 else hour
    elif half in _AM:
        hour = 0 if hour == 12 else hour
    elif half:
        return ""
    if hour > 23 or minute > 59 or (s is not None and int(s) > 59):
        return ""
    return f"{hour:02d}:{mi}" + (f":{s}" if s is not None else "")


def _norm_marker(marker: str) -> str:
    return _NOT_MARKER_CHARS.sub("", marker).casefold()


# -- message bodies -------------------------------------------------------------------------

MEDIA = "media"
DELETED = "deleted"

# Whole-message texts that stand for something not in the file (after marks are stripped).
_EXACT: dict[str, str] = {}
for _text in (
    "<Media omitted>", "<media omitted>", "<Mídia oculta>", "<Multimedia omitido>",
    "<Media omessi>", "<Medien ausgeschlossen>", "<Médias omis>", "<Medios omitidos>",
    "image omitted", "video omitted", "audio omitted", "sticker omitted", "GIF omitted",
    "document omitted", "Contact card omitted", "imagem ocultada", "vídeo omitido",
    "áudio ocultado", "figurinha omitida", "imagen omitida", "video omitido", "audio omitido",
    "sticker omitido", "immagine omessa", "video omesso", "audio omesso", "sticker omesso",
    "Bild weggelassen", "Video weggelassen", "Audio weggelassen", "Sticker weggelassen",
    "image absente", "vidéo absente", "audio omis",
):  # fmt: skip
    _EXACT[_text] = MEDIA
for _text in (
    "This message was deleted", "You deleted this message", "This message was deleted.",
    "You deleted this message.", "Mensagem apagada", "Você apagou esta mensagem",
    "Esta mensagem foi apagada", "Se eliminó este mensaje", "Eliminaste este mensaje",
    "Este mensaje fue eliminado", "Questo messaggio è stato eliminato",
    "Hai eliminato questo messaggio", "Diese Nachricht wurde gelöscht",
    "Du hast diese Nachricht gelöscht", "Ce message a été supprimé",
    "Vous avez supprimé ce message",
):  # fmt: skip
    _EXACT[_text] = DELETED

# Endings worth a closer look: attachments ("<attached: …>", "… (file attached)"), iOS
# documents ("report.pdf • 3 pages document omitted") and the "edited" tag newer exports add.
SUSPECT_ENDINGS = (">", ")", " omitted", " omitido", " ocultado", " omesso", " weggelassen")
_ATTACHED = re.compile(
    r"<(?:attached|anexado|adjunto|allegato|Anhang|pièce jointe)\s?: ?(?P<file>[^>]*)>"
    r"|(?P<file2>\S.*?) \((?:file attached|arquivo anexado|archivo adjunto|file allegato"
    r"|Datei angehängt|fichier joint)\)"
    r"|(?P<doc>.+) (?:document omitted|documento omitido|documento ocultado|documento omesso"
    r"|Dokument weggelassen)"
)
_EDITED = re.compile(
    r"\s*<(?:This message was edited|Mensagem editada|Se editó este mensaje"
    r"|Questo messaggio è stato modificato|Diese Nachricht wurde bearbeitet)>$"
)


def classify(text: str) -> tuple[str | None, str, str | None]:
    """(kind, text, file) for a message whose first line ends suspiciously.

    kind is ``MEDIA``, ``DELETED`` or None; text loses the "edited" tag; file is the
    attachment's name where the export gives it.
    """
    m = _ATTACHED.fullmatch(text)
    if m is not None:
        return MEDIA, text, m["file"] or m["file2"] or m["doc"]
    edited = _EDITED.search(text)
    if edited is not None:
        text = text[: edited.start()]
    return _EXACT.get(text), text, None


# What a message whose whole text is one of these stands for (MEDIA or DELETED).
special_kind = _EXACT.get


# -- speakers and system lines --------------------------------------------------------------

# A "Name: text" split can land inside a system line that quotes something with a colon
# ('Ana changed the subject to "Plan: June"'); names are short and such lines have verbs.
MAX_NAME = 60
_SYSTEM_VERBS = re.compile(
    r"changed|created|added|removed|mudou|criou|adicionou|removeu|cambió|creó|añadió"
    r"|eliminó|ha cambiato|ha creato|ha aggiunto|hat .* geändert|hat .* erstellt"
    r"|a modifié|a créé|a ajouté",
)


def clean_speaker(raw: str) -> str | None:
    """The speaker as shown, without marks or the "~ " WhatsApp puts before non-contacts;
    None when the "name" is really the start of a system line."""
    name = drop_marks(raw)
    if name.startswith("~"):
        name = name[1:].lstrip()
    if not name or len(name) > MAX_NAME:
        return None
    if any(q in name for q in '"“”«»') and _SYSTEM_VERBS.search(name):
        return None
    return name


# -- chat names ------------------------------------------------------------------------------

_CHAT_PREFIX = re.compile(
    r"^(?:WhatsApp Chat with |WhatsApp Chat - |WhatsApp-Chat mit |WhatsApp Chat mit "
    r"|Conversa do WhatsApp com |Chat de WhatsApp con |Chat WhatsApp con |Chat di WhatsApp con "
    r"|Discussion WhatsApp avec |WhatsApp Chat con )",
    re.I,
)
_COPY_SUFFIX = re.compile(r"\s*\(\d+\)$")


def chat_name(file: InputFile) -> str:
    """The chat's name from the export's file name; for iOS's ``_chat.txt``, from its zip or
    folder. Browser copy numbers (" (1)") are dropped so re-exports land in one chat."""
    stem = PurePosixPath(file.basename).stem
    if stem.lower() in ("_chat", "chat"):
        stem = _container(file)
    stem = _COPY_SUFFIX.sub("", stem.strip())
    return _CHAT_PREFIX.sub("", stem).strip()


def _container(file: InputFile) -> str:
    inner = PurePosixPath(file.name).parent.name
    if inner:
        return inner
    outer = file.display.rsplit("!", 1)[0] if "!" in file.display else file.display
    parent = PurePosixPath(outer.replace("\\", "/"))
    parent = parent if "!" in file.display else parent.parent
    name = parent.name
    return name[: -len(".zip")] if name.lower().endswith(".zip") else name
