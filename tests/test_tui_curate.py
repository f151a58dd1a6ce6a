"""The Curate screen driven by Pilot on a workspace with extracted pairs, plus a snapshot."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import DataTable, Label, Static
from textual.worker import WorkerCancelled, WorkerFailed

from afina.engine.curation.clean import Pipeline
from afina.engine.curation.curate_run import curate_store
from afina.engine.curation.extract import ExtractOptions
from afina.engine.curation.extract_run import extract_to_store
from afina.engine.ingest.discover import Sniffer
from afina.engine.ingest.run import import_candidates
from afina.engine.types import PairFilter, PairRow, RuleHit
from afina.engine.workspace import Workspace, init_workspace
from afina.tui.app import AfinaApp
from afina.tui.screens.curate_screen import CurateScreen
from afina.tui.widgets.pair_view import PLACEHOLDER_STYLE, RULE_HIT_STYLE, pair_renderable

SIZE = (120, 40)


def conversations(n: int) -> list[dict[str, object]]:
    return [
        {
            "id": f"c{i}",
            "conversations": [
                {"from": "human", "value": f"How do I reset router model {i}?"},
                {"from": "gpt", "value": f"Hold the reset button of model {i} for ten seconds."},
            ],
        }
        for i in range(1, n + 1)
    ] + [
        {
            "id": "mail",
            "conversations": [
                {"from": "human", "value": "Write to me at ana.souza@example.com please"},
                {"from": "gpt", "value": "Sure, I will write to ana.souza@example.com today."},
            ],
        }
    ]


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A workspace at ~/ws (HOME is tmp_path) holding four extracted pairs."""
    monkeypatch.setenv("HOME", str(tmp_path))
    workspace, _ = init_workspace(tmp_path / "ws")
    monkeypatch.chdir(workspace.root)
    path = workspace.root / "chats" / "sample.json"
    path.parent.mkdir()
    path.write_text(json.dumps(conversations(3)), encoding="utf-8")
    with workspace.open_store() as store:
        import_candidates(store, Sniffer().candidates([path]))
        extract_to_store(store, ExtractOptions(assistant_role="assistant"))
        assert store.count_pairs() == 4
    return workspace


def plain(widget: Static) -> str:
    out = io.StringIO()
    Console(width=200, file=out, color_system=None).print(widget.content)
    return out.getvalue()


async def settle(pilot: Pilot[None]) -> None:
    for _ in range(6):
        for worker in [w for w in pilot.app.workers if not w.group.startswith("_")]:
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await worker.wait()
        await pilot.pause()


def statuses(ws: Workspace) -> list[str]:
    with ws.open_store() as store:
        return [p.status for p in store.pairs(limit=100)]


async def open_curate(pilot: Pilot[None]) -> CurateScreen:
    await pilot.press("c")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CurateScreen)
    return screen


async def test_curate_shows_pairs_counts_and_context(ws: Workspace) -> None:
    app = AfinaApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_curate(pilot)
        table = screen.query_one("#pairs", DataTable)
        assert table.row_count == 4
        counts = plain(screen.query_one("#curate-counts", Static))
        assert "pending 4" in counts and "accepted 0" in counts and "train 0" in counts
        assert "Pairs · all · 4 of 4" in str(screen.query_one("#queue-title", Label).content)
        pair = plain(screen.query_one("#pair-body", Static))
        assert "Pair 1" in pair and "How do I reset router model 1?" in pair
        assert "model 1 for ten seconds" in plain(screen.query_one("#turns-body", Static))


