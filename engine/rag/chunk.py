"""Split Markdown and plain-text documents into chunks for retrieval.

A document is cut into sections at its headings (Markdown ATX ``#`` headings and setext
underlines, never inside fenced code), a section into blocks at blank lines, and the blocks
of one section are packed greedily into chunks of at most ``max_size`` (characters, or
tokens with a token counter as ``size``). A block too big on its own is cut at sentence
ends, then between words, then, for a single giant word, wherever it must be. A chunk that
follows another in the same section starts with up to ``overlap`` of its tail, cut at a word.

Every chunk is a span of the document: ``text == document[start:end]``, so a hit can point
at its place. Its heading trail travels with it and is put in front of the text that gets
embedded (a paragraph under "Opening hours" is about opening hours even when it does not say
so).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from afina.engine.errors import UsageError

Size = Callable[[str], int]

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")
TEXT_SUFFIXES = (".txt", ".text")
DOC_SUFFIXES = MARKDOWN_SUFFIXES + TEXT_SUFFIXES

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_SENTENCE_END = re.compile(r"(?<=[.!?…:;])\s+|\n+")
_SPACE = re.compile(r"\s+")
_WORD_START = re.compile(r"(?:^|(?<=\s))\S")


@dataclass(frozen=True)
class Chunk:
    """A span of a document: ``text`` is ``document[start:end]`` (character offsets)."""

    path: str  # the document, relative to the folder it was read from (POSIX separators)
    number: int  # its place among the document's chunks, from 0
    start: int
    end: int
    text: str
    headings: tuple[str, ...] = ()  # the heading trail of its section, outermost first
    starts_with_heading: bool = False  # the text begins with its section's own heading line

    def embed_text(self) -> str:
        """What gets embedded: the heading trail (less the one the text starts with), then
        the text."""
        trail = self.headings[:-1] if self.starts_with_heading else self.headings
        return " › ".join(trail) + "\n" + self.text if trail else self.text


@dataclass(frozen=True)
class _Section:
    start: int
    end: int
    headings: tuple[str, ...]
    heading_end: int | None  # where the section's heading line ends, None before any heading


def split_document(
    text: str,
    path: str = "",
    *,
    max_size: int = 800,
    overlap: int = 100,
    size: Size = len,
    markdown: bool = True,
) -> list[Chunk]:
    """The chunks of one document, in order."""
    if max_size < 1:
        raise UsageError(f"chunk size must be at least 1, got {max_size}")
    if not 0 <= overlap < max_size:
        raise UsageError(f"chunk overlap must be between 0 and the chunk size, got {overlap}")
    chunks: list[Chunk] = []
    for section in _sections(text) if markdown else [_Section(0, len(text), (), None)]:
        pieces = [
            p
            for block in _blocks(text, section.start, section.end)
            for p in _fit(text, block, max_size, size)
        ]
        heading_end = section.heading_end
        if heading_end is not None and all(e <= heading_end for _, e in pieces):
            continue  # a heading with nothing under it
        spans = _pack(text, pieces, max_size, overlap, size)
        if heading_end is not None and len(spans) > 1 and spans[0][1] <= heading_end:
            # The heading did not fit with what follows: alone it is noise, and its words
            # reach every chunk of the section through the heading trail anyway.
            spans = _pack(text, [p for p in pieces if p[1] > heading_end], max_size, overlap, size)
        for start, end in spans:
            chunks.append(
                Chunk(
                    path,
                    len(chunks),
                    start,
                    end,
                    text[start:end],
                    section.headings,
                    heading_end is not None and start == section.start,
                )
            )
    return chunks


def doc_files(folder: Path) -> list[Path]:
    """The Markdown and text files under ``folder``, hidden ones left out, in path order."""
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder", "--docs takes a folder of .md and .txt files")
    found = []
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_file() and path.suffix.lower() in DOC_SUFFIXES:
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def chunk_folder(
    folder: Path, *, max_size: int = 800, overlap: int = 100, size: Size = len
) -> list[Chunk]:
    """Every chunk of every document under ``folder``; paths relative to it."""
    chunks: list[Chunk] = []
    for path in doc_files(folder):
        text = path.read_bytes().decode("utf-8-sig", errors="replace").replace("\r\n", "\n")
        chunks.extend(
            split_document(
                text,
                path.relative_to(folder).as_posix(),
                max_size=max_size,
                overlap=overlap,
                size=size,
                markdown=path.suffix.lower() in MARKDOWN_SUFFIXES,
            )
        )
    return chunks


def _lines(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """(start, end) of each line in ``text[start:end]``, without its newline."""
    end = len(text) if end is None else end
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl < 0 else nl
        yield pos, stop
        pos = stop + 1


def _sections(text: str) -> list[_Section]:
    """Cut at headings: (start, heading trail, heading line end) for each section."""
    marks: list[tuple[int, int, int, str]] = []  # line start, heading end, level, title
    fenced = False
    prev: tuple[int, int] | None = None  # the previous line, when it alone is a paragraph
    prev_blank = True
    for s, e in _lines(text):
        line = text[s:e]
        if _FENCE.match(line):
            fenced = not fenced
            prev, prev_blank = None, False
            continue
        if fenced:
            continue
        blank = not line.strip()
        atx = _ATX.match(line)
        if atx and (atx.group(2) or "").strip():
            marks.append((s, e, len(atx.group(1)), atx.group(2).strip()))
            prev, prev_blank = None, False
            continue
        setext = _SETEXT.match(line)
        if setext and prev is not None:
            level = 1 if setext.group(1)[0] == "=" else 2
            marks.append((prev[0], e, level, text[prev[0] : prev[1]].strip()))
            prev, prev_blank = None, False
            continue
        prev = (s, e) if (not blank and prev_blank) else None
        prev_blank = blank
    sections: list[_Section] = []
    if not marks or marks[0][0] > 0:
        sections.append(_Section(0, marks[0][0] if marks else len(text), (), None))
    trail: list[tuple[int, str]] = []
    for i, (s, heading_end, level, title) in enumerate(marks):
        while trail and trail[-1][0] >= level:
            trail.pop()
        trail.append((level, title))
        end = marks[i + 1][0] if i + 1 < len(marks) else len(text)
        sections.append(_Section(s, end, tuple(t for _, t in trail), heading_end))
    return sections


def _blocks(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Paragraph-like blocks of ``text[start:end]``: runs of non-blank lines (a fenced code
    block stays whole), trimmed of surrounding whitespace; thematic breaks are dropped."""
    blocks: list[tuple[int, int]] = []
    first: int | None = None
    last = start
    fenced = False
    for s, e in _lines(text, start, end):
        line = text[s:e]
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and (not line.strip() or _BREAK.match(line)):
            if first is not None:
                blocks.append((first, last))
            first = None
            continue
        if first is None:
            first = s + (len(line) - len(line.lstrip()))
        last = s + len(line.rstrip())
    if first is not None:
        blocks.append((first, last))
    return [(s, e) for s, e in blocks if e > s]


