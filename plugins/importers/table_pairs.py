"""Question/answer tables: CSV rows that are each a question and its answer.

FAQ exports and fine-tuning sheets have many columns (ids, categories, the same pair in two
languages) and no column called ``text``. When the person names none, the pair is found by
column names: ``question``/``answer``, ``pergunta``/``resposta``, ``q``/``a``,
``query``/``response``, ``prompt``/``completion``, ``instruction``/``output`` and the like,
also with a suffix or prefix (``question_pt``/``answer_pt``, ``en_question``/``en_answer``).
A question pairs with the answer that has the same suffix, so the pair is always one
language. When several such pairs share no column (one per language), the first in the
file's column order is used and the import's notes say which, and how to pick another. When
they share a column (``prompt``, ``completion``, ``response``) or nothing fits, the file is
refused with the option line to type. Each row becomes a conversation of two turns: the
question (user) and the answer (assistant).
"""

from __future__ import annotations

import re
import shlex
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from afina.engine.errors import ParseError
from afina.engine.plugins import Option
from afina.engine.types import Conversation, Repair, Turn
from afina.plugins.importers.table_columns import find_name, scalar
from afina.plugins.importers.table_rows import Tally

QUESTION_NAMES = (
    "question", "pergunta", "pregunta", "query", "prompt", "instruction", "input", "q",
)  # fmt: skip
ANSWER_NAMES = (
    "answer", "resposta", "respuesta", "response", "completion", "output", "reply", "a",
)  # fmt: skip
# Pairs datasets use; a question-like and an answer-like column in no such pair (question and
# completion) are taken only when they are the table's only two.
KNOWN_PAIRS = frozenset({
    ("question", "answer"), ("pergunta", "resposta"), ("pregunta", "respuesta"), ("q", "a"),
    ("query", "response"), ("query", "answer"), ("prompt", "completion"),
    ("prompt", "response"), ("instruction", "output"), ("instruction", "response"),
    ("input", "output"), ("question", "response"),
})  # fmt: skip
_SINGULAR = {
    "questions": "question", "answers": "answer", "perguntas": "pergunta",
    "respostas": "resposta", "preguntas": "pregunta", "respuestas": "respuesta",
    "queries": "query", "prompts": "prompt", "responses": "response",
    "completions": "completion", "instructions": "instruction", "outputs": "output",
    "inputs": "input", "replies": "reply",
}  # fmt: skip
# Suffix words that make a column data about the question or answer, not its text.
_NOT_TEXT = frozenset({
    "id", "ids", "idx", "index", "no", "num", "number", "nr", "start", "end", "type",
    "count", "len", "length", "date", "time", "url", "link", "source", "score", "label",
    "category", "tag", "tags", "key", "hash", "lang", "language", "format", "position",
})  # fmt: skip
ID_NAMES = ("id", "qid", "question_id", "pair_id", "faq_id")
LAYOUT = "question-answer"


def pair_options() -> tuple[Option, ...]:
    return (
        Option(
            "question",
            "str",
            "",
            "column with the question, for tables of question/answer pairs "
            "(empty: found by name, e.g. question, pergunta, prompt, instruction)",
        ),
        Option(
            "answer",
            "str",
            "",
            "column with the answer, for tables of question/answer pairs "
            "(empty: found by name, e.g. answer, resposta, completion, output)",
        ),
    )


@dataclass(frozen=True)
class PairColumns:
    """Which columns make a row's question and answer; ``note`` says how they were chosen."""

    question: str
    answer: str
    input: str | None = None  # instruction tables: appended to the instruction
    id: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class _Col:
    name: str  # as the header writes it
    base: str  # the canonical name: question, answer, pergunta ...
    variant: str  # the rest of the name ("pt", "en_us", "text"), "" for none
    order: int


def option_line(importer: str, question: str, answer: str) -> str:
    """The ``afina import`` options that name the pair's columns, quoted for a shell."""
    return " ".join(
        f"--option {shlex.quote(f'{importer}.{key}={column}')}"
        for key, column in (("question", question), ("answer", answer))
    )


def pair_columns(
    header: Sequence[str], options: Mapping[str, Any], importer: str, text_column: bool
) -> PairColumns | None:
    """The pair to read, from the options or by column names; None when the table is not one
    of pairs (``text_column``: it has a message text column, which takes precedence).

    Raises ``ParseError`` at "line 1" when the options name columns the header lacks, or
    when several pairs fit and none is clearly meant: the message has the option line.
    """
    given_q, given_a = str(options.get("question") or ""), str(options.get("answer") or "")
    if given_q or given_a:
        return _named(header, given_q, given_a, importer)
    if text_column:
        return None
    questions, answers = _columns(header)
    best = _best_pairs(questions, answers)
    if not best:
        return None
    first = best[0]
    shared = {c.name for q, a in best for c in (q, a)}
    if len(shared) < 2 * len(best):
        listed = ", ".join(f"{q.name}/{a.name}" for q, a in best)
        raise ParseError(
            "line 1",
            f"several question/answer columns fit ({listed}); choose the pair with: "
            + option_line(importer, first[0].name, first[1].name),
        )
    q, a = first
    extra = _input_column(q, header)
    used = f"'{q.name}'" + (f" + '{extra}'" if extra else "")
    note = f"question/answer pairs from columns {used} (user) and '{a.name}' (assistant)"
    others = best[1:]
    if others:
        oq, oa = others[0]
        alts = ", ".join(f"{x.name}/{y.name}" for x, y in others)
        note += f"; also found {alts} (to use {oq.name}/{oa.name} instead: "
        note += option_line(importer, oq.name, oa.name) + ")"
    return PairColumns(q.name, a.name, extra, find_name(header, ID_NAMES), note)


