"""Pair extraction: who the assistant is, single and multi-turn pairs, merging, provenance."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from afina.engine.curation.extract import (
    ExtractOptions,
    Guess,
    extract_all,
    extract_pairs,
    guess_assistant,
)
from afina.engine.demo.stages import sample_domain
from afina.engine.errors import ConfigError
from afina.engine.ingest.discover import Sniffer
from afina.engine.ingest.run import import_candidates
from afina.engine.types import StoredTurn
from afina.engine.workspace import init_workspace

AGENT = "Ana (Lumiar)"
CUSTOMER = "Mariana Souza"


def chat(
    *messages: tuple[str, str] | tuple[str, str, str | None], conv: int = 7
) -> list[StoredTurn]:
    """Stored turns from (speaker, text[, role]); ids start at 100 so they differ from seq."""
    turns = []
    for seq, message in enumerate(messages):
        speaker, text = message[0], message[1]
        role = message[2] if len(message) > 2 else None
        turns.append(
            StoredTurn(
                id=100 + seq,
                conversation_id=conv,
                seq=seq,
                speaker=speaker,
                role=role,
                text=text,
                timestamp=None,
                reply_to=None,
                thread=None,
                alternatives=(),
                source_path="chat.txt",
                place=f"line {seq + 1}",
            )
        )
    return turns


# A WhatsApp-like support chat in Portuguese: greeting and question in separate messages,
# an agent answering in two, a second question, a thanks.
SUPPORT = chat(
    (CUSTOMER, "oi, boa tarde"),
    (CUSTOMER, "vcs tem plano de 300 mega?? qto custa"),
    (AGENT, "Olá, Mariana! Aqui é a Ana, da Lumiar Fibra."),
    (AGENT, "O Lumiar 300 custa R$ 99,90 por mês."),
    (CUSTOMER, "e a instalacao é gratis?"),
    (AGENT, "Sim, a instalação é grátis nos planos com fidelidade."),
    (CUSTOMER, "perfeito, obrigada!!"),
)
BY_SPEAKER = ExtractOptions(assistant_speakers=(AGENT,))


def test_single_turn_merges_each_side_and_keeps_provenance() -> None:
    pairs = extract_pairs(SUPPORT, BY_SPEAKER)
    assert [(p.prompt, p.response) for p in pairs] == [
        (
            "oi, boa tarde\nvcs tem plano de 300 mega?? qto custa",
            "Olá, Mariana! Aqui é a Ana, da Lumiar Fibra.\nO Lumiar 300 custa R$ 99,90 por mês.",
        ),
        ("e a instalacao é gratis?", "Sim, a instalação é grátis nos planos com fidelidade."),
    ]
    assert pairs[0].turn_ids == (100, 101, 102, 103)
    assert pairs[1].turn_ids == (104, 105)
    assert all(p.conversation_id == 7 and p.context == () and p.system is None for p in pairs)


def test_without_merging_only_a_message_right_after_the_user_answers() -> None:
    options = ExtractOptions(assistant_speakers=(AGENT,), merge_consecutive=False)
    pairs = extract_pairs(SUPPORT, options)
    assert [(p.prompt, p.response, p.turn_ids) for p in pairs] == [
        (
            "vcs tem plano de 300 mega?? qto custa",
            "Olá, Mariana! Aqui é a Ana, da Lumiar Fibra.",
            (101, 102),
        ),
        (
            "e a instalacao é gratis?",
            "Sim, a instalação é grátis nos planos com fidelidade.",
            (104, 105),
        ),
    ]


def test_multi_turn_keeps_a_window_of_previous_turns() -> None:
    options = ExtractOptions(assistant_speakers=(AGENT,), multi_turn=True, context_turns=2)
    first, second = extract_pairs(SUPPORT, options)
    assert first.context == ()
    assert second.context == (
        ("user", "oi, boa tarde\nvcs tem plano de 300 mega?? qto custa"),
        (
            "assistant",
            "Olá, Mariana! Aqui é a Ana, da Lumiar Fibra.\nO Lumiar 300 custa R$ 99,90 por mês.",
        ),
    )
    # Context is not provenance of the pair: turn ids are the prompt's and response's only.
    assert second.turn_ids == (104, 105)


def test_context_window_never_opens_on_the_assistant() -> None:
    turns = chat(("u", "q1"), ("a", "r1"), ("u", "q2"), ("a", "r2"), ("u", "q3"), ("a", "r3"))
    options = ExtractOptions(assistant_speakers=("a",), multi_turn=True, context_turns=3)
    last = extract_pairs(turns, options)[-1]
    # Three turns back would start at r1; chat templates want the user first.
    assert last.context == (("user", "q2"), ("assistant", "r2"))
    unlimited = ExtractOptions(assistant_speakers=("a",), multi_turn=True, context_turns=100)
    assert len(extract_pairs(turns, unlimited)[-1].context) == 4
    none = ExtractOptions(assistant_speakers=("a",), multi_turn=True, context_turns=0)
    assert extract_pairs(turns, none)[-1].context == ()


def test_role_mode_drops_tool_turns_and_uses_system_turns() -> None:
    turns = chat(
        ("system", "You are Lumiar's support assistant.", "system"),
        ("me", "What is the price of Lumiar 300?", "user"),
        ("lookup", '{"price": "R$ 99,90"}', "tool"),
        ("gpt", "Lumiar 300 costs R$ 99,90 a month.", "assistant"),
        ("someone", "a turn with no role belongs to neither side", None),
        ("me", "and installation?", "user"),
        ("gpt", "Installation is free with a loyalty period.", "assistant"),
    )
    pairs = extract_pairs(turns, ExtractOptions(assistant_role="assistant"))
    assert [(p.prompt, p.response) for p in pairs] == [
        ("What is the price of Lumiar 300?", "Lumiar 300 costs R$ 99,90 a month."),
        ("and installation?", "Installation is free with a loyalty period."),
    ]
    assert [p.turn_ids for p in pairs] == [(101, 103), (105, 106)]
    assert {p.system for p in pairs} == {"You are Lumiar's support assistant."}
    given = ExtractOptions(assistant_role="assistant", system_prompt="Be brief.")
    assert {p.system for p in extract_pairs(turns, given)} == {"Be brief."}


def test_speakers_mode_treats_everyone_else_as_the_user() -> None:
    # A Discord-like channel: two people ask, the expert answers them together.
    turns = chat(
        ("expert", "bom dia pessoal"),
        ("joao", "alguém sabe configurar o roteador em modo bridge?"),
        ("maria", "+1, também queria saber"),
        ("expert", "No app Minha Lumiar: Wi-Fi > Modo bridge."),
    )
    (pair,) = extract_pairs(turns, ExtractOptions(assistant_speakers=("expert",)))
    assert (
        pair.prompt == "alguém sabe configurar o roteador em modo bridge?\n+1, também queria saber"
    )
    assert pair.turn_ids == (101, 102, 103)


def test_no_pair_without_a_user_message_before_the_answer() -> None:
    turns = chat((AGENT, "Olá! Sua fatura de março já está disponível."), (AGENT, "   "))
    assert extract_pairs(turns, BY_SPEAKER) == []
    assert extract_pairs([], BY_SPEAKER) == []
    # Empty messages (a photo upload with no caption) are skipped, not turned into prompts.
    blank = chat((CUSTOMER, ""), (AGENT, "Oi!"))
    assert extract_pairs(blank, BY_SPEAKER) == []


def test_speaker_list_from_config_becomes_a_tuple() -> None:
    options = ExtractOptions(assistant_speakers=[AGENT])  # type: ignore[arg-type]
    assert options.assistant_speakers == (AGENT,)
    assert hash(options)


def test_extract_all_runs_over_many_conversations() -> None:
    other = chat((CUSTOMER, "tem app?"), (AGENT, "Tem sim, o Minha Lumiar."), conv=8)
    pairs = list(extract_all([SUPPORT, other], BY_SPEAKER))
    assert [p.conversation_id for p in pairs] == [7, 7, 8]


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"assistant_speakers": "Ana (Lumiar)"},
        {"assistant_role": "assistant", "context_turns": -1},
    ],
)
def test_bad_options_are_config_errors(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        ExtractOptions(**kwargs)  # type: ignore[arg-type]


# --- guessing -----------------------------------------------------------------------------


def test_guess_prefers_roles_when_the_data_has_them() -> None:
    turns = chat(("me", "hi", "user"), ("gpt", "hello", "assistant"))
    guess = guess_assistant({7: turns})
    assert (guess.role, guess.speakers, guess.confidence) == ("assistant", (), 1.0)
    assert guess.options().assistant_role == "assistant"


def test_guess_in_one_chat_picks_the_agent_over_an_unsaved_number() -> None:
    turns = chat(
        ("+55 48 99360-5246", "boa noite"),
        ("+55 48 99360-5246", "minha internet caiu, o que eu faço?"),
        (
            "Bruno - Lumiar Suporte",
            "Oi! Aqui é o Bruno, do suporte. Reinicia o roteador, por favor.",
        ),
        ("+55 48 99360-5246", "voltou, vlw"),
    )
    guess = guess_assistant({7: turns})
    assert guess.speakers == ("Bruno - Lumiar Suporte",)
    assert guess.runner_up == "+55 48 99360-5246"
    assert 0 < guess.confidence <= 1
    pairs = extract_pairs(turns, guess.options(multi_turn=True))
    assert [p.response for p in pairs] == [
        "Oi! Aqui é o Bruno, do suporte. Reinicia o roteador, por favor."
    ]


def test_guess_with_nothing_to_judge() -> None:
    assert guess_assistant({}) == Guess(None, (), 0.0, reasons=("no messages to judge",))


@pytest.fixture(scope="module")
def sample_turns(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, dict[int, dict[int, list[StoredTurn]]]]:
    """The sample domain imported into a workspace: importer -> source -> conversation -> turns."""
    ws, _ = init_workspace(tmp_path_factory.mktemp("ws"))
    root: Path = sample_domain()
    found: dict[str, dict[int, dict[int, list[StoredTurn]]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    with ws.open_store() as store:
        import_candidates(store, list(Sniffer().candidates([root / "whatsapp", root / "slack"])))
        for conv in store.conversations(limit=10_000):
            found[conv.importer][conv.source_id][conv.id] = store.turns(conv.id)
    return found


def _pooled(sources: dict[int, dict[int, list[StoredTurn]]]) -> dict[int, list[StoredTurn]]:
    return {cid: turns for convs in sources.values() for cid, turns in convs.items()}


def test_guess_finds_the_lumiar_agents_in_slack(sample_turns: dict) -> None:
    (source,) = sample_turns["slack"].values()
    guess = guess_assistant(source)
    assert set(guess.speakers) == {
        "Diego Sato (Lumiar)",
        "Paula Reis (Lumiar)",
        "Ana Prado (Lumiar)",
        "Rafael Lins (Lumiar)",  # the network colleague, rare but on the team
    }
    assert "Lumiar" not in (guess.runner_up or "")
    assert guess.confidence >= 0.5


def test_guess_finds_the_lumiar_agents_across_whatsapp_chats(sample_turns: dict) -> None:
    guess = guess_assistant(_pooled(sample_turns["whatsapp"]))
    assert set(guess.speakers) == {
        "Ana (Lumiar)",
        "Bruno - Lumiar Suporte",
        "Carla | Lumiar Fibra",
        "Lumiar Fibra",
    }
    assert guess.confidence >= 0.5


def test_guess_per_whatsapp_source_is_the_lumiar_account(sample_turns: dict) -> None:
    # Each zip is its own source with one chat: only the turns of that chat to go on.
    sources = sample_turns["whatsapp"]
    assert len(sources) > 100
    for convs in sources.values():
        guess = guess_assistant(convs)
        assert guess.speakers and all("Lumiar" in s for s in guess.speakers), guess
        assert guess.runner_up is None or "Lumiar" not in guess.runner_up, guess
        assert guess.confidence > 0.3, guess


def test_guess_drives_extraction_on_the_sample_domain(sample_turns: dict) -> None:
    for importer in ("whatsapp", "slack"):
        convs = _pooled(sample_turns[importer])
        guess = guess_assistant(convs)
        pairs = list(extract_all(convs.values(), guess.options()))
        assert len(pairs) > len(convs) // 2
        by_id = {t.id: t for turns in convs.values() for t in turns}
        for pair in pairs:
            speakers = [by_id[i].speaker for i in pair.turn_ids]
            assert speakers[-1] in guess.speakers  # the response is the agent's
            assert speakers[0] not in guess.speakers  # the prompt is the customer's
            assert {by_id[i].conversation_id for i in pair.turn_ids} == {pair.conversation_id}
