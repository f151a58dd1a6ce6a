"""Identity-check detours: the question is paired with the answer after the check."""

from __future__ import annotations

import pytest

from afina.engine.curation.detours import asks_back, hands_over_identifiers
from afina.engine.curation.extract import ExtractOptions, extract_pairs
from tests.test_curation_extract import AGENT, CUSTOMER, chat

BY_SPEAKER = ExtractOptions(assistant_speakers=(AGENT,))

CHECKED_MESSAGES = (
    (CUSTOMER, "oi, quanto custa o ip fixo?"),
    (AGENT, "Pra eu localizar aqui, qual o CPF do titular?"),
    (CUSTOMER, "123.456.789-09"),
    (CUSTOMER, "Mariana Souza"),
    (AGENT, "Achei aqui! O IP fixo custa R$ 30,00 por mês a mais."),
    (CUSTOMER, "obrigada!"),
    (AGENT, "De nada!"),
)
CHECKED = chat(*CHECKED_MESSAGES)


@pytest.mark.parametrize(
    "text",
    [
        "123.456.789-09",
        "o contrato é LF-101041",
        "passport LP7835688\nmy email is ana@example.com btw",
        "123.456.789-09\nMariana Souza\no endereço é Rua das Flores, 45",
        "pode mandar no <EMAIL_1>?",
        "se cair me liga no (48) 99123-4567",
        "the address is Rua Jardim das Ostras, 1760, apto 104 - Estreito, CEP 88006-814",
    ],
)
def test_messages_that_hand_over_identifiers(text: str) -> None:
    assert hands_over_identifiers(text)


@pytest.mark.parametrize(
    "text",
    [
        "o plano de 600 mega",  # a plan, not an identifier
        "R$ 129,90 por mês?",
        "Mariana Souza",
        # an identifier, then a new question of its own
        "123.456.789-09\ne vocês também instalam no fim de semana, mesmo em condomínio?",
        "meu contrato LF-101041 vence em março, como eu renovo ele sem pagar multa?",
    ],
)
def test_messages_that_do_not(text: str) -> None:
    assert not hands_over_identifiers(text)


def test_an_agent_asking_back_is_short_and_ends_in_a_question() -> None:
    assert asks_back("Me confirma o CPF ou o número do contrato?")
    assert not asks_back("O IP fixo custa R$ 30,00 por mês.")
    assert not asks_back("Sim! " * 40 + "certo?")


def test_the_question_gets_the_answer_after_the_check() -> None:
    pairs = extract_pairs(CHECKED, BY_SPEAKER)
    assert [(p.prompt, p.response) for p in pairs] == [
        ("oi, quanto custa o ip fixo?", "Achei aqui! O IP fixo custa R$ 30,00 por mês a mais."),
        ("obrigada!", "De nada!"),
    ]
    # The check and the personal data it asked for are in no pair's provenance.
    assert pairs[0].turn_ids == (100, 104)


def test_detours_kept_when_asked() -> None:
    options = ExtractOptions(assistant_speakers=(AGENT,), skip_detours=False)
    pairs = extract_pairs(CHECKED, options)
    assert [p.response for p in pairs] == [
        "Pra eu localizar aqui, qual o CPF do titular?",
        "Achei aqui! O IP fixo custa R$ 30,00 por mês a mais.",
        "De nada!",
    ]
    assert pairs[1].prompt == "123.456.789-09\nMariana Souza"


def test_a_second_check_still_answers_the_first_question() -> None:
    turns = chat(
        (CUSTOMER, "posso trocar a data de vencimento?"),
        (AGENT, "Qual o CPF do titular?"),
        (CUSTOMER, "123.456.789-09"),
        (AGENT, "Não achei esse CPF. Tem o número do contrato?"),
        (CUSTOMER, "LF-101041"),
        (AGENT, "Achei! Dá sim, no app, em Faturas > Vencimento."),
    )
    pairs = extract_pairs(turns, BY_SPEAKER)
    assert [(p.prompt, p.response) for p in pairs] == [
        ("posso trocar a data de vencimento?", "Achei! Dá sim, no app, em Faturas > Vencimento.")
    ]


def test_a_clarifying_answer_is_not_a_detour() -> None:
    turns = chat(
        (CUSTOMER, "qual o upload do meu plano?"),
        (AGENT, "Qual plano você tem?"),
        (CUSTOMER, "o de 600"),
        (AGENT, "No Lumiar 600 o upload é de 300 Mbps."),
    )
    pairs = extract_pairs(turns, BY_SPEAKER)
    assert [p.prompt for p in pairs] == ["qual o upload do meu plano?", "o de 600"]


def test_multi_turn_context_ends_before_the_question() -> None:
    turns = chat(
        (CUSTOMER, "oi"),
        (AGENT, "Olá!"),
        *CHECKED_MESSAGES[:5],
    )
    options = ExtractOptions(assistant_speakers=(AGENT,), multi_turn=True)
    pairs = extract_pairs(turns, options)
    assert pairs[-1].prompt == "oi, quanto custa o ip fixo?"
    assert pairs[-1].context == (("user", "oi"), ("assistant", "Olá!"))
