"""The generation-speed benchmark still runs: the tiny model, two questions, a few tokens.
Only the report's shape and the runs' agreement are checked; timings are never asserted."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    # benchmarks/ is a folder of scripts, not a package: import them the way running one does.
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    return importlib.import_module("generation_speed")


def test_questions_alternate_languages_from_the_held_out_set(bench: ModuleType) -> None:
    asked = bench.questions(4)
    assert len(asked) == 4 and len(set(asked)) == 4
    assert asked == bench.questions(4)  # always the same ones


def test_benchmark_smoke_on_the_tiny_model(
    bench: ModuleType, tiny_model: Path, curated_ws: Any, tmp_path: Path, capsys
) -> None:
    pytest.importorskip("peft")
    from afina.engine.rag.workspace_index import build_workspace_index

    build_workspace_index(curated_ws, options={"embedder": "hash:64"})
    report = tmp_path / "report.md"
    args = ["--model", str(tiny_model), "--workspace", str(curated_ws.root)]
    args += ["--kinds", "base,rag,ft", "--questions", "2", "--max-new-tokens", "5"]
    args += ["--repeat", "2", "--k", "2", "--json", "--out", str(report)]
    assert bench.main(args) == 0
    res = json.loads(capsys.readouterr().out)

    assert len(res["questions"]) == 2 and res["repeat"] == 2 and res["k"] == 2
    assert res["adapter"].startswith("fresh LoRA")
    assert [k["kind"] for k in res["kinds"]] == ["base", "rag", "ft"]
    prompt = {k["kind"]: k["prompt_tokens"] for k in res["kinds"]}
    assert prompt["rag"] > prompt["base"] == prompt["ft"]  # the sources lengthen the prompt
    for k in res["kinds"]:
        # The same greedy answers, token for token, whichever way they were generated.
        assert k["same_text"] is True
        assert k["afina"]["tokens"] == k["bare"]["tokens"] == k["thread"]["tokens"] == 10
        for who in ("afina", "bare", "thread"):
            run = k[who]
            assert run["ttft_ms"] > 0 and run["seconds"] > 0 and run["tokens_per_s"] > 0
        assert "first_text_ms" in k["afina"]
        for ratio in k["ratios"].values():
            assert ratio["ttft"] > 0 and ratio["tokens_per_s"] > 0
    text = report.read_text(encoding="utf-8")
    assert "| Kind | Prompt tokens | Run |" in text and text.count("| afina |") == 3
    assert "| Kind | afina / bare: TTFT |" in text