def looks_like_pairs(header: Sequence[str]) -> bool:
    """Whether the names alone show question and answer columns: one pair, or several or
    unpaired ones, which the read then asks the person to settle with the option line."""
    questions, answers = _columns(header)
    return bool(questions and answers)


def no_columns_problem(header: Sequence[str], importer: str) -> str:
    """Why a table with neither a text column nor a pair is refused, and what to type."""
    known = ", ".join(repr(n) for n in header[:20]) or "none"
    questions, answers = _columns(header)
    q = questions[0].name if questions else "COLUMN"
    a = answers[0].name if answers else "COLUMN"
    if questions and answers:
        # Question-like and answer-like columns that make no pair by their names alone.
        return (
            "no question/answer pair is clear from the column names (question-like: "
            + ", ".join(repr(c.name) for c in questions)
            + "; answer-like: "
            + ", ".join(repr(c.name) for c in answers)
            + f"); choose the pair with: {option_line(importer, q, a)}"
        )
    return (
        "no text column (text, message, content, body, utterance) and no question/answer "
        f"columns (question/answer, pergunta/resposta, prompt/completion ...); columns: "
        f"{known}. For one message a row: --option {importer}.text=COLUMN; for question/answer "
        f"pairs: {option_line(importer, q, a)}"
    )


def read_pairs(
    records: Iterable[tuple[str, Mapping[str, object]]], cols: PairColumns, tally: Tally
) -> Iterator[Conversation]:
    """One conversation of two turns per row; a row missing either side is counted."""
    for place, record in records:
        question = _cell(record, cols.question)
        extra = _cell(record, cols.input) if cols.input else ""
        if extra:
            question = f"{question}\n\n{extra}" if question else extra
        answer = _cell(record, cols.answer)
        if not question:
            tally.add("row without a question", place)
            continue
        if not answer:
            tally.add("row without an answer", place)
            continue
        meta: dict[str, object] = {"layout": LAYOUT}
        if cols.id and _cell(record, cols.id):
            meta["id"] = _cell(record, cols.id)
        turns = [
            Turn("user", question, f"{place} {cols.question}", role="user"),
            Turn("assistant", answer, f"{place} {cols.answer}", role="assistant"),
        ]
        yield Conversation(key="", title=None, place=place, turns=turns, meta=meta)


def note_of(cols: PairColumns) -> Repair | None:
    return Repair("line 1", cols.note) if cols.note else None


# ---------------------------------------------------------------- choosing columns


def _named(header: Sequence[str], question: str, answer: str, importer: str) -> PairColumns:
    known = ", ".join(repr(n) for n in header[:20]) or "none"
    found: dict[str, str] = {}
    for key, given in (("question", question), ("answer", answer)):
        if not given:
            line = option_line(importer, question or "COLUMN", answer or "COLUMN")
            raise ParseError("line 1", f"option {key} is missing; name both columns: {line}")
        column = given if given in header else find_name(header, (given.lower(),))
        if column is None:
            raise ParseError("line 1", f"no column {given!r} for option {key}; columns: {known}")
        found[key] = column
    return PairColumns(found["question"], found["answer"], None, find_name(header, ID_NAMES))


def _columns(header: Sequence[str]) -> tuple[list[_Col], list[_Col]]:
    questions: list[_Col] = []
    answers: list[_Col] = []
    for order, name in enumerate(header):
        for names, found in ((QUESTION_NAMES, questions), (ANSWER_NAMES, answers)):
            col = _parse(name, names, order)
            if col is not None:
                found.append(col)
    return questions, answers


def _parse(name: str, names: Sequence[str], order: int) -> _Col | None:
    """The column as (base, variant) when its name is one of ``names`` with a suffix or prefix
    ("question_pt", "PT question", "Pergunta (PT)"); single letters only when alone."""
    folded = unicodedata.normalize("NFKD", name.lower())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    parts = [_SINGULAR.get(p, p) for p in re.split(r"[^0-9a-z]+", folded) if p]
    if not parts:
        return None
    for base, rest in ((parts[0], parts[1:]), (parts[-1], parts[:-1])):
        if base not in names or (len(base) == 1 and rest):
            continue
        if any(p in _NOT_TEXT for p in rest):
            return None  # question_id, answer_start: about the text, not the text
        return _Col(name, base, "_".join(rest), order)
    return None


def _best_pairs(questions: list[_Col], answers: list[_Col]) -> list[tuple[_Col, _Col]]:
    """The pairs worth choosing from, in the column order of their questions.

    A question and an answer with the same variant pair up, known pairs before others; with
    no such pair, a table's only question-like and only answer-like columns are the pair.
    """
    bases = {q.base for q in questions}
    # "input" beside an "instruction" is the instruction's input (the Alpaca layout).
    questions = [q for q in questions if not (q.base == "input" and "instruction" in bases)]
    matched = [(q, a) for q in questions for a in answers if q.variant == a.variant]
    known = [(q, a) for q, a in matched if (q.base, a.base) in KNOWN_PAIRS]
    best = known or matched
    if not best and len(questions) == 1 and len(answers) == 1:
        best = [(questions[0], answers[0])]
    return sorted(best, key=lambda pair: (pair[0].order, pair[1].order))


def _input_column(question: _Col, header: Sequence[str]) -> str | None:
    if question.base != "instruction":
        return None
    for name in header:
        col = _parse(name, ("input",), 0)
        if col is not None and col.variant == question.variant:
            return name
    return None


def _cell(record: Mapping[str, object], column: str | None) -> str:
    return scalar(record.get(column)) if column else ""
