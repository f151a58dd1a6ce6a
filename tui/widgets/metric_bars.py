"""One bar chart per metric: each assistant's mean as a bar, its 95% interval shaded.

Text bars rather than plotext: a plotext bar chart has no way to show an interval, and its
horizontal bars blur into each other at the few rows a chart gets here, while the interval is
the point (two bars whose shaded ends overlap are no clear difference). Drawn with block
characters, the bars stay readable in any terminal and over SSH.

    ROUGE-L ↑
      ft     ██████████▓▓▓░░░░              0.512 [0.410, 0.600]
      base   ██▓▓░                          0.120 [0.080, 0.150]

█ up to the interval's low end, ▓ from there to the mean, ░ from the mean to the high end.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, TypeGuard

from rich.console import Group
from rich.text import Text
from textual.widgets import Static

from afina.tui.widgets.printable import shown
from afina.tui.widgets.report_table import (
    BEST_STYLE,
    best_of,
    interval_text,
    metric_label,
    metric_specs,
)

WIDTH = 40  # characters of the longest bar
BAR_STYLE = "cyan"
LEGEND = "█ sure  ▓ interval below the mean  ░ interval above it; green: best"


def _finite(x: Any) -> TypeGuard[float]:
    return isinstance(x, (int, float)) and math.isfinite(x)


def scale_top(entries: Mapping[str, Mapping[str, Any] | None]) -> float:
    """The value a full bar stands for: 1 for shares (every value within [0, 1]), else the
    largest high end, so bars of one metric compare with each other, never across metrics."""
    tops = [
        float(v) for e in entries.values() if e for v in (e.get("hi"), e.get("mean")) if _finite(v)
    ]
    if not tops:
        return 1.0
    if all(0.0 <= t <= 1.0 for t in tops):
        return 1.0
    return max(max(tops), 1e-9)


def bar(entry: Mapping[str, Any], top: float, width: int = WIDTH, style: str = BAR_STYLE) -> Text:
    """A bar of ``width`` cells for one assistant's mean and interval; negative values (a
    metric that can go below zero) draw as an empty bar rather than a reversed one."""

    def cells(x: Any) -> int:
        if not _finite(x):
            return 0
        return max(0, min(width, round(float(x) / top * width)))

    mean = cells(entry.get("mean"))
    lo = cells(entry.get("lo")) if _finite(entry.get("lo")) else mean
    hi = cells(entry.get("hi")) if _finite(entry.get("hi")) else mean
    lo, hi = min(lo, mean), max(hi, mean)
    text = Text()
    text.append("█" * lo, style=style)
    text.append("▓" * (mean - lo), style=style)
    text.append("░" * (hi - mean), style=style)
    text.append(" " * (width - hi))
    return text


def chart(report: Mapping[str, Any], width: int = WIDTH) -> Group:
    entries: Mapping[str, Mapping[str, Any]] = report.get("assistants") or {}
    name_width = max((len(a) for a in entries), default=0) + 2
    parts: list[Text] = []
    for spec in metric_specs(report):
        name, digits = spec["name"], int(spec.get("digits", 3))
        per = {a: (e.get("metrics") or {}).get(name) for a, e in entries.items()}
        if not any(per.values()):
            continue
        best = best_of({a: (v or {}).get("mean") for a, v in per.items()}, spec.get("better"))
        top = scale_top(per)
        parts.append(Text(metric_label(spec), style="bold"))
        for a, entry in per.items():
            line = Text("  " + a.ljust(name_width), style=BEST_STYLE if a in best else "")
            if entry:
                style = "green" if a in best else BAR_STYLE
                line.append_text(bar(entry, top, width, style))
                line.append(f"  {interval_text(entry, digits)}")
            else:
                line.append("–")
            parts.append(line)
        parts.append(Text(""))
    if not parts:
        return Group(Text("No metrics in this report."))
    parts.append(Text(LEGEND, style="dim"))
    return Group(*parts)


class MetricBars(Static):
    def show(self, report: Mapping[str, Any]) -> None:
        self.update(shown(chart(report)))

    def clear(self, note: str = "") -> None:
        self.update(note)