def _fit(text: str, block: tuple[int, int], max_size: int, size: Size) -> list[tuple[int, int]]:
    """``block`` as pieces of at most ``max_size``: whole, else its sentences, else its words,
    else cut anywhere (packing them back together is ``_pack``'s work)."""
    start, end = block
    if size(text[start:end]) <= max_size:
        return [block]
    for pattern in (_SENTENCE_END, _SPACE):
        parts = _split_at(text, start, end, pattern)
        if len(parts) > 1:
            return [p for part in parts for p in _fit(text, part, max_size, size)]
    return _hard_cut(text, start, end, max_size, size)


def _split_at(text: str, start: int, end: int, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    parts = []
    pos = start
    for m in pattern.finditer(text, start, end):
        if m.start() > pos:
            parts.append((pos, m.start()))
        pos = m.end()
    if pos < end:
        parts.append((pos, end))
    return parts


def _hard_cut(text: str, start: int, end: int, max_size: int, size: Size) -> list[tuple[int, int]]:
    """Cuts a run without spaces: the longest prefix that fits, found by bisection."""
    pieces = []
    while start < end:
        lo, hi = start + 1, end  # start + 1 always goes, so every piece makes progress
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if size(text[start:mid]) <= max_size:
                lo = mid
            else:
                hi = mid - 1
        pieces.append((start, lo))
        start = lo
    return pieces


def _pack(
    text: str, pieces: list[tuple[int, int]], max_size: int, overlap: int, size: Size
) -> list[tuple[int, int]]:
    """Consecutive pieces joined greedily into spans of at most ``max_size``; each span after
    the first begins with up to ``overlap`` of the previous span's tail."""
    spans: list[tuple[int, int]] = []
    if not pieces:
        return spans
    start, end = pieces[0]
    for p_start, p_end in pieces[1:]:
        if size(text[start:p_end]) <= max_size:
            end = p_end
            continue
        spans.append((start, end))
        start = p_start
        if overlap:
            tail = _tail_start(text, spans[-1][0], end, overlap, size)
            if tail is not None and tail < p_start and size(text[tail:p_end]) <= max_size:
                start = tail
        end = p_end
    spans.append((start, end))
    return spans


def _tail_start(text: str, lo: int, hi: int, overlap: int, size: Size) -> int | None:
    """The earliest word start in ``text[lo:hi]`` from which the rest fits in ``overlap``."""
    best = None
    starts = [m.start() for m in _WORD_START.finditer(text, lo, hi)]
    for s in reversed(starts):
        if s == lo:
            break  # the whole previous span is no overlap, it is a repeat
        if size(text[s:hi]) > overlap:
            break
        best = s
    return best
