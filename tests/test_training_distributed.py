"""The same runner under `accelerate launch`: two processes on this CPU, talking over gloo."""

from __future__ import annotations

import socket

import pytest
from training_support import quick_settings, wait_for_end

from afina.engine.training import checkpoints, jobs
from afina.engine.training.events import read_events

pytest.importorskip("accelerate")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_two_process_run_under_accelerate(curated_ws, tiny_model):
    # accelerate's MULTI_GPU launcher is torchrun; on a machine without CUDA each process
    # trains on the CPU and the trainer joins them with the gloo backend.
    config = curated_ws.root / "accelerate.yaml"
    config.write_text(
        "compute_environment: LOCAL_MACHINE\ndistributed_type: MULTI_GPU\nnum_processes: 2\n"
        "num_machines: 1\nmachine_rank: 0\nmixed_precision: 'no'\nuse_cpu: false\n"
        f"main_process_ip: 127.0.0.1\nmain_process_port: {_free_port()}\n"
    )
    settings = quick_settings(
        curated_ws,
        tiny_model,
        max_steps=4,
        eval_every=2,
        checkpoint_every=2,
        launcher="accelerate",
        accelerate_config="accelerate.yaml",
    )
    run_dir, _ = jobs.create_run(curated_ws, settings)
    jobs.start(run_dir)
    wait_for_end(run_dir, timeout=240)
    events = read_events(run_dir)
    log = (run_dir / jobs.LOG_FILE).read_text()
    assert events[-1]["type"] == "finished", log[-3000:]
    (ready,) = [e for e in events if e["type"] == "ready"]
    assert ready["processes"] == 2
    # one lead writes events: each step once, not once per process
    assert [e["step"] for e in events if e["type"] == "step"] == [1, 2, 3, 4]
    newest = checkpoints.latest(run_dir)
    assert newest is not None and newest.name == "checkpoint-4"
    # each process saved its own random state into the same, complete checkpoint
    assert {p.name for p in newest.glob("rng_state_*.pth")} == {
        "rng_state_0.pth",
        "rng_state_1.pth",
    }
    assert (run_dir / "final" / "adapter_model.safetensors").is_file()
