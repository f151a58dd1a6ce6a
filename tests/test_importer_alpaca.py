from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import (
    as_item,
    assert_survives,
    dump_json,
    garbled,
    json_values,
    make_file,
    memory_file,
    mutated,
    read_with,
)

from afina.engine.errors import ParseError
from afina.plugins.importers.alpaca import AlpacaImporter


def test_instruction_input_output(tmp_path):
    data = [
        {"instruction": "Traduza para inglês.", "input": "Bom dia", "output": "Good morning"},
        {
            "instruction": "Quem é você?",
            "input": "",
            "output": "Sou {{name}}, feito por {{author}}.",
        },
    ]
    f = make_file(tmp_path, "a.json", json.dumps(data, ensure_ascii=False, indent=2))
    assert AlpacaImporter().sniff(f) >= 0.5
    r = read_with(AlpacaImporter, f)
    assert not r.skips
    assert [(t.role, t.text) for t in r.turns[0]] == [
        ("user", "Traduza para inglês.\n\nBom dia"),
        ("assistant", "Good morning"),
    ]
    # template placeholders are data: kept verbatim
    assert r.turns[1][1].text == "Sou {{name}}, feito por {{author}}."
    assert [t.place for t in r.turns[1]] == ["[1].instruction", "[1].output"]
    assert [c.key for c in r.conversations] == ["", ""]


def test_system_and_history_jsonl(tmp_path):
    record = {
        "id": 42,
        "system": "Responda em português.",
        "history": [["Oi", "Olá!"], ["bad"], ["Tudo bem?", "Tudo."]],
        "instruction": "E o tempo?",
        "input": "",
        "output": "Ensolarado.",
    }
    f = make_file(tmp_path, "a.jsonl", json.dumps(record) + "\n")
    assert AlpacaImporter().sniff(f) >= 0.5
    r = read_with(AlpacaImporter, f)
    assert r.conversations[0].key == "42"
    assert [(t.role, t.text) for t in r.turns[0]] == [
        ("system", "Responda em português."),
        ("user", "Oi"),
        ("assistant", "Olá!"),
        ("user", "Tudo bem?"),
        ("assistant", "Tudo."),
        ("user", "E o tempo?"),
        ("assistant", "Ensolarado."),
    ]
    assert [t.place for t in r.turns[0][:3]] == [
        "line 1.system",
        "line 1.history[0][0]",
        "line 1.history[0][1]",
    ]
    assert [s.place for s in r.skips] == ["line 1.history[1]"]


def test_dolly_spelling(tmp_path):
    record = {"instruction": "Resuma.", "context": "Um texto longo.", "response": "Curto."}
    r = read_with(AlpacaImporter, make_file(tmp_path, "d.jsonl", json.dumps(record)))
    assert [t.text for t in r.turns[0]] == ["Resuma.\n\nUm texto longo.", "Curto."]
    assert r.turns[0][1].place == "line 1.response"


def test_bad_records_are_skipped(tmp_path):
    lines = [
        json.dumps({"instruction": "ok", "output": "sim"}),
        "{oops",
        json.dumps(["not", "a", "record"]),
        json.dumps({"instruction": "sem resposta", "output": ""}),
        json.dumps({"instruction": 3, "output": "x"}),
        json.dumps({"instruction": "x", "input": ["list"], "output": "y"}),
        json.dumps({"instruction": "", "input": "", "output": "y"}),
        json.dumps({"instruction": "x", "output": "y", "history": "nope"}),
    ]
    r = read_with(AlpacaImporter, make_file(tmp_path, "a.jsonl", "\n".join(lines)))
    assert len(r.conversations) == 2
    assert [s.place for s in r.skips] == [
        "line 2 column 2",
        "line 3",
        "line 4",
        "line 5",
        "line 6",
        "line 7",
        "line 8.history",
    ]


def test_not_alpaca_is_refused(tmp_path):
    with pytest.raises(ParseError, match="no line is valid JSON"):
        read_with(AlpacaImporter, make_file(tmp_path, "a.jsonl", "garbage\n"))
    with pytest.raises(ParseError, match="instruction"):
        read_with(AlpacaImporter, make_file(tmp_path, "a.json", '[{"question": "q"}]'))
    with pytest.raises(ParseError, match="invalid JSON"):
        read_with(AlpacaImporter, make_file(tmp_path, "t.json", '[{"instruction": "a", "output"'))


