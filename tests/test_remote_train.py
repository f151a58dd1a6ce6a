"""Training on a "GPU box" over SSH: this machine through a real sshd on 127.0.0.1, the
box's workdir a temporary folder and its Python the one running the tests (afina installed),
with the tiny model. The run goes over, outlives the link, stops and resumes there, and comes
back bit-identical to the same run made here."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

import pytest
from ssh_support import ALIAS, SSHServer, needs_sshd
from training_support import wait_for_end

from afina.engine.actions import train
from afina.engine.launch.registry import LAUNCH_FILE, launcher_for
from afina.engine.launch.remote.hosts import known_hosts_file, save_host
from afina.engine.launch.remote.ssh import Host, RemoteError, accept_host_key, scan_host_key
from afina.engine.launch.remote.ssh_launcher import SSHLauncher
from afina.engine.training import jobs
from afina.engine.training.events import read_events
from afina.tui.cli import main

pytestmark = [needs_sshd, pytest.mark.slow]
pytest.importorskip("peft")


def _box(ws, tmp_path: Path, name: str = "gpubox", dest: str = ALIAS, python: str = "") -> Host:
    host = Host(name, dest, workdir=str(tmp_path / "box"), python=python or sys.executable)
    save_host(ws.root, host)
    if dest == ALIAS:
        accept_host_key(scan_host_key(host), known_hosts_file(ws.root))
    return host


def _request(model: Path, steps: int = 6) -> train.TrainRequest:
    sets = (f"base_model={model}", f"max_steps={steps}", "eval_every=0", "checkpoint_every=3")
    return train.TrainRequest(overrides=(*sets, "batch_size=2", "max_length=128"))


def _adapter(final: Path) -> tuple[str, dict]:
    """The weights' sha256, and the config with its module list as a set: PEFT writes that
    list from a Python set, whose order changes with each process's hash seed."""
    config = json.loads((final / "adapter_config.json").read_text())
    config["target_modules"] = sorted(config["target_modules"])
    return hashlib.sha256((final / "adapter_model.safetensors").read_bytes()).hexdigest(), config


