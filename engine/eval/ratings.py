"""Blind votes between assistants: ratings with intervals, and preference pairs for DPO.

A vote (``afina.engine.types.Vote``) compares two answers to one prompt, shown as A (left) and
B (right) without their assistants' names: A better, B better, a tie, or both bad.

Ratings are Bradley–Terry strengths fitted by Hunter's MM algorithm (2004) and shown on the
Elo scale (``1000 + 400·log10(strength)``, the geometric mean of the assistants at 1000), so
a 100-point gap means the stronger one is preferred about 64% of the time. Rules:

- a tie counts as half a win for each side;
- "both bad" says nothing about which one is better, so it is left out of the fit, but it is
  counted and shown (a pair that keeps failing together is a finding of its own);
- a small prior keeps every strength finite: each assistant also plays ``prior`` virtual games
  (default 1) against an average opponent and ties them. Without it an assistant that never
  lost would get an infinite strength; with it, few votes pull ratings towards the middle;
- intervals are percentile intervals of a parametric bootstrap: the same games are replayed
  with each outcome drawn from the fitted model, and the model refitted each time. Drawing
  votes with replacement instead would give one vote, or ten identical ones, an interval of
  zero width, since every resample is the same; the fitted model, held back by the prior,
  never makes an outcome certain. (A replayed game is a win or a loss, never a tie, which
  makes the intervals a little wider when people vote ties.)

Elo (sequential updates in the votes' order, K = 16) is offered as an alternative; it depends
on the order of the votes, which is why Bradley–Terry is the default. Its intervals resample
votes with replacement.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from afina.engine.eval.stats import percentile_interval
from afina.engine.types import Vote

Method = Literal["bt", "elo"]

SCALE = 400.0
BASE_RATING = 1000.0


@dataclass(frozen=True, slots=True)
class Rating:
    """One assistant's rating with its interval and its vote counts."""

    assistant: str
    rating: float
    lo: float
    hi: float
    wins: int
    losses: int
    ties: int
    both_bad: int

    @property
    def votes(self) -> int:
        return self.wins + self.losses + self.ties + self.both_bad


def assistants_in(votes: Iterable[Vote]) -> list[str]:
    return sorted({str(name) for v in votes for name in (v.left, v.right)})


def _games(votes: Sequence[Vote], index: Mapping[str, int]) -> np.ndarray:
    """(i, j, score of i) for each comparing vote: 1 win, 0.5 tie, 0 loss."""
    rows = [
        (index[v.left], index[v.right], {"a": 1.0, "b": 0.0, "tie": 0.5}[v.outcome])
        for v in votes
        if v.outcome != "both_bad"
    ]
    return np.array(rows, dtype=float).reshape(-1, 3)


