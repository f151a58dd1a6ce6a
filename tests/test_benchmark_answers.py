"""benchmarks/answer_variants.py runs on a finished run and measures what it says it does (a
tiny model: the numbers mean nothing, their presence and shape do)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(BENCHMARKS))
        return importlib.import_module("answer_variants")


def test_variants_are_parsed_and_loops_found(bench: ModuleType) -> None:
    assert bench.parse_variant("plain1.1-pairs-k2") == {
        "penalty": 1.1,
        "plain": True,
        "pairs": True,
        "k": 2,
    }
    with pytest.raises(SystemExit, match="unknown variant part"):
        bench.parse_variant("p1.2-fast")
    assert bench.loops("E que? E que? E que? E que?")
    assert not bench.loops("We open at 8:00 and close at 19:00.")


def test_every_variant_answers_every_example(bench: ModuleType, tuned_ws, tmp_path, capsys):
    ws, run_dir = tuned_ws
    rows = [json.loads(x) for x in (run_dir / "data" / "pairs.test.jsonl").read_text().splitlines()]
    examples = tmp_path / "examples.jsonl"
    with examples.open("w") as f:
        for row in rows[:3]:
            user = next(m["content"] for m in row["messages"] if m["role"] == "user")
            answer = next(m["content"] for m in row["messages"] if m["role"] == "assistant")
            f.write(json.dumps({"question": user, "reference": answer, "facts": []}) + "\n")
    out = tmp_path / "answers.jsonl"
    args = ["--workspace", str(ws.root), "--run", run_dir.name, "--examples", str(examples)]
    variants = ["--variant", "p1.2", "--variant", "plain1.2-pairs-k2"]
    assert bench.main([*args, *variants, "--assistants", "base,rag,ft+rag", "--out", str(out)]) == 0
    printed = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(r["variant"], r["assistant"]) for r in printed] == [
        (v, a) for v in ("p1.2", "plain1.2-pairs-k2") for a in ("base", "rag", "ft+rag")
    ]
    saved = [json.loads(x) for x in out.read_text().splitlines()]
    assert all(len(r["answers"]) == 3 and 0.0 <= r["rouge_l"] <= 1.0 for r in saved)
