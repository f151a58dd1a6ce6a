"""`afina jobs stop` signals the run's runner and nothing else: a stale runner.pid naming a
kernel thread, the caller itself or a process that took over the pid is a run not running."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from afina.engine.config import TrainSettings
from afina.engine.launch import pidfile
from afina.engine.launch.pidfile import PID_FILE, PidRecord, inspect, read_pid, write_pid
from afina.engine.training import jobs
from afina.engine.training.spec import RunSpec

KTHREADD = 2


def make_run(root: Path, name: str = "20250101-080000-cccc") -> Path:
    run_dir = root / "runs" / name
    run_dir.mkdir(parents=True)
    spec = RunSpec(
        id=name,
        created="2025-01-01T10:00:00+00:00",
        settings=TrainSettings(),
        method_options={},
        examples=1,
    )
    (run_dir / "spec.toml").write_text(spec.to_toml(), encoding="utf-8")
    started = {"type": "started", "time": 1.0, "pid": 1, "resume": False}
    (run_dir / "events.jsonl").write_text(json.dumps(started) + "\n", encoding="utf-8")
    return run_dir


@pytest.fixture
def signals(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, int]]:
    """Every signal a stop sends, recorded and not sent: a wrong one would end this test run."""
    sent: list[tuple[str, int, int]] = []
    monkeypatch.setattr(os, "kill", lambda pid, sig: sent.append(("kill", pid, sig)))
    monkeypatch.setattr(os, "killpg", lambda pgid, sig: sent.append(("killpg", pgid, sig)))
    return sent


@pytest.fixture
def stand_in(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[bytes]]]:
    """A live process naming the run on its command line, in this test's own process group."""
    run_dir = make_run(tmp_path)
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", str(run_dir)])
    try:
        yield run_dir, proc
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.skipif(not Path(f"/proc/{KTHREADD}/stat").exists(), reason="needs Linux's kthreadd")
@pytest.mark.parametrize("old_form", [True, False])
def test_a_pid_file_naming_a_kernel_thread_is_a_run_not_running(tmp_path, signals, old_form):
    run_dir = make_run(tmp_path)
    if old_form:
        (run_dir / PID_FILE).write_text(str(KTHREADD))
    else:
        write_pid(run_dir, KTHREADD)  # even with its true start time
        assert read_pid(run_dir) == PidRecord(KTHREADD, inspect(KTHREADD).start)
    assert jobs.stop(run_dir, wait=0.5) not in ("running", "starting")
    assert signals == []
    assert jobs.status(run_dir).pid is None


@pytest.mark.parametrize("old_form", [True, False])
def test_a_pid_file_naming_the_caller_itself_is_never_signalled(tmp_path, signals, old_form):
    # "pytest" is on this process's command line, as the run's folder name is on a runner's.
    run_dir = make_run(tmp_path, "pytest")
    if old_form:
        (run_dir / PID_FILE).write_text(str(os.getpid()))
    else:
        write_pid(run_dir, os.getpid())  # even with its true start time
    assert jobs.stop(run_dir, wait=0.5) not in ("running", "starting")
    assert signals == []
    assert jobs.runner_pid(run_dir) is None


def test_a_reused_pid_is_not_the_runner(stand_in, signals):
    run_dir, proc = stand_in
    record = {"pid": proc.pid, "start": "ticks:1"}  # the pid's earlier owner started then
    (run_dir / PID_FILE).write_text(json.dumps(record))
    assert jobs.runner_pid(run_dir) is None
    jobs.stop(run_dir, wait=0.5)
    assert signals == [] and proc.poll() is None


def test_a_runner_in_the_callers_process_group_is_stopped_alone(stand_in, monkeypatch):
    run_dir, proc = stand_in
    write_pid(run_dir, proc.pid)
    assert jobs.runner_pid(run_dir) == proc.pid
    groups: list[int] = []

    def killpg(pgid: int, sig: int) -> None:
        groups.append(pgid)
        raise AssertionError("a stop must never signal a process group it shares")

    monkeypatch.setattr(os, "killpg", killpg)
    jobs.stop(run_dir, wait=10)
    assert groups == []
    assert proc.wait(timeout=10) == -signal.SIGTERM
    assert jobs.runner_pid(run_dir) is None


def test_an_old_pid_file_of_a_live_runner_still_stops_it(tmp_path):
    run_dir = make_run(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", run_dir.name],
        start_new_session=True,
    )
    try:
        deadline = time.time() + 10
        while not inspect(proc.pid).argv:  # an old file is never that of a process in exec
            assert time.time() < deadline
            time.sleep(0.01)
        (run_dir / PID_FILE).write_text(str(proc.pid))  # written by an afina of before
        assert read_pid(run_dir) == PidRecord(proc.pid, None)
        assert jobs.runner_pid(run_dir) == proc.pid
        jobs.stop(run_dir, wait=10)
        assert proc.wait(timeout=10) == -signal.SIGTERM
    finally:
        proc.kill()
        proc.wait()


def test_the_pid_file_keeps_the_start_time_and_ps_reads_the_same_process(tmp_path, monkeypatch):
    run_dir = make_run(tmp_path)
    write_pid(run_dir, os.getpid())
    record = read_pid(run_dir)
    me = inspect(os.getpid())
    assert record is not None and me is not None and record.start == me.start
    assert not me.zombie and me.argv and me.argv[0]
    # Where there is no /proc (macOS): ps names the same process, with a start time that
    # holds still from one look to the next.
    first = pidfile._from_ps(os.getpid())
    time.sleep(1.1)
    again = pidfile._from_ps(os.getpid())
    assert first is not None and again is not None and first.start == again.start
    assert first.argv[:1] == me.argv[:1] and not first.zombie
    assert pidfile._from_ps(2**22 + 1) is None  # above any pid Linux hands out
    assert read_pid(make_run(tmp_path, "other")) is None
    for bad in ("", "x", "{}", '{"pid": "1"}', '{"pid": true}', "[1]"):
        (run_dir / PID_FILE).write_text(bad)
        assert read_pid(run_dir) is None, bad
