"""Answers never show the reference block's scaffolding ("A:" labels, a made-up next "Q:"),
whether they arrive at once (evaluation) or in pieces (chat)."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from afina.engine.rag.context import AnswerGuard, tidy_answer


def test_a_label_and_a_next_question_are_cut():
    raw = "A: The V10 costs R$ 95.\n\nQ: And the rabies one?\nA: R$ 70."
    assert tidy_answer(raw) == "The V10 costs R$ 95."
    assert tidy_answer("  A:We open at 8:00.") == "We open at 8:00."


def test_ordinary_answers_are_left_as_they_are():
    for text in (
        "A standard consultation costs R$ 180.",
        "Steps:\n1. Book online.\n2. Quote Q: your booking code.",
        "Abrimos às 8:00.\nAté logo!",
        "",
    ):
        assert tidy_answer(text) == text.strip()


def _streamed(pieces: list[str]) -> tuple[str, bool]:
    guard, shown = AnswerGuard(), []
    for piece in pieces:
        shown.append(guard.feed(piece))
        if guard.done:
            break
    shown.append(guard.finish())
    return "".join(shown), guard.done


def test_a_stream_stops_at_the_next_question():
    text, done = _streamed(["A", ": R$ 95", ".\n", "\nQ", ": And", " the rabies?"])
    assert (text, done) == ("R$ 95.", True)


def test_a_stream_holds_back_only_what_may_be_scaffolding():
    guard = AnswerGuard()
    assert guard.feed("A") == ""  # maybe the label
    assert guard.feed(" standard") == "A standard"
    assert guard.feed(" fee.\n") == " fee."  # the next line may start "Q:"
    assert guard.feed("Q") == ""
    assert guard.feed("uite cheap.") == "\nQuite cheap."
    assert guard.finish() == "" and not guard.done


TEXT = st.lists(
    st.sampled_from(["A", ":", " ", "\n", "Q", "R$ 95", "ok", ".", "Quite", "A: ", "\nQ:"]),
    max_size=12,
).map("".join)


@given(TEXT, st.lists(st.integers(min_value=0, max_value=40), max_size=6))
def test_streamed_pieces_add_up_to_the_tidy_answer(text, cuts):
    bounds = sorted({min(c, len(text)) for c in cuts} | {0, len(text)})
    pieces = [text[a:b] for a, b in itertools.pairwise(bounds)]
    shown, _ = _streamed(pieces)
    assert shown.lstrip() == tidy_answer(text)
