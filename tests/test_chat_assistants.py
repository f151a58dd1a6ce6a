"""Assistants answering over one loaded run: base and ft from the same weights, retrieval
for few-shot, rag and ft+rag, and `afina ask`."""

from __future__ import annotations

import json

import pytest

from afina.engine.chat.assistants import Assistants
from afina.engine.errors import UsageError
from afina.engine.rag.embed import load_embedder
from afina.engine.training.spec import read_spec
from afina.tui.cli import main

pytest.importorskip("peft")
QUESTION = "qual o horário de atendimento da loja?"


def test_every_kind_answers_and_retrieval_kinds_carry_their_sources(tuned_ws):
    ws, run_dir = tuned_ws
    team = Assistants(ws, run_dir, k=2, embedder=load_embedder("hash:64"))
    answers = {
        kind: team.answer(kind, QUESTION, 8) for kind in ("base", "few-shot", "rag", "ft", "ft+rag")
    }
    for kind, a in answers.items():
        assert isinstance(a.text, str) and a.seconds > 0, kind
    assert [len(answers[k].sources) for k in ("base", "ft")] == [0, 0]
    for kind in ("few-shot", "rag", "ft+rag"):
        assert len(answers[kind].sources) == 2
        assert all(s.key.startswith("pair:") for s in answers[kind].sources)
    assert answers["rag"].messages[0]["role"] == "system"
    roles = ["system", *["user", "assistant"] * 2, "user"]
    assert [m["role"] for m in answers["few-shot"].messages] == roles
    # every kind starts from the system prompt the run trained with
    system = read_spec(run_dir).system_prompt
    assert system and all(a.messages[0]["content"].startswith(system) for a in answers.values())
    assert team._model is not None and team._model.adapter  # one model served all five
    # ft and base send the same prompt; only the weights differ (the adapter on or off)
    assert answers["ft"].messages == answers["base"].messages


def test_tuned_kinds_need_a_run(curated_ws):
    with pytest.raises(UsageError, match="needs a finished run"):
        Assistants(curated_ws).answer("ft", QUESTION)


def test_ask_prints_each_assistants_answer_as_json(tuned_ws, capsys):
    ws, run_dir = tuned_ws
    args = ["-w", str(ws.root), "ask", QUESTION, "--run", run_dir.name, "-a", "base", "-a", "ft"]
    assert main([*args, "--max-tokens", "6", "--json"]) == 0
    answers = json.loads(capsys.readouterr().out)
    assert [a["assistant"] for a in answers] == ["base", "ft"]
    assert all(a["question"] == QUESTION and a["sources"] == [] for a in answers)


def test_beside_a_full_fine_tune_the_base_kinds_answer_with_the_base_model(curated_ws, tiny_model):
    import threading

    from training_support import quick_settings

    from afina.engine.chat.assistants import base_assistant
    from afina.engine.training import jobs
    from afina.engine.training.objectives import train

    settings = quick_settings(curated_ws, tiny_model, method="full", max_steps=2)
    run_dir, spec = jobs.create_run(curated_ws, settings)
    train(spec, run_dir, None, threading.Event(), False)
    team = Assistants(curated_ws, run_dir)
    tuned, base = team.model_for("ft"), team.model_for("base")
    assert not tuned.adapter and base is not tuned  # no adapter to switch off
    assert team.model_for("rag") is base and team.model_for("ft+rag") is tuned
    plain = base_assistant(str(tiny_model)).model
    assert all(
        (a == b).all() for a, b in zip(base.model.parameters(), plain.parameters(), strict=True)
    )
    assert any(
        (a != b).any() for a, b in zip(tuned.model.parameters(), plain.parameters(), strict=True)
    )
