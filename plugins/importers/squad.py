"""SQuAD v1/v2 question answering: ``{"data": [{"title", "paragraphs": [{"context", "qas"}]}]}``.

FAQ-like data: each answerable question becomes a one-exchange conversation (the question,
then the first reference answer, with the other distinct answers as alternatives). The
paragraph the answer comes from is kept in the conversation's meta as ``context``, so a
retrieval baseline can index it later. Unanswerable questions (v2 ``is_impossible``) are
skipped: there is no response to learn.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from afina.engine.errors import ParseError
from afina.engine.ingest.contract import HAS_ROLES, Importer
from afina.engine.ingest.inputs import InputFile, InputItem
from afina.engine.ingest.jsonio import json_head, load_json
from afina.engine.ingest.textio import TextStats, repairs
from afina.engine.types import Conversation, ImportItem, Skip, Turn

_PARAGRAPHS = re.compile(r'"paragraphs"\s*:\s*\[')
_QA = re.compile(r'"(?:qas|context)"\s*:')


class SquadImporter(Importer):
    name: ClassVar[str] = "squad"
    description: ClassVar[str] = "SQuAD v1/v2 JSON: questions with answers and their context"
    capabilities: ClassVar[frozenset[str]] = frozenset({HAS_ROLES})
    extensions: ClassVar[tuple[str, ...]] = (".json",)

    def sniff(self, item: InputItem) -> float:
        head = json_head(item)
        if not head.startswith("{") or not _PARAGRAPHS.search(head) or not _QA.search(head):
            return 0.0
        return 0.9

    def read(self, item: InputItem, options: Mapping[str, Any]) -> Iterator[ImportItem]:
        if not isinstance(item, InputFile):
            raise ParseError("whole input", "expected a single JSON file")
        stats = TextStats()
        doc = load_json(item, stats)
        if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
            raise ParseError("$", "expected a SQuAD object with a 'data' list of articles")
        for a, article in enumerate(doc["data"]):
            yield from _article(f"data[{a}]", article)
        yield from repairs(stats)


def _article(place: str, article: Any) -> Iterator[ImportItem]:
    if not isinstance(article, dict) or not isinstance(article.get("paragraphs"), list):
        yield Skip(place, "expected an article with a 'paragraphs' list")
        return
    title = article.get("title") if isinstance(article.get("title"), str) else None
    for p, paragraph in enumerate(article["paragraphs"]):
        where = f"{place}.paragraphs[{p}]"
        if not isinstance(paragraph, dict) or not isinstance(paragraph.get("qas"), list):
            yield Skip(where, "expected a paragraph with a 'qas' list")
            continue
        context = paragraph.get("context")
        context = context if isinstance(context, str) else None
        for q, qa in enumerate(paragraph["qas"]):
            yield _question(f"{where}.qas[{q}]", qa, title, context)


def _question(place: str, qa: Any, title: str | None, context: str | None) -> ImportItem:
    if not isinstance(qa, dict):
        return Skip(place, "expected a question object")
    question = qa.get("question")
    if not isinstance(question, str) or not question.strip():
        return Skip(place, "question has no text")
    if qa.get("is_impossible") is True:
        return Skip(place, "unanswerable question (is_impossible)")
    answers = _answers(qa.get("answers"))
    if not answers:
        return Skip(place, "question has no answer text")
    first_text, first_start = answers[0]
    seen = {first_text.strip()}
    alternatives = []
    for text, _ in answers[1:]:
        if text.strip() not in seen:
            seen.add(text.strip())
            alternatives.append(text)
    qid = qa.get("id")
    answer_meta: dict[str, object] = {} if first_start is None else {"answer_start": first_start}
    turns = [
        Turn(speaker="user", text=question, place=f"{place}.question", role="user"),
        Turn(
            speaker="assistant",
            text=first_text,
            place=f"{place}.answers[0]",
            role="assistant",
            alternatives=tuple(alternatives),
            meta=answer_meta,
        ),
    ]
    meta: dict[str, object] = {"context": context} if context is not None else {}
    return Conversation(
        key=str(qid) if isinstance(qid, (str, int)) and not isinstance(qid, bool) else "",
        title=title,
        place=place,
        turns=turns,
        meta=meta,
    )


def _answers(raw: Any) -> list[tuple[str, int | None]]:
    """Each answer's text and character offset into the context, in the file's order."""
    if not isinstance(raw, list):
        return []
    out: list[tuple[str, int | None]] = []
    for answer in raw:
        if not isinstance(answer, dict):
            continue
        text, start = answer.get("text"), answer.get("answer_start")
        if isinstance(text, str) and text.strip():
            valid_start = isinstance(start, int) and not isinstance(start, bool)
            out.append((text, start if valid_start else None))
    return out
