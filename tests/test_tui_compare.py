"""The Compare screen driven by Pilot: answers streaming into the panes, blind rounds that hide
who answered until the vote, votes stored in the workspace, stopping, and the loading state.

A fake Assistants stands in for the model (its text and timing are the test's to choose, and
it can hold a generation half way); one test runs the real tiny model end to end.
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Checkbox, DataTable, Input, Select, Static
from textual.worker import WorkerCancelled, WorkerFailed

from afina.engine.chat.assistants import Answer
from afina.engine.chat.prompts import RETRIEVES, TUNED
from afina.engine.config import TrainSettings
from afina.engine.errors import UsageError
from afina.engine.rag.context import Source
from afina.engine.training import jobs
from afina.engine.training.spec import RunSpec
from afina.engine.workspace import Workspace, init_workspace
from afina.tui.app import AfinaApp
from afina.tui.screens import compare_screen
from afina.tui.screens.compare_screen import CompareScreen
from afina.tui.widgets.answer_pane import AnswerPane
from afina.tui.widgets.round_views import Entry

SIZE = (120, 40)
RUN = "20250101-100000-aaaa"
QUESTION = "When does the shop open on Sundays?"
ANSWERS = {
    "base": "I do not know the opening hours of this shop.",
    "few-shot": "The shop opens at ten on Sundays, I think.",
    "rag": "On Sundays the shop opens at 10 and closes at 14 [1].",
    "ft": "We open at 10 on Sundays and close at 14.",
    "ft+rag": "Sundays: 10 to 14, as the hours page says [1].",
}


class FakeAssistants:
    """Answers word by word through ``on_text`` like the real streaming ``answer``.

    ``hold``: a generation waits after its first word until the event is set, so a test sees
    a half-filled pane. ``loading``: the first ``model_for`` waits for it (a slow load).
    """

    made: ClassVar[list[FakeAssistants]] = []  # every one the screen built, oldest first

    def __init__(self, ws: Workspace, run_dir: Path | None = None) -> None:
        self.ws = ws
        self.run_dir = run_dir
        self.hold = threading.Event()
        self.hold.set()
        self.loading = threading.Event()
        self.loading.set()
        self.loads = 0
        self.asked: list[str] = []
        FakeAssistants.made.append(self)

    def model_for(self, kind: str) -> object:
        if kind in TUNED and self.run_dir is None:
            raise UsageError(f"assistant {kind!r} needs a finished run")
        if not self.loads:
            assert self.loading.wait(10)
        self.loads += 1
        return self

    def answer(
        self,
        kind: str,
        question: str,
        max_new_tokens: int = 128,
        on_text: Callable[[str], None] | None = None,
    ) -> Answer:
        self.model_for(kind)
        self.asked.append(kind)
        words = ANSWERS[kind].split(" ")
        for i, word in enumerate(words):
            if on_text is not None:
                on_text(word if i == 0 else " " + word)
            if i == 0:
                assert self.hold.wait(10)
        sources = (
            [
                Source(
                    "pair:7",
                    0.91,
                    "Sunday hours",
                    {"kind": "pair", "prompt": "Sunday hours?", "response": "10 to 14"},
                )
            ]
            if kind in RETRIEVES
            else []
        )
        return Answer(kind, question, ANSWERS[kind], sources, [], 0.4, 0.1, len(words))


def write_finished_run(ws: Workspace, run_id: str) -> None:
    """A run folder as a finished run leaves it, as far as listing runs reads (no weights:
    the fake assistants load none)."""
    run_dir = jobs.runs_dir(ws) / run_id
    run_dir.mkdir(parents=True)
    spec = RunSpec(run_id, "2025-01-01T10:00:00+00:00", TrainSettings(), examples=4)
    (run_dir / "spec.toml").write_text(spec.to_toml(), encoding="utf-8")
    events = [
        {"type": "started", "time": 1.0, "pid": 1, "resume": False},
        {"type": "finished", "time": 2.0, "steps": 5},
    ]
    (run_dir / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("HOME", str(tmp_path))
    workspace, _ = init_workspace(tmp_path / "ws")
    monkeypatch.chdir(workspace.root)
    FakeAssistants.made = []
    monkeypatch.setattr(compare_screen, "Assistants", FakeAssistants)
    return workspace


@pytest.fixture
def tuned(ws: Workspace) -> Workspace:
    """The workspace with one finished run (its folder only: the fake needs no weights)."""
    write_finished_run(ws, RUN)
    return ws


def plain(widget: Static) -> str:
    out = io.StringIO()
    Console(width=200, file=out, color_system=None).print(widget.content)
    return out.getvalue()


async def until(pilot: Pilot[None], check: Callable[[], bool], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if check():
            return
        await pilot.pause(0.02)
    assert check()


async def settle(pilot: Pilot[None]) -> None:
    for _ in range(4):
        for worker in list(pilot.app.workers):
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await worker.wait()
        await pilot.pause()


async def open_compare(pilot: Pilot[None]) -> CompareScreen:
    await pilot.press("m")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CompareScreen)
    return screen


async def ask(pilot: Pilot[None], screen: CompareScreen, question: str = QUESTION) -> Entry | None:
    """Type ``question`` and send it; the round it started (None: refused)."""
    before = len(screen._entries)
    prompt = screen.query_one("#prompt", Input)
    prompt.focus()
    prompt.value = question
    await pilot.press("enter")
    await pilot.pause()
    return screen._entries[-1] if len(screen._entries) > before else None


async def asked(pilot: Pilot[None], screen: CompareScreen, question: str = QUESTION) -> Entry:
    entry = await ask(pilot, screen, question)
    assert entry is not None, notes(pilot)
    return entry


def pick(screen: CompareScreen, *kinds: str) -> None:
    for i, kind in enumerate(compare_screen.KINDS):
        screen.query_one(f"#pick-{i}", Checkbox).value = kind in kinds


def pane(screen: CompareScreen, label: str) -> AnswerPane:
    return screen.query_one(f"#pane-{label.lower()}", AnswerPane)


def title(screen: CompareScreen, label: str) -> str:
    return str(pane(screen, label).query_one(".answer-title", Static).content)


def history_row(screen: CompareScreen, n: int) -> list[str]:
    return [str(c) for c in screen.query_one("#history", DataTable).get_row(str(n))]


def notes(pilot: Pilot[None]) -> str:
    return " | ".join(n.message for n in pilot.app._notifications)


async def test_blind_round_streams_hides_names_until_the_vote_and_stores_it(
    tuned: Workspace,
) -> None:
    app = AfinaApp(tuned)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        # The newest finished run is chosen, with the comparison it is for: rag against ft.
        assert screen.query_one("#compare-run", Select).value == RUN
        assert screen.query_one("#compare-blind", Checkbox).value

        entry = await asked(pilot, screen)
        team = FakeAssistants.made[-1]
        assert team.run_dir is not None and team.run_dir.name == RUN
        await until(pilot, lambda: entry.state == "done")
        rnd = entry.round
        names = {p.label: p.name for p in rnd.panes}
        assert sorted(names.values()) == ["ft", "rag"]
        # Each pane holds the answer of the assistant behind it, and says only its label.
        for label, name in names.items():
            assert pane(screen, label).text == ANSWERS[name]
            assert title(screen, label) == label
        assert history_row(screen, 1)[2] == "A · B"
        sources = plain(screen.query_one("#sources", Static))
        assert "Hidden until the vote" in sources and "pair:7" not in sources
        assert "Vote A vs B" in plain(screen.query_one("#compare-status", Static))

        await pilot.press("escape", "1")  # from the prompt to the panes, then: A is better
        await until(pilot, lambda: rnd.revealed)
        with tuned.open_store() as store:
            [row] = store.vote_rows()
        assert (row["left"], row["right"], row["outcome"]) == (names["A"], names["B"], "a")
        assert row["winner"] == names["A"] and row["run"] == RUN
        assert screen._session is not None and row["session"] == screen._session.id
        # Revealed: the titles name the assistants, a notification says who was who.
        assert title(screen, "A") == f"A: {names['A']}"
        assert f"A was {names['A']}, B was {names['B']}" in notes(pilot)
        assert history_row(screen, 1)[3] == "A better than B"
        # The sources panel follows the selected pane: rag's retrieved pair shows.
        rag_label = next(label for label, name in names.items() if name == "rag")
        pane(screen, rag_label).focus_text()
        await pilot.pause()
        assert "pair:7" in plain(screen.query_one("#sources", Static))
        assert "Q: Sunday hours?" in plain(screen.query_one("#sources", Static))

        # A revealed round takes no more votes.
        await pilot.press("2")
        await settle(pilot)
        with tuned.open_store() as store:
            assert store.vote_count() == 1
        assert "already shown" in notes(pilot)


async def test_text_shows_while_the_answer_is_still_being_generated(tuned: Workspace) -> None:
    app = AfinaApp(tuned)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        pick(screen, "base", "rag")
        screen.query_one("#compare-run", Select).value = compare_screen.NO_RUN
        screen.query_one("#compare-blind", Checkbox).value = False
        await pilot.pause()
        # Every generation holds after its first word: the first pane must show that word
        # while its answer is still being generated.
        held = threading.Event()
        real_init = FakeAssistants.__init__

        def holding_init(self: FakeAssistants, *a: Any, **kw: Any) -> None:
            real_init(self, *a, **kw)
            self.hold = held

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(FakeAssistants, "__init__", holding_init)
            entry = await asked(pilot, screen)
        team = FakeAssistants.made[-1]
        await until(pilot, lambda: team.asked == ["base"])
        await until(pilot, lambda: pane(screen, "A").text == "I")
        assert entry.state == "answering" and entry.round.pane("A").answer is None
        status = str(pane(screen, "B").query_one(".answer-status", Static).content)
        assert "waiting for A" in status
        # The UI answers keys meanwhile: a vote is refused for now, not queued.
        await pilot.press("escape", "1")
        await pilot.pause()
        assert "Wait for every pane to answer" in notes(pilot)
        held.set()
        await until(pilot, lambda: entry.state == "done")
        # Open mode: names are shown from the start, and votes are not taken.
        assert [title(screen, label) for label in "AB"] == ["base", "rag"]
        await pilot.press("1")
        await settle(pilot)
        assert "only in blind comparisons" in notes(pilot)
        with tuned.open_store() as store:
            assert store.vote_count() == 0


async def test_three_assistants_vote_pair_by_pair_then_reveal(tuned: Workspace) -> None:
    app = AfinaApp(tuned)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        pick(screen, "base", "rag", "ft")
        entry = await asked(pilot, screen)
        await until(pilot, lambda: entry.state == "done")
        assert pane(screen, "C").display and title(screen, "C") == "C"
        await pilot.press("escape", "1")  # A vs B: A better
        await until(pilot, lambda: len(entry.round.votes) == 1)
        assert "Vote A vs C" in plain(screen.query_one("#compare-status", Static))
        await pilot.press("p")  # skip to B vs C
        assert "Vote B vs C" in plain(screen.query_one("#compare-status", Static))
        await pilot.press("3")  # tie
        await until(pilot, lambda: len(entry.round.votes) == 2)
        assert not entry.round.revealed
        await pilot.press("4")  # A vs C: both bad; every pair voted: revealed
        await until(pilot, lambda: entry.round.revealed)
        assert history_row(screen, 1)[3] == "A better than B; B and C tie; A and C both bad"
        with tuned.open_store() as store:
            outcomes = [(v.outcome, v.left, v.right) for v in store.votes()]
        names = {p.label: p.name for p in entry.round.panes}
        assert outcomes == [
            ("a", names["A"], names["B"]),
            ("tie", names["B"], names["C"]),
            ("both_bad", names["A"], names["C"]),
        ]


async def test_stop_ends_the_round_and_a_new_setting_starts_a_new_session(
    tuned: Workspace,
) -> None:
    app = AfinaApp(tuned)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        first = await asked(pilot, screen)
        team = FakeAssistants.made[-1]
        await until(pilot, lambda: first.state == "done")
        first_session = screen._session
        team.hold.clear()
        second = await asked(pilot, screen, "And on Mondays?")
        await until(pilot, lambda: bool(second.texts))
        await pilot.press("escape", "s")
        team.hold.set()
        await until(pilot, lambda: second.state == "stopped")
        assert second.round.pane("B").answer is None  # B never started
        assert history_row(screen, 2)[3] == "stopped"
        await pilot.press("1")
        await pilot.pause()
        assert "Wait for every pane to answer" in notes(pilot)

        # Three assistants now: a new session on the same loaded model; the first round,
        # which can no longer get a vote, is revealed.
        pick(screen, "base", "rag", "ft")
        third = await asked(pilot, screen, "And on holidays?")
        await until(pilot, lambda: third.state == "done")
        assert screen._session is not first_session and len(FakeAssistants.made) == 1
        assert first.round.revealed and first.session is None
        assert ":" in history_row(screen, 1)[2]  # "A: rag · B: ft" or the other way


async def test_first_question_shows_loading_until_the_model_is_there(tuned: Workspace) -> None:
    app = AfinaApp(tuned)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        gate = threading.Event()
        real_init = FakeAssistants.__init__

        def slow_init(self: FakeAssistants, *a: Any, **kw: Any) -> None:
            real_init(self, *a, **kw)
            self.loading = gate

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(FakeAssistants, "__init__", slow_init)
            entry = await asked(pilot, screen)
        assert entry.state == "loading"
        text = pane(screen, "A").query_one(".answer-text", Static)
        assert text.loading
        assert "Loading the model" in plain(screen.query_one("#compare-status", Static))
        gate.set()
        await until(pilot, lambda: entry.state == "done")
        assert not text.loading
        # The second question finds the model loaded: it goes straight to answering.
        team = FakeAssistants.made[-1]
        team.hold.clear()
        second = await asked(pilot, screen, "And on Mondays?")
        assert second.state == "answering" and not text.loading
        team.hold.set()
        await until(pilot, lambda: second.state == "done")


async def test_without_a_run_only_the_base_kinds_can_be_picked(ws: Workspace) -> None:
    app = AfinaApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        assert screen.query_one("#compare-run", Select).value == compare_screen.NO_RUN
        boxes = {
            kind: screen.query_one(f"#pick-{i}", Checkbox)
            for i, kind in enumerate(compare_screen.KINDS)
        }
        assert boxes["ft"].disabled and boxes["ft+rag"].disabled
        assert [k for k, b in boxes.items() if b.value] == ["base", "rag"]
        # One assistant is no comparison: the session's own rule, said as a warning.
        pick(screen, "rag")
        assert await ask(pilot, screen) is None
        assert "two or three assistants, got 1" in notes(pilot)
        pick(screen, "base", "rag")
        entry = await asked(pilot, screen)
        await until(pilot, lambda: entry.state == "done")
        assert FakeAssistants.made[-1].run_dir is None

        # A run that finishes meanwhile is offered on coming back, the choice made is kept.
        write_finished_run(ws, RUN)
        await pilot.press("escape", "h", "m")
        await settle(pilot)
        select = screen.query_one("#compare-run", Select)
        assert select.value == compare_screen.NO_RUN
        select.value = RUN
        await pilot.pause()
        assert not boxes["ft"].disabled


@pytest.mark.slow
async def test_real_assistants_answer_on_the_tiny_model_and_the_vote_keeps_rags_sources(
    curated_ws: Workspace, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """End to end with real generation: base and rag over the tiny model and a hash index.
    The tiny random model writes only blank lines, so streaming is the fake's to show; this
    checks the real Assistants behind the screen: the token limit, the answers, the vote."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from afina.engine.chat.assistants import Assistants
    from afina.engine.chat.generate import Assistant
    from afina.engine.rag.embed import load_embedder
    from afina.engine.rag.workspace_index import build_workspace_index

    build_workspace_index(curated_ws, options={"embedder": "hash:64"})
    model = AutoModelForCausalLM.from_pretrained(str(tiny_model)).eval()
    tok = AutoTokenizer.from_pretrained(str(tiny_model))
    team = Assistants(
        curated_ws, k=2, embedder=load_embedder("hash:64"), _model=Assistant(model, tok, False)
    )
    monkeypatch.setattr(compare_screen, "Assistants", lambda ws, run_dir: team)
    monkeypatch.setattr(compare_screen, "MAX_NEW_TOKENS", 8)
    app = AfinaApp(curated_ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        entry = await asked(pilot, screen, "qual o horário de atendimento da loja?")
        await until(pilot, lambda: entry.state == "done", seconds=60)
        for p in entry.round.panes:
            assert p.answer is not None and p.answer.tokens == 8
            assert pane(screen, p.label).text == p.answer.text
            status = str(pane(screen, p.label).query_one(".answer-status", Static).content)
            assert "8 tokens" in status
        await pilot.press("escape", "3")
        await until(pilot, lambda: entry.round.revealed)
        with curated_ws.open_store() as store:
            [row] = store.vote_rows()
        assert row["outcome"] == "tie" and set(row["sources"]) == {"rag"}
        assert len(row["sources"]["rag"]) == 2  # k=2 retrieved pairs
