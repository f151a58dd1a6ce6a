from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
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
from afina.plugins.importers.squad import SquadImporter

CONTEXT = "o acadêmico deve preencher os requisitos do curso."
SQUAD = {
    "version": "v2.0",
    "data": [
        {
            "title": "abreviação de curso",
            "paragraphs": [
                {
                    "context": CONTEXT,
                    "qas": [
                        {
                            "id": "q1",
                            "question": "o que o acadêmico deve preencher?",
                            "answers": [
                                {"text": "requisitos", "answer_start": 30},
                                {"text": "requisitos", "answer_start": 30},
                                {"text": "os requisitos", "answer_start": 27},
                            ],
                        },
                        {
                            "id": "q2",
                            "question": "quem paga a matrícula?",
                            "answers": [],
                            "plausible_answers": [{"text": "o acadêmico", "answer_start": 0}],
                            "is_impossible": True,
                        },
                        {"id": "q3", "question": "quando?", "answers": []},
                    ],
                }
            ],
        }
    ],
}


def test_one_conversation_per_answerable_question(tmp_path):
    f = make_file(tmp_path, "dev.json", json.dumps(SQUAD, ensure_ascii=False))
    assert SquadImporter().sniff(f) >= 0.5
    r = read_with(SquadImporter, f)
    [conv] = r.conversations
    assert conv.key == "q1" and conv.title == "abreviação de curso"
    assert conv.meta == {"context": CONTEXT}
    assert conv.place == "data[0].paragraphs[0].qas[0]"
    question, answer = r.turns[0]
    assert (question.role, question.text) == ("user", "o que o acadêmico deve preencher?")
    assert (answer.role, answer.text) == ("assistant", "requisitos")
    # the repeated reference answer is dropped, the different one kept as an alternative
    assert answer.alternatives == ("os requisitos",)
    assert answer.meta == {"answer_start": 30}
    assert [t.place for t in r.turns[0]] == [
        "data[0].paragraphs[0].qas[0].question",
        "data[0].paragraphs[0].qas[0].answers[0]",
    ]
    assert [(s.place, s.reason) for s in r.skips] == [
        ("data[0].paragraphs[0].qas[1]", "unanswerable question (is_impossible)"),
        ("data[0].paragraphs[0].qas[2]", "question has no answer text"),
    ]


def test_malformed_parts_are_skipped(tmp_path):
    doc = {
        "data": [
            "not an article",
            {
                "title": 5,
                "paragraphs": [
                    {"qas": "nope"},
                    {
                        "context": None,
                        "qas": [
                            7,
                            {"question": "", "answers": [{"text": "x"}]},
                            {
                                "question": "q?",
                                "answers": [
                                    None,
                                    {"text": 3},
                                    {"text": "sim", "answer_start": "x"},
                                ],
                            },
                        ],
                    },
                ],
            },
            {"title": "sem parágrafos"},
        ]
    }
    r = read_with(SquadImporter, make_file(tmp_path, "x.json", json.dumps(doc)))
    [conv] = r.conversations
    assert conv.title is None and conv.meta == {} and conv.key == ""
    assert r.turns[0][1].text == "sim" and r.turns[0][1].meta == {}
    assert [s.place for s in r.skips] == [
        "data[0]",
        "data[1].paragraphs[0]",
        "data[1].paragraphs[1].qas[0]",
        "data[1].paragraphs[1].qas[1]",
        "data[2]",
    ]


@pytest.mark.parametrize(
    "content", ["[]", '{"version": "1.1"}', '{"data": {"title": "x"}}', '{"data": [', ""]
)
def test_unreadable_files_raise(tmp_path, content):
    with pytest.raises(ParseError):
        read_with(SquadImporter, make_file(tmp_path, "x.json", content))


def test_latin1_text_is_read_as_windows_1252(tmp_path):
    # A lone Latin-1 byte is legacy 8-bit text, not corruption: its accent is kept.
    raw = json.dumps(SQUAD).replace("preencher?", "caf@?").encode().replace(b"@", b"\xe9")
    r = read_with(SquadImporter, make_file(tmp_path, "x.json", raw))
    assert r.turns[0][0].text.endswith("café?") and r.repairs[0].count == 1


OTHER_FORMATS = {
    "sharegpt": ("s.json", '[{"id": "a", "conversations": [{"from": "human", "value": "oi"}]}]'),
    "openai": ("o.jsonl", '{"messages": [{"role": "user", "content": "oi"}]}\n'),
    "alpaca": ("a.json", '[{"instruction": "a", "context": "c", "output": "b"}]'),
    "chatgpt": (
        "conversations.json",
        '[{"title": "t", "mapping": {"a": {"id": "a", "message": null}}}]',
    ),
    "telegram": (
        "result.json",
        '{"name": "Ana", "messages": [{"id": 1, "from": "Ana", "text": "oi"}]}',
    ),
    "abcd": ("abcd.json", '[{"convo_id": 1, "original": [["agent", "hi"]]}]'),
    "hf-flat-squad-jsonl": (
        "q.jsonl",
        '{"id": "1", "context": "c", "question": "q", "answers": {}}\n',
    ),
    "chatterbot": ("c.yml", "categories:\n- x\nconversations:\n- - oi\n  - olá\n"),
    "csv": ("c.csv", "question,answer\nq,a\n"),
}


@pytest.mark.parametrize("fmt", sorted(OTHER_FORMATS))
def test_does_not_claim_other_formats(tmp_path, fmt):
    name, content = OTHER_FORMATS[fmt]
    assert SquadImporter().sniff(make_file(tmp_path, name, content)) < 0.5


@pytest.mark.parametrize("content", [b"", bytes(range(256)), b"{", b"\xff\xfe\x00"])
def test_sniff_survives_garbage(tmp_path, content):
    assert SquadImporter().sniff(make_file(tmp_path, "g.json", content)) < 0.5


def test_real_file(chatlogs):
    item = as_item(chatlogs / "portuguese" / "faquad_dev_ptbr_squad_format.json")
    assert SquadImporter().sniff(item) >= 0.5
    r = read_with(SquadImporter, item)
    assert len(r.conversations) == 63 and sum(map(len, r.turns)) == 126 and not r.skips
    assert len({c.title for c in r.conversations}) == 14
    assert sum(bool(ts[1].alternatives) for ts in r.turns) == 59
    first = r.conversations[0]
    assert first.key == "11d3a360b76f46ba9003142b527010ce"
    assert str(first.meta["context"]).startswith("caberá ao coordenador de curso")
    assert r.turns[0][1].text == "requisitos" and r.turns[0][1].alternatives == ("os requisitos",)


# --- garbled input: sniff never raises, read succeeds or raises ParseError only ---

KEYS = [
    "data",
    "title",
    "paragraphs",
    "context",
    "qas",
    "id",
    "question",
    "answers",
    "text",
    "answer_start",
    "is_impossible",
]


@settings(max_examples=100, deadline=None)
@given(data=mutated(SQUAD, json_values(KEYS)) | garbled(dump_json(SQUAD, "indented")))
def test_garbled_input_never_crashes(data):
    assert_survives(SquadImporter, memory_file(data, "x.json"))
