"""The evaluation report as tables: the saved evaluations to pick from, and one row per
assistant with each metric's mean and interval, the best of each column marked.

A report read back from JSON has ``null`` where the engine had NaN (an interval over one
example, a metric an assistant never got), so every number here may be missing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text

from afina.engine.eval.saved import SavedEval
from afina.tui.widgets.printable import PrintableTable

BEST_STYLE = "bold green"
ARROWS = {"higher": "↑", "lower": "↓"}


def number(x: Any, digits: int) -> str:
    if not isinstance(x, (int, float)) or not math.isfinite(x):
        return "n/a"
    return f"{x:.{digits}f}"


def interval_text(entry: Mapping[str, Any] | None, digits: int, key: str = "mean") -> str:
    """``0.512 [0.410, 0.600]``; the mean alone when the interval is missing."""
    if not entry:
        return "–"
    est = number(entry.get(key), digits)
    lo, hi = entry.get("lo"), entry.get("hi")
    if lo is None or hi is None:
        return est
    return f"{est} [{number(lo, digits)}, {number(hi, digits)}]"


def metric_label(spec: Mapping[str, Any], arrow: bool = True) -> str:
    unit = f" ({spec['unit']})" if spec.get("unit") else ""
    mark = ARROWS.get(spec.get("better") or "", "") if arrow else ""
    return f"{spec['label']}{unit}" + (f" {mark}" if mark else "")


def best_of(values: Mapping[str, Any], better: str | None) -> set[str]:
    """The names whose value is best in the metric's direction (all of them on a tie);
    nobody for a metric without a direction or with fewer than two values to compare."""
    usable = {
        k: float(v) for k, v in values.items() if isinstance(v, (int, float)) and math.isfinite(v)
    }
    if better not in ARROWS or len(usable) < 2:
        return set()
    top = max(usable.values()) if better == "higher" else min(usable.values())
    return {k for k, v in usable.items() if v == top}


def metric_specs(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [dict(m) for m in report.get("metrics") or []]


# -- the saved evaluations ---------------------------------------------------------------------


@dataclass(frozen=True)
class Listed:
    """A saved evaluation with its report, or why the report could not be read."""

    saved: SavedEval
    report: dict[str, Any] | None
    error: str | None = None

    @property
    def key(self) -> str:
        return str(self.saved.folder)

    def assistants(self) -> list[str]:
        return list((self.report or {}).get("assistants") or {})


class EvalList(PrintableTable[Text | str]):
    """The workspace's evaluations, newest first, keyed by their folder."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.keys: list[str] = []

    def on_mount(self) -> None:
        self.add_columns("evaluated", "run", "examples", "assistants")

    def show(self, entries: Sequence[Listed], keep: str | None) -> None:
        self.clear()
        self.keys = [e.key for e in entries]
        for e in entries:
            examples = (e.report or {}).get("examples") or {}
            shown = f"{examples.get('n', '?')} from {examples['from']}" if examples else ""
            who: Text | str = (
                Text(f"unreadable: {e.error}", style="red")
                if e.error
                else ", ".join(e.assistants())
            )
            self.add_row(e.saved.stamp, e.saved.run or "–", shown, who, key=e.key)
        if keep in self.keys:
            self.move_cursor(row=self.keys.index(keep), animate=False)

    def highlighted(self) -> str | None:
        if not self.keys or self.cursor_row < 0:
            return None
        return self.keys[min(self.cursor_row, len(self.keys) - 1)]


# -- the report --------------------------------------------------------------------------------


class ReportTable(PrintableTable[Text | str]):
    """Assistants × metrics: mean [interval] per cell, the best of each column in green."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.assistants: list[str] = []

    def show(self, report: Mapping[str, Any]) -> None:
        self.clear(columns=True)
        specs = metric_specs(report)
        entries: Mapping[str, Mapping[str, Any]] = report.get("assistants") or {}
        self.assistants = list(entries)
        facts = any("fact_recall" in e for e in entries.values())
        self.add_column("assistant", key="assistant")
        self.add_column("n", key="n")
        for s in specs:
            self.add_column(metric_label(s), key=s["name"])
        if facts:
            self.add_column("Facts found (pooled) ↑", key="fact_recall")
        best = {
            s["name"]: best_of(
                {
                    a: (e.get("metrics") or {}).get(s["name"], {}).get("mean")
                    for a, e in entries.items()
                },
                s.get("better"),
            )
            for s in specs
        }
        best_facts = best_of(
            {a: (e.get("fact_recall") or {}).get("share") for a, e in entries.items()}, "higher"
        )
        for a, e in entries.items():
            cells: list[Text | str] = [Text(a, style="bold"), str(e.get("n", ""))]
            for s in specs:
                text = interval_text(
                    (e.get("metrics") or {}).get(s["name"]), int(s.get("digits", 3))
                )
                cells.append(Text(text, style=BEST_STYLE if a in best[s["name"]] else ""))
            if facts:
                fr = e.get("fact_recall")
                text = interval_text(fr, 3, key="share")
                if fr:
                    text += f" {fr.get('found', '?')}/{fr.get('n', '?')}"
                cells.append(Text(text, style=BEST_STYLE if a in best_facts else ""))
            self.add_row(*cells, key=a)
