"""The boilerplate rule: recurring openers and closers are learnt from the answers and cut."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from afina.engine.curation.boilerplate import Boilerplate, Learned, learn, sentences, strip
from afina.engine.curation.clean import Pipeline, make_rule, rule_options
from afina.engine.curation.curate_run import curate_store
from afina.engine.curation.extract import ExtractOptions
from afina.engine.curation.extract_run import extract_to_store
from afina.engine.ingest.discover import Sniffer
from afina.engine.ingest.run import import_candidates
from afina.engine.types import PairDraft, PairFilter
from afina.engine.workspace import init_workspace

GREETINGS = ["Olá! Boa tarde.", "Oi, <NAME_1>! 😊", "Hi <NAME_2>, thanks for reaching out!"]
ANSWERS = [
    "O Lumiar 300 custa R$ 99,90 por mês.",
    "A loja abre às 9h.",
    "O upgrade é grátis e fica ativo na hora.",
    "Use o app Minha Lumiar, em Wi-Fi > Alterar senha.",
]


def corpus() -> list[str]:
    """Every greeting before every answer, half of them with a sign-off."""
    out = []
    for i, greeting in enumerate(GREETINGS):
        for j, answer in enumerate(ANSWERS):
            closer = " Posso ajudar em algo mais?" if (i + j) % 2 else ""
            out.append(f"{greeting} {answer}{closer}")
    return out


def test_sentences_end_at_stops_emoji_shortcodes_and_lines_not_decimals() -> None:
    text = "Oi, Ana! 😊 Custa R$ 99,90 por mês.\nHey :blush: v2.1 sai hoje"
    assert [text[s:e] for s, e in sentences(text)] == [
        "Oi, Ana!",
        "😊",
        "Custa R$ 99,90 por mês.",
        "Hey :blush:",
        "v2.1 sai hoje",
    ]


def test_learns_greetings_and_sign_offs_that_recur_before_varied_answers() -> None:
    learned = learn(corpus())
    assert learned.openers == {"ola", "boa tarde", "oi <p>", "hi <p> thanks for reaching out"}
    assert learned.closers == {"posso ajudar em algo mais"}


def test_a_sentence_of_the_answer_is_not_boilerplate() -> None:
    # one answer repeated, and another after each of the recurring greetings
    same = ["Use o app. Depois reinicie o roteador."] * 5
    greeted = [f"{g} Use o app Minha Lumiar." for g in ("Oi!", "Olá!", "Bom dia!")]
    others = [f"{g} Até logo, {name}." for g in ("Oi!", "Olá!", "Bom dia!") for name in "ABC"]
    learned = learn([*same, *greeted, *others])
    assert learned.openers == {"oi", "ola", "bom dia"}
    assert learned.closers == frozenset()


def test_a_sentence_with_digits_is_never_boilerplate() -> None:
    answers = [f"Custa R$ 10,00. {a}" for a in ANSWERS]
    assert learn(answers) == Learned()


def test_strip_cuts_the_edges_and_keeps_the_answer() -> None:
    learned = learn(corpus())
    assert strip("Olá! Boa tarde. A loja abre às 9h. Posso ajudar em algo mais?", learned) == (
        "A loja abre às 9h."
    )
    assert strip("Oi, <NAME_7>! 😊 Nada a ver.", learned) == "Nada a ver."
    assert strip("Olá! Boa tarde.", learned) == ""
    # the request left after a greeting is the answer, even if it is a known sign-off
    assert strip("Olá! Posso ajudar em algo mais?", learned) == "Posso ajudar em algo mais?"
    assert strip("Nada conhecido aqui. Boa tarde.", learned) == "Nada conhecido aqui. Boa tarde."


def test_the_rule_does_nothing_until_taught() -> None:
    rule = make_rule("boilerplate")
    draft = PairDraft(1, "q", "Olá! Boa tarde. A loja abre às 9h.", (), None, (1, 2))
    assert rule.apply(draft) == (draft, [])
    assert set(rule_options("boilerplate")) == {"min_answers", "min_variety", "max_words"}


def test_a_taught_rule_rewrites_or_drops_with_hits() -> None:
    rule = Boilerplate().taught(corpus())
    kept, hits = rule.apply(PairDraft(1, "q", "Olá! Boa tarde. A loja abre às 9h.", (), None, ()))
    assert kept is not None and kept.response == "A loja abre às 9h."
    assert [h.rule for h in hits] == ["boilerplate"] and "cut 16 characters" in hits[0].detail
    dropped, hits = rule.apply(PairDraft(1, "q", "Oi, <NAME_3>! 😊", (), None, ()))
    assert dropped is None and "only greetings" in hits[0].detail
    assert rule.spans("Olá! A loja abre às 9h.") == [(0, 5)]


def test_curate_learns_from_the_store_and_records_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFINA_CACHE_DIR", str(tmp_path / "cache"))
    ws, _ = init_workspace(tmp_path / "ws")
    answers = corpus()
    chats = [
        {
            "id": f"c{i}",
            "conversations": [
                {"from": "human", "value": f"pergunta número {i}, por favor?"},
                {"from": "gpt", "value": answer},
            ],
        }
        for i, answer in enumerate([*answers, "Olá! Boa tarde."])
    ]
    path = ws.root / "chats.json"
    path.write_text(json.dumps(chats), encoding="utf-8")
    with ws.open_store() as store:
        import_candidates(store, Sniffer().candidates([path]))
        extract_to_store(store, ExtractOptions(assistant_role="assistant"))
        pipeline = Pipeline([make_rule("boilerplate")])
        report = curate_store(store, pipeline)
        kept = {p.response for p in store.pairs(PairFilter(status="pending"))}
        rejected = list(store.pairs(PairFilter(status="rejected")))
    assert report.removed == {"boilerplate": 1}
    assert report.rewritten == {"boilerplate": len(answers)}
    assert kept == {a.replace(" Posso ajudar em algo mais?", "") for a in ANSWERS}
    assert [p.response for p in rejected] == ["Olá! Boa tarde."]
