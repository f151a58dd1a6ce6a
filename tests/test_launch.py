"""Launchers by name, run folders that move, and a live run stopped through its launcher."""

from __future__ import annotations

import dataclasses
import json
import shutil
import time

import pytest
from training_support import quick_settings, wait_for_end

from afina.engine.config import LAUNCHERS, TrainSettings
from afina.engine.errors import ConfigError, UsageError
from afina.engine.launch.accelerate_launch import AccelerateLauncher
from afina.engine.launch.local import LocalLauncher
from afina.engine.launch.registry import LAUNCH_FILE, get_launcher, launcher_for, launcher_names
from afina.engine.training import jobs
from afina.engine.training.events import parse_lines, read_events
from afina.engine.training.spec import SPEC_FILE, RunSpec, read_spec


def test_the_registry_knows_local_and_accelerate_and_names_them_for_an_unknown_one():
    assert {"local", "accelerate"} <= set(launcher_names())
    assert isinstance(get_launcher("local"), LocalLauncher)
    assert isinstance(get_launcher("accelerate"), AccelerateLauncher)
    with pytest.raises(UsageError) as e:
        get_launcher("slurm")
    assert "'slurm'" in e.value.message
    assert e.value.hint is not None and "accelerate" in e.value.hint and "local" in e.value.hint


def test_an_unknown_launcher_is_refused_where_the_settings_are_made(curated_ws):
    with pytest.raises(ConfigError, match="launcher") as e:
        dataclasses.replace(curated_ws.config.train, launcher="slurm")
    assert "accelerate" in str(e.value.message)
    assert not jobs.runs_dir(curated_ws).exists() or not any(jobs.runs_dir(curated_ws).iterdir())


def test_the_settings_know_exactly_the_registered_launchers():
    # config sits on the lowest floor and cannot ask the registry, so it keeps the names.
    assert set(LAUNCHERS) == set(launcher_names())


def test_an_old_spec_naming_its_workspace_still_reads_and_a_new_one_names_none(tmp_path):
    spec = RunSpec(id="r1", created="2025-01-01T10:00:00+00:00", settings=TrainSettings())
    text = spec.to_toml()
    assert "workspace" not in text
    old = text.replace("[run]\n", '[run]\nworkspace = "/home/someone/ws"\n')
    assert old != text
    (tmp_path / SPEC_FILE).write_text(old)
    assert read_spec(tmp_path) == spec


def test_a_run_without_a_launch_record_is_asked_locally(tmp_path):
    assert isinstance(launcher_for(tmp_path), LocalLauncher)
    (tmp_path / LAUNCH_FILE).write_text(json.dumps({"launcher": "accelerate"}))
    assert isinstance(launcher_for(tmp_path), AccelerateLauncher)


def test_accelerate_config_is_carried_into_the_run_and_named_from_there(curated_ws):
    (curated_ws.root / "multi.yaml").write_text("num_processes: 2\n")
    settings = dataclasses.replace(
        curated_ws.config.train, launcher="accelerate", accelerate_config="multi.yaml"
    )
    run_dir, spec = jobs.create_run(curated_ws, settings)
    assert spec.settings.accelerate_config == "accelerate.yaml"
    assert (run_dir / "accelerate.yaml").read_text() == "num_processes: 2\n"
    assert read_spec(run_dir).settings.accelerate_config == "accelerate.yaml"
    cmd = AccelerateLauncher().command(run_dir)
    assert cmd[cmd.index("--config_file") + 1] == str(run_dir / "accelerate.yaml")
    assert str(curated_ws.root) not in (run_dir / SPEC_FILE).read_text()

    missing = dataclasses.replace(settings, accelerate_config="gone.yaml")
    with pytest.raises(UsageError, match=r"gone\.yaml"):
        jobs.create_run(curated_ws, missing)
    assert [p.name for p in jobs.runs_dir(curated_ws).iterdir()] == [run_dir.name]


def test_a_missing_replay_file_is_refused_and_a_dataset_id_stays_an_id(curated_ws):
    settings = dataclasses.replace(
        curated_ws.config.train, replay_data="general.jsonl", replay_fraction=0.2
    )
    with pytest.raises(UsageError, match=r"general\.jsonl"):
        jobs.create_run(curated_ws, settings)
    by_id = dataclasses.replace(settings, replay_data="someone/general-chat")
    _, spec = jobs.create_run(curated_ws, by_id)
    assert spec.settings.replay_data == "someone/general-chat"


def test_a_run_folder_copied_elsewhere_runs_there_without_its_workspace(
    curated_ws, tiny_model, tmp_path
):
    replay = [{"instruction": f"diga {i}", "output": f"número {i}"} for i in range(40)]
    (curated_ws.root / "general.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in replay)
    )
    settings = quick_settings(
        curated_ws,
        tiny_model,
        max_steps=3,
        eval_every=0,
        checkpoint_every=0,
        replay_data="general.jsonl",
        replay_fraction=0.5,
    )
    run_dir, spec = jobs.create_run(curated_ws, settings)
    # the replay file travels with the run, under a name relative to it
    assert (run_dir / "data" / "replay.jsonl").read_text().count("\n") == 40
    text = (run_dir / SPEC_FILE).read_text()
    assert 'replay_data = "data/replay.jsonl"' in text
    assert str(curated_ws.root) not in text

    moved = tmp_path / "elsewhere" / "moved-run"
    shutil.copytree(run_dir, moved)
    shutil.rmtree(curated_ws.root)
    assert jobs.start(moved) is not None
    assert json.loads((moved / LAUNCH_FILE).read_text()) == {"launcher": "local"}
    wait_for_end(moved)
    events = read_events(moved)
    log = (moved / jobs.LOG_FILE).read_text()
    assert events[-1]["type"] == "finished", log[-3000:]
    (ready,) = [e for e in events if e["type"] == "ready"]
    assert ready["examples"] > spec.examples  # the carried replay data was mixed in
    assert (moved / "final" / "adapter_model.safetensors").is_file()
    assert jobs.status(moved).state == "finished"
    assert not run_dir.exists()


def test_a_live_local_run_is_seen_followed_and_stopped_through_its_launcher(curated_ws, tiny_model):
    settings = quick_settings(curated_ws, tiny_model, max_steps=200, checkpoint_every=1000)
    run_dir, _ = jobs.create_run(curated_ws, settings)
    pid = jobs.start(run_dir)
    launcher = launcher_for(run_dir)
    assert isinstance(launcher, LocalLauncher)
    offset, seen = 0, []
    deadline = time.time() + 120
    while not any(e["type"] == "step" for e in seen):
        assert time.time() < deadline, [e["type"] for e in seen]
        assert launcher.alive(run_dir) is not None, (run_dir / jobs.LOG_FILE).read_text()[-2000:]
        chunk, offset = launcher.follow(run_dir, offset)
        seen += parse_lines(chunk)
        time.sleep(0.1)
    # the runner wrote its own pid over the launcher's; both are the same process here
    assert launcher.alive(run_dir) == jobs.runner_pid(run_dir) == pid
    assert seen[0]["type"] == "started"
    assert launcher.follow(run_dir, offset)[1] >= offset  # reading on, never back
    launcher.stop(run_dir)
    assert launcher.alive(run_dir) is None
    assert jobs.status(run_dir).state == "stopped"
    rest = parse_lines(launcher.follow(run_dir, offset)[0])
    assert rest and rest[-1]["type"] == "stopped"
    launcher.stop(run_dir)  # stopping an ended run is a no-op
