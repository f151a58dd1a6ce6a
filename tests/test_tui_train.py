"""The Train screen driven by Pilot over fake runs (folders written by hand, no training)."""

from __future__ import annotations

import contextlib
import io
import json
import math
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Input, Label, Static
from textual.worker import WorkerCancelled, WorkerFailed

from afina.engine.config import TrainSettings
from afina.engine.errors import UsageError
from afina.engine.launch.pidfile import PID_FILE
from afina.engine.training import jobs
from afina.engine.training.checkpoints import CHECKPOINTS, MARKER
from afina.engine.training.spec import RunSpec
from afina.engine.workspace import Workspace, init_workspace
from afina.tui.app import AfinaApp
from afina.tui.screens import train_screen
from afina.tui.screens.train_screen import FOLLOW_GROUP, TrainScreen
from afina.tui.widgets.loss_chart import LossChart, thin
from afina.tui.widgets.runs_table import RunsTable

SIZE = (120, 40)
T0 = 1_700_000_000.0
FINISHED = "20250101-100000-aaaa"
FAILED = "20250101-090000-bbbb"
RUNNING = "20250101-080000-cccc"  # older than the others: re-attach must still pick it
NO_RUNS_TEXT = "No runs yet"


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(train_screen, "POLL", 0.05)
    workspace, _ = init_workspace(tmp_path / "ws")
    monkeypatch.chdir(workspace.root)
    return workspace


def loss_at(step: int) -> float:
    return round(0.8 + 1.7 * math.exp(-step / 12) + 0.03 * math.sin(step), 5)


def step_event(step: int, total: int) -> dict[str, Any]:
    return {
        "type": "step",
        "time": T0 + step,
        "step": step,
        "total": total,
        "loss": loss_at(step),
        "lr": round(2e-4 * (1 - step / total), 8),
        "tokens_per_s": 812.5,
        "s_per_step": 0.5,
        "eta_s": (total - step) * 0.5,
        "peak_mib": 1234.0,
    }


def run_events(steps: int, total: int, end: str | None) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [
        {"type": "started", "time": T0, "pid": 1, "resume": False},
        {
            "type": "ready",
            "time": T0,
            "total": total,
            "hardware": {"device": "cpu"},
            "precision": "fp32",
        },
    ]
    for step in range(1, steps + 1):
        events.append(step_event(step, total))
        if step % 10 == 0:
            val = round(loss_at(step) + 0.1, 5)
            events.append({"type": "eval", "time": T0 + step, "step": step, "loss": val})
            events.append(
                {
                    "type": "advice",
                    "time": T0 + step,
                    "step": step,
                    "verdict": "learning",
                    "message": "Both losses are falling: the model is learning.",
                }
            )
        if step % 20 == 0:
            events.append({"type": "checkpoint", "time": T0 + step, "step": step})
    if end == "finished":
        events.append({"type": "finished", "time": T0 + steps + 1, "steps": steps})
    elif end == "failed":
        events.append(
            {
                "type": "failed",
                "time": T0 + steps + 1,
                "message": "out of memory",
                "hint": "lower batch_size",
            }
        )
    return events


def write_run(
    ws: Workspace, run_id: str, events: list[dict[str, Any]], ckpts: tuple[int, ...] = ()
) -> Path:
    run_dir = jobs.runs_dir(ws) / run_id
    run_dir.mkdir(parents=True)
    spec = RunSpec(
        id=run_id,
        created="2025-01-01T10:00:00+00:00",
        settings=TrainSettings(),
        method_options={"r": 8},
        examples=40,
    )
    (run_dir / "spec.toml").write_text(spec.to_toml(), encoding="utf-8")
    append(run_dir, events)
    for step in ckpts:
        folder = run_dir / CHECKPOINTS / f"checkpoint-{step}"
        folder.mkdir(parents=True)
        (folder / MARKER).write_text("{}")
    return run_dir


def append(run_dir: Path, events: list[dict[str, Any]]) -> None:
    with (run_dir / "events.jsonl").open("a", encoding="utf-8") as f:
        f.writelines(json.dumps(e) + "\n" for e in events)


