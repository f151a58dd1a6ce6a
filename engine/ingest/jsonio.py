"""JSON reading for importers: whole documents with placed errors, and streamed top-level arrays."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from afina.engine.errors import ParseError
from afina.engine.ingest.inputs import InputFile
from afina.engine.ingest.textio import TextStats, decode_all, head_text

# JSON documents are parsed whole only up to this size; bigger top-level arrays are streamed.
WHOLE_LIMIT = 64 * 1024**2


def first_char(file: InputFile) -> str:
    """The first non-blank character of the file ('' if none): '[' or '{' for JSON."""
    return head_text(file, 4096).lstrip("\ufeff \t\r\n")[:1]


def load_json(file: InputFile, stats: TextStats | None = None, limit: int = 512 * 1024**2) -> Any:
    """Parse a whole JSON document; a syntax error names the line and column."""
    text = decode_all(file.read_bytes(limit), stats)
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


class _ElementGuard:
    """Fails a read once too many bytes have gone by since the last complete element."""

    def __init__(self, raw: Any, limit: int) -> None:
        self._raw = raw
        self._limit = limit
        self.read_total = 0
        self.mark = 0
        self.index = 0

    def read(self, n: int = -1) -> bytes:
        if self.read_total - self.mark > self._limit:
            raise ParseError(
                f"element [{self.index}]",
                f"more than {self._limit // 1024**2} MiB in one record;"
                " not a chat export this size",
            )
        data = self._raw.read(n)
        self.read_total += len(data)
        return data


def _stream_array(file: InputFile) -> Iterator[tuple[str, Any]]:
    import ijson  # imported here: only big files need it

    i = -1
    try:
        with file.open() as f:
            guard = _ElementGuard(f, MAX_ELEMENT_BYTES)
            for i, value in enumerate(ijson.items(guard, "item", use_float=True)):
                guard.mark, guard.index = guard.read_total, i + 1
                yield f"[{i}]", value
    except ijson.JSONError as e:
        raise ParseError(f"after element [{i}]", f"invalid or truncated JSON: {e}") from e
    except UnicodeDecodeError as e:
        raise ParseError(f"byte {e.start}", "not UTF-8 text") from e


def iter_jsonl(file: InputFile, stats: TextStats) -> Iterator[tuple[str, Any]]:
    """Yield ``(place, value)`` for each non-blank line of a JSON Lines file.

    A line that is not valid JSON is yielded as ``(place, ParseError)`` so the importer can
    skip it with a counted warning instead of losing the whole file.
    """
    from afina.engine.ingest.textio import iter_lines

    for lineno, line in iter_lines(file, stats):
        if not line.strip():
            continue
        try:
            yield f"line {lineno}", json.loads(line)
        except json.JSONDecodeError as e:
            yield (
                f"line {lineno}",
                ParseError(f"line {lineno} column {e.colno}", f"invalid JSON: {e.msg}"),
            )
