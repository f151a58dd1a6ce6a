"""Generic tables of messages: CSV/TSV and JSON Lines, one message a row, with a column mapping.

Columns are found by common names (``text``, ``speaker``, ``conversation_id`` ...) unless
the person names them in the options. Rows are grouped into conversations by the
conversation column, in order of first appearance; without one, the file is a single
conversation. The CSV importer also knows two layouts where each row is a whole
conversation: the Ubuntu Dialogue Corpus (a ``Context`` of ``__eou__``/``__eot__``-separated
utterances and the ground-truth response) and tables of question/answer pairs (see
:mod:`table_pairs`), which a table without a text column is read as when its column names
tell a question and an answer apart.

Both read the file as a stream. The column mapping lives in :mod:`table_columns`, the
grouping of rows into conversations in :mod:`table_grouping`, and the row reading the other
table-like importers share (counted skips, bounded CSV records, timestamps) in
:mod:`table_rows`.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

from afina.engine.errors import ParseError
from afina.engine.ingest.contract import STREAMS, Importer, as_file
from afina.engine.ingest.inputs import InputFile, InputItem
from afina.engine.ingest.jsonio import iter_jsonl
from afina.engine.ingest.textio import TextStats, long_line_skips, repairs
from afina.engine.plugins import Option
from afina.engine.types import Conversation, ImportItem, Turn
from afina.plugins.importers.table_columns import (
    TEXT_NAMES,
    Columns,
    column_options,
    find_name,
    mapping_given,
    resolve_columns,
    scalar,
)
from afina.plugins.importers.table_grouping import read_table, table_records
from afina.plugins.importers.table_pairs import (
    looks_like_pairs,
    no_columns_problem,
    note_of,
    pair_columns,
    pair_options,
    read_pairs,
)
from afina.plugins.importers.table_rows import Tally, csv_rows, safe_head

# JSON objects with these keys belong to more specific importers (OpenAI messages, ShareGPT,
# Alpaca, ChatGPT, Claude, Discord, Telegram).
_OTHER_FORMAT_KEYS = frozenset({
    "messages", "conversations", "instruction", "mapping", "chat_messages", "guild", "chats",
})  # fmt: skip
# Ubuntu Dialogue Corpus markers: end of utterance, end of turn (speaker change); v1 used __EOS__.
_EOU = re.compile(r"\s*(?:__eou__|__EOS__)\s*")
_EOT = re.compile(r"\s*__eot__\s*")


class CSVImporter(Importer):
    name: ClassVar[str] = "csv"
    description: ClassVar[str] = "CSV/TSV with one message a row (columns mapped by name)"
    capabilities: ClassVar[frozenset[str]] = frozenset({STREAMS})
    extensions: ClassVar[tuple[str, ...]] = (".csv", ".tsv")
    options: ClassVar[tuple[Option, ...]] = column_options(
        (
            Option(
                "delimiter", "str", "", "field separator, e.g. ',' ';' or '\\t' (empty: detected)"
            ),
            *pair_options(),
        )
    )

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
        if find_name(names, TEXT_NAMES) is not None:
            return 0.55
        # A question and an answer column (or several candidates, which the read will ask
        # the person to settle) are a little more specific.
        return 0.6 if looks_like_pairs(names) else 0.0

    def read(self, item: InputItem, options: Mapping[str, Any]) -> Iterator[ImportItem]:
        file = as_file(item)
        delimiter = _delimiter_option(str(options.get("delimiter") or ""))
        if not delimiter:
            delimiter = _detect_delimiter(safe_head(file), file.suffix)
        stats = TextStats()
        tally = Tally()
        header = _csv_header(file, delimiter)
        # A text column (or a mapping, or the Ubuntu layout) means one message a row; only a
        # table without one is looked at as question/answer pairs.
        text_column = (
            mapping_given(options)
            or _is_ubuntu_layout(header)
            or find_name(header, TEXT_NAMES) is not None
        )
        pairs = pair_columns(header, options, self.name, text_column)
        if pairs is not None:
            note = note_of(pairs)
            if note is not None:
                yield note  # first, so the import summary's first notes show it
            records = _csv_records(file, delimiter, header, stats, tally)
            yield from read_pairs(table_records(records, tally), pairs, tally)
        elif _is_ubuntu_layout(header) and not mapping_given(options):
            yield from _ubuntu_rows(file, delimiter, header, stats, tally)
        else:
            if not text_column:
                raise ParseError("line 1", no_columns_problem(header, self.name))
            cols = resolve_columns(header, options, "line 1")

            def rows(s: TextStats, t: Tally | None) -> Iterator[tuple[str, object]]:
                return _csv_records(file, delimiter, header, s, t)

            yield from read_table(rows, cols, stats, tally)
        yield from tally.skips()
        yield from long_line_skips(stats)
        yield from repairs(stats)


class JSONLImporter(Importer):
    name: ClassVar[str] = "jsonl"
    description: ClassVar[str] = "JSON Lines with one message an object (fields mapped by name)"
    capabilities: ClassVar[frozenset[str]] = frozenset({STREAMS})
    extensions: ClassVar[tuple[str, ...]] = (".jsonl", ".ndjson")
    options: ClassVar[tuple[Option, ...]] = column_options()

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
        key = find_name(list(first), TEXT_NAMES)
        return 0.55 if key is not None and isinstance(first[key], str) else 0.0

    def read(self, item: InputItem, options: Mapping[str, Any]) -> Iterator[ImportItem]:
        file = as_file(item)
        stats = TextStats()
        tally = Tally()
        cols = _jsonl_columns(file, options)

        def rows(s: TextStats, t: Tally | None) -> Iterator[tuple[str, object]]:
            return iter_jsonl(file, s)

        yield from read_table(rows, cols, stats, tally)
        yield from tally.skips()
        yield from long_line_skips(stats)
        yield from repairs(stats)


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
    file: InputFile,
    delimiter: str,
    header: Sequence[str],
    stats: TextStats,
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
                tally.add(
                    "row has more fields than the header (extra fields left out)", f"line {lineno}"
                )
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
    context = find_name(header, ("context",)) or "Context"
    response = find_name(header, ("ground truth utterance", "utterance")) or "Utterance"
    label = find_name(header, ("label",))
    for place, record in table_records(_csv_records(file, delimiter, header, stats, tally), tally):
        turns = _ubuntu_turns(place, record, context, response, label, tally)
        if turns:
            yield Conversation(
                key="", title=None, place=place, turns=turns, meta={"layout": "ubuntu-dialogue"}
            )
        else:
            tally.add("row without a context", place)


def _ubuntu_turns(
    place: str,
    record: Mapping[str, object],
    context: str,
    response: str,
    label: str | None,
    tally: Tally,
) -> list[Turn]:
    raw = record.get(context)
    if not isinstance(raw, str):
        return []
    # Without __eot__ markers (corpus v1) every utterance counts as a change of speaker.
    blocks = _EOT.split(raw) if "__eot__" in raw else _EOU.split(raw)
    texts = [_join_utterances(b) for b in blocks]
    texts = [t for t in texts if t]
    answer = _join_utterances(str(record.get(response) or ""))
    if answer and label and scalar(record.get(label)) == "0":
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
    records = table_records(iter_jsonl(file, TextStats()), None)
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
