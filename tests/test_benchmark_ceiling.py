"""benchmarks/demo_ceiling.py: the copy ceilings it reports, on a hand-made workspace."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"

TRAIN = [
    ("how much is the 300 plan?", "The 300 plan costs R$ 99,90 per month."),
    ("what are your opening hours?", "We open from 8:00 to 22:00, Monday to Saturday."),
    ("do you have a static ip?", "A static IP costs R$ 30,00 extra per month."),
]
HELDOUT = [
    # the first training question word for word: copy@1 recites the right answer
    {
        "id": "en-1",
        "lang": "en",
        "question": "how much is the 300 plan?",
        "reference": "The 300 plan costs R$ 99,90 per month.",
    },
    {
        "id": "pt-1",
        "lang": "pt",
        "question": "qual o horário?",
        "reference": "Abrimos das 8:00 às 22:00.",
    },
]


@pytest.fixture
def ceiling(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    return importlib.import_module("demo_ceiling")


def _workspace(tmp_path: Path) -> tuple[Path, Path]:
    exports = tmp_path / "ws" / "exports"
    exports.mkdir(parents=True)
    lines = [
        json.dumps(
            {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}
        )
        for q, a in TRAIN
    ]
    (exports / "pairs.train.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    examples = tmp_path / "heldout.jsonl"
    examples.write_text("".join(json.dumps(h) + "\n" for h in HELDOUT), encoding="utf-8")
    return tmp_path / "ws", examples


def test_ceilings_per_language(
    ceiling: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws, examples = _workspace(tmp_path)
    argv = [str(ws), "--examples", str(examples), "--embedder", "hash:64", "--k", "1,3", "--json"]
    assert ceiling.main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["train_pairs"] == 3 and out["examples"] == {"all": 2, "en": 1, "pt": 1}
    en, pt = out["means"]["en"], out["means"]["pt"]
    assert en["oracle.rouge_l"] == en["copy@1.rouge_l"] == 1.0
    # no training answer is the Portuguese reference; the best shares "8:00" and "22:00"
    assert 0 < pt["oracle.rouge_l"] < 1
    # with k = all three pairs, the best of k is the oracle
    assert pt["best of 3.rouge_l"] == pt["oracle.rouge_l"]
    assert out["means"]["all"]["oracle.token_f1"] == pytest.approx(
        (1 + pt["oracle.token_f1"]) / 2, abs=1e-3
    )


def test_assistant_answers_sit_beside_the_ceilings(
    ceiling: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws, examples = _workspace(tmp_path)
    answers = tmp_path / "answers.jsonl"
    answers.write_text(
        json.dumps(
            {
                "example": "en-1",
                "assistant": "ft",
                "tags": ["en"],
                "scores": {"rouge_l": 0.5, "token_f1": 0.25},
            }
        )
        + "\n",
        encoding="utf-8",
    )
    argv = [
        str(ws),
        "--examples",
        str(examples),
        "--embedder",
        "hash:64",
        "--answers",
        str(answers),
    ]
    assert ceiling.main(argv) == 0
    text = capsys.readouterr().out
    assert "| ft | 0.500 / 0.250 | 0.500 / 0.250 | nan / nan |" in text
    assert text.index("| oracle |") < text.index("| copy@1 |") < text.index("| ft |")


def test_missing_export_is_a_clear_error(ceiling: ModuleType, tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="no train split exported"):
        ceiling.main([str(tmp_path), "--embedder", "hash:64"])
