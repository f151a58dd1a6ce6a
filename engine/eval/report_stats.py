"""The statistics behind the evaluation report: rows indexed by assistant and example, and
each metric's summary interval and paired difference over them (see :mod:`report`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from afina.engine.eval.contract import MetricSpec
from afina.engine.eval.stats import (
    Interval,
    bootstrap_ci,
    bootstrap_indices,
    paired_bootstrap_diff,
    percentile_interval,
    wilson_interval,
)

# Columns of a row that are not metrics, or that feed a pooled metric instead of a mean.
ID_COLUMNS = frozenset({"assistant", "example", "tags"})
HELPER_COLUMNS = frozenset({"nll_sum", "n_tokens", "facts_found", "facts_total"})
ORDER = (
    "rouge_l",
    "token_f1",
    "facts",
    "facts_all",
    "exact_match",
    "bleu",
    "perplexity",
    "latency_s",
    "length",
)


def _finite(x: Any) -> bool:
    """A usable number: int, float, bool (0/1) or a numpy scalar, not NaN or infinite."""
    return isinstance(x, numbers.Real) and math.isfinite(float(x))


class ReportData:
    """Rows indexed by assistant → example → row."""

    def __init__(self, rows: Iterable[Mapping[str, Any]]) -> None:
        self.by: dict[str, dict[str, Mapping[str, Any]]] = {}
        for n, row in enumerate(rows):
            a = str(row["assistant"])
            ex = str(row.get("example", n))
            if ex in self.by.setdefault(a, {}):
                raise ValueError(f"two rows for assistant {a!r} and example {ex!r}")
            self.by[a][ex] = row

    def assistants(self) -> list[str]:
        return list(self.by)

    def metric_names(self) -> list[str]:
        found = {
            k
            for rows in self.by.values()
            for row in rows.values()
            for k, v in row.items()
            if k not in ID_COLUMNS and k not in HELPER_COLUMNS and _finite(v)
        }
        if self.has_pooled_perplexity():
            found.add("perplexity")
        return [m for m in ORDER if m in found] + sorted(found - set(ORDER))

    def has_pooled_perplexity(self) -> bool:
        return any(
            _finite(r.get("nll_sum")) and _finite(r.get("n_tokens"))
            for rows in self.by.values()
            for r in rows.values()
        )

    def values(
        self, a: str, metric: str, examples: Iterable[str] | None = None
    ) -> dict[str, float]:
        rows = self.by.get(a, {})
        keys = rows.keys() if examples is None else [e for e in examples if e in rows]
        return {e: float(rows[e][metric]) for e in keys if _finite(rows[e].get(metric))}

    def pooled(self, a: str) -> dict[str, tuple[float, float]]:
        return {
            e: (float(r["nll_sum"]), float(r["n_tokens"]))
            for e, r in self.by.get(a, {}).items()
            if _finite(r.get("nll_sum")) and _finite(r.get("n_tokens")) and r["n_tokens"] > 0
        }

    def subset(self, tag: str) -> ReportData:
        sub = ReportData([])
        for a, rows in self.by.items():
            kept = {e: r for e, r in rows.items() if tag in (r.get("tags") or ())}
            if kept:
                sub.by[a] = kept
        return sub

    def tags(self) -> list[str]:
        return sorted(
            {
                str(t)
                for rows in self.by.values()
                for r in rows.values()
                for t in r.get("tags") or ()
            }
        )


class ReportStats:
    def __init__(self, data: ReportData, n_boot: int, seed: int, level: float) -> None:
        self.data, self.n_boot, self.seed, self.level = data, n_boot, seed, level

    def summary(self, a: str, metric: str, spec: MetricSpec) -> tuple[Interval, int]:
        if metric == "perplexity" and self.data.has_pooled_perplexity():
            pooled = self.data.pooled(a)
            if not pooled:
                return Interval(math.nan, math.nan, math.nan), 0
            nll, tok = (np.array(x) for x in zip(*pooled.values(), strict=True))
            return self._ppl(nll, tok), len(pooled)
        vals = list(self.data.values(a, metric).values())
        if spec.binary and vals and all(v in (0.0, 1.0) for v in vals):
            return wilson_interval(int(sum(vals)), len(vals), self.level), len(vals)
        return bootstrap_ci(vals, n=self.n_boot, seed=self.seed, level=self.level), len(vals)

    def _ppl(
        self, nll: np.ndarray, tok: np.ndarray, nll2: Any = None, tok2: Any = None
    ) -> Interval:
        def ppl(n: np.ndarray, t: np.ndarray) -> np.ndarray:
            return np.asarray(np.exp(n.sum(axis=-1) / t.sum(axis=-1)))

        point = float(ppl(nll, tok)) - (float(ppl(nll2, tok2)) if nll2 is not None else 0.0)
        if nll.size < 2:
            return Interval(point, point, point)
        idx = bootstrap_indices(nll.size, self.n_boot, self.seed)
        reps = ppl(nll[idx], tok[idx]) - (ppl(nll2[idx], tok2[idx]) if nll2 is not None else 0.0)
        return percentile_interval(point, reps, self.level)

    def diff(self, a: str, b: str, metric: str) -> tuple[Interval, int]:
        """a − b over their common examples (paired); NaN with n = 0 when they share none."""
        if metric == "perplexity" and self.data.has_pooled_perplexity():
            pa, pb = self.data.pooled(a), self.data.pooled(b)
            common = [e for e in pa if e in pb]
            if not common:
                return Interval(math.nan, math.nan, math.nan), 0
            na, ta = (np.array([pa[e][i] for e in common]) for i in (0, 1))
            nb, tb = (np.array([pb[e][i] for e in common]) for i in (0, 1))
            return self._ppl(na, ta, nb, tb), len(common)
        va, vb = self.data.values(a, metric), self.data.values(b, metric)
        common = [e for e in va if e in vb]
        if not common:
            return Interval(math.nan, math.nan, math.nan), 0
        x = [va[e] for e in common]
        y = [vb[e] for e in common]
        return paired_bootstrap_diff(x, y, n=self.n_boot, seed=self.seed, level=self.level), len(
            common
        )
