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
from afina.plugins.importers.support_dialogs import SupportDialogsImporter

DIALOG = {
    "convo_id": 3592,
    "scenario": {
        "personal": {"customer_name": "ana lima", "email": "ana@email.com"},
        "flow": "product_defect",
        "subflow": "return_size",
    },
    "original": [
        ["agent", "Olá! Como posso ajudar?"],
        ["customer", "Quero devolver uma calça."],
        ["action", "Account has been pulled up for Ana Lima."],
        ["agent", "Claro, qual o motivo?"],
    ],
    "delexed": [{"speaker": "agent", "text": "olá! como posso ajudar?", "turn_count": 1}],
}


def test_reads_a_list_of_dialogs(tmp_path):
    f = make_file(tmp_path, "abcd.json", json.dumps([DIALOG]))
    assert SupportDialogsImporter().sniff(f) >= 0.5
    r = read_with(SupportDialogsImporter, f)
    assert not r.skips
    conv = r.conversations[0]
    assert conv.key == "3592" and conv.place == "[0]"
    assert conv.title == "product_defect / return_size"
    # the persona in the scenario is synthetic PII: not carried along
    assert conv.meta == {"flow": "product_defect", "subflow": "return_size"}
    turns = r.turns[0]
    assert [(t.speaker, t.role) for t in turns] == [
        ("agent", "assistant"),
        ("customer", "user"),
        ("action", "system"),
        ("agent", "assistant"),
    ]
    assert turns[2].meta == {"action": True} and turns[0].meta == {}
    assert turns[2].place == "[0].original[2]"


def test_reads_an_object_of_splits(tmp_path):
    other = {**DIALOG, "convo_id": 7}
    f = make_file(
        tmp_path, "abcd_v1.1.json", json.dumps({"train": [DIALOG], "dev": [other], "n": 2})
    )
    assert SupportDialogsImporter().sniff(f) >= 0.5
    r = read_with(SupportDialogsImporter, f)
    assert [(c.key, c.place, c.meta["split"]) for c in r.conversations] == [
        ("3592", "train[0]", "train"),
        ("7", "dev[0]", "dev"),
    ]


def test_single_dialog_object(tmp_path):
    r = read_with(SupportDialogsImporter, make_file(tmp_path, "one.json", json.dumps(DIALOG)))
    assert [c.place for c in r.conversations] == ["$"]


def test_delexed_is_a_fallback(tmp_path):
    record = {"convo_id": 1, "delexed": [{"speaker": "customer", "text": "oi"}]}
    r = read_with(SupportDialogsImporter, make_file(tmp_path, "d.json", json.dumps([record])))
    assert r.conversations[0].meta == {"delexed": True}
    assert r.turns[0][0].role == "user" and r.turns[0][0].place == "[0].delexed[0]"


def test_bad_lines_and_dialogs_are_skipped(tmp_path):
    data = [
        {
            "convo_id": 1,
            "original": [["agent", "ok"], ["agent"], [3, "x"], ["customer", "  "], "s"],
        },
        {"convo_id": 2},
        "not a dialog",
        {"convo_id": 3, "original": [["agent", None]]},
        {"convo_id": 4, "original": [["supervisor", "oi"]], "scenario": "x"},
    ]
    r = read_with(SupportDialogsImporter, make_file(tmp_path, "x.json", json.dumps(data)))
    assert [c.key for c in r.conversations] == ["1", "4"]
    assert r.turns[1][0].role is None and r.conversations[1].title is None
    assert [s.place for s in r.skips] == [
        "[0].original[1]",
        "[0].original[2]",
        "[0].original[3]",
        "[0].original[4]",
        "[1]",
        "[2]",
        "[3].original[0]",
        "[3]",
    ]


@pytest.mark.parametrize(
    "content",
    [
        '"just a string"',
        '{"train": 3}',
        '[{"convo_id": 1}]',
        "[1, 2]",
        '[{"convo_id": 1, "original"',
    ],
)
def test_unreadable_files_raise(tmp_path, content):
    with pytest.raises(ParseError):
        read_with(SupportDialogsImporter, make_file(tmp_path, "x.json", content))


def test_latin1_text_is_read_as_windows_1252(tmp_path):
    # A lone Latin-1 byte is legacy 8-bit text, not corruption: its accent is kept.
    raw = b'[{"convo_id": 1, "original": [["agent", "caf\xe9"]]}]'
    r = read_with(SupportDialogsImporter, make_file(tmp_path, "x.json", raw))
    assert r.turns[0][0].text == "café" and r.repairs[0].count == 1


OTHER_FORMATS = {
    "sharegpt": ("s.json", '[{"id": "a", "conversations": [{"from": "human", "value": "oi"}]}]'),
    "openai": ("o.jsonl", '{"messages": [{"role": "user", "content": "oi"}]}\n'),
    "alpaca": ("a.json", '[{"instruction": "a", "input": "", "output": "b"}]'),
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
    "squad": ("sq.json", '{"data": [{"title": "t", "paragraphs": [{"context": "c", "qas": []}]}]}'),
    "chatterbot": ("c.yml", "categories:\n- x\nconversations:\n- - oi\n  - olá\n"),
    "generic-jsonl": ("g.jsonl", '{"convo_id": 1, "speaker": "agent", "text": "a"}\n'),
    "csv": ("c.csv", "convo_id,speaker,text\n1,agent,oi\n"),
    "whatsapp": ("w.txt", "12/01/2020 10:00 - Ana: oi\n"),
}


@pytest.mark.parametrize("fmt", sorted(OTHER_FORMATS))
def test_does_not_claim_other_formats(tmp_path, fmt):
    name, content = OTHER_FORMATS[fmt]
    assert SupportDialogsImporter().sniff(make_file(tmp_path, name, content)) < 0.5


@pytest.mark.parametrize("content", [b"", bytes(range(256)), b"{", b"\xff\xfe\x00"])
def test_sniff_survives_garbage(tmp_path, content):
    assert SupportDialogsImporter().sniff(make_file(tmp_path, "g.json", content)) < 0.5


def test_real_file(chatlogs):
    item = as_item(chatlogs / "support_tickets" / "abcd_sample_customer_support.json")
    assert SupportDialogsImporter().sniff(item) >= 0.5
    r = read_with(SupportDialogsImporter, item)
    assert [c.key for c in r.conversations] == ["3592", "9489", "3695"]
    assert [len(t) for t in r.turns] == [29, 21, 22] and not r.skips
    roles = [t.role for ts in r.turns for t in ts]
    assert (roles.count("user"), roles.count("assistant"), roles.count("system")) == (31, 32, 9)
    assert r.turns[0][6].text == "Account has been pulled up for Crystal Minh."


# --- garbled input: sniff never raises, read succeeds or raises ParseError only ---

VALID = [DIALOG, {"convo_id": "x", "original": [["customer", "a"], ["agent", "b"]]}]
KEYS = ["convo_id", "original", "delexed", "scenario", "flow", "subflow", "speaker", "text"]


@settings(max_examples=100, deadline=None)
@given(
    data=mutated(st.sampled_from([VALID, {"train": VALID}]), json_values(KEYS))
    | garbled(dump_json(VALID, "indented"))
)
def test_garbled_input_never_crashes(data):
    assert_survives(SupportDialogsImporter, memory_file(data, "x.json"))