@contextlib.contextmanager
def runner(run_dir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A stand-in runner: a live process with the run id on its command line, in its own
    session as the real one is (a stop signals its process group)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", run_dir.name],
        start_new_session=True,
    )
    (run_dir / PID_FILE).write_text(str(proc.pid))
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


def plain(widget: Static) -> str:
    out = io.StringIO()
    Console(width=200, file=out, color_system=None).print(widget.content)
    return out.getvalue()


async def settle(pilot: Pilot[None]) -> None:
    """Wait for the workers that end (a live run's follower does not) and their messages."""
    for _ in range(5):
        for worker in [w for w in pilot.app.workers if w.group != FOLLOW_GROUP]:
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await worker.wait()
        await pilot.pause()


async def until(pilot: Pilot[None], check: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await pilot.pause(0.05)
    assert check()


async def open_train(pilot: Pilot[None]) -> TrainScreen:
    await pilot.press("t")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TrainScreen)
    return screen


def followed(screen: TrainScreen) -> str | None:
    trace = screen._trace
    return trace.run_id if trace is not None else None


# -- the runs and the live view ---------------------------------------------------------------


async def test_runs_listed_and_a_running_one_reattached_and_followed_live(ws: Workspace) -> None:
    write_run(ws, FINISHED, run_events(40, 40, "finished"), ckpts=(20, 40))
    write_run(ws, FAILED, run_events(3, 40, "failed"))
    live = write_run(ws, RUNNING, run_events(12, 30, None), ckpts=(10,))
    with runner(live):
        app = AfinaApp(ws)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            # A run is going: the UI opens on Train rather than Home.
            assert isinstance(pilot.app.screen, TrainScreen)
            screen = await open_train(pilot)
            table = screen.query_one(RunsTable)
            assert table.run_ids == [FINISHED, FAILED, RUNNING]  # newest first
            states = [str(table.get_row(r)[1]) for r in table.run_ids]
            assert states == ["finished", "failed", "running"]
            assert "3 · 1 going" in str(screen.query_one("#runs-title", Label).content)

            # Re-attach: the running run is chosen and followed, not the newest.
            await until(pilot, lambda: followed(screen) == RUNNING)
            assert table.highlighted() == RUNNING
            stats = plain(screen.query_one("#run-stats", Static))
            assert "step 12/30" in stats and "ETA 9s" in stats and "812 tok/s" in stats
            assert "1 checkpoint" in stats

            # Steps the runner writes now show up without any key pressed.
            append(live, [step_event(13, 30), step_event(14, 30)])
            await until(pilot, lambda: "step 14/30" in plain(screen.query_one("#run-stats")))
            assert str(table.get_row(RUNNING)[3]) == "14/30"
            assert len(screen.query_one(LossChart).shown[0]) == 14

            # The runner ends with a final event: the view and the table say so.
            append(live, [{"type": "finished", "time": T0 + 20, "steps": 14}])
            subprocess.run(["kill", (live / PID_FILE).read_text()], check=True)
            await until(pilot, lambda: screen._trace is not None and not screen._trace.live)
            assert screen._trace is not None and screen._trace.state == "finished"
            await settle(pilot)
            assert str(table.get_row(RUNNING)[1]) == "finished"


async def test_choosing_a_run_shows_its_progress_advice_and_curves(ws: Workspace) -> None:
    write_run(ws, FAILED, run_events(3, 40, "failed"))
    write_run(ws, FINISHED, run_events(40, 40, "finished"), ckpts=(20, 40))
    app = AfinaApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_train(pilot)
        await settle(pilot)
        assert followed(screen) == FINISHED  # nothing running: the newest
        stats = plain(screen.query_one("#run-stats", Static))
        assert "step 40/40" in stats and f"loss {loss_at(40):.4f}" in stats
        assert f"val {loss_at(40) + 0.1:.4f}" in stats
        assert "2 checkpoints (newest at step 40)" in stats
        assert "ETA" not in stats  # a finished run has nothing left
        assert "the model is learning" in plain(screen.query_one("#run-advice", Static))
        train, val, total = screen.query_one(LossChart).shown
        assert len(train) == 40 and [s for s, _ in val] == [10, 20, 30, 40] and total == 40

        await pilot.press("down")  # the failed run
        await settle(pilot)
        await until(pilot, lambda: followed(screen) == FAILED)
        advice = plain(screen.query_one("#run-advice", Static))
        assert "failed: out of memory (lower batch_size)" in advice
        assert len(screen.query_one(LossChart).shown[0]) == 3


