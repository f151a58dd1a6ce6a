"""The import benchmark still runs: small generated exports go through afina's measured import.

Only counts are checked (messages generated == turns stored); timings are never asserted.
The competitors are left out: they are benchmark-only dependencies.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    # benchmarks/ is a folder of scripts, not a package: import them the way running one does.
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    return importlib.import_module("import_throughput")


def test_generated_whatsapp_is_stored_whole(bench: ModuleType, tmp_path: Path) -> None:
    stats = bench.write_whatsapp(tmp_path / "chat.txt", 3_000)
    assert stats.lines == len(stats.path.read_text(encoding="utf-8").splitlines()) == 3_000
    assert 0 < stats.messages < stats.lines
    m = bench.measure("afina", stats.path, tmp_path / "work")
    assert m.messages == stats.messages
    assert not m.error


def test_generated_chatgpt_is_stored_whole(bench: ModuleType, tmp_path: Path) -> None:
    stats = bench.write_chatgpt(tmp_path / "conversations.json", 250, per_conversation=20)
    assert stats.conversations == 13  # 12 full conversations and one of 10 messages
    m = bench.measure("afina", stats.path, tmp_path / "work")
    assert m.messages == stats.messages == 250


def test_generators_are_deterministic(bench: ModuleType, tmp_path: Path) -> None:
    a = bench.write_whatsapp(tmp_path / "a.txt", 500)
    b = bench.write_whatsapp(tmp_path / "b.txt", 500)
    assert a.path.read_bytes() == b.path.read_bytes()


def test_results_section_is_replaced_not_duplicated(bench: ModuleType, tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\n## Other\n\nkept\n", encoding="utf-8")
    bench.write_results(f"{bench.SECTION}\n\nfirst\n", results)
    bench.write_results(f"{bench.SECTION}\n\nsecond\n", results)
    text = results.read_text(encoding="utf-8")
    assert text.count(bench.SECTION) == 1
    assert "second" in text and "first" not in text and "kept" in text


def test_hostile_inputs_benchmark_runs_a_refusal_and_a_baseline(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    hostile = importlib.import_module("hostile_inputs")
    hostile.benign(tmp_path / "chat.txt", 1)
    code, peak, _, said = hostile.run_import(tmp_path, tmp_path / "chat.txt")
    assert code == 0 and peak > 0 and "1 imported" in said
    hostile.yaml_aliases(tmp_path / "bomb.yml")
    code, _, _, said = hostile.run_import(
        tmp_path, tmp_path / "bomb.yml", "--format", "chatterbot-yaml"
    )
    assert code == 2 and "alias" in said
