"""Export: every format parses back to the pairs it was written from, multi-turn context lands
where the docs say, writes are atomic, and the Hugging Face folder loads with load_from_disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from afina.engine.curation import export as ex
from afina.engine.curation.export import ExportError, ExportPair, export_pairs

SYSTEM = "Você é o atendente da Lumiar Fibra."
PAIRS = [
    ExportPair(
        prompt="Quanto custa o plano 600?",
        response="O Lumiar 600 custa R$ 129,90 por mês.",
        split="train",
        id=1,
        tags=("preço",),
    ),
    ExportPair(
        prompt="E tem fidelidade?",
        response="Sim, de 12 meses.\nA multa é proporcional.",
        context=(("user", "Quanto custa o plano 600?"), ("assistant", "R$ 129,90 por mês.")),
        system=SYSTEM,
        split="validation",
        id=2,
    ),
    ExportPair(prompt="Router blinking red 🚨", response="Unplug it for 30 s.", split="test", id=3),
]
CARD = {
    "title": "Lumiar | suporte",
    "filters": {"min_length": 12, "language": "pt, en only"},
    "pii": "E-mails, phones and CPFs replaced by placeholders such as <EMAIL_1>.",
    "sources": [
        {
            "path": "whatsapp/Conversa com Ana.zip",
            "sha256": "ab" * 32,
            "importer": "whatsapp",
            "conversations": 1,
            "turns": 12,
        },
    ],
    "dedupe": "near duplicates at Jaccard 0.8",
}


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_messages_jsonl_round_trips_with_context_as_earlier_messages(tmp_path: Path) -> None:
    result = export_pairs(PAIRS, "messages", tmp_path / "out.jsonl", card=CARD)
    records = lines(tmp_path / "out.jsonl")
    assert [list(r) for r in records] == [["messages"]] * 3
    assert records[0]["messages"] == [
        {"role": "user", "content": "Quanto custa o plano 600?"},
        {"role": "assistant", "content": "O Lumiar 600 custa R$ 129,90 por mês."},
    ]
    roles = [m["role"] for m in records[1]["messages"]]
    assert roles == ["system", "user", "assistant", "user", "assistant"]
    assert records[1]["messages"][-1]["content"] == PAIRS[1].response  # newline kept
    assert records[2]["messages"][0]["content"] == "Router blinking red 🚨"
    assert result.paths == (tmp_path / "out.jsonl",)
    assert result.counts == {"train": 1, "validation": 1, "test": 1}


def test_prompt_completion_flattens_system_and_context(tmp_path: Path) -> None:
    export_pairs(PAIRS, "prompt-completion", tmp_path / "pc.jsonl")
    first, second, _ = lines(tmp_path / "pc.jsonl")
    assert first == {"prompt": PAIRS[0].prompt, "completion": PAIRS[0].response}
    assert second["prompt"] == (
        f"{SYSTEM}\n\nUser: Quanto custa o plano 600?\n\nAssistant: R$ 129,90 por mês."
        "\n\nUser: E tem fidelidade?"
    )
    assert second["completion"] == PAIRS[1].response


def test_alpaca_puts_context_in_input(tmp_path: Path) -> None:
    export_pairs(PAIRS, "alpaca", tmp_path / "alpaca.json")
    records = json.loads((tmp_path / "alpaca.json").read_text(encoding="utf-8"))
    assert records[0] == {"instruction": PAIRS[0].prompt, "input": "", "output": PAIRS[0].response}
    assert records[1]["input"] == ex.flatten_context(PAIRS[1].context)
    assert records[1]["system"] == SYSTEM and records[1]["output"] == PAIRS[1].response


def test_sharegpt_uses_human_gpt_and_system(tmp_path: Path) -> None:
    export_pairs(PAIRS, "sharegpt", tmp_path / "sharegpt.json")
    records = json.loads((tmp_path / "sharegpt.json").read_text(encoding="utf-8"))
    assert [r["id"] for r in records] == ["1", "2", "3"]
    turns = records[1]["conversations"]
    assert [t["from"] for t in turns] == ["system", "human", "gpt", "human", "gpt"]
    assert [t["value"] for t in turns][-2:] == [PAIRS[1].prompt, PAIRS[1].response]


def test_per_split_files_and_the_card_beside_them(tmp_path: Path) -> None:
    result = export_pairs(PAIRS, "messages", tmp_path / "data.jsonl", card=CARD, per_split=True)
    assert [p.name for p in result.paths] == [
        "data.train.jsonl",
        "data.validation.jsonl",
        "data.test.jsonl",
    ]
    assert [len(lines(p)) for p in result.paths] == [1, 1, 1]
    card = result.card.read_text(encoding="utf-8")
    assert result.card.name == "data.card.md"
    assert "| train | 1 |" in card and "| total | 3 |" in card
    assert "| min_length | 12 |" in card
    assert CARD["pii"] in card
    # a source path names whose chat it was: the card lists sources by hash and counts only
    assert f"| `{'ab' * 32}` | whatsapp | 1 | 12 |" in card
    assert "Conversa com Ana" not in card
    assert 'pretty_name: "Lumiar | suporte"' in card and "# Lumiar | suporte" in card
    assert "- dedupe: near duplicates at Jaccard 0.8" in card


def test_hugging_face_folder_loads_back(tmp_path: Path) -> None:
    import datasets

    # The repository's datasets/ data folder must not shadow Hugging Face's package.
    assert hasattr(datasets, "load_from_disk") and "site-packages" in str(datasets.__file__)
    out = tmp_path / "hf"
    result = export_pairs(PAIRS, "hf", out, card=CARD)
    loaded = datasets.load_from_disk(str(out))
    assert sorted(loaded) == ["test", "train", "validation"]
    assert {name: loaded[name].num_rows for name in loaded} == result.counts
    row = loaded["validation"][0]
    assert row["id"] == 2 and row["system"] == SYSTEM and row["tags"] == []
    assert row["messages"] == ex.chat_messages(PAIRS[1])
    assert loaded["train"][0]["tags"] == ["preço"] and loaded["test"][0]["system"] is None
    assert "| validation | 1 |" in (out / "README.md").read_text(encoding="utf-8")
    # Exporting again replaces the earlier export; nothing temporary is left behind.
    export_pairs(PAIRS[:1], "hf", out)
    assert sorted(datasets.load_from_disk(str(out))) == ["train"]
    assert [p.name for p in tmp_path.iterdir()] == ["hf"]


def test_hugging_face_export_never_replaces_a_users_folder(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "todo.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(ExportError, match="not an earlier dataset export"):
        export_pairs(PAIRS, "hf", folder)
    assert (folder / "todo.txt").read_text(encoding="utf-8") == "keep me"


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    export_pairs(PAIRS, "messages", path)
    before = path.read_bytes()

    def pairs_then_crash():
        yield PAIRS[0]
        raise RuntimeError("killed half-way")

    with pytest.raises(RuntimeError, match="half-way"):
        ex.write_records(pairs_then_crash(), "messages", path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.card.md", "out.jsonl"]


# One file rewritten by every example (a replace each time), so a shared tmp_path is fine.
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    prompt=st.text(st.characters(exclude_categories=("Cs",)), min_size=1),
    response=st.text(st.characters(exclude_categories=("Cs",)), min_size=1),
)
def test_any_text_round_trips_through_jsonl(tmp_path: Path, prompt: str, response: str) -> None:
    path = tmp_path / "any.jsonl"
    export_pairs([ExportPair(prompt=prompt, response=response, id=9)], "prompt-completion", path)
    assert lines(path) == [{"prompt": prompt, "completion": response}]


@pytest.mark.parametrize(
    ("pairs", "fmt", "problem"),
    [
        ([], "messages", "nothing to export"),
        (PAIRS, "csv", "unknown export format"),
        ([ExportPair("p", "r", split="dev")], "messages", "unknown split"),
        ([ExportPair("p", "r", context=(("system", "x"),))], "messages", "context role"),
        ([ExportPair("p\ud800", "r")], "messages", "not valid Unicode"),
    ],
)
def test_bad_exports_are_refused(tmp_path: Path, pairs: list, fmt: str, problem: str) -> None:
    with pytest.raises(ExportError, match=problem):
        export_pairs(pairs, fmt, tmp_path / "x.jsonl")


def test_bad_card_info_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="'sources' must be"):
        export_pairs(PAIRS, "messages", tmp_path / "x.jsonl", card={"sources": 3})
    with pytest.raises(ExportError, match="is a folder"):
        export_pairs(PAIRS, "messages", tmp_path)
