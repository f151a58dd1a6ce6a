"""JSON reading for importers: whole documents with placed errors, streamed top-level arrays,
JSON Lines, and the sniffing helpers for files of records in any of those shapes.

Every path refuses nesting deeper than ``MAX_JSON_DEPTH`` before a parser sees it: a file of
nothing but brackets made ijson's memory grow with the square of the depth (100,000 levels
took 18 GB), and recursive code over a parsed document fails past Python's recursion limit.
Importers parse JSON only through this module.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterator
from itertools import accumulate
from typing import Any

from afina.engine.errors import ParseError
from afina.engine.ingest.inputs import InputFile, InputItem
from afina.engine.ingest.textio import TextStats, decode_all, head_text, iter_lines
from afina.engine.types import Skip

# JSON documents are parsed whole only up to this size; bigger top-level arrays are streamed.
WHOLE_LIMIT = 64 * 1024**2
# The deepest real export we have (a ChatGPT export with code-interpreter output) nests 11
# levels; the others 8 or 9. 200 leaves room for any format we might meet and stays well
# inside Python's recursion limit (1,000 frames) for code that walks a document recursively;
# ijson's bookkeeping, quadratic in the depth, is then a few hundred kilobytes.
MAX_JSON_DEPTH = 200


def first_char(file: InputFile) -> str:
    """The first non-blank character of the file ('' if none): '[' or '{' for JSON."""
    return head_text(file, 4096).lstrip("\ufeff \t\r\n")[:1]


def load_json(file: InputFile, stats: TextStats | None = None, limit: int = 512 * 1024**2) -> Any:
    """Parse a whole JSON document; a syntax error names the line and column."""
    text = decode_all(file.read_bytes(limit), stats)
    check_depth(text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ParseError(f"line {e.lineno} column {e.colno}", f"invalid JSON: {e.msg}") from e
    except RecursionError as e:
        raise ParseError("whole file", "JSON nested too deeply") from e


def iter_json_items(file: InputFile, stats: TextStats | None = None) -> Iterator[tuple[str, Any]]:
    """Yield ``(place, value)``: each element of a top-level array, or the one top-level value.

    Large arrays are streamed with ijson so memory stays bounded by the biggest element.
    Places look like ``[12]`` for array elements and ``$`` for a single document.
    """
    start = first_char(file)
    if start == "[" and file.size > WHOLE_LIMIT:
        yield from _stream_array(file)
        return
    doc = load_json(file, stats)
    if isinstance(doc, list):
        for i, value in enumerate(doc):
            yield f"[{i}]", value
    else:
        yield "$", doc


# A streamed array element bigger than this is refused: one record that size is not a chat
# but a broken or hostile file, and ijson would hold all of it in memory.
MAX_ELEMENT_BYTES = 32 * 1024**2


class _Guarded:
    """A stream for ijson that checks each block's nesting before ijson parses it, and with
    ``limit``, fails once too many bytes have gone by since the last complete element."""

    def __init__(self, raw: Any, limit: int | None = None) -> None:
        self._raw = raw
        self._limit = limit
        self.depth = DepthGuard()
        self.read_total = 0
        self.mark = 0
        self.index = 0

    def read(self, n: int = -1) -> bytes:
        if self._limit is not None and self.read_total - self.mark > self._limit:
            raise ParseError(
                f"element [{self.index}]",
                f"more than {self._limit // 1024**2} MiB in one record;"
                " not a chat export this size",
            )
        data = self._raw.read(n)
        self.depth.feed(data)
        self.read_total += len(data)
        return data


def _stream_array(file: InputFile) -> Iterator[tuple[str, Any]]:
    import ijson  # imported here: only big files need it

    i = -1
    try:
        with file.open() as f:
            guard = _Guarded(f, MAX_ELEMENT_BYTES)
            for i, value in enumerate(ijson.items(guard, "item", use_float=True)):
                guard.mark, guard.index = guard.read_total, i + 1
                yield f"[{i}]", value
    except ijson.JSONError as e:
        raise ParseError(f"after element [{i}]", f"invalid or truncated JSON: {e}") from e
    except UnicodeDecodeError as e:
        raise ParseError(f"byte {e.start}", "not UTF-8 text") from e


def stream_items(file: InputFile, prefix: str) -> Iterator[Any]:
    """The values at ijson ``prefix`` ("messages.item"), streamed with the depth guard.

    Importers that stream a document another way than ``iter_json_items`` go through this,
    never through ijson itself.
    """
    import ijson  # only big exports need it

    i = -1
    try:
        with file.open() as f:
            for i, value in enumerate(ijson.items(_Guarded(f), prefix, use_float=True)):  # noqa: B007
                yield value
    except ijson.JSONError as e:
        raise ParseError(f"{prefix} after [{i}]", f"invalid or truncated JSON: {e}") from e
    except UnicodeDecodeError as e:
        raise ParseError(f"byte {e.start}", "not UTF-8 text") from e


def iter_jsonl(file: InputFile, stats: TextStats) -> Iterator[tuple[str, Any]]:
    """Yield ``(place, value)`` for each non-blank line of a JSON Lines file.

    A line that is not valid JSON is yielded as ``(place, ParseError)`` so the importer can
    skip it with a counted warning instead of losing the whole file.
    """
    for lineno, line in iter_lines(file, stats):
        if not line.strip():
            continue
        try:
            check_depth(line)
        except ParseError as e:
            yield f"line {lineno}", ParseError(f"line {lineno}", e.problem)
            continue
        try:
            yield f"line {lineno}", json.loads(line)
        except json.JSONDecodeError as e:
            yield (
                f"line {lineno}",
                ParseError(f"line {lineno} column {e.colno}", f"invalid JSON: {e.msg}"),
            )


# ---------------------------------------------------------------- files of records
# Instruction and chat fine-tuning data comes as JSON Lines, a JSON array of records or a
# file holding one record; the helpers below read and sniff all three the same way.

_BLANK = "\ufeff \t\r\n"


def json_head(item: InputItem) -> str:
    """The head of a file as text, leading blanks gone, when it opens like JSON ('{' or '[').

    '' when ``item`` is not a file, cannot be read or does not open like JSON, so a sniffer
    can give up on an empty answer without ever raising.
    """
    if not isinstance(item, InputFile):
        return ""
    try:
        head = head_text(item).lstrip(_BLANK)
    except (OSError, ParseError):
        return ""
    return head if head[:1] in ("{", "[") else ""


def first_record(head: str) -> Any:
    """The first record of a JSON array, JSONL file or single object, if it ends inside ``head``.

    ``head`` is the start of the file with leading blanks stripped (as ``json_head`` gives
    it). None when the first record runs past the head or is not JSON.
    """
    start = 1 if head.startswith("[") else 0
    while start < len(head) and head[start] in " \t\r\n":
        start += 1
    try:
        return json.JSONDecoder().raw_decode(head, start)[0]
    except (ValueError, RecursionError):
        return None


def looks_like_jsonl(file: InputFile) -> bool:
    """JSON Lines, as opposed to one JSON document (an array or a pretty-printed object).

    A file whose first line is a whole JSON value is read line by line; a one-record file
    gives the same result either way, so only a multi-line document needs telling apart.
    """
    head = head_text(file).lstrip(_BLANK)
    if head.startswith("["):
        return False  # records are objects, so no JSONL line starts a list
    if file.suffix in (".jsonl", ".ndjson"):
        return True
    first, newline, _ = head.partition("\n")
    if not newline:
        return True  # one line longer than the head: read as lines, it is one record anyway
    try:
        json.loads(first)
    except ValueError:
        return False
    except RecursionError:
        pass  # one line of JSON after all, too deep to read: refused line by line
    return True


def iter_records(
    file: InputFile, stats: TextStats, expected: str, *, note_cut_lines: bool = False
) -> Iterator[tuple[str, Any]]:
    """Yield ``(place, record)`` from JSON Lines, a JSON array of records or a single object.

    Which of them the file is, ``looks_like_jsonl`` decides. In JSON Lines a line that is not
    JSON comes out as ``(place, Skip)`` and the rest go on; with ``note_cut_lines`` the skip
    says when the line was cut at the length limit (and so could not be whole). A JSONL file
    with no valid line at all raises ``ParseError`` saying ``expected`` (e.g. "Alpaca JSONL
    records"). A JSON document goes through ``iter_json_items``, errors and all.
    """
    if not looks_like_jsonl(file):
        yield from iter_json_items(file, stats)
        return
    any_json = False
    for place, record in iter_jsonl(file, stats):
        if isinstance(record, ParseError):
            reason = record.problem
            if note_cut_lines and int(place.rpartition(" ")[2]) in stats.long_lines:
                reason += " (line cut at the length limit)"
            yield place, Skip(record.place, reason)
            continue
        any_json = True
        yield place, record
    if not any_json:
        raise ParseError("whole file", f"no line is valid JSON; expected {expected}")


def checked_records(
    file: InputFile, stats: TextStats, key: str, *, single: str, listed: str, missing: str
) -> Iterator[tuple[str, Any]]:
    """``iter_json_items`` for exports whose records are objects that all have ``key``.

    The first record decides whether the file is this format at all: a single document
    without ``key`` raises ``ParseError(place, single)``; a first array element that is not an
    object raises ``ParseError(place, listed)``. Later records of another shape are yielded for
    the importer to skip, but if no record has ``key`` the file is another format after all:
    ``ParseError("[0]", missing)`` once all are read.
    """
    records = 0
    shaped = False
    for place, record in iter_json_items(file, stats):
        records += 1
        has_key = isinstance(record, dict) and key in record
        if place == "$" and not has_key:
            raise ParseError(place, single)
        if records == 1 and not isinstance(record, dict):
            raise ParseError(place, listed)
        shaped = shaped or has_key
        yield place, record
    if records and not shaped:
        raise ParseError("[0]", missing)


# ---------------------------------------------------------------- nesting depth
# Counting brackets byte by byte in Python is far too slow for files of hundreds of MB, so a
# block is boiled down with C-speed bytes methods: escapes that could hide a quote are removed,
# then everything but quotes and brackets, then the strings (every other quote-separated part),
# leaving the brackets outside strings as +1/-1 steps whose running sum is the depth.

_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_PIECE_CHARS = 1024 * 1024
# Passes that drop innermost empty pairs ("[]") before the running sum is taken: each lowers
# the peak by at most one, so the true peak is known to within the passes made, and a typical
# block of records (a few levels deep) vanishes entirely.
_PASSES = 8


class DepthGuard:
    """The nesting depth of a JSON text fed to it block by block (UTF-8 or any ASCII-based
    encoding); ``feed`` raises ParseError, naming the line, once it passes the limit."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = MAX_JSON_DEPTH if limit is None else limit
        self.depth = 0
        self.in_string = False
        self.line = 1  # the line the next block starts on
        self._escape = b""  # a backslash that ended the last block, escaping the next byte

    def feed(self, data: bytes) -> None:
        before = (self.depth, self.in_string, self._escape)
        block = self._escape + data
        trailing = len(block) - len(block.rstrip(b"\\"))
        self._escape = b"\\" if trailing % 2 else b""
        if trailing % 2:
            block = block[:-1]
        if b"\\" in block:
            # Escaped backslashes go first: in the JSON text "a\\" the quote ends the string.
            block = block.replace(b"\\\\", b"").replace(b'\\"', b"")
        # Two quotes side by side delimit no bracket, whichever string they open or close.
        skeleton = block.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
        parts = skeleton.split(b'"')
        outside = b"".join(parts[1 if self.in_string else 0 :: 2])
        if len(parts) % 2 == 0:
            self.in_string = not self.in_string
        steps = outside.translate(_STEPS)
        opens = steps.count(1)
        if self.depth + opens > self.limit and self._too_deep(steps):
            raise ParseError(self._place(data, *before), self.problem())
        self.depth += 2 * opens - len(steps)
        self.line += data.count(b"\n")

    def problem(self) -> str:
        return f"JSON nested deeper than {self.limit} levels; not a chat export"

    def _too_deep(self, steps: bytes) -> bool:
        reduced, passes = steps, 0
        while passes < _PASSES:
            fewer = reduced.replace(b"\x01\xff", b"")
            if len(fewer) == len(reduced):
                break
            reduced, passes = fewer, passes + 1
        peak = _peak(reduced, self.depth)
        if peak > self.limit or peak + passes <= self.limit:
            return peak > self.limit
        return _peak(steps, self.depth) > self.limit

    def _place(self, data: bytes, depth: int, in_string: bool, escape: bytes) -> str:
        """The line where the limit is passed, found by walking the block (only on failure)."""
        line, escaped = self.line, bool(escape)
        for byte in data:
            if byte == 0x0A:
                line += 1
            if escaped:
                escaped = False
            elif in_string:
                escaped = byte == 0x5C
                in_string = byte != 0x22
            elif byte == 0x22:
                in_string = True
            elif byte in b"[{":
                depth += 1
                if depth > self.limit:
                    break
            elif byte in b"]}":
                depth -= 1
        return f"line {line}"


def _peak(steps: bytes, start: int) -> int:
    return max(accumulate(array("b", steps), initial=start))


def check_depth(text: str) -> None:
    """Raise ParseError when the JSON ``text`` nests deeper than ``MAX_JSON_DEPTH``."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return  # too few brackets to get there: the common case, and cheap
    guard = DepthGuard()
    for start in range(0, len(text), _PIECE_CHARS):
        guard.feed(text[start : start + _PIECE_CHARS].encode("utf-8", "surrogatepass"))
