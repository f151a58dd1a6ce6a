"""The evaluation domains of benchmarks/make_domains.py: deterministic, honest held-out sets, and
importable by afina as a new user would do it (no model is loaded)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from afina.tui.cli import cli

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
DOMAINS = ("clinic", "bakery")


@pytest.fixture(scope="module")
def make() -> ModuleType:
    # benchmarks/ is a folder of scripts, not a package: import them the way running one does.
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(BENCHMARKS))
        return importlib.import_module("make_domains")


@pytest.fixture(scope="module")
def written(make: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for name in DOMAINS:
        out[name] = tmp_path_factory.mktemp(name)
        make.write_domain(name, out[name])
    return out


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _heldout(root: Path) -> list[dict]:
    return [json.loads(x) for x in (root / "heldout.jsonl").read_text("utf-8").splitlines()]


def _train_pairs(root: Path) -> list[tuple[str, str]]:
    """Every question -> answer exchange of the training file, as afina should extract them."""
    if (root / "train.jsonl").is_file():
        rows = [json.loads(x) for x in (root / "train.jsonl").read_text("utf-8").splitlines()]
        return [(r["instruction"], r["output"]) for r in rows]
    pairs = []
    for chat in json.loads((root / "train.json").read_text("utf-8")):
        turns = chat["conversations"]
        pairs += [(a["value"], b["value"]) for a, b in zip(turns[::2], turns[1::2], strict=True)]
    return pairs


@pytest.mark.parametrize("name", DOMAINS)
def test_same_bytes_every_time(
    make: ModuleType, written: dict[str, Path], tmp_path: Path, name: str
) -> None:
    make.write_domain(name, tmp_path)
    assert _files(tmp_path) == _files(written[name])
    assert {"facts.json", "heldout.jsonl", "docs/faq-en.md"} <= set(_files(tmp_path))


@pytest.mark.parametrize("name", DOMAINS)
def test_heldout_is_honest(written: dict[str, Path], name: str) -> None:
    root = written[name]
    held = _heldout(root)
    pairs = _train_pairs(root)
    asked = {q.casefold().strip() for q, _ in pairs}
    assert len({r["id"] for r in held}) == len(held) >= 50
    assert {r["lang"] for r in held} == {"en", "pt"}
    for r in held:
        assert r["facts"] and all(f in r["reference"] for f in r["facts"]), r
        assert r["question"].casefold().strip() not in asked, r["question"]
    fact_ids = {f["id"] for f in json.loads((root / "facts.json").read_text("utf-8"))["facts"]}
    assert {i for r in held for i in r["fact_ids"]} == fact_ids  # every fact is asked


def test_clinic_shape(written: dict[str, Path]) -> None:
    """Paraphrases share answers, and some questions differ only by a greeting or filler."""
    pairs = _train_pairs(written["clinic"])
    assert 250 <= len(pairs) <= 320
    answers = [a for _, a in pairs]
    assert len(set(answers)) < len(answers) / 2
    questions = {q for q, _ in pairs}
    twins = json.loads((written["clinic"] / "manifest.json").read_text("utf-8"))["twins"]
    assert len(twins) >= 30
    for question, twin in twins:  # both asked, the twin only adding a greeting or filler
        assert {question, twin} <= questions and question != twin
        assert twin.casefold().find(question.casefold()[1:]) >= 0


@pytest.mark.parametrize("name,fmt", [("clinic", "alpaca"), ("bakery", "sharegpt")])
def test_afina_imports_and_extracts_every_pair(
    written: dict[str, Path], tmp_path: Path, name: str, fmt: str
) -> None:
    root = written[name]
    ws = tmp_path / "ws"
    runner = CliRunner()

    def afina(*args: str) -> dict:
        result = runner.invoke(cli, ["-w", str(ws), *args, "--json"])
        assert result.exit_code == 0, (result.output, result.exception)
        return json.loads(result.output)

    assert runner.invoke(cli, ["init", str(ws)]).exit_code == 0
    train = root / ("train.jsonl" if name == "clinic" else "train.json")
    imported = afina("import", str(train))
    (file,) = imported["files"]
    assert (file["importer"], file["status"], file["skipped"]) == (fmt, "imported", 0)
    assert imported["totals"]["refused"] == 0
    extracted = afina("pairs", "extract")
    assert extracted["added"] == len(_train_pairs(root))
