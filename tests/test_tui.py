"""The Textual UI driven by Pilot: Home and Import on a real workspace, plus snapshots."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Label, Static
from textual.worker import WorkerCancelled, WorkerFailed

from afina.engine.ingest.discover import Sniffer
from afina.engine.ingest.run import import_candidates
from afina.engine.workspace import Workspace, init_workspace
from afina.tui.app import AfinaApp
from afina.tui.messages import ImportProgress
from afina.tui.progress import ThrottledProgress
from afina.tui.screens.home import PAGE, HomeScreen
from afina.tui.screens.import_screen import IMPORT_GROUP, ImportScreen
from afina.tui.widgets.candidate_table import CandidateTable
from afina.tui.widgets.summary_table import SummaryTable

SIZE = (120, 40)


def sharegpt(n: int) -> list[dict[str, object]]:
    """``n`` two-turn ShareGPT conversations with predictable text."""
    return [
        {
            "id": f"c{i}",
            "conversations": [
                {"from": "human", "value": f"How do I reset router model {i}?"},
                {"from": "gpt", "value": f"Hold the reset button of model {i} for ten seconds."},
            ],
        }
        for i in range(1, n + 1)
    ]


def write_sample(folder: Path, n: int = 2, name: str = "sample.json") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(sharegpt(n)), encoding="utf-8")
    return path


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """An empty workspace at ~/ws, with HOME set to tmp_path so paths render the same anywhere."""
    monkeypatch.setenv("HOME", str(tmp_path))
    workspace, _ = init_workspace(tmp_path / "ws")
    monkeypatch.chdir(workspace.root)
    return workspace


def import_file(ws: Workspace, path: Path) -> None:
    with ws.open_store() as store:
        summaries = import_candidates(store, Sniffer().candidates([path]))
    assert [s.status for s in summaries] == ["imported"]


def plain(widget: Static) -> str:
    """What a Static shows, as plain text."""
    out = io.StringIO()
    Console(width=200, file=out, color_system=None).print(widget.content)
    return out.getvalue()


async def settle(pilot: Pilot[None]) -> None:
    """Wait until afina's workers are done and the messages they posted (which may start more
    workers) are handled. DirectoryTree's own loader worker never finishes, so it is left out."""
    for _ in range(5):
        ours = [w for w in pilot.app.workers if not w.group.startswith("_")]
        for worker in ours:
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await worker.wait()
        await pilot.pause()


def cell(table: DataTable[object], row: int, column: int) -> str:
    return str(table.get_row_at(row)[column])


# -- Home -------------------------------------------------------------------------------------


async def test_home_shows_counts_sources_and_turns(ws: Workspace) -> None:
    import_file(ws, write_sample(ws.root / "chats"))
    app = AfinaApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HomeScreen)
        overview = plain(screen.query_one("#overview", Static))
        assert "my-assistant" in overview and "~/ws" in overview
        assert "1 source · 2 conversations · 4 turns" in overview

        sources = screen.query_one("#sources", DataTable)
        assert sources.row_count == 1
        assert [cell(sources, 0, c) for c in (1, 2, 3, 5)] == [
            "sharegpt",
            "2",
            "4",
            "chats/sample.json",
        ]
        conversations = screen.query_one("#conversations", DataTable)
        assert conversations.row_count == 2
        turns = plain(screen.query_one("#turns-body", Static))
        assert "How do I reset router model 1?" in turns
        assert "[0].conversations[1]" in turns  # provenance: the place in the file
        assert "chats/sample.json" in turns

        # Keyboard only: Enter goes from sources to conversations, Down reads the next one.
        await pilot.press("enter")
        assert app.focused is conversations
        await pilot.press("down")
        await settle(pilot)
        assert "model 2 for ten seconds" in plain(screen.query_one("#turns-body", Static))
        await pilot.press("escape")
        assert app.focused is sources


async def test_home_pages_through_many_conversations(ws: Workspace) -> None:
    total = PAGE * 2 + 50
    import_file(ws, write_sample(ws.root / "chats", n=total))
    app = AfinaApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        conversations = app.screen.query_one("#conversations", DataTable)
        assert conversations.row_count == PAGE  # only the first page is read at first
        title = app.screen.query_one("#conversations-title", Label)
        assert str(title.content).endswith(f"· {PAGE}+")
        conversations.focus()
        for expected in (PAGE * 2, total):
            await pilot.press("ctrl+end")  # the cursor nears the end: the next page is fetched
            await settle(pilot)
            assert conversations.row_count == expected
        title = app.screen.query_one("#conversations-title", Label)
        assert str(title.content).endswith(f"· {total}")  # no "+": nothing more to load


async def test_empty_workspace_says_how_to_start(ws: Workspace) -> None:
    app = AfinaApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        overview = plain(app.screen.query_one("#overview", Static))
        assert "0 sources" in overview and "press i to import" in overview


# -- Import -----------------------------------------------------------------------------------


