"""One short run on the real embedded model (SmolLM2-135M-Instruct), end to end: the
conversion cache, a detached run, the adapter, and an answer from the tuned assistant."""

from __future__ import annotations

import dataclasses
import json

import pytest
from training_support import wait_for_end

from afina.engine.training import jobs
from afina.engine.training.events import read_events

pytest.importorskip("peft")


def test_a_short_run_on_the_embedded_model_gives_an_adapter_that_answers(curated_ws):
    from afina.engine.chat.generate import load_run
    from afina.engine.models import DEFAULT_BASE, find

    assert find(DEFAULT_BASE).ready
    settings = curated_ws.config.train
    assert settings.base_model == DEFAULT_BASE  # the workspace default: no model named here
    settings = dataclasses.replace(settings, max_steps=2, max_length=192, eval_every=2)
    run_dir, _ = jobs.create_run(curated_ws, settings)
    jobs.start(run_dir)
    wait_for_end(run_dir, timeout=600)
    events = read_events(run_dir)
    assert events[-1]["type"] == "finished", (run_dir / jobs.LOG_FILE).read_text()[-3000:]
    (ready,) = [e for e in events if e["type"] == "ready"]
    assert ready["total_params"] > 100_000_000 and 0 < ready["trainable_params"] < 1_000_000
    steps = [e for e in events if e["type"] == "step"]
    assert len(steps) == 2 and all(0 < e["loss"] < 10 for e in steps)  # a real model's loss
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["eval_loss"] < 10
    assistant = load_run(run_dir)
    answer = assistant.reply([{"role": "user", "content": "Qual o horário da loja?"}], 24)
    assert answer.strip()
