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

The statistics live in :mod:`report_stats`, the sentences in :mod:`report_findings`, and
the Markdown and JSON renderings in :mod:`report_render`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from afina.engine.eval.contract import MetricSpec, metric_spec
from afina.engine.eval.ratings import Rating
from afina.engine.eval.report_findings import findings
from afina.engine.eval.report_stats import ReportData, ReportStats
from afina.engine.eval.stats import Interval, wilson_interval


def _iv(ci: Interval, n: int, key: str = "mean") -> dict[str, Any]:
    return {key: ci.estimate, "lo": ci.lo, "hi": ci.hi, "n": n}


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
    data = ReportData(rows)
    assistants = data.assistants()
    if baseline is not None and baseline not in assistants:
        raise ValueError(f"baseline {baseline!r} has no rows; assistants: {', '.join(assistants)}")
    if target is not None and target not in assistants:
        raise ValueError(f"target {target!r} has no rows; assistants: {', '.join(assistants)}")
    if goals and (baseline is None or target is None):
        raise ValueError("goals compare a target with a baseline: name both")
    st = ReportStats(data, n_boot, seed, level)
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
        sub_st = ReportStats(sub, n_boot, seed, level)
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
    st: ReportStats,
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
