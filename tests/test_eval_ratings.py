"""Blind votes: storage, Bradley–Terry and Elo ratings with intervals, and preference pairs."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from afina.engine.errors import ParseError
from afina.engine.eval.ratings import (
    bradley_terry,
    counts,
    elo,
    ratings_by_tag,
    ratings_table,
    win_probability,
)
from afina.engine.eval.report import build_report
from afina.engine.eval.report_render import render_markdown
from afina.engine.store.votes import dump_votes, load_votes, preference_jsonl, preference_pairs
from afina.engine.types import Vote


def vote(left: str, right: str, outcome: str, prompt: str = "q", tags=()) -> Vote:
    return Vote(
        prompt,
        left,
        right,
        outcome,  # type: ignore[arg-type]
        answers={left: f"{left} says", right: f"{right} says"},
        tags=tuple(tags),
    )


def synthetic_votes(strengths: dict[str, float], n: int, seed: int = 0) -> list[Vote]:
    """Votes drawn from a Bradley–Terry model with known strengths, some ties and both-bad."""
    rng = np.random.default_rng(seed)
    names = list(strengths)
    votes = []
    for i in range(n):
        a, b = (str(x) for x in rng.choice(names, 2, replace=False))
        u = rng.random()
        if u < 0.05:
            outcome = "both_bad"
        elif u < 0.15:
            outcome = "tie"
        else:
            p = strengths[a] / (strengths[a] + strengths[b])
            outcome = "a" if rng.random() < p else "b"
        votes.append(vote(a, b, outcome, f"q{i}", tags=["pt" if i % 2 else "en"]))
    return votes


# --- storage ---------------------------------------------------------------------------------


def test_votes_round_trip_through_jsonl():
    votes = [
        Vote(
            "Qual o preço?",
            "rag",
            "fine-tuned",
            "b",
            {"rag": "R$ 99", "fine-tuned": "R$ 99,90"},
            ("pt", "plans"),
            "2024-06-11T10:00:00-03:00",
        ),
        vote("base", "rag", "both_bad"),
    ]
    text = dump_votes(votes)
    assert len(text.splitlines()) == 2 and "R$ 99,90" in text  # UTF-8, not \\u escapes
    assert load_votes(text.splitlines()) == votes
    assert load_votes(["", *text.splitlines(), "  "]) == votes  # blank lines are skipped


def test_bad_votes_are_refused_with_their_line():
    good = dump_votes([vote("a", "b", "tie")]).strip()
    with pytest.raises(ParseError, match="line 2"):
        load_votes([good, "{not json"])
    with pytest.raises(ParseError, match=r"line 1.*outcome"):
        load_votes([json.dumps({"prompt": "q", "left": "a", "right": "b", "outcome": "left"})])
    with pytest.raises(ParseError, match="needs right"):
        load_votes([json.dumps({"prompt": "q", "left": "a", "outcome": "a"})])
    with pytest.raises(ValueError, match="twice"):
        vote("a", "a", "a")


def test_winner_loser_and_counts():
    v = vote("base", "rag", "b")
    assert (v.winner, v.loser) == ("rag", "base")
    assert vote("base", "rag", "tie").winner is None
    c = counts([vote("x", "y", "a"), vote("x", "y", "tie"), vote("y", "x", "both_bad")])
    assert c["x"] == {"wins": 1, "losses": 0, "ties": 1, "both_bad": 1}
    assert c["y"] == {"wins": 0, "losses": 1, "ties": 1, "both_bad": 1}


# --- Bradley–Terry ---------------------------------------------------------------------------


def test_bradley_terry_known_ratio():
    # 2 wins to 1: strengths 2:1, so 400·log10(2) ≈ 120.4 Elo points apart (prior negligible)
    r = bradley_terry([vote("a", "b", "a"), vote("a", "b", "a"), vote("b", "a", "a")], prior=1e-6)
    assert r["a"] - r["b"] == pytest.approx(400 * math.log10(2), abs=0.01)
    assert (r["a"] + r["b"]) / 2 == pytest.approx(1000.0)
    assert win_probability(r["a"], r["b"]) == pytest.approx(2 / 3, abs=1e-4)


def test_ties_are_half_wins_and_both_bad_is_left_out():
    two_to_one = [vote("a", "b", "a"), vote("a", "b", "a"), vote("a", "b", "b")]
    win_and_ties = [vote("a", "b", "a"), vote("a", "b", "tie"), vote("b", "a", "tie")]
    # a: 1 + 0.5 + 0.5 = 2 wins of 3 either way
    assert bradley_terry(win_and_ties) == pytest.approx(bradley_terry(two_to_one))
    only_ties = bradley_terry([vote("a", "b", "tie")] * 4)
    assert only_ties["a"] == pytest.approx(only_ties["b"])
    with_bad = two_to_one + [vote("a", "b", "both_bad")] * 5
    assert bradley_terry(with_bad) == pytest.approx(bradley_terry(two_to_one))
    ra = min(ratings_table(with_bad, n_boot=50), key=lambda r: r.assistant)
    assert (ra.wins, ra.losses, ra.ties, ra.both_bad, ra.votes) == (2, 1, 0, 5, 8)


def test_an_unbeaten_assistant_stays_finite():
    r = bradley_terry([vote("a", "b", "a")] * 10)
    assert all(math.isfinite(x) for x in r.values()) and r["a"] > r["b"]
    with pytest.raises(ValueError, match="prior"):
        bradley_terry([vote("a", "b", "a")], prior=0)


def test_bradley_terry_recovers_known_strengths_with_intervals():
    strengths = {"fine-tuned": 4.0, "rag": 2.0, "base": 1.0}
    votes = synthetic_votes(strengths, 900, seed=1)
    table = ratings_table(votes, n_boot=500, seed=0)
    assert [r.assistant for r in table] == ["fine-tuned", "rag", "base"]
    top, mid, low = table
    assert top.lo > low.hi  # the strongest and the weakest are clearly apart
    for r in table:
        assert r.lo <= r.rating <= r.hi
    # 4:2:1 is 120 Elo points a step; the fit lands near it
    assert top.rating - mid.rating == pytest.approx(120.4, abs=45)
    assert mid.rating - low.rating == pytest.approx(120.4, abs=45)
    assert sum(r.votes for r in table) == 2 * len(votes)


def test_few_votes_give_wide_intervals_not_certainty():
    width = {}
    for n in (1, 10, 100):
        table = ratings_table([vote("a", "b", "a")] * n, n_boot=400)
        a, b = sorted(table, key=lambda r: r.assistant)
        assert a.lo <= a.rating <= a.hi and b.lo <= b.rating <= b.hi
        assert a.rating > b.rating
        width[n] = a.hi - a.lo
    # resampling identical votes would give zero width every time
    assert width[1] > 100 and width[10] > 0
    assert width[1] > width[10] > width[100]
    # one win apiece: ratings level, the interval still wide on both sides
    a, b = sorted(
        ratings_table([vote("a", "b", "a"), vote("a", "b", "b")], n_boot=400),
        key=lambda r: r.assistant,
    )
    assert a.rating == pytest.approx(1000.0) and a.lo < 950 and a.hi > 1050


def test_ratings_per_tag_and_elo():
    votes = synthetic_votes({"fine-tuned": 4.0, "rag": 2.0, "base": 1.0}, 400, seed=2)
    by_tag = ratings_by_tag(votes, n_boot=100)
    assert set(by_tag) == {"en", "pt"}
    assert all(rows[0].assistant == "fine-tuned" for rows in by_tag.values())
    assert sum(r.votes for rows in by_tag.values() for r in rows) == 2 * len(votes)
    table = ratings_table(votes, method="elo", n_boot=100)
    assert table[0].assistant == "fine-tuned" and table[-1].assistant == "base"
    with pytest.raises(ValueError, match="method"):
        ratings_table(votes, method="glicko", n_boot=10)  # type: ignore[arg-type]
    assert ratings_table([]) == []


def test_elo_known_update():
    # equal ratings: expected 0.5, K = 16 → the winner gains 8
    assert elo([vote("a", "b", "a")]) == {"a": 1008.0, "b": 992.0}
    assert elo([vote("a", "b", "tie")]) == {"a": 1000.0, "b": 1000.0}
    assert elo([vote("a", "b", "both_bad")]) == {"a": 1000.0, "b": 1000.0}


# --- preference pairs ------------------------------------------------------------------------


def test_preference_pairs_skip_ties_and_both_bad():
    votes = [
        Vote("Qual o preço?", "base", "ft", "b", {"base": "Não sei.", "ft": "R$ 99,90 por mês."}),
        Vote("Horário?", "ft", "base", "a", {"ft": "9h às 18h.", "base": "Depende."}, ("pt",)),
        vote("ft", "base", "tie"),
        vote("ft", "base", "both_bad"),
        Vote("q", "ft", "base", "a", {"ft": "só um lado"}),  # the loser's answer is missing
        Vote("q", "ft", "base", "a", {"ft": "igual", "base": "igual "}),  # same text
    ]
    pairs = preference_pairs(votes)
    assert pairs == [
        {"prompt": "Qual o preço?", "chosen": "R$ 99,90 por mês.", "rejected": "Não sei."},
        {"prompt": "Horário?", "chosen": "9h às 18h.", "rejected": "Depende."},
    ]
    meta = preference_pairs(votes, with_meta=True)[1]
    assert (meta["chosen_assistant"], meta["rejected_assistant"], meta["tags"]) == (
        "ft",
        "base",
        ["pt"],
    )
    lines = preference_jsonl(votes).splitlines()
    assert [json.loads(line) for line in lines] == pairs
    assert "R$ 99,90" in lines[0]


def test_report_shows_the_ratings_table():
    votes = synthetic_votes({"fine-tuned": 4.0, "rag": 2.0, "base": 1.0}, 300, seed=3)
    rows = [
        {"assistant": a, "example": "q1", "rouge_l": 0.5} for a in ("base", "rag", "fine-tuned")
    ]
    report = build_report(
        rows,
        ratings=ratings_table(votes, n_boot=100),
        ratings_by_tag=ratings_by_tag(votes, n_boot=50),
        n_boot=100,
    )
    md = render_markdown(report)
    assert "## Ratings" in md and "### Ratings: en" in md
    assert "| assistant | rating | 95% CI | wins | losses | ties | both bad |" in md
    assert md.index("| fine-tuned |", md.index("## Ratings")) < md.index(
        "| base |", md.index("## Ratings")
    )
