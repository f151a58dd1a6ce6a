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


def _stream_array(file: InputFile) -> Iterator[tuple[str, Any]]:
    import ijson  # imported here: only big files need it

    i = -1
    try:
        with file.open() as f:
            for i, value in enumerate(ijson.items(f, "item", use_float=True)):  # noqa: B007
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
            yield f"line {lineno}", ParseError(f"line {lineno} column {e.colno}", f"invalid JSON: {e.msg}")
