"""The prompt each assistant kind builds, as text."""

from __future__ import annotations

import pytest

from afina.engine.chat.prompts import KINDS, build_messages
from afina.engine.errors import UsageError
from afina.engine.rag.context import (
    DOCS_INTRO,
    PAIRS_INTRO,
    RAG_SYSTEM,
    Source,
    reference_block,
    sources_from_hits,
)
from afina.engine.rag.contract import Hit

PAIR = Source(
    "pair:7",
    0.82,
    "qual o horário?\n\nSegunda a sexta, das 9h às 18h.",
    {"kind": "pair", "prompt": "qual o horário?", "response": "Segunda a sexta, das 9h às 18h."},
)
DOC = Source("doc:faq.md#2", 0.61, "Planos: 500 Mega por R$ 99,90.", {"kind": "doc"})
QUESTION = "que horas vocês abrem no sábado?"
SYSTEM = "You are the customer support assistant of Lumiar Fibra."


@pytest.mark.parametrize("kind", ["base", "ft"])
def test_base_and_ft_send_the_question_alone(kind):
    assert build_messages(kind, QUESTION, [PAIR, DOC]) == [{"role": "user", "content": QUESTION}]


def test_few_shot_puts_retrieved_pairs_as_earlier_turns_and_skips_documents():
    assert build_messages("few-shot", QUESTION, [PAIR, DOC]) == [
        {"role": "user", "content": "qual o horário?"},
        {"role": "assistant", "content": "Segunda a sexta, das 9h às 18h."},
        {"role": "user", "content": QUESTION},
    ]


@pytest.mark.parametrize("kind", ["rag", "ft+rag"])
def test_rag_gives_reference_material_after_the_system_prompt(kind):
    system, user = build_messages(kind, QUESTION, [PAIR, DOC], SYSTEM)
    assert system == {
        "role": "system",
        "content": f"{SYSTEM}\n\n{PAIRS_INTRO}\n"
        "Q: qual o horário?\nA: Segunda a sexta, das 9h às 18h.\n\n"
        f"{DOCS_INTRO}\nPlanos: 500 Mega por R$ 99,90.",
    }
    assert user == {"role": "user", "content": QUESTION}
    # No numbering for a small model to copy into its answer.
    assert "[1]" not in system["content"] and "[2]" not in system["content"]
    assert (
        reference_block([DOC])
        == "Use these passages from our documents:\nPlanos: 500 Mega por R$ 99,90."
    )
    assert build_messages(kind, QUESTION, [PAIR])[0]["content"].startswith(RAG_SYSTEM)


def test_every_kind_starts_from_the_same_system_prompt():
    for kind in KINDS:
        messages = build_messages(kind, QUESTION, [PAIR, DOC], SYSTEM)
        assert messages[0]["role"] == "system" and messages[0]["content"].startswith(SYSTEM)
        assert messages[-1] == {"role": "user", "content": QUESTION}
    assert build_messages("base", QUESTION, system=SYSTEM) == [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": QUESTION},
    ]


def test_nothing_retrieved_means_the_question_alone_and_unknown_kinds_are_refused():
    for kind in KINDS:
        assert build_messages(kind, QUESTION) == [{"role": "user", "content": QUESTION}]
    with pytest.raises(UsageError, match="kinds: base, few-shot, rag, ft, ft\\+rag"):
        build_messages("rag-ft", QUESTION)


def test_a_question_never_gets_its_own_pair_back_as_a_source():
    own = Hit("pair:9", 0.99, "x", "pairs", {"kind": "pair", "prompt": QUESTION, "response": "r"})
    other = Hit("pair:7", 0.8, PAIR.text, "pairs", PAIR.payload)
    sources = sources_from_hits([own, other], exclude_prompt=f" {QUESTION} ")
    assert [s.key for s in sources] == ["pair:7"]
    assert sources[0].score == pytest.approx(0.8)
