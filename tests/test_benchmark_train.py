"""The training benchmark still runs: the tutorial recipe (a), TRL's SFTTrainer set up for a CPU
(c) and afina's trainer (d), two steps each on the tiny model, each in its own process.

Only the report's shape is checked (fields there, numbers positive); timings are never asserted.
Variant b (SFTConfig's defaults: bf16 emulated on most CPUs, gradient checkpointing) is left out
for time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "train_throughput.py"


@pytest.mark.slow
def test_train_benchmark_reports_each_variant(tiny_model: Path, tmp_path: Path) -> None:
    pytest.importorskip("peft")
    pytest.importorskip("trl")
    report = tmp_path / "report.md"
    cmd = [sys.executable, str(SCRIPT), "--base-model", str(tiny_model), "--steps", "2"]
    cmd += ["--variants", "acd", "--matmul-size", "256", "--json", "--out", str(report)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    res = json.loads(proc.stdout)

    assert res["matmul"]["flops"] > 0
    assert res["examples"] == 8 and res["steps"] == 2
    assert [v["variant"] for v in res["variants"]] == ["a", "c", "d"]
    for v in res["variants"]:
        assert "error" not in v, v["error"]
        for key in ("tokens_per_s", "s_per_step", "seconds", "peak_rss_mib", "mfu", "params"):
            assert v[key] > 0, (v["variant"], key)
        assert v["timed_steps"] == 1
        assert 0 < v["loss_tokens"] <= v["real_tokens"] <= v["token_slots"]
        assert v["lora_targets"] == ["q_proj", "v_proj"]
        assert v["device"] == "cpu" or v["device"].startswith("cuda")
    a, c, d = res["variants"]
    assert a["padding"] > 0.5 > d["padding"]  # padded to max_length against to the longest
    assert a["loss_tokens"] == a["real_tokens"]  # the tutorial's loss is on every token
    assert c["loss_tokens"] < c["real_tokens"] and d["loss_tokens"] < d["real_tokens"]
    assert not c["gradient_checkpointing"] and c["precision"] == "fp32"
    assert {"d/a tokens_per_s", "d/c tokens_per_s", "d/c peak_rss"} <= set(res["ratios"])
    assert all(r > 0 for r in res["ratios"].values())

    text = report.read_text(encoding="utf-8")
    assert "| Variant | Precision |" in text and "| afina (d) against |" in text
    assert text.count("\n| a: ") == text.count("\n| c: ") == text.count("\n| d: ") == 1
