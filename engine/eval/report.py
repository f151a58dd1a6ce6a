"""The evaluation report: per-assistant metrics with intervals, paired differences against a
baseline, fact shares, per-tag breakdowns, ratings, and plain sentences saying who wins where.

Input is one row per (assistant, example)::

    {"assistant": "fine-tuned", "example": "pt-001", "tags": ["pt", "plans"],
     "rouge_l": 0.61, "token_f1": 0.58, "facts": 1.0, "facts_all": 1.0,
     "facts_found": 3, "facts_total": 3, "nll_sum": 41.2, "n_tokens": 23, "latency_s": 0.8}

How each number is summarized:

- a metric's mean per assistant with a percentile bootstrap interval over examples; a 0/1
  metric (exact match, all key facts) as a share with a Wilson interval;
- differences against the ``baseline`` are paired: over the examples both assistants
  answered, resampling examples, so that easy and hard questions do not blur the difference;
- perplexity, when rows carry ``nll_sum`` and ``n_tokens``, pools the tokens of all answers
  (every token weighs the same; a mean of per-answer perplexities is dominated by short ones);
- fact recall pools the facts of all questions (found over total) with a Wilson interval,
  which treats facts as independent; "all key facts" is the per-question share.

The findings are sentences built from the intervals only: an assistant "does best" on a
metric when its mean is best, and it is "clearly ahead" of another only when the paired
interval of their difference excludes zero (or, without common examples, when their
intervals do not overlap); otherwise the sentence says there is no clear difference.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from afina.engine.eval.contract import MetricSpec, metric_spec
from afina.engine.eval.ratings import Rating
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


def _iv(ci: Interval, n: int, key: str = "mean") -> dict[str, Any]:
    return {key: ci.estimate, "lo": ci.lo, "hi": ci.hi, "n": n}


class _Data:
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

    def subset(self, tag: str) -> _Data:
        sub = _Data([])
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


class _Stats:
    def __init__(self, data: _Data, n_boot: int, seed: int, level: float) -> None:
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


def build_report(
    rows: Iterable[Mapping[str, Any]],
    *,
    baseline: str | None = None,
    target: str | None = None,
    goals: Mapping[str, float] | None = None,
    specs: Mapping[str, MetricSpec] | None = None,
    corpus: Mapping[str, Mapping[str, float]] | None = None,
    ratings: Sequence[Rating] | None = None,
    ratings_by_tag: Mapping[str, Sequence[Rating]] | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
    title: str = "afina evaluation",
) -> dict[str, Any]:
    """The report as a JSON-ready dict (see the module docstring for the statistics).

    ``goals`` maps a metric to the least improvement of ``target`` over ``baseline`` that
    counts as success, e.g. ``{"rouge_l": 0.25, "token_f1": 0.25}``; a goal is met when the
    paired mean difference reaches it and its interval excludes zero.
    """
    data = _Data(rows)
    assistants = data.assistants()
    if baseline is not None and baseline not in assistants:
        raise ValueError(f"baseline {baseline!r} has no rows; assistants: {', '.join(assistants)}")
    if target is not None and target not in assistants:
        raise ValueError(f"target {target!r} has no rows; assistants: {', '.join(assistants)}")
    if goals and (baseline is None or target is None):
        raise ValueError("goals compare a target with a baseline: name both")
    st = _Stats(data, n_boot, seed, level)
    names = data.metric_names()
    spec = {m: metric_spec(m, specs) for m in names}

    report: dict[str, Any] = {
        "title": title,
        "level": level,
        "n_boot": n_boot,
        "seed": seed,
        "baseline": baseline,
        "target": target,
        "metrics": [asdict(spec[m]) for m in names],
        "assistants": {},
        "paired": {},
        "tags": {},
    }
    for a in assistants:
        entry: dict[str, Any] = {"n": len(data.by[a]), "metrics": {}}
        for m in names:
            ci, n = st.summary(a, m, spec[m])
            if n:
                entry["metrics"][m] = _iv(ci, n)
        found = sum(float(r.get("facts_found", 0) or 0) for r in data.by[a].values())
        total = sum(float(r.get("facts_total", 0) or 0) for r in data.by[a].values())
        if total:
            entry["fact_recall"] = {
                **_iv(wilson_interval(int(found), int(total), level), int(total), "share"),
                "found": int(found),
            }
        if corpus and a in corpus:
            entry["corpus"] = dict(corpus[a])
        report["assistants"][a] = entry
        if baseline is not None and a != baseline:
            report["paired"][a] = {}
            for m in names:
                ci, n = st.diff(a, baseline, m)
                if n:
                    report["paired"][a][m] = _iv(ci, n, "diff")

    for tag in data.tags():
        sub = data.subset(tag)
        sub_st = _Stats(sub, n_boot, seed, level)
        report["tags"][tag] = {}
        for a in sub.assistants():
            report["tags"][tag][a] = {}
            for m in names:
                ci, n = sub_st.summary(a, m, spec[m])
                if n:
                    report["tags"][tag][a][m] = _iv(ci, n)

    if ratings is not None:
        report["ratings"] = [asdict(r) for r in ratings]
    if ratings_by_tag:
        report["ratings_by_tag"] = {t: [asdict(r) for r in rs] for t, rs in ratings_by_tag.items()}

    report["goals"] = _goals(st, goals or {}, target, baseline, spec)
    report["findings"] = findings(data, st, names, spec, report["goals"])
    return report


def _goals(
    st: _Stats,
    goals: Mapping[str, float],
    target: str | None,
    baseline: str | None,
    spec: Mapping[str, MetricSpec],
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if target is None or baseline is None:
        return out
    for m, least in goals.items():
        ci, n = st.diff(target, baseline, m)
        sign = -1.0 if metric_spec(m, spec).better == "lower" else 1.0
        gain = sign * ci.estimate
        excludes = ci.excludes(0.0) and sign * (ci.lo + ci.hi) > 0
        out.append(
            {
                "metric": m,
                "target": target,
                "baseline": baseline,
                "least": least,
                "diff": ci.estimate,
                "lo": ci.lo,
                "hi": ci.hi,
                "n": n,
                "met": bool(n and gain >= least and excludes),
            }
        )
    return out


# --- sentences -------------------------------------------------------------------------------


def _fmt(x: float, digits: int, sign: bool = False) -> str:
    if not math.isfinite(x):
        return "n/a"
    text = f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"
    return text.replace("-", "−")


def _ci_text(ci: Interval, digits: int, sign: bool = True, level: float = 0.95) -> str:
    return (
        f"{_fmt(ci.estimate, digits, sign)}, {round(level * 100)}% CI "
        f"{_fmt(ci.lo, digits, sign)} to {_fmt(ci.hi, digits, sign)}"
    )


def _clear(st: _Stats, a: str, b: str, m: str, spec: MetricSpec) -> tuple[bool, Interval]:
    """Whether a is clearly different from b on m, and the interval of a − b."""
    ci, n = st.diff(a, b, m)
    if n >= 2:
        return ci.excludes(0.0), ci
    sa, _ = st.summary(a, m, spec)
    sb, _ = st.summary(b, m, spec)  # no common examples: unpaired, by overlap
    diff = sa.estimate - sb.estimate
    return (not sa.overlaps(sb)), Interval(diff, sa.lo - sb.hi, sa.hi - sb.lo)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _metric_sentence(st: _Stats, m: str, spec: MetricSpec, among: Sequence[str]) -> str | None:
    means = {}
    for a in among:
        ci, n = st.summary(a, m, spec)
        if n and math.isfinite(ci.estimate):
            means[a] = ci.estimate
    if len(means) < 2 or spec.better is None:
        return None
    order = sorted(means, key=lambda a: means[a], reverse=spec.better == "higher")
    best = order[0]
    label = spec.label + (f" ({spec.unit})" if spec.unit else "")
    ahead: list[str] = []
    level: list[str] = []
    for other in order[1:]:
        clear, ci = _clear(st, best, other, m, spec)
        text = f"{other} (Δ {_ci_text(ci, spec.digits, level=st.level)})"
        (ahead if clear else level).append(text)
    best_text = f"{best} ({_fmt(means[best], spec.digits)})"
    if not ahead:
        return f"{label}: no clear difference; {best_text} against " + _join(level) + "."
    sentence = f"{label}: {best} does best ({_fmt(means[best], spec.digits)}), clearly "
    sentence += ("ahead of " if spec.better == "higher" else "better than ") + _join(ahead)
    if level:
        sentence += "; no clear difference from " + _join(level)
    return sentence + "."


def findings(
    data: _Data,
    st: _Stats,
    names: Sequence[str],
    spec: Mapping[str, MetricSpec],
    goals: Sequence[Mapping[str, Any]],
) -> list[str]:
    """Plain sentences: goals first, then who does best on each metric, then the tags where
    another assistant clearly beats the overall leader."""
    out: list[str] = []
    for g in goals:
        s = spec.get(g["metric"]) or metric_spec(g["metric"])
        ci = Interval(g["diff"], g["lo"], g["hi"])
        vs = f"{g['target']} vs {g['baseline']} on {s.label}"
        what = f"{_ci_text(ci, s.digits, level=st.level)}; goal {_fmt(g['least'], s.digits, True)}"
        if g["met"]:
            out.append(f"Goal met: {vs}: {what}; the interval excludes zero.")
        elif not g["n"]:
            out.append(f"Goal not measured: {vs}: no common examples.")
        elif not ci.excludes(0.0):
            out.append(f"Goal not met: {vs}: {what}; the interval includes zero.")
        else:
            out.append(f"Goal not met: {vs}: {what}; the gain is short of the goal.")
    assistants = data.assistants()
    for m in names:
        sentence = _metric_sentence(st, m, spec[m], assistants)
        if sentence:
            out.append(sentence)
    # Where another assistant does better: tags whose leader clearly beats the overall leader.
    for tag in data.tags():
        sub = data.subset(tag)
        sub_st = _Stats(sub, st.n_boot, st.seed, st.level)
        for m in names:
            s = spec[m]
            if s.better is None:
                continue
            overall = _leader(st, assistants, m, s)
            leader = _leader(sub_st, sub.assistants(), m, s)
            if leader is None or overall is None or leader == overall:
                continue
            if overall not in sub.assistants():
                continue
            clear, ci = _clear(sub_st, leader, overall, m, s)
            if clear:
                out.append(
                    f"In '{tag}', {leader} does better than {overall} on {s.label} "
                    f"(Δ {_ci_text(ci, s.digits, level=st.level)}), although {overall} "
                    "leads overall."
                )
    return out


def _leader(st: _Stats, among: Sequence[str], m: str, spec: MetricSpec) -> str | None:
    means = {}
    for a in among:
        ci, n = st.summary(a, m, spec)
        if n and math.isfinite(ci.estimate):
            means[a] = ci.estimate
    if not means:
        return None
    pick = max if spec.better == "higher" else min
    return pick(means, key=lambda a: means[a])


# --- rendering -------------------------------------------------------------------------------


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], body: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |"]
    lines.append("|" + "|".join("---" for _ in header) + "|")
    lines.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in body)
    return [*lines, ""]


def _mean_ci(
    entry: Mapping[str, Any] | None, digits: int, key: str = "mean", sign: bool = False
) -> str:
    if not entry:
        return "–"
    est = _fmt(entry[key], digits, sign)
    if not (math.isfinite(entry["lo"]) and math.isfinite(entry["hi"])):
        return est
    return f"{est} [{_fmt(entry['lo'], digits, sign)}, {_fmt(entry['hi'], digits, sign)}]"


def _specs(report: Mapping[str, Any]) -> dict[str, MetricSpec]:
    return {d["name"]: MetricSpec(**d) for d in report["metrics"]}


def render_markdown(report: Mapping[str, Any]) -> str:
    """The report as Markdown: findings, summary, a table per assistant, facts, tags, ratings."""
    specs = _specs(report)
    names = list(specs)
    pct = round(report["level"] * 100)
    baseline = report.get("baseline")
    out = [f"# {report['title']}", ""]
    out.append(
        f"Intervals are {pct}%: percentile bootstrap over examples ({report['n_boot']} resamples, "
        f"seed {report['seed']}); shares of 0/1 metrics use Wilson intervals"
        + (f"; differences are paired against **{baseline}**." if baseline else ".")
    )
    out.append("")
    if report.get("findings"):
        out += ["## Findings", ""] + [f"- {s}" for s in report["findings"]] + [""]

    def label(m: str) -> str:
        s = specs[m]
        arrow = {"higher": " ↑", "lower": " ↓"}.get(s.better or "", "")
        return s.label + (f" ({s.unit})" if s.unit else "") + arrow

    out += ["## Summary", ""]
    out += _table(
        ["assistant", "n", *[label(m) for m in names]],
        [
            [a, e["n"], *[_mean_ci(e["metrics"].get(m), specs[m].digits) for m in names]]
            for a, e in report["assistants"].items()
        ],
    )
    for a, e in report["assistants"].items():
        out += [f"## {a}", ""]
        paired = report["paired"].get(a, {})
        header = ["metric", "mean", f"{pct}% CI", "n"]
        if a in report["paired"]:
            header += [f"Δ vs {baseline}", f"{pct}% CI of Δ", "n paired"]
        body = []
        for m in names:
            s = specs[m]
            entry = e["metrics"].get(m)
            if entry is None:
                continue
            row = [
                label(m),
                _fmt(entry["mean"], s.digits),
                f"{_fmt(entry['lo'], s.digits)} to {_fmt(entry['hi'], s.digits)}",
                entry["n"],
            ]
            if a in report["paired"]:
                d = paired.get(m)
                row += (
                    [
                        _fmt(d["diff"], s.digits, True),
                        f"{_fmt(d['lo'], s.digits, True)} to {_fmt(d['hi'], s.digits, True)}",
                        d["n"],
                    ]
                    if d
                    else ["–", "–", 0]
                )
            body.append(row)
        out += _table(header, body)
        if e.get("corpus"):
            out += _table(
                ["corpus metric", "value"], [[k, _fmt(v, 2)] for k, v in e["corpus"].items()]
            )

    facts = {a: e["fact_recall"] for a, e in report["assistants"].items() if "fact_recall" in e}
    if facts:
        out += ["## Key facts", ""]
        out.append(
            "Questions with all key facts, and facts found over all facts (pooled), "
            f"with {pct}% Wilson intervals."
        )
        out.append("")
        body = []
        for a, fr in facts.items():
            allm = report["assistants"][a]["metrics"].get("facts_all")
            body.append(
                [
                    a,
                    _mean_ci(allm, 3),
                    allm["n"] if allm else 0,
                    _mean_ci(fr, 3, key="share"),
                    f"{fr['found']}/{fr['n']}",
                ]
            )
        out += _table(
            ["assistant", "all key facts", "questions", "facts found", "found/total"], body
        )

    if report.get("tags"):
        out += ["## By tag", ""]
        for tag, per in report["tags"].items():
            out += [f"### {tag}", ""]
            out += _table(
                ["assistant", "n", *[label(m) for m in names]],
                [
                    [
                        a,
                        max((v["n"] for v in ms.values()), default=0),
                        *[_mean_ci(ms.get(m), specs[m].digits) for m in names],
                    ]
                    for a, ms in per.items()
                ],
            )

    if report.get("ratings") is not None:
        out += ["## Ratings", ""]
        out.append(
            f"Bradley–Terry on the Elo scale (1000 = the assistants' geometric mean), {pct}% "
            "intervals of a parametric bootstrap (each vote's outcome redrawn from the fitted "
            "model); a tie is half a win, both-bad votes are counted but not compared."
        )
        out.append("")
        out += _ratings_table(report["ratings"], pct)
        for tag, rs in (report.get("ratings_by_tag") or {}).items():
            out += [f"### Ratings: {tag}", "", *_ratings_table(rs, pct)]
    return "\n".join(out).rstrip() + "\n"


def _ratings_table(rows: Sequence[Mapping[str, Any]], pct: int) -> list[str]:
    return _table(
        ["assistant", "rating", f"{pct}% CI", "wins", "losses", "ties", "both bad"],
        [
            [
                r["assistant"],
                _fmt(r["rating"], 0),
                f"{_fmt(r['lo'], 0)} to {_fmt(r['hi'], 0)}",
                r["wins"],
                r["losses"],
                r["ties"],
                r["both_bad"],
            ]
            for r in rows
        ],
    )


def _jsonable(x: Any) -> Any:
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, Mapping):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.generic):
        return _jsonable(x.item())
    return x


def render_json(report: Mapping[str, Any]) -> str:
    """The report as JSON (NaN becomes null, so any JSON reader can load it)."""
    return json.dumps(_jsonable(report), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
