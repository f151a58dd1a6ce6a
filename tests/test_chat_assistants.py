"""Assistants answering over one loaded run: base and ft from the same weights, retrieval
for few-shot, rag and ft+rag, and `afina ask`."""

from __future__ import annotations

import json

import pytest

from afina.engine.chat.assistants import Assistants
from afina.engine.errors import UsageError
from afina.engine.rag.embed import load_embedder
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
    assert [m["role"] for m in answers["few-shot"].messages] == ["user", "assistant"] * 2 + ["user"]
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
