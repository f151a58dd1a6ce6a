"""An evaluation's examples: a table with each assistant's headline score, and the chosen
example in full, the question, the reference and every assistant's answer side by side."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from afina.engine.text import printable
from afina.tui.widgets.printable import PrintableTable, shown
from afina.tui.widgets.report_table import BEST_STYLE, best_of, metric_specs, number

QUESTION_WIDTH = 60
SOURCE_TEXT = 80  # characters of a source shown under an answer

Row = Mapping[str, Any]  # one line of answers.jsonl


def by_example(answers: Sequence[Row]) -> dict[str, dict[str, Row]]:
    """example → assistant → answer row, in the order the examples were evaluated."""
    out: dict[str, dict[str, Row]] = {}
    for row in answers:
        out.setdefault(str(row.get("example", "?")), {})[str(row.get("assistant", "?"))] = row
    return out


def headline(report: Mapping[str, Any], answers: Sequence[Row]) -> dict[str, Any] | None:
    """The metric the examples table shows: the report's first metric with a direction that
    the answers carry a score for (ROUGE-L in a usual report)."""
    scored = {k for row in answers for k in (row.get("scores") or {})}
    for spec in metric_specs(report):
        if spec["name"] in scored and spec.get("better"):
            return spec
    return None


def _short(text: str, width: int) -> str:
    one = " ".join(str(text).split())
    return one if len(one) <= width else one[: width - 1] + "…"


class ExampleTable(PrintableTable[Text | str]):
    """One row per example: id, tags, question, and the headline score of each assistant."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.examples: list[str] = []

    def show(
        self,
        report: Mapping[str, Any],
        grouped: Mapping[str, Mapping[str, Row]],
        keep: str | None = None,
    ) -> dict[str, Any] | None:
        """Fill the table, the cursor on ``keep`` if it is there; returns the headline
        metric's spec (None: no scores to show)."""
        self.clear(columns=True)
        assistants = list(report.get("assistants") or {})
        spec = headline(report, [r for rows in grouped.values() for r in rows.values()])
        self.add_column("example", key="example")
        self.add_column("tags", key="tags")
        self.add_column("question", key="question")
        if spec is not None:
            for a in assistants:
                self.add_column(a, key=f"score:{a}")
        self.examples = list(grouped)
        for ex, rows in grouped.items():
            first = next(iter(rows.values()))
            cells: list[Text | str] = [
                ex,
                ",".join(first.get("tags") or ()),
                _short(first.get("question", ""), QUESTION_WIDTH),
            ]
            if spec is not None:
                name, digits = spec["name"], int(spec.get("digits", 3))
                scores = {a: (rows[a].get("scores") or {}).get(name) for a in rows}
                best = best_of(scores, spec.get("better"))
                for a in assistants:
                    shown = number(scores[a], digits) if a in scores else "–"
                    cells.append(Text(shown, style=BEST_STYLE if a in best else ""))
            self.add_row(*cells, key=ex)
        if keep in self.examples:
            self.move_cursor(row=self.examples.index(keep), animate=False)
        return spec

    def highlighted(self) -> str | None:
        if not self.examples or self.cursor_row < 0:
            return None
        return self.examples[min(self.cursor_row, len(self.examples) - 1)]


def example_renderable(
    example: str, rows: Mapping[str, Row], report: Mapping[str, Any]
) -> RenderableType:
    """The question and the reference once, then one column per assistant: its answer, its
    scores (the best of each in green), its sources and its time."""
    first = next(iter(rows.values()))
    specs = {s["name"]: s for s in metric_specs(report)}
    head = Text()
    head.append(f"{example}", style="bold")
    if first.get("tags"):
        head.append(f"  [{', '.join(first['tags'])}]", style="dim")
    head.append("\nQuestion: ", style="bold")
    head.append(str(first.get("question", "")))
    head.append("\nReference: ", style="bold")
    head.append(str(first.get("reference", "")))

    table = Table(expand=True, show_lines=True, padding=(0, 1))
    names = list(rows)
    for a in names:
        table.add_column(printable(a), ratio=1, overflow="fold")
    # A rich Table, not a PrintableTable: its cells are made printable here.
    table.add_row(*[Text(printable(str(rows[a].get("answer", "")))) for a in names])
    metrics = [m for m in specs if any(m in (rows[a].get("scores") or {}) for a in names)]
    metrics += sorted(
        {k for a in names for k in rows[a].get("scores") or {}} - set(metrics) - set(specs)
    )
    best = {
        m: best_of(
            {a: (rows[a].get("scores") or {}).get(m) for a in names},
            specs.get(m, {}).get("better"),
        )
        for m in metrics
    }
    cells = []
    for a in names:
        scores = rows[a].get("scores") or {}
        text = Text()
        for m in metrics:
            if m not in scores:
                continue
            spec = specs.get(m, {"label": m, "digits": 3})
            line = f"{spec['label']}: {number(scores[m], int(spec.get('digits', 3)))}\n"
            text.append(line, style=BEST_STYLE if a in best[m] else "")
        if rows[a].get("seconds") is not None:
            text.append(f"{number(rows[a]['seconds'], 2)} s", style="dim")
        text.rstrip()
        cells.append(text)
    table.add_row(*cells)
    if any(rows[a].get("sources") for a in names):
        table.add_row(*[shown(_sources(rows[a].get("sources") or [])) for a in names])
    return Group(shown(head), Text(""), table)


def _sources(sources: Sequence[Mapping[str, Any]]) -> Text:
    text = Text()
    for n, s in enumerate(sources, 1):
        text.append(f"[{n}] {s.get('key', '?')} ({number(s.get('score'), 2)})\n", style="dim")
        text.append(_short(s.get("text", ""), SOURCE_TEXT) + "\n", style="dim italic")
    text.rstrip()
    return text


class ExampleDetail(Static):
    def show(self, example: str, rows: Mapping[str, Row], report: Mapping[str, Any]) -> None:
        self.update(example_renderable(example, rows, report))

    def clear(self, note: str) -> None:
        self.update(note)
