"""Splits by conversation: hash-based, stable when conversations arrive, ratios respected;
and the leakage report finds near duplicates across splits and proposes a fix that works."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afina.engine.curation.split import (
    SPLITS,
    SplitError,
    assign_splits,
    find_leakage,
    split_of,
    validate_ratios,
)

KEYS = [f"whatsapp:+55 48 9{i:04d}-{i % 97:04d}" for i in range(10_000)]

ANSWER = (
    "Para trocar a senha do Wi-Fi, abra 192.168.0.1 no navegador, entre com o usuário admin "
    "e a senha da etiqueta, vá em Rede sem fio, digite a nova senha e salve. O roteador "
    "reinicia sozinho em cerca de um minuto e os aparelhos precisam conectar de novo."
)


def test_ratios_are_respected_on_10k_conversations() -> None:
    splits = assign_splits(KEYS, (0.8, 0.1, 0.1), seed=42)
    shares = Counter(splits.values())
    for name, ratio in zip(SPLITS, (0.8, 0.1, 0.1), strict=True):
        # Binomial standard deviation at n = 10k is at most 0.004: allow four of them.
        assert abs(shares[name] / len(KEYS) - ratio) < 0.016


def test_every_key_gets_exactly_one_split() -> None:
    splits = assign_splits(KEYS[:2000], seed=1)
    assert set(splits) == set(KEYS[:2000])
    sides = {name: {k for k, s in splits.items() if s == name} for name in SPLITS}
    assert not sides["train"] & sides["validation"]
    assert not sides["train"] & sides["test"]
    assert not sides["validation"] & sides["test"]


def test_pairs_follow_their_conversation() -> None:
    pairs = [(pair_id, KEYS[pair_id % 50]) for pair_id in range(500)]  # 10 pairs a conversation
    splits = assign_splits({key for _, key in pairs}, seed=5)
    by_conversation: dict[str, set[str]] = {}
    for _, key in pairs:
        by_conversation.setdefault(key, set()).add(splits[key])
    assert all(len(sides) == 1 for sides in by_conversation.values())


@settings(max_examples=30, deadline=None)
@given(
    old=st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=40, unique=True),
    new=st.lists(st.text(min_size=1, max_size=12), max_size=40, unique=True),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_splits_are_stable_when_conversations_arrive(
    old: list[str], new: list[str], seed: int
) -> None:
    before = assign_splits(old, seed=seed)
    after = assign_splits([*new, *old], seed=seed)  # new ones first: order must not matter
    assert all(after[k] == before[k] for k in old)
    assert all(split_of(k, seed=seed) == before[k] for k in old)


def test_the_seed_decides_and_str_of_the_key_is_hashed() -> None:
    a, b = assign_splits(KEYS[:1000], seed=1), assign_splits(KEYS[:1000], seed=2)
    assert a == assign_splits(KEYS[:1000], seed=1)
    assert sum(a[k] != b[k] for k in a) > 200  # about 1 - (0.8² + 0.1² + 0.1²) = 34%
    assert split_of(1234, seed=9) == split_of("1234", seed=9)


def test_zero_shares_get_nothing() -> None:
    splits = assign_splits(KEYS[:3000], (0.9, 0.1, 0.0), seed=3)
    assert "test" not in splits.values()
    assert set(assign_splits(KEYS[:100], (0, 0, 1)).values()) == {"test"}


@pytest.mark.parametrize(
    ("ratios", "problem"),
    [
        ((0.8, 0.2), "three numbers"),
        ((0.8, 0.1, 0.1, 0.0), "three numbers"),
        ((0.8, -0.1, 0.3), "not negative"),
        ((math.nan, 0.5, 0.5), "finite"),
        ((0.8, 0.1, 0.2), "add up to 1"),
        (("a", 0.5, 0.5), "numbers"),
    ],
)
def test_bad_ratios_are_refused(ratios: tuple, problem: str) -> None:
    with pytest.raises(SplitError, match=problem):
        validate_ratios(ratios)
    with pytest.raises(SplitError):
        assign_splits(["a"], ratios)


def test_ratios_are_tolerant_to_rounding() -> None:
    assert validate_ratios([0.7, 0.2, 0.1]) == (0.7, 0.2, 0.1)  # sums to 0.9999999999999999


# -- leakage --------------------------------------------------------------------------------


def edited(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


LEAKY = [
    (1, "train", "Como troco a senha do Wi-Fi?\n" + ANSWER),
    (2, "test", "como troco a senha do wifi\n" + ANSWER.lower()),  # exact once normalized
    (3, "validation", "Como mudo a senha do Wi-Fi?\n" + edited(ANSWER, "um minuto", "1 minuto")),
    (4, "train", "Qual o horário da loja? Das 8h às 20h de segunda a sexta e sábado até 14h."),
    (5, "train", "Qual o horário da loja? Das 8h às 20h de segunda a sexta e sábado até 14h!"),
    (
        6,
        "validation",
        "Instalam no Campeche? Sim, a instalação leva até cinco dias úteis lá.",
    ),
    (7, "test", "Instalam no Campeche? Sim, a instalação leva até cinco dias úteis lá!!"),
    (8, "test", "Aceitam cartão? Sim, em até três vezes sem juros na taxa de adesão."),
]


def test_leakage_report_finds_duplicates_across_splits_only() -> None:
    report = find_leakage(LEAKY)
    assert report.leaks
    by_first = {c.members[0][0]: c for c in report.clusters}
    assert set(by_first) == {1, 6}  # 4 and 5 are both train: dedupe's business, not leakage
    wifi = by_first[1]
    assert wifi.members == ((1, "train"), (3, "validation"), (2, "test"))
    assert wifi.kind == "near" and 0.7 < wifi.similarity < 1.0
    assert wifi.drop == (2, 3)
    campeche = by_first[6]
    assert campeche.kind == "exact" and campeche.drop == (7,)  # no train: validation wins
    assert report.drop == {2, 3, 7}
    assert report.dropped_by_split == {"train": 0, "validation": 1, "test": 2}


def test_the_fix_leaves_no_leak() -> None:
    report = find_leakage(LEAKY)
    fixed = [item for item in LEAKY if item[0] not in report.drop]
    again = find_leakage(fixed)
    assert not again.leaks and again.drop == frozenset()
    assert not find_leakage([]).leaks


def test_unknown_split_is_refused() -> None:
    with pytest.raises(SplitError, match="unknown split 'dev'"):
        find_leakage([(1, "dev", "text")])
