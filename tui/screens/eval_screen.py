"""Evaluate: the saved evaluations (``afina eval`` writes them), the chosen one's report as a
table with intervals, its findings and goals, bars per metric, and every example's answers.

This screen only reads: ``runs/<id>/eval/<stamp>/`` is written whole by the evaluation (the
report last), so whatever is listed is complete. Reports are read in a worker when listing
(they are small); the answers, which can be large, only for the evaluation chosen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Label, Static, TabbedContent, TabPane
from textual.worker import Worker

from afina.engine.errors import AfinaError
from afina.engine.eval.saved import SavedEval, list_evals
from afina.engine.workspace import Workspace
from afina.tui.screens.base import AfinaScreen
from afina.tui.widgets.example_view import ExampleDetail, ExampleTable, by_example
from afina.tui.widgets.metric_bars import MetricBars
from afina.tui.widgets.printable import shown
from afina.tui.widgets.report_table import EvalList, Listed, ReportTable, metric_label, number

EMPTY = (
    "No evaluations yet. Score the assistants on the held-out questions with "
    "`afina eval --run ID` (ID from `afina jobs list`), then press r here."
)
ANSWERS_GROUP = "eval-answers"


class EvalsListed(Message):
    """Every saved evaluation with its report, newest first."""

    def __init__(self, entries: Sequence[Listed]) -> None:
        super().__init__()
        self.entries = list(entries)


class AnswersLoaded(Message):
    """The answers of the evaluation in folder ``key`` (stale once another is chosen)."""

    def __init__(self, key: str, answers: Sequence[Mapping[str, Any]]) -> None:
        super().__init__()
        self.key = key
        self.answers = list(answers)


def head_text(saved: SavedEval, report: Mapping[str, Any]) -> Text:
    """One line on what was evaluated, and warnings worth reading before the numbers."""
    examples = report.get("examples") or {}
    text = Text()
    text.append(report.get("title", "evaluation"), style="bold")
    text.append(f" · {saved.stamp} · run {saved.run or '– (base assistants only)'}")
    if examples:
        text.append(f" · {examples.get('n', '?')} examples from {examples.get('from', '?')}")
    level = report.get("level")
    if isinstance(level, (int, float)):
        text.append(f" · {round(level * 100)}% intervals")
    if report.get("baseline"):
        text.append(f" · baseline {report['baseline']}")
    leakage = report.get("leakage")
    if leakage and leakage.get("flagged"):
        n = len(leakage["flagged"])
        text.append(
            f"\n⚠ {n} of {leakage.get('checked', '?')} references leak into the training data "
            "or the index: their scores flatter the assistants (see Findings).",
            style="bold yellow",
        )
    return text


def _bullets(sentences: Sequence[str]) -> Table:
    """One sentence a bullet, wrapped lines indented under the text rather than the bullet."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=3, justify="right")
    grid.add_column(ratio=1)
    for s in sentences:
        grid.add_row("•", s)
    return grid


def findings_renderable(report: Mapping[str, Any]) -> Group:
    """Goals (met or not) first, then the findings sentences, forgetting and leakage."""
    specs = {s["name"]: s for s in report.get("metrics") or []}
    parts: list[RenderableType] = []
    goals = report.get("goals") or []
    if goals:
        parts.append(Text("Goals", style="bold"))
        for g in goals:
            spec = specs.get(g["metric"], {"label": g["metric"], "digits": 3})
            digits = int(spec.get("digits", 3))
            mark, style = ("✔ met", "bold green") if g.get("met") else ("✘ not met", "bold red")
            line = Text("  ")
            line.append(mark, style=style)
            line.append(
                f"  {g.get('target')} vs {g.get('baseline')} on {metric_label(spec, False)}: "
                f"Δ {number(g.get('diff'), digits)} [{number(g.get('lo'), digits)}, "
                f"{number(g.get('hi'), digits)}], goal +{number(g.get('least'), digits)}"
            )
            parts.append(line)
        parts.append(Text(""))
    sentences = report.get("findings") or []
    parts.append(Text("Findings", style="bold"))
    if not sentences:
        parts.append(Text("  No findings: fewer than two assistants to compare.", style="dim"))
    else:
        parts.append(_bullets(sentences))
    forgetting = report.get("forgetting")
    if forgetting:
        parts += [Text(""), Text("Forgetting", style="bold")]
        ratio = forgetting.get("ratio")
        worse = isinstance(ratio, (int, float)) and ratio > 1.0
        parts.append(
            Text(
                f"  Perplexity on {forgetting.get('texts', '?')} general texts: "
                f"{number(forgetting.get('before'), 2)} before tuning, "
                f"{number(forgetting.get('after'), 2)} after (× {number(ratio, 2)}).",
                style="yellow" if worse else "",
            )
        )
    leakage = report.get("leakage")
    if leakage:
        flagged = leakage.get("flagged") or []
        parts += [Text(""), Text("Leakage", style="bold")]
        parts.append(
            Text(f"  {len(flagged)} of {leakage.get('checked', '?')} references found in the data.")
        )
        for f in flagged:
            parts.append(
                Text(
                    f"  {f.get('example')}: in {f.get('where')} as {f.get('key')} "
                    f"({number(f.get('similarity'), 2)} of its 5-grams)",
                    style="yellow",
                )
            )
    return Group(*parts)