def _simulated_wins(
    games: np.ndarray, strength: np.ndarray, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """(B, k, k) win matrices of the same games replayed B times, each outcome drawn from the
    fitted model: i beats j with probability s_i / (s_i + s_j)."""
    i, j = games[:, 0].astype(int), games[:, 1].astype(int)
    p = strength[i] / (strength[i] + strength[j])
    scores = (rng.random((n_boot, p.size)) < p).astype(float)
    shape = scores.shape
    return _tally(np.broadcast_to(i, shape), np.broadcast_to(j, shape), scores, strength.size)


def _tally(i: np.ndarray, j: np.ndarray, s: np.ndarray, k: int) -> np.ndarray:
    """(B, k, k) matrices W[b, i, j] = i's wins over j (ties as halves), from (B, n) arrays of
    players and the first one's scores."""
    b = s.shape[0]
    base = np.arange(b)[:, None] * k * k
    size = b * k * k
    w = np.bincount((base + i * k + j).ravel(), weights=s.ravel(), minlength=size)
    w += np.bincount((base + j * k + i).ravel(), weights=(1.0 - s).ravel(), minlength=size)
    return w.reshape(b, k, k)


def _bt_strengths(
    w: np.ndarray, prior: float, tol: float = 1e-10, max_iter: int = 10_000
) -> np.ndarray:
    """Bradley–Terry strengths for each (k, k) win matrix in ``w`` (MM, Hunter 2004).

    Each item also plays ``prior`` games against a fixed opponent of strength 1 and ties
    them. Returned strengths have a geometric mean of 1.
    """
    n = w + np.swapaxes(w, 1, 2)
    wins = w.sum(axis=2) + prior / 2
    p = np.ones(w.shape[:2])
    for _ in range(max_iter):
        denom = (n / (p[:, :, None] + p[:, None, :])).sum(axis=2) + prior / (p + 1.0)
        new = wins / denom
        done = np.max(np.abs(np.log(new) - np.log(p))) < tol
        p = new
        if done:
            break
    return np.asarray(p / np.exp(np.log(p).mean(axis=1, keepdims=True)))


def _to_rating(strength: np.ndarray) -> np.ndarray:
    return np.asarray(BASE_RATING + SCALE * np.log10(strength))


def bradley_terry(
    votes: Sequence[Vote], *, prior: float = 1.0, assistants: Sequence[str] | None = None
) -> dict[str, float]:
    """Each assistant's Bradley–Terry rating on the Elo scale (module docstring)."""
    if prior <= 0:
        raise ValueError("the prior must be positive, or unbeaten assistants have no rating")
    names = list(assistants or assistants_in(votes))
    index = {a: i for i, a in enumerate(names)}
    games = _games(votes, index)
    w = _tally(
        games[None, :, 0].astype(int), games[None, :, 1].astype(int), games[None, :, 2], len(names)
    )
    ratings = _to_rating(_bt_strengths(w, prior))[0]
    return {a: float(r) for a, r in zip(names, ratings, strict=True)}


def elo(
    votes: Sequence[Vote],
    *,
    k: float = 16.0,
    initial: float = BASE_RATING,
    assistants: Sequence[str] | None = None,
) -> dict[str, float]:
    """Sequential Elo over the votes in their order; ties score 0.5, both-bad is skipped."""
    ratings = {a: float(initial) for a in (assistants or assistants_in(votes))}
    for v in votes:
        if v.outcome == "both_bad":
            continue
        ra, rb = ratings[v.left], ratings[v.right]
        expected = 1.0 / (1.0 + 10 ** ((rb - ra) / SCALE))
        score = {"a": 1.0, "b": 0.0, "tie": 0.5}[v.outcome]
        ratings[v.left] = ra + k * (score - expected)
        ratings[v.right] = rb - k * (score - expected)
    return ratings


def counts(votes: Iterable[Vote]) -> dict[str, dict[str, int]]:
    """wins, losses, ties and both_bad per assistant."""
    out: dict[str, dict[str, int]] = {}
    for v in votes:
        for name in (v.left, v.right):
            out.setdefault(name, {"wins": 0, "losses": 0, "ties": 0, "both_bad": 0})
        if v.outcome == "tie":
            out[v.left]["ties"] += 1
            out[v.right]["ties"] += 1
        elif v.outcome == "both_bad":
            out[v.left]["both_bad"] += 1
            out[v.right]["both_bad"] += 1
        else:
            out[v.winner or ""]["wins"] += 1
            out[v.loser or ""]["losses"] += 1
    return out


def ratings_table(
    votes: Sequence[Vote],
    *,
    method: Method = "bt",
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    prior: float = 1.0,
    k: float = 16.0,
) -> list[Rating]:
    """Every assistant's rating with a bootstrap interval (module docstring), best first."""
    votes = list(votes)
    names = assistants_in(votes)
    if not names:
        return []
    index = {a: i for i, a in enumerate(names)}
    rng = np.random.default_rng(seed)
    if method == "bt":
        if prior <= 0:
            raise ValueError("the prior must be positive, or unbeaten assistants have no rating")
        point = bradley_terry(votes, prior=prior, assistants=names)
        games = _games(votes, index)
        if games.shape[0]:
            strength = 10 ** ((np.array([point[a] for a in names]) - BASE_RATING) / SCALE)
            reps = _to_rating(_bt_strengths(_simulated_wins(games, strength, n_boot, rng), prior))
        else:
            reps = np.full((n_boot, len(names)), BASE_RATING)
    elif method == "elo":
        point = elo(votes, k=k, assistants=names)
        idx = rng.integers(0, len(votes), size=(n_boot, len(votes)))
        reps = np.array(
            [[elo([votes[i] for i in row], k=k, assistants=names)[a] for a in names] for row in idx]
        ).reshape(n_boot, len(names))
    else:
        raise ValueError(f"unknown rating method {method!r}; use 'bt' or 'elo'")
    tally = counts(votes)
    rows = []
    for a in names:
        ci = percentile_interval(point[a], reps[:, index[a]], level)
        c = tally[a]
        rows.append(
            Rating(a, ci.estimate, ci.lo, ci.hi, c["wins"], c["losses"], c["ties"], c["both_bad"])
        )
    return sorted(rows, key=lambda r: (-r.rating, r.assistant))


def ratings_by_tag(votes: Sequence[Vote], **options: Any) -> dict[str, list[Rating]]:
    """``ratings_table`` over the votes carrying each tag, by tag name."""
    tags = sorted({t for v in votes for t in v.tags})
    return {t: ratings_table([v for v in votes if t in v.tags], **options) for t in tags}


def win_probability(rating_a: float, rating_b: float) -> float:
    """The chance that A is preferred over B under the Bradley–Terry model."""
    return 1.0 / (1.0 + math.pow(10.0, (rating_b - rating_a) / SCALE))
