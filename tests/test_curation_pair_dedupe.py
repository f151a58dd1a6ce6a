"""Pair dedupe: a near-identical question (greetings and fillers aside) with the same answer is
a duplicate; other questions with one answer are paraphrases and stay, optionally capped; the
same question with a different answer stays too (neither repeats the other)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from afina.engine.curation.clean import Pipeline
from afina.engine.curation.curate_run import curate_store
from afina.engine.curation.dedupe import DedupeConfig, dedupe
from afina.engine.curation.extract import ExtractOptions
from afina.engine.curation.extract_run import extract_to_store
from afina.engine.curation.pair_dedupe import dedupe_pairs, question_key
from afina.engine.ingest.discover import Sniffer
from afina.engine.ingest.run import import_candidates
from afina.engine.store.pairs import Change
from afina.engine.types import PairFilter
from afina.engine.workspace import init_workspace

OPEN_EN = "We open at 9 a.m. on Saturdays and close at 1 p.m.; on Sundays we are closed."
OPEN_PT = "Aos sábados abrimos às 9h e fechamos às 13h; aos domingos a loja fica fechada."
PRICE = (
    "O plano Lumiar 600 custa R$ 129,90 por mês, com instalação grátis e roteador Wi-Fi 6 "
    "incluso. A fidelidade é de doze meses e a multa é proporcional aos meses que faltam."
)
CLOSED = "We are closed on Saturdays; the shop opens Monday to Friday, 9 a.m. to 6 p.m."


def ids_dropped(pairs: list[tuple[str, str]], ranks: list[int] | None = None) -> set[int]:
    ranks = ranks or [1] * len(pairs)
    items = [(i + 1, q, a, r) for i, ((q, a), r) in enumerate(zip(pairs, ranks, strict=True))]
    return set(dedupe_pairs(items).drop)


@pytest.mark.parametrize(
    ("variants", "key"),
    [
        (
            [
                "Hi! What time do you open on Saturday?",
                "what time do you open on saturday",
                "Hello there, what time do you open on Saturday? Thanks!",
                "Good morning. What time do you open on Saturday, please?",
                "Ok so... what time do you PLEASE open on Saturday?? thank you very much",
            ],
            "what time do you open on saturday",
        ),
        (
            [
                "Olá, bom dia! Qual o horário de sábado?",
                "Qual o horário de sábado?",
                "oi, tudo bem? qual o horario de sabado por favor",
                "Boa tarde! Qual o horário de sábado? Obrigada desde já",
                "Então, qual o horário de sábado, pf?",
            ],
            "qual o horario de sabado",
        ),
    ],
)
def test_question_key_sets_greetings_and_fillers_aside(variants: list[str], key: str) -> None:
    assert {question_key(v) for v in variants} == {key}


def test_question_key_keeps_what_carries_meaning() -> None:
    # A filler word at the end may be the question.
    assert question_key("Is it ok?") == "is it ok"
    assert question_key("Does the router work well") == "does the router work well"
    # Pleasantries alone key alike: with one answer they are duplicates.
    assert {
        question_key(q) for q in ["Olá!", "ok obg", "perfeito, valeu!!", "Thanks!", "?", "👍"]
    } == {""}
    assert question_key("Bom dia, o Wi-Fi funciona bem?") == "o wi fi funciona bem"
    # "good" and "dia" inside a question are not greetings.
    assert question_key("Hi, is the good plan cheaper?") == "is the good plan cheaper"


def test_greeting_variants_with_one_answer_are_duplicates_in_both_languages() -> None:
    pairs = [
        ("Hi! What time do you open on Saturday?", OPEN_EN),
        ("what time do you open on saturday", OPEN_EN),
        ("Olá, bom dia! Qual o horário de sábado?", OPEN_PT),
        ("Qual o horário de sábado?", OPEN_PT),
    ]
    result = dedupe_pairs((i + 1, q, a, 1) for i, (q, a) in enumerate(pairs))
    assert result.drop == {2, 4}
    # Equal once greetings, case, punctuation and accents are set aside: "exact".
    assert {(c.kept, c.dropped, c.kind) for c in result.clusters} == {
        (1, (2,), "exact"),
        (3, (4,), "exact"),
    }


def test_paraphrases_of_one_answer_are_kept_where_the_old_rule_dropped_them() -> None:
    pairs = [
        ("Quanto custa o plano de 600 mega?", PRICE),
        ("Qual o preço da internet de 600?", PRICE),
        ("O Lumiar 600 tem fidelidade?", PRICE),
        ("How much is the 600 Mbps plan?", PRICE),
    ]
    assert ids_dropped(pairs) == set()
    # The whole-text sketch saw one long answer and called them near duplicates.
    old = dedupe((i + 1, f"{q}\n{a}", 1) for i, (q, a) in enumerate(pairs))
    assert len(old.drop) >= 2


def test_the_same_question_with_a_different_answer_is_kept() -> None:
    # Not a duplicate: which answer is right is for a reviewer, and neither repeats the other.
    pairs = [
        ("What time do you open on Saturday?", OPEN_EN),
        ("Hi, what time do you open on Saturday?", CLOSED),
    ]
    assert ids_dropped(pairs) == set()


def test_exact_duplicates_and_near_identical_answers_are_dropped_keeping_the_best() -> None:
    near_answer = PRICE.replace("doze meses", "12 meses")
    pairs = [
        ("Quanto custa o plano de 600 mega?", PRICE),
        ("QUANTO CUSTA O PLANO DE 600 MEGA", PRICE),  # exact once normalized
        ("Quanto custa o plano de 600 mega?", near_answer),  # near-identical answer
        ("Quanto custa o plano de 600 megas?", PRICE),  # near-identical question
    ]
    result = dedupe_pairs(
        (i + 1, q, a, r) for i, ((q, a), r) in enumerate(zip(pairs, [1, 1, 2, 1], strict=True))
    )
    # The best-ranked member (pair 3) is kept; the rest are its duplicates.
    assert result.drop == {1, 2, 4}
    kinds = {c.kind: c for c in result.clusters}
    assert kinds["near"].kept == 3 and 0.8 <= kinds["near"].similarity < 1.0
    assert result.stats.exact_dropped + result.stats.near_dropped == 3


def _paraphrases() -> list[tuple[int, str, str, int]]:
    return [
        (1, "Quanto custa o plano de 600 mega?", PRICE, 1),
        (2, "Qual o preço da internet de 600?", PRICE, 1),
        (3, "O Lumiar 600 tem fidelidade?", PRICE, 2),
        (4, "How much is the 600 Mbps plan?", PRICE, 1),
        (5, "Oi! Quanto custa o plano de 600 mega?", PRICE, 1),  # duplicate of 1
        (6, "What time do you open on Saturday?", OPEN_EN, 1),
        (7, "When does the shop open on Saturdays?", OPEN_EN, 1),
        (8, "Do you open on Sunday?", CLOSED, 1),
    ]


def test_paraphrase_groups_count_the_kept_pairs_sharing_one_answer() -> None:
    result = dedupe_pairs(_paraphrases())
    assert result.drop == {5}
    # Best-ranked first in each group; pair 8 has its answer to itself.
    assert result.paraphrase_groups(result.drop) == [[3, 1, 2, 4], [6, 7]]
    assert result.paraphrase_groups({*result.drop, 7}) == [[3, 1, 2, 4]]


def test_the_cap_keeps_the_best_ranked_paraphrases_of_each_answer() -> None:
    result = dedupe_pairs(_paraphrases())
    assert result.over_cap(result.drop, 0) == []  # 0: no cap
    assert result.over_cap(result.drop, 2) == [2, 4]
    assert result.over_cap(result.drop, 1) == [1, 2, 4, 7]
    # Kept ids count towards the cap but are never named.
    assert result.over_cap(result.drop, 1, keep=[2]) == [1, 4, 7]


def _store_with(tmp_path: Path, pairs: list[tuple[str, str]]):
    ws, _ = init_workspace(tmp_path / "ws")
    chats = [
        {
            "id": f"c{i}",
            "conversations": [{"from": "human", "value": q}, {"from": "gpt", "value": a}],
        }
        for i, (q, a) in enumerate(pairs)
    ]
    path = ws.root / "chats.json"
    path.write_text(json.dumps(chats), encoding="utf-8")
    with ws.open_store() as store:
        import_candidates(store, Sniffer().candidates([path]))
        extract_to_store(store, ExtractOptions(assistant_role="assistant"))
    return ws


def _status(store) -> dict[str, str]:
    return {
        p.prompt: status
        for status in ("pending", "accepted", "rejected")
        for p in store.pairs(PairFilter(status=status))
    }


def test_curate_rejects_duplicates_keeps_paraphrases_and_reports_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFINA_CACHE_DIR", str(tmp_path / "cache"))
    ws = _store_with(tmp_path, [(q, a) for _, q, a, _ in _paraphrases()])
    with ws.open_store() as store:
        report = curate_store(store, Pipeline([]), DedupeConfig())
        status = _status(store)
        hits = [h for p in store.pairs(PairFilter(rule="duplicate")) for h in store.rule_hits(p.id)]
    assert status["Oi! Quanto custa o plano de 600 mega?"] == "rejected"
    assert list(status.values()).count("rejected") == 1
    assert dict(report.duplicates) == {"exact": 1}
    assert (report.paraphrase_groups, report.paraphrase_pairs, report.capped) == (2, 6, 0)
    assert any("exact duplicate of pair" in h.detail for h in hits)


def test_curate_caps_per_answer_and_never_rejects_an_accepted_pair(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFINA_CACHE_DIR", str(tmp_path / "cache"))
    ws = _store_with(tmp_path, [(q, a) for _, q, a, _ in _paraphrases()])
    with ws.open_store() as store:
        ids = {p.prompt: p.id for p in store.pairs(PairFilter(status="pending"))}
        # A person accepted two paraphrases of the price, and the greeting variant of one.
        accepted = ["How much is the 600 Mbps plan?", "O Lumiar 600 tem fidelidade?"]
        accepted.append("Oi! Quanto custa o plano de 600 mega?")
        store.review([Change(ids[q], "status", "accepted") for q in accepted], "accept")
        report = curate_store(store, Pipeline([]), DedupeConfig(), max_per_answer=1)
        status = _status(store)
    assert all(status[q] == "accepted" for q in accepted)
    # The price answer already has accepted pairs past the cap: every pending one goes,
    # the duplicate of an accepted pair as a duplicate, the others over the cap.
    assert status["Quanto custa o plano de 600 mega?"] == "rejected"
    assert status["Qual o preço da internet de 600?"] == "rejected"
    assert dict(report.duplicates) == {"exact": 1}
    # The opening hours keep their best (lower id) pair; Sunday's answer is alone.
    assert status["What time do you open on Saturday?"] == "pending"
    assert status["When does the shop open on Saturdays?"] == "rejected"
    assert status["Do you open on Sunday?"] == "pending"
    assert report.capped == 2
    assert (report.paraphrase_groups, report.paraphrase_pairs) == (1, 3)


def test_cli_curate_reports_paraphrase_groups_and_caps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from afina.tui.cli import main

    monkeypatch.setenv("AFINA_CACHE_DIR", str(tmp_path / "cache"))
    ws = _store_with(tmp_path, [(q, a) for _, q, a, _ in _paraphrases()])
    monkeypatch.chdir(ws.root)
    assert main(["curate", "--max-per-answer", "0", "--no-dedupe", "--json"]) == 0
    capsys.readouterr()
    main(["pairs", "undo"])
    # A cap needs the answer groups the dedupe finds.
    assert main(["curate", "--max-per-answer", "2", "--no-dedupe"]) != 0
    capsys.readouterr()
    assert main(["curate", "--max-per-answer", "2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["paraphrase_groups"], report["paraphrase_pairs"], report["capped"]) == (2, 4, 2)
    assert report["duplicates"] == {"exact": 1}
    main(["pairs", "undo"])
    capsys.readouterr()
    assert main(["curate"]) == 0
    out = capsys.readouterr().out
    assert "Kept 2 paraphrase groups" in out and "6 pairs" in out