def test_latin1_text_is_read_as_windows_1252(tmp_path):
    # A lone Latin-1 byte is legacy 8-bit text, not corruption: its accent is kept.
    raw = b'[{"instruction": "caf\xe9", "output": "sim"}]'
    r = read_with(AlpacaImporter, make_file(tmp_path, "a.json", raw))
    assert r.turns[0][0].text == "café" and r.repairs[0].count == 1


OTHER_FORMATS = {
    "sharegpt": ("s.json", '[{"id": "a", "conversations": [{"from": "human", "value": "oi"}]}]'),
    "openai": ("o.jsonl", '{"messages": [{"role": "user", "content": "oi"}]}\n'),
    "chatgpt": (
        "conversations.json",
        '[{"title": "t", "mapping": {"a": {"id": "a", "message": null}}}]',
    ),
    "claude": ("c.json", '[{"uuid": "c", "chat_messages": [{"sender": "human", "text": "oi"}]}]'),
    "slack": ("2016-01-14.json", '[{"type": "message", "user": "U1", "text": "oi", "ts": "1.0"}]'),
    "telegram": (
        "result.json",
        '{"name": "Ana", "messages": [{"id": 1, "from": "Ana", "text": "oi"}]}',
    ),
    "abcd": ("abcd.json", '[{"convo_id": 1, "original": [["agent", "hi"]]}]'),
    "squad": ("sq.json", '{"data": [{"title": "t", "paragraphs": [{"context": "c", "qas": []}]}]}'),
    "llamafactory-dataset-info": (
        "dataset_info.json",
        '{"alpaca": {"columns": {"prompt": "instruction", "response": "output"}}}',
    ),
    "chatterbot": ("c.yml", "categories:\n- x\nconversations:\n- - oi\n  - olá\n"),
    "generic-jsonl": ("g.jsonl", '{"question": "q", "answer": "a"}\n'),
    "csv": ("c.csv", "instruction,output\na,b\n"),
    "whatsapp": ("w.txt", "12/01/2020 10:00 - Ana: oi\n"),
}


@pytest.mark.parametrize("fmt", sorted(OTHER_FORMATS))
def test_does_not_claim_other_formats(tmp_path, fmt):
    name, content = OTHER_FORMATS[fmt]
    assert AlpacaImporter().sniff(make_file(tmp_path, name, content)) < 0.5


@pytest.mark.parametrize("content", [b"", bytes(range(256)), b"{", b"[" * 5000])
def test_sniff_survives_garbage(tmp_path, content):
    assert AlpacaImporter().sniff(make_file(tmp_path, "g.json", content)) < 0.5


def test_real_files(chatlogs):
    r = read_with(AlpacaImporter, as_item(chatlogs / "alpaca" / "axolotl_alpaca.json"))
    assert len(r.conversations) == 2 and not r.skips
    assert r.turns[0][0].text.endswith("\n\nWords: ['Hello', 'world'].")
    r = read_with(AlpacaImporter, as_item(chatlogs / "alpaca" / "llamafactory_identity.json"))
    assert len(r.conversations) == 91 and sum(map(len, r.turns)) == 182 and not r.skips
    texts = [t.text for ts in r.turns for t in ts]
    assert sum("{{name}}" in t for t in texts) == 77
    assert any("\u4e00" <= ch <= "\u9fff" for t in texts for ch in t)  # CJK kept


# --- garbled input: sniff never raises, read succeeds or raises ParseError only ---

VALID = [
    {"system": "s", "history": [["q", "a"]], "instruction": "i", "input": "x", "output": "o"},
    {"instruction": "i2", "input": "", "output": "o2"},
]
KEYS = ["instruction", "input", "output", "system", "history", "context", "response", "id"]


@settings(max_examples=100, deadline=None)
@given(
    data=mutated(VALID, json_values(KEYS), root=False, layouts=("indented", "jsonl"))
    | garbled(dump_json(VALID, "indented")),
    name=st.sampled_from(["x.jsonl", "x.json"]),
)
def test_garbled_input_never_crashes(data, name):
    assert_survives(AlpacaImporter, memory_file(data, name))


def test_sniff_when_the_first_record_runs_past_the_head(tmp_path):
    record = {"instruction": "Resuma:", "input": "x" * 70_000, "output": "curto"}
    f = make_file(tmp_path, "big.json", json.dumps([record]))
    assert AlpacaImporter().sniff(f) >= 0.5
    other = [{"text": "x" * 70_000, "meta": {"instruction": "a", "output": "b"}}]
    assert AlpacaImporter().sniff(make_file(tmp_path, "o.json", json.dumps(other))) < 0.5