async def test_import_scan_preview_import_and_refresh_home(ws: Workspace) -> None:
    write_sample(ws.root / "chats")
    app = AfinaApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("i")
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        assert isinstance(app.focused, Input)

        await pilot.press(*"chats/sample.json", "enter")
        await settle(pilot)
        table = screen.query_one(CandidateTable)
        assert table.row_count == 1
        assert [cell(table, 0, c) for c in (4, 0, 1, 2)] == [
            "chats/sample.json",
            "sharegpt",
            "0.90",
            "ready",
        ]
        preview = plain(screen.query_one("#preview-body", Static))
        assert "How do I reset router model 1?" in preview
        assert app.focused is table  # focus left the input, so single keys are commands

        await pilot.press("i")
        await settle(pilot)
        summary = screen.query_one(SummaryTable)
        assert summary.display
        assert [cell(summary, 0, c) for c in range(7)] == [
            "imported",
            "sharegpt",
            "2",
            "4",
            "0",
            "0",
            "chats/sample.json",
        ]
        status = str(screen.query_one("#scan-status", Label).content)
        assert "1 imported" in status and "1 source, 2 conversations, 4 turns" in status

        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert "1 source · 2 conversations · 4 turns" in plain(
            app.screen.query_one("#overview", Static)
        )

        # The same file again is recognised as already imported.
        await pilot.press("i", "slash", "enter")
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert cell(screen.query_one(SummaryTable), 0, 0) == "unchanged"


async def test_import_explains_what_it_skips(ws: Workspace) -> None:
    folder = ws.root / "mixed"
    write_sample(folder)
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (folder / "notes.txt").write_text("", encoding="utf-8")
    # Looks like ShareGPT from its head, but the file was cut off mid-way.
    (folder / "broken.json").write_text(
        '[{"id": "b", "conversations": [{"from": "human", "value": "cut', encoding="utf-8"
    )
    app = AfinaApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i", *"mixed", "enter")
        await settle(pilot)
        table = app.screen.query_one(CandidateTable)
        # Paths are shown relative to the folder that was scanned.
        reasons = {cell(table, r, 4): cell(table, r, 2) for r in range(table.row_count)}
        assert reasons == {
            "broken.json": "ready",
            "notes.txt": "empty file",
            "photo.jpg": "media file",
            "sample.json": "ready",
        }
        # The first row is the broken file: its preview says what is wrong instead of failing.
        preview = plain(app.screen.query_one("#preview-body", Static))
        assert "Preview of mixed/broken.json" in preview and "invalid JSON" in preview
        await pilot.press("i")
        await settle(pilot)
        summary = app.screen.query_one(SummaryTable)
        statuses = {cell(summary, r, 6): cell(summary, r, 0) for r in range(summary.row_count)}
        assert statuses == {
            "mixed/broken.json": "refused",
            "mixed/notes.txt": "skipped",
            "mixed/photo.jpg": "skipped",
            "mixed/sample.json": "imported",
        }
        assert cell(summary, 0, 7)  # the refusal says why


async def test_tree_picks_a_file(ws: Workspace) -> None:
    write_sample(ws.root / "chats")
    app = AfinaApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        await settle(pilot)
        tree = app.screen.query_one("#tree")
        tree.focus()
        # The tree lists ~/ws: chats/ first (folders first), then afina.toml, exports ...
        await pilot.press("down", "enter")  # open chats/
        await settle(pilot)
        await pilot.press("down", "enter")  # pick sample.json
        await settle(pilot)
        assert app.screen.query_one("#path", Input).value == "~/ws/chats/sample.json"
        assert app.screen.query_one(CandidateTable).row_count == 1


async def test_quit_asks_first_while_an_import_runs(ws: Workspace) -> None:
    release = threading.Event()
    app = AfinaApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # Stands in for a long import: a thread worker in the import group.
        app.run_worker(lambda: release.wait(10), group=IMPORT_GROUP, thread=True)
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running and any("import is running" in n.message for n in app._notifications)
        release.set()
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


def test_progress_is_throttled_and_replaceable() -> None:
    posted: list[tuple[int, int, str]] = []
    progress = ThrottledProgress(10_000, lambda *args: posted.append(args), interval=3600)
    callbacks = progress.callbacks()
    callbacks.on_start("a.json", 10_000)
    for _ in range(1000):
        callbacks.on_bytes(10)
    # One update when the file started; the thousand block reads inside the interval wait.
    assert posted == [(0, 10_000, "a.json")]
    assert progress.done == 10_000
    assert ImportProgress(1, 2, "a").can_replace(ImportProgress(2, 2, "a"))


def test_start_up_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys, afina.tui.app, afina.tui.cli\n"
        "heavy = [m for m in ('torch', 'transformers', 'faiss') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# -- snapshots --------------------------------------------------------------------------------


def test_home_snapshot(ws: Workspace, snap_compare: Callable[..., bool]) -> None:
    import_file(ws, write_sample(ws.root / "chats", n=3))

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)

    assert snap_compare(AfinaApp(ws), terminal_size=SIZE, run_before=run_before)


def test_import_snapshot(ws: Workspace, snap_compare: Callable[..., bool]) -> None:
    write_sample(ws.root / "chats")

    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.press("i", *"chats/sample.json", "enter")
        await settle(pilot)
        pilot.app.clear_notifications()  # plugin-loading warnings vary while plugins are written
        await pilot.pause()

    assert snap_compare(AfinaApp(ws), terminal_size=SIZE, run_before=run_before)


def test_import_summary_snapshot(ws: Workspace, snap_compare: Callable[..., bool]) -> None:
    write_sample(ws.root / "chats")

    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.press("i", *"chats/sample.json", "enter")
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(AfinaApp(ws), terminal_size=SIZE, run_before=run_before)