async def test_accept_reject_undo_redo(ws: Workspace) -> None:
    app = AfinaApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_curate(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert statuses(ws) == ["accepted", "pending", "pending", "pending"]
        assert screen.query_one("#pairs", DataTable).cursor_row == 1  # moved on
        await pilot.press("r")
        await settle(pilot)
        assert statuses(ws) == ["accepted", "rejected", "pending", "pending"]
        assert "rejected 1" in plain(screen.query_one("#curate-counts", Static))
        await pilot.press("u")
        await settle(pilot)
        assert statuses(ws) == ["accepted", "pending", "pending", "pending"]
        assert "Pair 2" in plain(screen.query_one("#pair-body", Static))  # back to it
        await pilot.press("U")
        await settle(pilot)
        assert statuses(ws) == ["accepted", "rejected", "pending", "pending"]


async def test_edit_response_in_place(ws: Workspace) -> None:
    app = AfinaApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_curate(pilot)
        await pilot.press("e")
        await pilot.press(*" Then wait.")  # the cursor starts at the end
        await pilot.press("ctrl+s")
        await settle(pilot)
        with ws.open_store() as store:
            pair = store.pair(1)
        assert pair.response.endswith("for ten seconds. Then wait.") and pair.edited
        assert "Then wait." in plain(screen.query_one("#pair-body", Static))
        # Escape drops an edit.
        await pilot.press("e", "x", "escape")
        await settle(pilot)
        with ws.open_store() as store:
            assert store.pair(1).response == pair.response
        # E edits the prompt the same way.
        await pilot.press("E", *" (model 1)", "ctrl+s")
        await settle(pilot)
        with ws.open_store() as store:
            edited = store.pair(1)
        assert edited.prompt.endswith(" (model 1)") and edited.response == pair.response
        # Personal data typed into an edit is stored as a placeholder, as extraction would.
        await pilot.press("e", *" Call (48) 99999-1234.", "ctrl+s")
        await settle(pilot)
        with ws.open_store() as store:
            scrubbed = store.pair(1).response
        assert scrubbed.endswith("Then wait. Call <PHONE_1>.") and "99999" not in scrubbed


async def test_tag_and_note(ws: Workspace) -> None:
    app = AfinaApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        await open_curate(pilot)
        await pilot.press("t", *"router", "enter")
        await settle(pilot)
        await pilot.press("n", *"check it", "enter")
        await settle(pilot)
        with ws.open_store() as store:
            pair = store.pair(1)
            assert pair.tags == ("router",) and pair.note == "check it"
            assert store.count_pairs(PairFilter(tag="router")) == 1


async def test_search_and_status_filter(ws: Workspace) -> None:
    app = AfinaApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_curate(pilot)
        table = screen.query_one("#pairs", DataTable)
        await pilot.press("slash", *"model 2", "enter")
        await settle(pilot)
        assert table.row_count == 1
        assert "Pair 2" in plain(screen.query_one("#pair-body", Static))
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("slash", "ctrl+u", "enter")  # empty search: all pairs again
        await settle(pilot)
        assert table.row_count == 4
        await pilot.press("f")  # pending
        await settle(pilot)
        assert table.row_count == 3
        await pilot.press("f")  # accepted
        await settle(pilot)
        assert table.row_count == 1 and str(table.get_row_at(0)[0]) == "2"
        await pilot.press("f", "f")  # rejected, then all
        await settle(pilot)
        assert table.row_count == 4
        await pilot.press("g", *"3", "enter")
        await settle(pilot)
        assert table.cursor_row == 2
        assert "Pair 3" in plain(screen.query_one("#pair-body", Static))


async def test_empty_workspace_hints_and_extracts(tmp_path: Path) -> None:
    workspace, _ = init_workspace(tmp_path / "empty")
    path = workspace.root / "sample.json"
    path.write_text(json.dumps(conversations(1)), encoding="utf-8")
    with workspace.open_store() as store:
        import_candidates(store, Sniffer().candidates([path]))
    app = AfinaApp(workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_curate(pilot)
        assert "press x to extract" in plain(screen.query_one("#pair-body", Static))
        await pilot.press("x")
        await settle(pilot)
        assert screen.query_one("#pairs", DataTable).row_count == 2


def test_curate_snapshot(ws: Workspace, snap_compare: Callable[..., bool]) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("a")  # pair 1 accepted; pair 2 current
        await settle(pilot)
        await pilot.press("down", "down")  # the pair with a scrubbed e-mail
        await settle(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(AfinaApp(ws), terminal_size=SIZE, run_before=run_before)


async def test_reviewing_the_pending_queue_walks_it(ws: Workspace) -> None:
    """With the pending filter an accepted pair leaves the queue and the next one is current."""
    app = AfinaApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_curate(pilot)
        table = screen.query_one("#pairs", DataTable)
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("a", "r")
        await settle(pilot)
        assert statuses(ws) == ["accepted", "rejected", "pending", "pending"]
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == ["3", "4"]
        assert table.cursor_row == 0
        assert "Pair 3" in plain(screen.query_one("#pair-body", Static))
        assert "Pairs · pending · 2 of 2" in str(screen.query_one("#queue-title", Label).content)
        await pilot.press("u")  # the rejection of pair 2 is undone: it is pending again
        await settle(pilot)
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == ["2", "3", "4"]
        assert "Pair 2" in plain(screen.query_one("#pair-body", Static))


def test_narrowing_filters_parse_and_print_back():
    from afina.tui.filters import describe, narrowed

    where = narrowed(PairFilter(status="pending"), "tag:preço rule:trivial source:3 split:test")
    assert (where.status, where.tag, where.rule, where.source_id, where.split) == (
        "pending",
        "preço",
        "trivial",
        3,
        "test",
    )
    assert narrowed(where, describe(where)) == where
    assert narrowed(where, "") == PairFilter(status="pending")
    with pytest.raises(ValueError, match="not a filter"):
        narrowed(where, "colour:red")
    with pytest.raises(ValueError, match="source id"):
        narrowed(where, "source:abc")


async def test_narrow_by_tag(ws: Workspace) -> None:
    app = AfinaApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_curate(pilot)
        table = screen.query_one("#pairs", DataTable)
        await pilot.press("t", *"ok", "enter")  # tag the first pair
        await settle(pilot)
        await pilot.press("F", *"tag:ok", "enter")
        await settle(pilot)
        assert table.row_count == 1
        assert "tag:ok" in str(screen.query_one("#queue-title", Label).content)
        await pilot.press("F", "ctrl+u", "enter")  # empty: the filter is cleared
        await settle(pilot)
        assert table.row_count == 4


# --- rule hits and personal data marked in the pair ------------------------------------------


@pytest.fixture
def ws_hits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A workspace whose pairs went through `afina curate`: one keeps a web address (flagged),
    one has a template variable (rejected), one an e-mail (scrubbed)."""
    monkeypatch.setenv("HOME", str(tmp_path))
    workspace, _ = init_workspace(tmp_path / "ws")
    chats = [
        {
            "id": "link",
            "conversations": [
                {"from": "human", "value": "Where can I see if there is an outage?"},
                {"from": "gpt", "value": "Check https://status.example.com/fiber, it updates."},
            ],
        },
        {
            "id": "macro",
            "conversations": [
                {"from": "human", "value": "When does my plan renew?"},
                {"from": "gpt", "value": "Hello {{first_name}}, it renews on the 5th."},
            ],
        },
        *conversations(0),
    ]
    path = workspace.root / "chats.json"
    path.write_text(json.dumps(chats), encoding="utf-8")
    with workspace.open_store() as store:
        import_candidates(store, Sniffer().candidates([path]))
        extract_to_store(store, ExtractOptions(assistant_role="assistant"))
        curate_store(store, Pipeline.from_config(workspace.config.curate.rules))
    return workspace


def styled(renderable: object, style: str) -> list[str]:
    """The pieces of the pair pane's Text lines drawn in ``style``."""
    lines = [r for r in getattr(renderable, "renderables", []) if isinstance(r, Text)]
    return [t.plain[s.start : s.end] for t in lines for s in t.spans if str(s.style) == style]


async def test_a_url_hit_is_marked_in_the_response(ws_hits: Workspace) -> None:
    app = AfinaApp(ws_hits)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_curate(pilot)
        body = screen.query_one("#pair-body", Static)
        assert "Pair 1" in plain(body)
        # The address in the response, then the legend's sample (shown as there is a mark).
        marks = styled(body.content, RULE_HIT_STYLE)
        assert marks == ["https://status.example.com/fiber", "like this"]
        shown = plain(body)
        assert "marked like this in the text: what a rule found there" in shown
        assert "urls (response): web address: https://status.example.com/fiber" in shown
        await pilot.press("g", *"2", "enter")  # the rejected pair with a template variable
        await settle(pilot)
        assert "Pair 2  rejected" in plain(body)
        assert styled(body.content, RULE_HIT_STYLE) == ["{{first_name}}", "like this"]
        await pilot.press("g", *"3", "enter")  # no rule hits, a scrubbed e-mail
        await settle(pilot)
        assert styled(body.content, RULE_HIT_STYLE) == []
        assert styled(body.content, PLACEHOLDER_STYLE) == ["<EMAIL_1>"] * 3
        assert "Personal data: <EMAIL_1> email" in plain(body)
        assert "Rule hits" not in plain(body) and "what a rule found" not in plain(body)


def row(**fields: object) -> PairRow:
    base: dict[str, object] = {
        "id": 7,
        "conversation_id": 2,
        "prompt": "where is it?",
        "response": "ok",
        "context": (),
        "system": None,
        "status": "pending",
        "tags": (),
        "note": None,
        "edited": False,
        "split": None,
        "turn_ids": (),
    }
    return PairRow(**{**base, **fields})  # type: ignore[arg-type]


def test_pair_view_marks_spans_in_context_and_flags_whole_field_hits() -> None:
    pair = row(
        context=(("user", "my card <CARD_1> failed, see [image]"),),
        response="ok",
        prompt="Hi <NAME_1>, is <API_KEY_1> valid?",
    )
    hits = [
        RuleHit("placeholders", "removed a media placeholder or system line", "context"),
        RuleHit("trivial", "response is 1 word(s): 'ok'", "response"),
    ]
    out = pair_renderable(pair, hits, kinds={"<NAME_1>": "person"})
    assert styled(out, RULE_HIT_STYLE) == ["[image]", "like this"]
    titles = [t.plain for t in getattr(out, "renderables", []) if isinstance(t, Text)]
    assert "Response  ⚑ rule hits" in titles and "Context  ⚑ rule hits" in titles
    assert "Prompt" in titles  # no hit about the prompt
    assert "Personal data: <CARD_1> card, <NAME_1> person, <API_KEY_1> api key" in titles
    assert styled(out, PLACEHOLDER_STYLE)[-3:] == ["<CARD_1>", "<NAME_1>", "<API_KEY_1>"]
    assert not {" card", " person", " api key"} & set(styled(out, "bold"))  # kinds plain
    # A hit about a whole field marks no text, and then no legend shows.
    only_trivial = pair_renderable(pair, hits[1:])
    assert styled(only_trivial, RULE_HIT_STYLE) == []
    lines = [t.plain for t in getattr(only_trivial, "renderables", []) if isinstance(t, Text)]
    assert "Rule hits" in lines and not any("what a rule found" in x for x in lines)
