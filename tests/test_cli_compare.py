"""`afina compare` (JSON answers, blind votes typed at the prompt) and `afina chat` (JSON lines
from stdin, the REPL's commands), through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from afina.engine.chat.assistants import Assistants
from afina.engine.chat.compare import CompareSession
from afina.engine.rag.workspace_index import build_workspace_index
from afina.engine.workspace import open_workspace
from afina.tui.cli import cli

Q1 = "qual o horário de atendimento da loja?"
Q2 = "como troco a senha do wi-fi?"


@pytest.fixture
def ws(curated_ws: Any, chatty_model: Path) -> Any:
    """The curated sample workspace answering with the tiny model, with a hash index."""
    toml = curated_ws.root / "afina.toml"
    text = toml.read_text(encoding="utf-8")
    assert 'base_model = "smollm2-135m-instruct"' in text
    toml.write_text(text.replace("smollm2-135m-instruct", str(chatty_model)), encoding="utf-8")
    ws = open_workspace(curated_ws.root)
    build_workspace_index(ws, options={"embedder": "hash:64"})
    return ws


def invoke(ws: Any, args: list[str], stdin: str = "") -> Any:
    result = CliRunner().invoke(cli, ["-w", str(ws.root), *args], input=stdin)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def test_compare_json_writes_each_questions_answers_in_the_given_order(ws: Any) -> None:
    args = ["compare", "base", "rag", "-q", Q1, "-q", Q2, "-k", "2", "--max-tokens", "8"]
    result = invoke(ws, [*args, "--json"])
    rounds = [json.loads(line) for line in result.output.splitlines()]
    assert [r["question"] for r in rounds] == [Q1, Q2]
    for r in rounds:
        base, rag = r["answers"]
        assert (base["pane"], base["assistant"], rag["pane"], rag["assistant"]) == (
            "A",
            "base",
            "B",
            "rag",
        )
        assert base["answer"] and rag["answer"] and base["tokens"] > 0
        assert base["sources"] == [] and len(rag["sources"]) == 2
        assert r["votes"] == []
    with ws.open_store() as store:
        assert store.vote_count() == 0  # --json never votes


def test_compare_json_reads_questions_from_stdin_and_refuses_blind(ws: Any) -> None:
    result = invoke(ws, ["compare", "base", "few-shot", "--max-tokens", "4", "--json"], Q1 + "\n")
    [r] = [json.loads(line) for line in result.output.splitlines()]
    assert r["question"] == Q1 and len(r["answers"]) == 2
    refused = CliRunner().invoke(
        cli, ["-w", str(ws.root), "compare", "base", "rag", "--blind", "--json"]
    )
    assert refused.exit_code != 0 and "--json does not vote" in str(refused.exception)


def test_blind_compare_takes_a_vote_per_question_and_reveals_the_names(ws: Any) -> None:
    names = ["base", "rag"]
    # The same seed gives the same orders: what the CLI's session showed as A and B.
    shown = CompareSession(Assistants(ws), names, blind=True, seed=5)
    expected = [[p.name for p in shown.start(q).panes] for q in (Q1, Q2)]

    args = ["compare", *names, "--blind", "--seed", "5", "-q", Q1, "-q", Q2, "--tag", "cli"]
    result = invoke(ws, [*args, "--max-tokens", "6"], "a\nx\n")
    for order in expected:
        assert f"A was {order[0]}  ·  B was {order[1]}" in result.output
    assert "2 vote(s) saved" in result.output

    with ws.open_store() as store:
        rows = store.vote_rows(tag="cli")
    assert [(r["prompt"], r["left"], r["right"], r["outcome"]) for r in rows] == [
        (Q1, expected[0][0], expected[0][1], "a"),
        (Q2, expected[1][0], expected[1][1], "both_bad"),
    ]
    assert rows[0]["winner"] == expected[0][0]
    assert len({r["session"] for r in rows}) == 1 and rows[0]["session"]
    assert set(rows[0]["sources"]) == {"rag"}  # only the retrieving assistant had sources


def test_blind_three_way_votes_name_a_pair_and_skips_store_nothing(ws: Any) -> None:
    names = ["base", "few-shot", "rag"]
    shown = CompareSession(Assistants(ws), names, blind=True, seed=2)
    order = [p.name for p in shown.start(Q1).panes]

    args = ["compare", *names, "--blind", "--seed", "2", "-q", Q1, "-q", Q2, "--tag", "three"]
    # Q1: panes A and C, C better (after an invalid answer); Q2: skipped.
    result = invoke(ws, [*args, "--max-tokens", "4"], "ac\nb\nc\ns\n")
    assert "1 vote(s) saved" in result.output
    with ws.open_store() as store:
        [row] = store.vote_rows(tag="three")
    assert (row["left"], row["right"], row["outcome"]) == (order[0], order[2], "b")


def test_chat_json_answers_one_line_per_question(ws: Any) -> None:
    result = invoke(
        ws, ["chat", "-a", "rag", "-k", "2", "--max-tokens", "6", "--json"], f"{Q1}\n\n{Q2}\n"
    )
    answers = [json.loads(line) for line in result.output.splitlines()]
    assert [a["question"] for a in answers] == [Q1, Q2]
    for a in answers:
        assert a["assistant"] == "rag" and a["answer"] and len(a["sources"]) == 2
        assert a["tokens"] > 0 and a["first_token_s"] is not None


def test_chat_repl_streams_answers_and_shows_the_last_sources(ws: Any) -> None:
    result = invoke(ws, ["chat", "-a", "rag", "-k", "2", "--max-tokens", "6"], f"{Q1}\n/sources\n")
    answered = result.output.split("rag> ", 1)[1]
    assert "tokens" in answered
    assert "[1] pair:" in answered and "[2] pair:" in answered  # /sources, then EOF ends it
    result = invoke(ws, ["chat", "--max-tokens", "4"], "/help\n/sources\n/quit\nnever asked\n")
    assert "no command /help" in result.output and "ask first" in result.output
    assert "base> " not in result.output  # /quit ended it before the last line