async def test_stop_signals_the_runner(ws: Workspace) -> None:
    live = write_run(ws, RUNNING, run_events(5, 30, None))
    with runner(live) as proc:
        app = AfinaApp(ws)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_train(pilot)
            await until(pilot, lambda: followed(screen) == RUNNING)
            await pilot.press("s")
            await until(pilot, lambda: proc.poll() is not None)
            await until(pilot, lambda: screen._trace is not None and not screen._trace.live)
            assert "resume" in plain(screen.query_one("#run-advice", Static))


async def test_a_run_started_elsewhere_shows_up(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(train_screen, "RELIST", 0.1)
    app = AfinaApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_train(pilot)
        assert NO_RUNS_TEXT in plain(screen.query_one("#run-head", Static))
        write_run(ws, FINISHED, run_events(5, 5, "finished"))  # e.g. by `afina train`
        table = screen.query_one(RunsTable)
        await until(pilot, lambda: table.run_ids == [FINISHED])


def test_thin_keeps_the_ends_and_averages() -> None:
    points = [(i, float(i)) for i in range(1, 1001)]
    out = thin(points, 100)
    assert len(out) == 100 and out[-1] == (1000, 995.5) and out[0] == (10, 5.5)


# -- the form, preflight and launch ------------------------------------------------------------


async def test_form_draws_the_lora_options_and_launches_with_them(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[TrainSettings, dict[str, Any]]] = []

    def create_run(ws_: Workspace, settings: TrainSettings, options: Any, **kw: Any) -> Any:
        calls.append((settings, options))
        run_dir = write_run(ws_, "20250102-000000-dddd", [])
        return run_dir, replace(RunSpec("20250102-000000-dddd", "", settings), examples=7)

    monkeypatch.setattr(jobs, "create_run", create_run)
    monkeypatch.setattr(jobs, "start", lambda run_dir, resume=False: 4242)
    app = AfinaApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_train(pilot)
        form = screen.query_one("#train-form")
        # the options a run gets: the recommended ones over the plugin's defaults
        for name, value in (("r", "16"), ("alpha", "32"), ("dropout", "0.05")):
            assert form.query_one(f"#opt-{name}", Input).value == value
        assert form.query_one("#opt-target_modules", Input).value == "all-linear"
        # settings afina.toml leaves out start empty: the recommendation decides them
        lr = form.query_one("#form-learning_rate", Input)
        assert lr.value == "" and lr.placeholder == "auto"
        assert "lora options" in str(form.query_one("#options-title", Label).content)
        assert NO_RUNS_TEXT in plain(screen.query_one("#run-head", Static))

        # Typing into the form: enter in a field launches.
        await pilot.press("n")  # to the form (base_model)
        await pilot.click("#form-epochs")
        assert "Passes over the training pairs" in plain(form.query_one("#form-help", Static))
        form.query_one("#form-epochs", Input).value = ""
        await pilot.press("2")
        form.query_one("#opt-r", Input).value = "4"
        form.query_one("#form-max_steps", Input).focus()
        form.query_one("#form-max_steps", Input).value = "20"
        await pilot.press("enter")
        await settle(pilot)
        assert len(calls) == 1
        settings, options = calls[0]
        # what the person typed, and the recommended values of what they left empty
        assert settings == replace(
            ws.config.train, epochs=2.0, max_steps=20, learning_rate=1e-3, batch_size=8
        )
        assert options == {"r": 4, "alpha": 32, "dropout": 0.05, "target_modules": "all-linear"}
        assert screen._run_id == "20250102-000000-dddd"
        assert screen.query_one(RunsTable).run_ids == ["20250102-000000-dddd"]
        assert any("pid 4242" in n.message for n in app._notifications)

        # A value the settings refuse is said in words; nothing starts.
        form.query_one("#form-epochs", Input).value = "two"
        await pilot.press("enter")
        await settle(pilot)
        assert len(calls) == 1
        assert any("epochs must be a number" in n.message for n in app._notifications)
        # So is one the settings' own checks refuse (by key), not only a wrong type.
        form.query_one("#form-epochs", Input).value = "2"
        form.query_one("#form-batch_size", Input).value = "0"
        await pilot.press("enter")
        await settle(pilot)
        assert len(calls) == 1
        assert any("'train.batch_size' must be at least 1" in n.message for n in app._notifications)


async def test_preflight_shows_what_it_measured(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from afina.tui.screens import train_screen

    report = {
        "base_model": "smollm2-135m-instruct",
        "method": "lora",
        "hardware": {"device": "cpu"},
        "precision": "fp32",
        "why": "fp32 on this CPU",
        "data": {
            "train": {
                "examples": 40,
                "kept": 38,
                "context_trimmed": 2,
                "dropped": {"too long": 2},
                "tokens": 5000,
                "longest": 400,
            }
        },
        "padding_share": 0.125,
        "steps_per_epoch": 10,
        "total_steps": 30,
        "seconds_per_step": 0.5,
        "estimated_seconds": 15,
        "peak_rss_mib": 900.0,
        "peak_gpu_mib": None,
        "template": {"answer_end_tokens": ["<|im_end|>"], "generation_stops_on": [], "ok": False},
    }
    monkeypatch.setattr(
        jobs, "create_run", lambda ws_, s, o, root=None: (root, RunSpec("x", "", s))
    )
    monkeypatch.setattr(train_screen, "measure_apart", lambda run_dir, cancelled: report)
    app = AfinaApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_train(pilot)
        await pilot.press("p")
        await settle(pilot)
        text = plain(screen.query_one("#preflight-text", Static))
        assert "10 steps per epoch, 30 in all" in text and "estimate 15s" in text
        assert "38 kept" in text and "2 dropped (2 too long)" in text
        assert "padding: 12.5%" in text and "MISMATCH" in text
        await pilot.press("escape")
        assert not screen.query_one("#preflight").has_class("shown")


async def test_a_failing_launch_is_a_notification(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*a: Any, **kw: Any) -> Any:
        raise UsageError("no accepted pairs to train on", "run `afina curate`")

    monkeypatch.setattr(jobs, "create_run", refuse)
    app = AfinaApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        await open_train(pilot)
        await pilot.click("#launch-button")
        await settle(pilot)
        assert any("no accepted pairs" in n.message for n in app._notifications)


async def test_a_gpu_box_can_be_chosen_to_run_on(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The boxes `afina remote add` saved are offered under "run on", and the launch goes
    to the one chosen (the SSH path itself is tested against a real sshd elsewhere)."""
    from textual.widgets import Select

    from afina.engine.actions import train as train_action
    from afina.engine.launch.remote.hosts import save_host
    from afina.engine.launch.remote.ssh import Host

    save_host(ws.root, Host("gpu", "me@gpu.example.org"))
    asked: list[str | None] = []

    def start_training(workspace: Workspace, request: Any, on: str | None = None) -> Any:
        asked.append(on)
        raise UsageError("stop here", None)

    monkeypatch.setattr(train_action, "start_training", start_training)
    app = AfinaApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        await open_train(pilot)
        where = app.screen.query_one("#form-where", Select)
        assert [str(o[0]) for o in where._options] == ["this machine", "gpu (me@gpu.example.org)"]
        where.value = "gpu"
        await pilot.pause()
        await pilot.click("#launch-button")
        await settle(pilot)
    assert asked == ["gpu"]


# -- snapshot ---------------------------------------------------------------------------------


def test_train_snapshot(ws: Workspace, snap_compare: Callable[..., bool]) -> None:
    write_run(ws, FINISHED, run_events(40, 40, "finished"), ckpts=(20, 40))

    async def run_before(pilot: Pilot[None]) -> None:
        await open_train(pilot)
        await settle(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(AfinaApp(ws), terminal_size=SIZE, run_before=run_before)
