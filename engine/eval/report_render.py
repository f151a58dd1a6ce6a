"""The evaluation report rendered: Markdown (findings, summary, a table per assistant, key
facts, tags, ratings) and JSON.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from afina.engine.eval.contract import MetricSpec
from afina.engine.eval.report_findings import fmt


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
    est = fmt(entry[key], digits, sign)
    if not (math.isfinite(entry["lo"]) and math.isfinite(entry["hi"])):
        return est
    return f"{est} [{fmt(entry['lo'], digits, sign)}, {fmt(entry['hi'], digits, sign)}]"


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
                fmt(entry["mean"], s.digits),
                f"{fmt(entry['lo'], s.digits)} to {fmt(entry['hi'], s.digits)}",
                entry["n"],
            ]
            if a in report["paired"]:
                d = paired.get(m)
                row += (
                    [
                        fmt(d["diff"], s.digits, True),
                        f"{fmt(d['lo'], s.digits, True)} to {fmt(d['hi'], s.digits, True)}",
                        d["n"],
                    ]
                    if d
                    else ["–", "–", 0]
                )
            body.append(row)
        out += _table(header, body)
        if e.get("corpus"):
            out += _table(
                ["corpus metric", "value"], [[k, fmt(v, 2)] for k, v in e["corpus"].items()]
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

    if report.get("retrieval"):
        out += _retrieval_section(report["retrieval"])

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


def _retrieval_section(r: Mapping[str, Any]) -> list[str]:
    k = r["k"]
    out = ["## Retrieval", ""]
    out.append(
        f"Questions whose first source, and any of the first {k}, holds all their key facts "
        f"(the sources {', '.join(r.get('assistants') or ['retrieval'])} answered with)."
    )
    out.append("")
    rows = [("all", r["overall"]), *r.get("by_lang", {}).items()]
    body = [
        [
            lang,
            e["n"],
            "–" if e["hit_at_1"] is None else fmt(e["hit_at_1"], 3),
            "–" if e["hit_at_k"] is None else fmt(e["hit_at_k"], 3),
        ]
        for lang, e in rows
    ]
    return out + _table(["language", "questions", "hit@1", f"hit@{k}"], body)


def _ratings_table(rows: Sequence[Mapping[str, Any]], pct: int) -> list[str]:
    return _table(
        ["assistant", "rating", f"{pct}% CI", "wins", "losses", "ties", "both bad"],
        [
            [
                r["assistant"],
                fmt(r["rating"], 0),
                f"{fmt(r['lo'], 0)} to {fmt(r['hi'], 0)}",
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
