"""Training runs as detached jobs on a tiny model: events, checkpoints, kills and resumes."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from training_support import quick_settings, wait_for_end

from afina.engine.errors import UsageError
from afina.engine.training import checkpoints, jobs
from afina.engine.training.events import read_events
from afina.tui.cli import main

pytest.importorskip("peft")


def _types(run_dir: Path) -> list[str]:
    return [e["type"] for e in read_events(run_dir) if e["type"] != "heartbeat"]


def _adapter(run_dir: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(run_dir / "final" / "adapter_model.safetensors")


def _wait_for(run_dir: Path, pred, timeout: float = 120.0) -> None:
    deadline = time.time() + timeout
    while not any(pred(e) for e in read_events(run_dir)):
        assert time.time() < deadline, f"timed out; events: {_types(run_dir)}"
        if jobs.runner_pid(run_dir) is None:  # ended: what it wrote last may be what we want
            assert any(pred(e) for e in read_events(run_dir)), _types(run_dir)
            return
        time.sleep(0.05)


def test_a_run_ends_with_an_adapter_metrics_and_only_complete_checkpoints(curated_ws, tiny_model):
    run_dir, spec = jobs.create_run(curated_ws, quick_settings(curated_ws, tiny_model))
    assert spec.examples > 100
    assert (run_dir / "data" / "pairs.train.jsonl").is_file()
    jobs.start(run_dir)
    wait_for_end(run_dir)
    types = _types(run_dir)
    assert types[:2] == ["started", "ready"], types
    assert types[-1] == "finished", (run_dir / jobs.LOG_FILE).read_text()[-2000:]
    assert types.count("step") == 6 and types.count("eval") == 3  # steps 0, 3, 6
    assert types.count("checkpoint") == 2
    # keep_checkpoints = 2 by default; both are complete, staging holds nothing half-done
    done = checkpoints.complete(run_dir)
    assert [step for step, _ in done] == [3, 6]
    assert not any((run_dir / checkpoints.STAGING).glob("checkpoint-*"))
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["steps"] == 6 and metrics["tokens"] > 0
    assert len(metrics["train_losses"]) == 6 and len(metrics["validation_losses"]) == 3
    assert (run_dir / "final" / "adapter_config.json").is_file()
    st = jobs.status(run_dir)
    assert (st.state, st.step, st.total) == ("finished", 6, 6)


def test_kills_mid_checkpoint_and_mid_step_then_resume_match_an_uninterrupted_run(
    curated_ws, tiny_model, monkeypatch
):
    torch = pytest.importorskip("torch")
    settings = quick_settings(curated_ws, tiny_model, max_steps=30, eval_every=0)
    clean, _ = jobs.create_run(curated_ws, settings)
    jobs.start(clean)
    wait_for_end(clean)

    run_dir, _ = jobs.create_run(curated_ws, settings)
    # 1. killed while writing the checkpoint of step 6: its files are there, unmarked
    monkeypatch.setenv("AFINA_FAULT", "kill-at-checkpoint:6")
    jobs.start(run_dir)
    wait_for_end(run_dir)
    monkeypatch.delenv("AFINA_FAULT")
    assert jobs.status(run_dir).state == "interrupted"
    assert [s for s, _ in checkpoints.complete(run_dir)] == [3]
    # 2. resumed from step 3, then killed from outside in the middle of a step after step 10
    jobs.resume(run_dir)
    _wait_for(run_dir, lambda e: e["type"] == "step" and e["step"] >= 10)
    pid = jobs.runner_pid(run_dir)
    assert pid is not None, "the run ended before it could be killed"
    os.killpg(os.getpgid(pid), signal.SIGKILL)
    wait_for_end(run_dir)
    assert jobs.status(run_dir).state == "interrupted"
    resumed_at = checkpoints.latest(run_dir)
    assert resumed_at is not None and resumed_at.name != "checkpoint-3"
    # 3. resumed from there to the end
    jobs.resume(run_dir)
    wait_for_end(run_dir)
    assert jobs.status(run_dir).state == "finished"
    starts = [e.get("resumed_from") for e in read_events(run_dir) if e["type"] == "ready"]
    assert [Path(s).name if s else None for s in starts] == [None, "checkpoint-3", resumed_at.name]
    a, b = _adapter(clean), _adapter(run_dir)
    assert a.keys() == b.keys()
    # Same seed, same data order, restored RNG and optimizer: equal within 1e-6.
    for k in a:
        assert torch.allclose(a[k], b[k], atol=1e-6), k


def test_stop_saves_a_checkpoint_and_resume_finishes(curated_ws, tiny_model):
    settings = quick_settings(curated_ws, tiny_model, max_steps=30, checkpoint_every=1000)
    run_dir, _ = jobs.create_run(curated_ws, settings)
    jobs.start(run_dir)
    _wait_for(run_dir, lambda e: e["type"] == "step" and e["step"] >= 2)
    assert jobs.status(run_dir).state == "running"
    assert jobs.stop(run_dir) == "stopped"
    done = checkpoints.complete(run_dir)
    assert len(done) == 1 and done[0][0] >= 2  # saved where it stopped, not at step 1000
    assert not (run_dir / "final").exists()  # a stopped run has no final result yet
    jobs.resume(run_dir)
    with pytest.raises(UsageError, match="still running"):
        jobs.resume(run_dir)
    wait_for_end(run_dir)
    st = jobs.status(run_dir)
    assert (st.state, st.step) == ("finished", 30)
    assert (run_dir / "final" / "adapter_model.safetensors").is_file()


def test_a_missing_base_model_ends_in_a_failed_event_that_says_what_to_do(curated_ws, tmp_path):
    settings = quick_settings(curated_ws, tmp_path / "no-such-model")
    run_dir, _ = jobs.create_run(curated_ws, settings)
    jobs.start(run_dir)
    wait_for_end(run_dir)
    failed = [e for e in read_events(run_dir) if e["type"] == "failed"]
    assert len(failed) == 1
    assert "no-such-model" in failed[0]["message"]
    assert failed[0]["hint"]
    assert jobs.status(run_dir).state == "failed"


@pytest.mark.parametrize(
    ("fault", "said", "kept"),
    [
        ("disk-full-at-checkpoint:6", "the disk is full", [3]),
        ("oom-at-step:5", "out of memory", [3]),
    ],
)
def test_a_full_disk_or_no_memory_fails_with_advice_and_keeps_the_last_checkpoint(
    curated_ws, tiny_model, monkeypatch, fault, said, kept
):
    run_dir, _ = jobs.create_run(curated_ws, quick_settings(curated_ws, tiny_model, eval_every=0))
    monkeypatch.setenv("AFINA_FAULT", fault)
    jobs.start(run_dir)
    wait_for_end(run_dir)
    monkeypatch.delenv("AFINA_FAULT")
    (failed,) = [e for e in read_events(run_dir) if e["type"] == "failed"]
    assert failed["message"].startswith(said) and "resume" in failed["hint"]
    assert [s for s, _ in checkpoints.complete(run_dir)] == kept
    jobs.resume(run_dir)  # once the cause is gone, the run goes on from there
    wait_for_end(run_dir)
    assert jobs.status(run_dir).state == "finished"


def test_train_needs_accepted_pairs(tmp_path, capsys):
    assert main(["init", str(tmp_path / "w")]) == 0
    assert main(["-w", str(tmp_path / "w"), "train"]) == 2
    assert "no accepted pairs" in capsys.readouterr().err


def test_cli_train_follow_jobs_and_logs(curated_ws, tiny_model, capsys):
    w = ["-w", str(curated_ws.root)]
    sets = ["--base-model", str(tiny_model), "--set", "max_steps=3", "--set", "eval_every=0"]
    assert main([*w, "train", *sets, "--option", "r=4", "--follow", "--json"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert lines[0]["type"] == "started" and lines[-1]["type"] == "finished"
    assert main([*w, "jobs", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert (listed["state"], listed["step"], listed["method"]) == ("finished", 3, "lora")
    run_dir = curated_ws.root / "runs" / listed["id"]
    assert "r = 4" in (run_dir / "spec.toml").read_text()
    assert main([*w, "jobs", "logs", listed["id"][:12], "--events", "-n", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["type"] == "finished"
    assert main([*w, "jobs", "resume", "--json"]) == 2
    assert "has finished" in capsys.readouterr().err
    assert main([*w, "jobs", "curves", "--json"]) == 0
    curves = json.loads(capsys.readouterr().out)
    assert [step for step, _ in curves["train"]] == [1, 2, 3]
    assert main([*w, "jobs", "curves"]) == 0
    assert "loss" in capsys.readouterr().out  # drawn in the terminal


def test_bad_overrides_and_options_are_refused_before_any_work(curated_ws, capsys):
    w = ["-w", str(curated_ws.root)]
    assert main([*w, "train", "--set", "batch_sise=4"]) == 2
    assert "batch_size" in capsys.readouterr().err  # the known keys are listed
    assert main([*w, "train", "--set", "epochs=many"]) == 2
    assert "must be a number" in capsys.readouterr().err
    assert main([*w, "train", "--option", "rank=4"]) == 2
    assert "no option 'rank'" in capsys.readouterr().err
    assert main([*w, "train", "--method", "lorra"]) == 2
    assert "installed: " in capsys.readouterr().err
    assert not (curated_ws.root / "runs").exists() or not any((curated_ws.root / "runs").iterdir())


def test_a_classifier_run_copies_its_labelled_file_and_reports_f1(curated_ws, tiny_model, capsys):
    rows = [{"text": f"minha internet caiu de novo {i}", "label": "suporte"} for i in range(12)] + [
        {"text": f"quero pagar a fatura do mês {i}", "label": "financeiro"} for i in range(12)
    ]
    (curated_ws.root / "labels.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    w = ["-w", str(curated_ws.root)]
    args = ["train", "--method", "seq-classification", "--option", "data=labels.jsonl"]
    args += ["--base-model", str(tiny_model), "--set", "max_steps=4", "--set", "eval_every=2"]
    assert main([*w, *args, "-f", "--json"]) == 0
    final = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert final["type"] == "finished", final
    run_dir = jobs.find_run(curated_ws, None)
    assert (run_dir / "data" / "labels.jsonl").read_text().count("\n") == 24
    assert 'data = "data/labels.jsonl"' in (run_dir / "spec.toml").read_text()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    for key in ("accuracy", "precision", "recall", "f1"):
        assert 0.0 <= metrics[key] <= 1.0, (key, metrics)
    assert main([*w, "train", "--method", "seq-classification"]) == 2
    assert "needs a labelled file" in capsys.readouterr().err


@pytest.mark.parametrize("fails", [False, True])
def test_preflight_reads_a_child_that_writes_megabytes_to_stderr(tmp_path, monkeypatch, fails):
    """transformers can warn a lot: more than a pipe holds (64 KiB) must not stall the dry
    run, and the message of a failed one is still the child's last line."""
    import sys

    from afina.engine.errors import AfinaError
    from afina.engine.training import preflight

    child = tmp_path / "python"  # stands in for the interpreter measure_apart starts
    child.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        "for i in range(20_000):\n"
        "    sys.stderr.write(f'warning {i}: ' + 'x' * 90 + '\\n')\n"
        + (
            "sys.stderr.write('RuntimeError: boom\\n')\nsys.exit(1)\n"
            if fails
            else "print('{\"steps\": 3}')\n"
        )
    )
    child.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(child))
    deadline = time.time() + 60  # before the fix the child blocked for ever on a full pipe
    cancelled = lambda: time.time() > deadline  # noqa: E731
    if fails:
        with pytest.raises(AfinaError, match=r"^preflight failed: RuntimeError: boom$"):
            preflight.measure_apart(tmp_path, cancelled)
    else:
        assert preflight.measure_apart(tmp_path, cancelled) == {"steps": 3}
    assert time.time() < deadline