class EvalScreen(AfinaScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "Refresh"),
        Binding("f", "tab('tab-findings')", "Findings"),
        Binding("b", "tab('tab-bars')", "Bars"),
        Binding("x", "tab('tab-examples')", "Examples"),
        Binding("escape", "back", "Back", show=False),
    ]

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self.ws = ws
        self.title = "afina · Evaluate"
        self.sub_title = ws.config.workspace.name
        self._entries: dict[str, Listed] = {}
        self._key: str | None = None  # the evaluation shown
        self._grouped: dict[str, dict[str, Mapping[str, Any]]] = {}  # its answers by example

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("Evaluations", id="evals-title", classes="pane-title")
        yield EvalList(id="evals")
        with Vertical(id="eval-main"):
            yield Static(id="eval-head")
            yield ReportTable(id="report")
            with TabbedContent(id="eval-tabs"):
                with TabPane("Findings", id="tab-findings"), VerticalScroll():
                    yield Static(id="findings")
                with TabPane("Bars", id="tab-bars"), VerticalScroll():
                    yield MetricBars(id="bars")
                with TabPane("Examples", id="tab-examples"):
                    yield ExampleTable(id="examples")
                    with VerticalScroll(id="example-scroll"):
                        yield ExampleDetail(id="example-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(EvalList).focus()
        self.query_one("#eval-head", Static).update("Reading the evaluations…")
        self._list()

    def on_screen_resume(self) -> None:
        self._list()  # `afina eval` may have written one meanwhile

    # -- workers --------------------------------------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="eval-list",
        description="Listing evaluations",
    )
    def _list(self) -> None:
        entries = []
        for saved in list_evals(self.ws):
            try:
                entries.append(Listed(saved, saved.report()))
            except AfinaError as e:  # one damaged report must not hide the others
                entries.append(Listed(saved, None, str(e)))
        self.post_message(EvalsListed(entries))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group=ANSWERS_GROUP,
        description="Reading answers",
    )
    def _load_answers(self, key: str, saved: SavedEval) -> None:
        self.post_message(AnswersLoaded(key, saved.answers()))

    def worker_failed(self, worker: Worker[object]) -> None:
        if worker.group == ANSWERS_GROUP:
            self.query_one(ExampleDetail).clear("The answers of this evaluation could not be read.")

    # -- results --------------------------------------------------------------------------

    def on_evals_listed(self, message: EvalsListed) -> None:
        self._entries = {e.key: e for e in message.entries}
        n = len(message.entries)
        self.query_one("#evals-title", Label).update(f"Evaluations · {n}")
        table = self.query_one(EvalList)
        table.show(message.entries, keep=self._key)
        main = self.query_one("#eval-main")
        if not message.entries:
            self._key = None
            main.add_class("empty")
            self.query_one("#eval-head", Static).update(EMPTY)
            return
        main.remove_class("empty")
        chosen = self._key if self._key in self._entries else table.highlighted()
        if chosen is not None:
            self._choose(chosen, again=True)

    def on_answers_loaded(self, message: AnswersLoaded) -> None:
        entry = self._entries.get(message.key)
        if message.key != self._key or entry is None or entry.report is None:
            return  # another evaluation was chosen meanwhile
        table = self.query_one(ExampleTable)
        keep = table.highlighted()  # a refresh keeps the example being read
        self._grouped = by_example(message.answers)
        spec = table.show(entry.report, self._grouped, keep)
        pane = self.query_one("#tab-examples", TabPane)
        scores = f" · {spec['label']}" if spec else ""
        self.query_one(TabbedContent).get_tab(
            pane
        ).label = f"Examples ({len(self._grouped)}){scores}"
        if self._grouped:
            self._show_example(table.highlighted())
        else:
            self.query_one(ExampleDetail).clear("This evaluation saved no answers.")

    # -- choosing -------------------------------------------------------------------------

    def _choose(self, key: str, again: bool = False) -> None:
        if key == self._key and not again:
            return
        entry = self._entries.get(key)
        if entry is None:
            return
        changed = key != self._key
        self._key = key
        if changed:
            self._grouped = {}
            self.query_one(ExampleTable).clear(columns=True)
            self.query_one(ExampleDetail).clear("Reading the answers…")
        if entry.report is None:
            self._unreadable(entry.saved, entry.error or "")
            return
        report = entry.report
        try:
            self.query_one("#eval-head", Static).update(shown(head_text(entry.saved, report)))
            self.query_one(ReportTable).show(report)
            self.query_one("#findings", Static).update(shown(findings_renderable(report)))
            self.query_one(MetricBars).show(report)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            # Valid JSON that is not a report (edited by hand, another version): say so
            # rather than let one file take the screen down.
            self._unreadable(entry.saved, f"not a report afina can read ({type(e).__name__}: {e})")
            return
        self._load_answers(key, entry.saved)

    def _unreadable(self, saved: SavedEval, why: str) -> None:
        self.query_one("#eval-head", Static).update(
            shown(Text(f"{saved.stamp}: {why}", style="red"))
        )
        self.query_one(ReportTable).clear(columns=True)
        self.query_one(MetricBars).clear()
        self.query_one("#findings", Static).update("")
        self.query_one(ExampleDetail).clear("")

    @on(DataTable.RowHighlighted, "#evals")
    def _eval_highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = str(event.row_key.value)
        if key == self.query_one(EvalList).highlighted():  # not a stale highlight
            self._choose(key)

    @on(DataTable.RowHighlighted, "#examples")
    def _example_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_example(str(event.row_key.value))

    def _show_example(self, example: str | None) -> None:
        entry = self._entries.get(self._key or "")
        if example is None or example not in self._grouped or entry is None or not entry.report:
            return
        self.query_one(ExampleDetail).show(example, self._grouped[example], entry.report)

    # -- actions --------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.notify("Reading the evaluations again…", timeout=2)
        self._list()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab == "tab-examples":
            self.query_one(ExampleTable).focus()

    def action_back(self) -> None:
        self.query_one(EvalList).focus()
