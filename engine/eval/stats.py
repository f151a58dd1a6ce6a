"""Intervals: percentile bootstrap for means, paired bootstrap for differences, Wilson for shares.

Every function is seeded and deterministic. Intervals are two-sided at ``level`` (0.95 by
default). A bootstrap over fewer than two values cannot say anything about spread, so its
interval collapses to the estimate (one value) or is NaN (none); the report shows n beside
every interval so that a reader sees why.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from statistics import NormalDist
from typing import NamedTuple

import numpy as np

Stat = Callable[[np.ndarray], np.ndarray]  # maps an (n_boot, n) array to n_boot values


class Interval(NamedTuple):
    """An estimate and its confidence interval."""

    estimate: float
    lo: float
    hi: float

    def excludes(self, value: float = 0.0) -> bool:
        """Whether ``value`` lies outside the interval (False when the interval is NaN)."""
        return bool(self.lo > value or self.hi < value)

    def overlaps(self, other: Interval) -> bool:
        return not (self.lo > other.hi or other.lo > self.hi)


NAN = Interval(math.nan, math.nan, math.nan)


def _mean(samples: np.ndarray) -> np.ndarray:
    return np.asarray(samples.mean(axis=-1))


def bootstrap_indices(n: int, n_boot: int = 2000, seed: int = 0) -> np.ndarray:
    """An (n_boot, n) array of resampling indices (rows drawn with replacement)."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, n, size=(n_boot, n))


def percentile_interval(estimate: float, replicates: np.ndarray, level: float = 0.95) -> Interval:
    """The percentile interval of bootstrap ``replicates`` around ``estimate``."""
    reps = np.asarray(replicates, dtype=float)
    reps = reps[np.isfinite(reps)]
    if reps.size == 0:
        return Interval(estimate, math.nan, math.nan)
    tail = (1.0 - level) / 2 * 100
    lo, hi = np.percentile(reps, [tail, 100 - tail])
    return Interval(float(estimate), float(lo), float(hi))


def bootstrap_ci(
    values: Sequence[float] | np.ndarray,
    stat: Stat | None = None,
    *,
    n: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> Interval:
    """``stat`` (the mean by default) of ``values`` with a percentile bootstrap interval.

    ``stat`` receives an array of shape (n_boot, len(values)) and returns one value per row,
    e.g. ``lambda a: np.median(a, axis=-1)``.
    """
    stat = stat or _mean
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return NAN
    estimate = float(stat(x[None, :])[0])
    if x.size == 1:
        return Interval(estimate, estimate, estimate)
    return percentile_interval(estimate, stat(x[bootstrap_indices(x.size, n, seed)]), level)


def paired_bootstrap_diff(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    stat: Stat | None = None,
    *,
    n: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> Interval:
    """stat(a) − stat(b) over the same examples, resampling examples (pairs stay together).

    With the mean this is the mean per-example difference; its interval excluding zero is the
    paired bootstrap test at 1 − ``level``.
    """
    stat = stat or _mean
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"paired values differ in length: {x.size} and {y.size}")
    if x.size == 0:
        return NAN
    estimate = float(stat(x[None, :])[0] - stat(y[None, :])[0])
    if x.size == 1:
        return Interval(estimate, estimate, estimate)
    idx = bootstrap_indices(x.size, n, seed)
    return percentile_interval(estimate, stat(x[idx]) - stat(y[idx]), level)


def wilson_interval(successes: int, total: int, level: float = 0.95) -> Interval:
    """A share k/n with its Wilson score interval (sound at 0/n and n/n, unlike k/n ± z·se)."""
    if total <= 0:
        return NAN
    if not 0 <= successes <= total:
        raise ValueError(f"{successes} successes out of {total}")
    z = NormalDist().inv_cdf(1 - (1 - level) / 2)
    p = successes / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == total else min(1.0, centre + half)
    return Interval(p, lo, hi)