def _sha(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def _steps(run_dir: Path) -> list[int]:
    return [e["step"] for e in read_events(run_dir) if e["type"] == "step"]


def _wait(run_dir: Path, what, timeout: float = 120.0) -> None:
    deadline = time.time() + timeout
    while not what(read_events(run_dir)):
        assert time.time() < deadline, [e["type"] for e in read_events(run_dir)]
        jobs.status(run_dir)  # brings the mirror up to date
        time.sleep(0.3)


def test_a_remote_run_outlives_the_link_and_comes_back_bit_identical(
    curated_ws, tiny_model, sshd: SSHServer, tmp_path: Path, capsys
):
    ws = curated_ws
    host = _box(ws, tmp_path)
    started = train.start_training(ws, _request(tiny_model, steps=6), on="gpubox")
    run_dir = started.run_dir
    remote = tmp_path / "box" / "runs" / run_dir.name
    record = json.loads((run_dir / LAUNCH_FILE).read_text())
    assert record == {"launcher": "ssh", "host": {**record["host"], "destination": ALIAS}}
    assert isinstance(launcher_for(run_dir), SSHLauncher)
    # only the run's input went over: its spec and the scrubbed pairs, no store, no vault
    sent = {p.name for p in remote.iterdir()}
    assert {"spec.toml", "data"} <= sent and not sent & {".afina", "afina.toml", "afina.db"}

    _wait(run_dir, lambda ev: any(e["type"] == "step" for e in ev))
    # The link drops: the shared connection ends and the box stops answering for a while.
    SSHLauncher(host, known_hosts_file(ws.root)).ssh.close()
    sshd.stop()
    assert jobs.status(run_dir).state == "unreachable"
    tries: list[float] = []

    def reconnecting(error: RemoteError, delay: float) -> None:
        tries.append(delay)
        if len(tries) == 2:
            sshd.start()  # the box answers again; the run went on meanwhile

    seen = []
    for e in jobs.follow(run_dir, 0, poll=0.2, on_retry=reconnecting):
        if e is not None:
            seen.append(e["type"])
        if "finished" in seen:
            break
    assert tries == [1.0, 2.0]
    assert seen.count("step") == 6 and seen[0] == "started"  # caught up, nothing lost
    assert (run_dir / "events.jsonl").read_bytes() == (remote / "events.jsonl").read_bytes()

    # attach sees it finished and pulls the adapter, verified by hash
    assert not (run_dir / "final").exists()
    assert main(["-w", str(ws.root), "jobs", "attach", run_dir.name]) == 0
    assert "pulled final" in capsys.readouterr().err
    assert (run_dir / "metrics.json").is_file() and not (run_dir / "checkpoints").exists()
    assert jobs.status(run_dir).state == "finished"
    assert _sha(run_dir / "final") == _sha(remote / "final")

    # the same run made here: the same adapter, bit for bit
    local = train.start_training(ws, _request(tiny_model, steps=6))
    wait_for_end(local.run_dir)
    assert jobs.status(local.run_dir).state == "finished"
    assert _adapter(local.run_dir / "final") == _adapter(run_dir / "final")

    assert main(["-w", str(ws.root), "jobs", "pull", run_dir.name, "--checkpoints"]) == 0
    pulled = {p.name for p in (run_dir / "checkpoints").iterdir()}
    assert pulled == {p.name for p in (remote / "checkpoints").iterdir()} and pulled
    assert not list(run_dir.glob(".pull-*"))  # the staging folder is gone


def test_a_remote_run_stops_and_resumes_there(curated_ws, tiny_model, sshd, tmp_path, capsys):
    ws = curated_ws
    _box(ws, tmp_path)
    run_dir = train.start_training(ws, _request(tiny_model, steps=400), on="gpubox").run_dir
    _wait(run_dir, lambda ev: any(e["type"] == "checkpoint" for e in ev))
    assert main(["-w", str(ws.root), "jobs", "stop", run_dir.name]) == 0
    assert f"run {run_dir.name}: stopped" in capsys.readouterr().out
    stopped_at = max(_steps(run_dir))
    assert stopped_at < 400
    assert main(["-w", str(ws.root), "jobs", "resume", run_dir.name]) == 0
    _wait(run_dir, lambda ev: ev[-1]["type"] == "ready" or len(_steps(run_dir)) > stopped_at)
    resumed = [e for e in read_events(run_dir) if e["type"] == "ready"][-1]
    assert resumed.get("resumed_from")  # from the checkpoint made there
    assert jobs.stop(run_dir, force=True) in ("stopped", "interrupted")
    assert jobs.runner_pid(run_dir) is None


def test_a_box_that_is_down_refuses_in_one_line_and_makes_no_run(
    curated_ws, tiny_model, sshd, tmp_path, capsys
):
    ws = curated_ws
    _box(ws, tmp_path, "down", "downbox")
    args = ["-w", str(ws.root), "train", "--on", "down", "--base-model", str(tiny_model)]
    assert main(args) == 2
    error = capsys.readouterr().err.strip()
    assert "cannot reach downbox" in error and len(error.splitlines()) <= 2
    assert not list((ws.root / "runs").glob("*/spec.toml"))


def test_a_box_without_afina_says_to_set_it_up(curated_ws, tiny_model, sshd, tmp_path, capsys):
    ws = curated_ws
    if not Path("/usr/bin/python3").exists():
        pytest.skip("needs a system python without afina")
    _box(ws, tmp_path, python="/usr/bin/python3")
    args = ["-w", str(ws.root), "train", "--on", "gpubox", "--base-model", str(tiny_model)]
    assert main(args) == 2
    error = capsys.readouterr().err
    assert "afina is not installed" in error and "afina remote setup gpubox" in error
    assert not list((ws.root / "runs").glob("*/spec.toml"))


def test_a_failed_push_leaves_no_run(curated_ws, tiny_model, sshd, tmp_path, capsys):
    ws = curated_ws
    _box(ws, tmp_path)
    (tmp_path / "box").mkdir()
    (tmp_path / "box" / "runs").write_text("a file where the runs folder should be")
    args = ["-w", str(ws.root), "train", "--on", "gpubox", "--base-model", str(tiny_model)]
    assert main(args) == 2
    assert "making the run folder failed" in capsys.readouterr().err
    assert not list((ws.root / "runs").glob("*/spec.toml"))


def test_a_start_that_fails_after_the_push_leaves_nothing_here_or_there(
    curated_ws, tiny_model, sshd, tmp_path, capsys, monkeypatch
):
    from afina.engine.launch.remote.ssh import RemoteError
    from afina.engine.launch.remote.ssh_launcher import SSHLauncher

    ws = curated_ws
    _box(ws, tmp_path)
    real_check = SSHLauncher._check

    def failing_start(self, command, run_dir, *args, **kw):
        if command == "start":  # the push went through; the runner does not start
            raise RemoteError("gpubox: start failed on the box: out of memory")
        return real_check(self, command, run_dir, *args, **kw)

    monkeypatch.setattr(SSHLauncher, "_check", failing_start)
    args = ["-w", str(ws.root), "train", "--on", "gpubox", "--base-model", str(tiny_model)]
    assert main(args) == 2
    assert "out of memory" in capsys.readouterr().err
    assert not list((ws.root / "runs").glob("*/spec.toml"))
    box_runs = tmp_path / "box" / "runs"
    assert box_runs.is_dir() and not any(box_runs.iterdir())  # pushed, then removed there


def test_a_few_steps_of_the_real_embedded_model_on_the_box(curated_ws, sshd, tmp_path, capsys):
    """The workspace default (SmolLM2-135M-Instruct, no model named) trained on the box, and
    its adapter pulled back. ssh carries no environment, so the box's Python is a wrapper that
    uses this test's cache, as `afina remote setup --no-venv` writes one."""
    import os
    import shlex

    from afina.engine.models import DEFAULT_BASE, find
    from afina.engine.paths import cache_dir

    assert find(DEFAULT_BASE).ready  # converted once into the test cache
    wrapper = tmp_path / "box" / "bin" / "python"
    wrapper.parent.mkdir(parents=True)
    wrapper.write_text(
        "#!/bin/sh\n"
        f"AFINA_CACHE_DIR={shlex.quote(str(cache_dir()))} HF_HUB_OFFLINE=1 "
        f'TRANSFORMERS_OFFLINE=1 exec {shlex.quote(sys.executable)} "$@"\n'
    )
    os.chmod(wrapper, 0o755)
    ws = curated_ws
    _box(ws, tmp_path, python=str(wrapper))
    sets = ("max_steps=2", "max_length=192", "eval_every=2", "checkpoint_every=0")
    started = train.start_training(ws, train.TrainRequest(overrides=sets), on="gpubox")
    run_dir = started.run_dir
    assert main(["-w", str(ws.root), "jobs", "attach", run_dir.name]) == 0
    assert "pulled final" in capsys.readouterr().err
    events = read_events(run_dir)
    assert events[-1]["type"] == "finished", (run_dir / "runner.log").read_text()[-2000:]
    (ready,) = [e for e in events if e["type"] == "ready"]
    assert ready["total_params"] > 100_000_000  # the real model, not the tiny one
    steps = [e for e in events if e["type"] == "step"]
    assert len(steps) == 2 and all(0 < e["loss"] < 10 for e in steps)
    assert (run_dir / "final" / "adapter_model.safetensors").stat().st_size > 0
