"""Markdown FAQ pages: every heading that asks ("## Vocês têm IP fixo?") and the text under it.

A business's FAQ is the cleanest statement of its facts, one answer per question, in the
words the business chose; a fine-tune learns it alongside the chats. Each question becomes a
conversation of two turns, the question (user) and its answer (assistant). Headings that do
not end in a question mark are section titles: they end the answer above them and are kept as
the section of the questions below. A question with nothing under it is skipped and counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from afina.engine.errors import ParseError
from afina.engine.ingest.contract import HAS_ROLES, Importer
from afina.engine.ingest.inputs import InputFile, InputItem
from afina.engine.ingest.textio import TextStats, decode_all, repairs, suffixed_head
from afina.engine.types import Conversation, ImportItem, Skip, Turn

MAX_BYTES = 16 * 1024**2  # FAQ pages are small; a larger .md is not one
SUFFIXES = (".md", ".markdown")
MIN_QUESTIONS = 2  # a page with one question heading is an article, not an FAQ

_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


def _is_question(title: str) -> bool:
    return title.rstrip("*_ ").endswith("?")


class FAQMarkdownImporter(Importer):
    name: ClassVar[str] = "faq-markdown"
    description: ClassVar[str] = "Markdown FAQ: headings that ask a question, the text under each"
    capabilities: ClassVar[frozenset[str]] = frozenset({HAS_ROLES})
    extensions: ClassVar[tuple[str, ...]] = SUFFIXES

    def sniff(self, item: InputItem) -> float:
        head = suffixed_head(item, SUFFIXES)
        if head is None:
            return 0.0
        asked = sum(
            1 for _, level, title in _headings(head.splitlines()) if level and _is_question(title)
        )
        return 0.8 if asked >= MIN_QUESTIONS else 0.0

    def read(self, item: InputItem, options: Mapping[str, Any]) -> Iterator[ImportItem]:
        if not isinstance(item, InputFile):
            raise ParseError("whole input", "expected a single Markdown file")
        stats = TextStats()
        lines = decode_all(item.read_bytes(MAX_BYTES), stats).splitlines()
        found = 0
        for entry in _entries(lines):
            found += isinstance(entry, Conversation)
            yield entry
        if not found:
            raise ParseError(
                "whole file",
                "no heading that asks a question (ending in '?') with an answer under it",
            )
        yield from repairs(stats)


def _headings(lines: list[str]) -> Iterator[tuple[int, int, str]]:
    """(line index, heading level or 0, heading text or the line) outside code fences."""
    fenced = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
        m = None if fenced else _HEADING.match(line)
        yield (i, len(m.group(1)), m.group(2)) if m else (i, 0, line)


def _entries(lines: list[str]) -> Iterator[Conversation | Skip]:
    section: str | None = None
    question: tuple[int, str] | None = None
    body: list[str] = []
    for i, level, text in _headings(lines):
        if not level:
            if question is not None:
                body.append(text)
            continue
        if question is not None:
            yield _entry(question, body, section)
        question, body = None, []
        if _is_question(text):
            question = (i, text)
        else:
            section = text
    if question is not None:
        yield _entry(question, body, section)


def _entry(question: tuple[int, str], body: list[str], section: str | None) -> Conversation | Skip:
    line, text = question
    place = f"line {line + 1}"
    answer = "\n".join(body).strip()
    if not answer:
        return Skip(place, "a question heading with no answer under it")
    meta: dict[str, object] = {"section": section} if section else {}
    turns = [
        Turn(speaker="user", text=text, place=place, role="user"),
        Turn(speaker="faq", text=answer, place=f"line {line + 2}", role="assistant"),
    ]
    return Conversation(key=f"{place}: {text}", title=text, place=place, turns=turns, meta=meta)
