"""The prompt each assistant kind builds, as text."""

from __future__ import annotations

import pytest

from afina.engine.chat.prompts import KINDS, build_messages
from afina.engine.errors import UsageError
from afina.engine.rag.context import RAG_SYSTEM, Source, reference_block, sources_from_hits
from afina.engine.rag.contract import Hit

PAIR = Source(
    "pair:7",
    0.82,
    "qual o horário?\n\nSegunda a sexta, das 9h às 18h.",
    {"kind": "pair", "prompt": "qual o horário?", "response": "Segunda a sexta, das 9h às 18h."},
)
DOC = Source("doc:faq.md#2", 0.61, "Planos: 500 Mega por R$ 99,90.", {"kind": "doc"})
QUESTION = "que horas vocês abrem no sábado?"


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
def test_rag_gives_numbered_reference_material_in_a_system_message(kind):
    system, user = build_messages(kind, QUESTION, [PAIR, DOC])
    assert system["role"] == "system" and system["content"].startswith(RAG_SYSTEM)
    assert (
        "[1] Q: qual o horário?\nA: Segunda a sexta, das 9h às 18h.\n\n"
        "[2] Planos: 500 Mega por R$ 99,90."
    ) in system["content"]
    assert user == {"role": "user", "content": QUESTION}
    assert reference_block([DOC]) == "[1] Planos: 500 Mega por R$ 99,90."


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
