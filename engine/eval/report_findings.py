"""The report's findings: plain sentences built from the intervals only, saying which goals
were met, who does best on each metric, and the tags where another assistant clearly beats
the overall leader.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from afina.engine.eval.contract import MetricSpec, metric_spec
from afina.engine.eval.report_stats import ReportData, ReportStats
from afina.engine.eval.stats import Interval


def fmt(x: float, digits: int, sign: bool = False) -> str:
    if not math.isfinite(x):
        return "n/a"
    text = f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"
    return text.replace("-", "−")


def ci_text(ci: Interval, digits: int, sign: bool = True, level: float = 0.95) -> str:
    return (
        f"{fmt(ci.estimate, digits, sign)}, {round(level * 100)}% CI "
        f"{fmt(ci.lo, digits, sign)} to {fmt(ci.hi, digits, sign)}"
    )


def _clear(st: ReportStats, a: str, b: str, m: str, spec: MetricSpec) -> tuple[bool, Interval]:
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


def _metric_sentence(st: ReportStats, m: str, spec: MetricSpec, among: Sequence[str]) -> str | None:
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
        text = f"{other} (Δ {ci_text(ci, spec.digits, level=st.level)})"
        (ahead if clear else level).append(text)
    best_text = f"{best} ({fmt(means[best], spec.digits)})"
    if not ahead:
        return f"{label}: no clear difference; {best_text} against " + _join(level) + "."
    sentence = f"{label}: {best} does best ({fmt(means[best], spec.digits)}), clearly "
    sentence += ("ahead of " if spec.better == "higher" else "better than ") + _join(ahead)
    if level:
        sentence += "; no clear difference from " + _join(level)
    return sentence + "."


def findings(
    data: ReportData,
    st: ReportStats,
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
        what = f"{ci_text(ci, s.digits, level=st.level)}; goal {fmt(g['least'], s.digits, True)}"
        if g["met"]:
            out.append(f"Goal met: {vs}: {what}; the interval excludes zero.")
        elif not g["n"]:
            out.append(f"Goal not measured: {vs}: no common examples.")
        elif not ci.excludes(0.0):
            out.append(f"Goal not met: {vs}: {what}; the interval includes zero.")
        else:
            out.append(f"Goal not met: {vs}: {what}; the gain is short of the goal.")
    assistants = data.assistants()
    main = next((m for m in ("rouge_l", *names) if m in spec and spec[m].better), None)
    if main is not None:
        out.extend(verdict(st, assistants, main, spec[main]))
    for m in names:
        sentence = _metric_sentence(st, m, spec[m], assistants)
        if sentence:
            out.append(sentence)
    # Where another assistant does better: tags whose leader clearly beats the overall leader.
    for tag in data.tags():
        sub = data.subset(tag)
        sub_st = ReportStats(sub, st.n_boot, st.seed, st.level)
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
                    f"(Δ {ci_text(ci, s.digits, level=st.level)}), although {overall} "
                    "leads overall."
                )
    return out


TUNED = ("ft+rag", "ft")
UNTUNED = ("rag", "few-shot", "base")


def verdict(st: ReportStats, among: Sequence[str], m: str, spec: MetricSpec) -> list[str]:
    """The answer the evaluation exists for: which assistant to use, and whether fine-tuning
    beats what retrieval and prompting give without it, with the interval of the difference."""
    best = _leader(st, among, m, spec)
    if best is None:
        return []
    label = spec.label
    out = [f"Recommended assistant: {best}, the best on {label}."]
    tuned = _leader(st, [a for a in TUNED if a in among], m, spec)
    if tuned is None:
        return out
    # Against every assistant without training, strongest first: "beats" needs a clear lead
    # over each of them, not only over the one with the best mean (two may be near equal).
    plains = sorted(
        (a for a in UNTUNED if a in among and st.summary(a, m, spec)[1]),
        key=lambda a: st.summary(a, m, spec)[0].estimate,
        reverse=spec.better == "higher",
    )
    if not plains:
        return out
    sign = 1.0 if spec.better == "higher" else -1.0
    compared = [(p, *_clear(st, tuned, p, m, spec)) for p in plains]

    def delta(p: str, ci: Interval) -> str:
        return f"{tuned} − {p} {ci_text(ci, spec.digits, level=st.level)}"

    lost = [(p, ci) for p, clear, ci in compared if clear and sign * ci.estimate < 0]
    unclear = [(p, ci) for p, clear, ci in compared if not clear]
    if lost:
        p, ci = lost[0]
        out.append(
            f"Retrieval and prompting beat fine-tuning for this domain on {label} "
            f"({delta(p, ci)}): {p} serves it better without training."
        )
    elif unclear:
        p, ci = unclear[0]
        ahead = [q for q, clear, _ in compared if clear]
        also = f"; {tuned} is clearly ahead of {_join(ahead)}" if ahead else ""
        out.append(
            f"Fine-tuning vs retrieval and prompting: no clear difference on {label} "
            f"({delta(p, ci)}){also}."
        )
    else:
        p, _, ci = compared[0]
        out.append(
            f"Fine-tuning beats retrieval and prompting for this domain on {label} "
            f"({delta(p, ci)})."
        )
    return out


def _leader(st: ReportStats, among: Sequence[str], m: str, spec: MetricSpec) -> str | None:
    means = {}
    for a in among:
        ci, n = st.summary(a, m, spec)
        if n and math.isfinite(ci.estimate):
            means[a] = ci.estimate
    if not means:
        return None
    pick = max if spec.better == "higher" else min
    return pick(means, key=lambda a: means[a])
