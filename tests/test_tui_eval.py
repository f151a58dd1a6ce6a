"""The Evaluate screen driven by Pilot over evaluations saved on disk from synthetic scores
(build_report and saved.save, as `afina eval` writes them), plus a snapshot."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Label, Static, TabbedContent
from textual.worker import WorkerCancelled, WorkerFailed

from afina.engine.eval.report import build_report
from afina.engine.eval.saved import list_evals, new_folder, save
from afina.engine.workspace import Workspace, init_workspace
from afina.tui.app import AfinaApp
from afina.tui.screens.eval_screen import EMPTY, EvalScreen
from afina.tui.widgets.example_view import ExampleDetail, ExampleTable
from afina.tui.widgets.metric_bars import MetricBars, bar, scale_top
from afina.tui.widgets.report_table import EvalList, ReportTable, best_of

SIZE = (120, 40)
RUN = "20250101-100000-aaaa"
ASSISTANTS = ("base", "rag", "ft")
# Per-assistant ROUGE-L levels: ft clearly best, base clearly worst, so the findings and the
# highlighted column are not a matter of bootstrap luck.
LEVEL = {"base": 0.10, "rag": 0.30, "ft": 0.60}


def scores(assistant: str, i: int) -> dict[str, float]:
    wobble = ((i * (ASSISTANTS.index(assistant) + 2)) % 5) * 0.02
    return {
        "rouge_l": round(LEVEL[assistant] + wobble, 3),
        "token_f1": round(LEVEL[assistant] + 0.05 + wobble, 3),
        "facts": 1.0 if assistant == "ft" or i % 2 else 0.0,
    }


def rows_and_answers(n: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows, answers = [], []
    for i in range(1, n + 1):
        ex, tags = f"pt-{i:03d}", ["pt"] if i % 2 else ["en"]
        for a in ASSISTANTS:
            s = scores(a, i)
            rows.append({"assistant": a, "example": ex, "tags": tags, **s, "latency_s": 0.5})
            answers.append(
                {
                    "example": ex,
                    "assistant": a,
                    "question": f"What are the opening hours of shop {i}?",
                    "reference": f"Shop {i} opens at 9 and closes at 18.",
                    "answer": f"{a} says shop {i} opens at {8 + ASSISTANTS.index(a)}.",
                    "sources": (
                        [{"key": f"pair:{i}", "score": 0.91, "text": f"Shop {i} hours: 9-18"}]
                        if a == "rag"
                        else []
                    ),
                    "tags": tags,
                    "scores": s,
                    "seconds": 0.5,
                }
            )
    return rows, answers


def write_eval(ws: Workspace, n: int = 6, stamp: str | None = None, run: str | None = RUN) -> Path:
    """A saved evaluation; ``stamp`` fixes the folder name (the snapshot needs it stable)."""
    rows, answers = rows_and_answers(n)
    report = build_report(
        rows,
        baseline="base",
        target="ft",
        goals={"rouge_l": 0.25, "token_f1": 0.9},
        n_boot=200,
    )
    report |= {
        "run": run,
        "examples": {"from": "test", "n": n},
        "forgetting": {"before": 10.0, "after": 11.5, "ratio": 1.15, "texts": 20},
        "leakage": {
            "checked": n,
            "flagged": [
                {"example": "pt-002", "where": "train", "key": "pair:17", "similarity": 0.93}
            ],
        },
    }
    run_dir = ws.root / "runs" / run if run else None
    if stamp is None:
        folder = new_folder(ws, run_dir)
    else:
        folder = (run_dir / "eval" if run_dir else ws.root / "evals") / stamp
        folder.mkdir(parents=True)
    save(folder, report, answers)
    return folder


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("HOME", str(tmp_path))
    workspace, _ = init_workspace(tmp_path / "ws")
    monkeypatch.chdir(workspace.root)
    return workspace


def plain(widget: Static) -> str:
    out = io.StringIO()
    Console(width=200, file=out, color_system=None).print(widget.content)
    return out.getvalue()


async def settle(pilot: Pilot[None]) -> None:
    for _ in range(5):
        for worker in list(pilot.app.workers):
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await worker.wait()
        await pilot.pause()


async def open_eval(pilot: Pilot[None]) -> EvalScreen:
    await pilot.press("e")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, EvalScreen)
    return screen


def cell(table: Any, row: str, column: str) -> Any:
    return table.get_cell(row, column)


# -- the report --------------------------------------------------------------------------------


async def test_report_table_shows_each_assistant_with_intervals_and_marks_the_best(
    ws: Workspace,
) -> None:
    folder = write_eval(ws)
    report = list_evals(ws)[0].report()
    app = AfinaApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_eval(pilot)
        assert screen.query_one(EvalList).keys == [str(folder)]
        table = screen.query_one(ReportTable)
        assert table.assistants == list(ASSISTANTS)
        ft = report["assistants"]["ft"]["metrics"]["rouge_l"]
        shown = cell(table, "ft", "rouge_l")
        assert str(shown) == f"{ft['mean']:.3f} [{ft['lo']:.3f}, {ft['hi']:.3f}]"
        # ft leads ROUGE-L and is marked; base trails and is not. Latency is lower-better and
        # the same for all: everyone ties for best.
        assert "green" in str(shown.style)
        assert "green" not in str(cell(table, "base", "rouge_l").style)
        assert all("green" in str(cell(table, a, "latency_s").style) for a in ASSISTANTS)
        # The run, the examples' origin and the leakage warning are said above the table.
        head = plain(screen.query_one("#eval-head", Static))
        assert RUN in head and "6 examples from test" in head
        assert "1 of 6 references leak" in head


async def test_findings_goals_forgetting_and_bars(ws: Workspace) -> None:
    write_eval(ws)
    app = AfinaApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_eval(pilot)
        text = plain(screen.query_one("#findings", Static))
        # rouge_l: ft − base ≈ 0.5 ≥ 0.25 is met; token_f1 needs 0.9 and is not.
        assert "✔ met  ft vs base on ROUGE-L" in text
        assert "✘ not met  ft vs base on Token F1" in text
        assert "ROUGE-L: ft does best" in text
        assert "10.00 before tuning, 11.50 after" in text
        assert "pt-002: in train as pair:17" in text

        await pilot.press("b")
        assert screen.query_one(TabbedContent).active == "tab-bars"
        bars = plain(screen.query_one(MetricBars))
        ft_line = next(line for line in bars.splitlines() if line.strip().startswith("ft"))
        base_line = next(line for line in bars.splitlines() if line.strip().startswith("base"))
        # The longer bar belongs to the higher mean (the first chart is ROUGE-L).
        assert ft_line.count("█") + ft_line.count("▓") > base_line.count("█") + base_line.count("▓")


async def test_drill_down_shows_every_assistants_answer_and_scores(ws: Workspace) -> None:
    write_eval(ws)
    app = AfinaApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_eval(pilot)
        await pilot.press("x")
        await settle(pilot)
        table = screen.query_one(ExampleTable)
        assert table.examples == [f"pt-{i:03d}" for i in range(1, 7)]
        # The headline score is ROUGE-L, per assistant.
        assert str(cell(table, "pt-001", "score:ft")) == f"{scores('ft', 1)['rouge_l']:.3f}"
        assert "Examples (6) · ROUGE-L" in str(
            screen.query_one(TabbedContent).get_tab("tab-examples").label
        )

        await pilot.press("down")  # pt-002
        await pilot.pause()
        detail = plain(screen.query_one(ExampleDetail))
        assert "What are the opening hours of shop 2?" in detail
        assert "Reference: Shop 2 opens at 9 and closes at 18." in detail
        for a in ASSISTANTS:
            assert f"{a} says shop 2 opens at {8 + ASSISTANTS.index(a)}." in detail
        assert f"ROUGE-L: {scores('rag', 2)['rouge_l']:.3f}" in detail
        assert "pair:2 (0.91)" in detail  # rag's source


async def test_choosing_another_evaluation_and_refresh(ws: Workspace) -> None:
    old = write_eval(ws, n=4, stamp="20240101-000000")
    app = AfinaApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_eval(pilot)
        assert screen.query_one(EvalList).keys == [str(old)]
        new = write_eval(ws, n=6, stamp="20250101-000000", run=None)  # by `afina eval` meanwhile
        await pilot.press("r")
        await settle(pilot)
        assert screen.query_one(EvalList).keys == [str(new), str(old)]
        assert "Evaluations · 2" in str(screen.query_one("#evals-title", Label).content)
        # Still on the evaluation being read; the new one is a keypress away.
        assert "4 examples from test" in plain(screen.query_one("#eval-head", Static))
        await pilot.press("up")
        await settle(pilot)
        head = plain(screen.query_one("#eval-head", Static))
        assert "6 examples from test" in head and "base assistants only" in head
        await pilot.press("x")
        await settle(pilot)
        assert len(screen.query_one(ExampleTable).examples) == 6


async def test_no_evaluations_says_how_to_make_one(ws: Workspace) -> None:
    app = AfinaApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_eval(pilot)
        head = plain(screen.query_one("#eval-head", Static))
        assert "afina eval --run ID" in " ".join(head.split())
        assert " ".join(EMPTY.split()) == " ".join(head.split())
        assert not screen.query_one(ReportTable).display
        assert not screen.query_one(TabbedContent).display


async def test_a_damaged_report_is_listed_as_unreadable(ws: Workspace) -> None:
    good = write_eval(ws, stamp="20240101-000000")
    odd = write_eval(ws, stamp="20240601-000000")
    bad = write_eval(ws, stamp="20250101-000000")
    (bad / "report.json").write_text("{ not json", encoding="utf-8")
    # Valid JSON, but not a report: a metric without its label.
    (odd / "report.json").write_text('{"metrics": [{"name": "rouge_l"}], "assistants": {}}')
    app = AfinaApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_eval(pilot)
        listing = screen.query_one(EvalList)
        assert listing.keys == [str(bad), str(odd), str(good)]
        assert "unreadable" in str(cell(listing, str(bad), listing.ordered_columns[3].key))
        assert "20250101-000000" in plain(screen.query_one("#eval-head", Static))
        await pilot.press("down")
        await settle(pilot)
        assert "not a report afina can read" in plain(screen.query_one("#eval-head", Static))
        assert not screen.query_one(ReportTable).assistants
        await pilot.press("down")
        await settle(pilot)
        assert screen.query_one(ReportTable).assistants == list(ASSISTANTS)


def test_bars_scale_shares_to_one_and_other_metrics_to_the_largest() -> None:
    shares = {"a": {"mean": 0.5, "lo": 0.4, "hi": 0.6}}
    assert scale_top(shares) == 1.0
    assert str(bar(shares["a"], 1.0, width=10)) == "████▓░    "
    seconds = {"a": {"mean": 2.0, "lo": 1.0, "hi": 4.0}, "b": {"mean": 1.0, "lo": None}}
    assert scale_top(seconds) == 4.0
    # No interval (one example): the bar is solid up to the mean.
    assert str(bar(seconds["b"], 4.0, width=8)) == "██      "


def test_best_of_follows_the_metrics_direction() -> None:
    values = {"a": 0.2, "b": 0.5, "c": None}
    assert best_of(values, "higher") == {"b"}
    assert best_of(values, "lower") == {"a"}
    assert best_of(values, None) == set()
    assert best_of({"a": 0.2}, "higher") == set()  # nothing to compare against


# -- snapshot ---------------------------------------------------------------------------------


def test_eval_snapshot(ws: Workspace, snap_compare: Callable[..., bool]) -> None:
    write_eval(ws, stamp="20250101-120000")

    async def run_before(pilot: Pilot[None]) -> None:
        await open_eval(pilot)
        await settle(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(AfinaApp(ws), terminal_size=SIZE, run_before=run_before)
