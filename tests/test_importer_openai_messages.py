from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import (
    as_item,
    assert_survives,
    garbled,
    json_values,
    make_file,
    memory_file,
    mutated,
    read_with,
)

from afina.engine.errors import ParseError
from afina.plugins.importers.openai_messages import OpenAIMessagesImporter

WEATHER_CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Lisboa"}'},
}
TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]


def jsonl(*records: Any) -> str:
    return "".join(
        (r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records
    )


def test_reads_roles_tool_calls_and_parts(tmp_path):
    content = jsonl(
        {
            "id": "conv-7",
            "tools": TOOLS,
            "messages": [
                {"role": "system", "content": "Você é um assistente."},
                {"role": "user", "content": "Vai chover em Lisboa?"},
                {"role": "assistant", "content": None, "tool_calls": [WEATHER_CALL]},
                {"role": "tool", "tool_call_id": "call_1", "content": '{"chuva": false}'},
                {"role": "assistant", "content": "Não, hoje não chove."},
            ],
        },
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "O que é isto?"},
                        {"type": "image_url", "image_url": {"url": "data:..."}},
                    ],
                },
                {
                    "role": "assistant",
                    "content": [{"type": "text", "text": "Um gato."}],
                    "weight": 0,
                },
            ]
        },
    )
    f = make_file(tmp_path, "chat.jsonl", content)
    assert OpenAIMessagesImporter().sniff(f) >= 0.5
    r = read_with(OpenAIMessagesImporter, f)
    assert not r.skips
    assert [c.key for c in r.conversations] == ["conv-7", ""]
    assert r.conversations[0].meta == {"tools": TOOLS}
    first = r.turns[0]
    assert [t.role for t in first] == ["system", "user", "assistant", "tool", "assistant"]
    call = first[2]
    assert call.text == '[tool call] get_weather({"city": "Lisboa"})'
    assert call.meta["tool_calls"] == [
        {"id": "call_1", "name": "get_weather", "arguments": '{"city": "Lisboa"}'}
    ]
    assert first[3].meta == {"tool_call_id": "call_1"} and first[3].speaker == "tool"
    assert call.place == "line 1.messages[2]"
    second = r.turns[1]
    assert second[0].text == "O que é isto?\n[image]"
    assert second[1].text == "Um gato." and second[1].meta == {"weight": 0}


def test_bad_lines_and_records_are_skipped(tmp_path):
    content = jsonl(
        {"messages": [{"role": "user", "content": "oi"}, {"role": "assistant", "content": "olá"}]},
        "{not json",
        {"prompt": "wrong shape"},
        {"messages": [{"content": "no role"}, 7, {"role": "user", "content": 12}]},
        {"messages": [{"role": "assistant", "content": ""}]},
    )
    r = read_with(OpenAIMessagesImporter, make_file(tmp_path, "x.jsonl", content))
    assert len(r.conversations) == 1
    places = [s.place for s in r.skips]
    assert places == [
        "line 2 column 2",
        "line 3",
        "line 4.messages[0]",
        "line 4.messages[1]",
        "line 4.messages[2]",
        "line 4",
        "line 5.messages[0]",
        "line 5",
    ]
    assert r.skips[0].reason.startswith("invalid JSON")


def test_no_valid_line_is_not_this_format(tmp_path):
    with pytest.raises(ParseError, match="no line is valid JSON"):
        read_with(OpenAIMessagesImporter, make_file(tmp_path, "x.jsonl", "nope\n{broken\n"))
    with pytest.raises(ParseError):
        read_with(OpenAIMessagesImporter, make_file(tmp_path, "e.jsonl", ""))


def test_valid_json_of_another_shape_is_refused(tmp_path):
    f = make_file(tmp_path, "x.jsonl", jsonl({"instruction": "a", "output": "b"}))
    with pytest.raises(ParseError, match="'messages' list"):
        read_with(OpenAIMessagesImporter, f)


def test_json_array_with_image_placeholders(tmp_path):
    data = [
        {
            "messages": [
                {"content": "<image>Quem são eles?", "role": "user"},
                {"content": "Dois jogadores.", "role": "assistant"},
            ],
            "images": ["demo/1.jpg"],
        }
    ]
    f = make_file(tmp_path, "mllm.json", json.dumps(data, indent=2))
    assert OpenAIMessagesImporter().sniff(f) >= 0.5
    r = read_with(OpenAIMessagesImporter, f)
    assert r.conversations[0].place == "[0]"
    assert r.conversations[0].meta == {"images": ["demo/1.jpg"]}
    assert r.turns[0][0].text == "<image>Quem são eles?"


def test_pretty_printed_single_object(tmp_path):
    doc = {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}
    f = make_file(tmp_path, "one.json", json.dumps(doc, indent=2))
    r = read_with(OpenAIMessagesImporter, f)
    assert [c.place for c in r.conversations] == ["$"]


def test_legacy_roles_and_function_call(tmp_path):
    record = {
        "messages": [
            {"role": "developer", "content": "Seja breve."},
            {"role": "user", "content": "Tempo?", "name": "ana"},
            {
                "role": "assistant",
                "content": "Vou ver.",
                "function_call": {"name": "clima", "arguments": {"cidade": "Porto"}},
            },
            {"role": "function", "name": "clima", "content": "sol"},
            {"role": "narrator", "content": "fim"},
        ]
    }
    r = read_with(OpenAIMessagesImporter, make_file(tmp_path, "x.jsonl", jsonl(record)))
    turns = r.turns[0]
    assert [t.role for t in turns] == ["system", "user", "assistant", "tool", None]
    assert turns[1].speaker == "ana" and turns[3].speaker == "clima"
    assert turns[2].text == 'Vou ver.\n[tool call] clima({"cidade": "Porto"})'


def test_latin1_text_is_read_as_windows_1252(tmp_path):
    # A lone Latin-1 byte is legacy 8-bit text, not corruption: its accent is kept.
    line = b'{"messages": [{"role": "user", "content": "caf\xe9"}]}\n'
    r = read_with(OpenAIMessagesImporter, make_file(tmp_path, "x.jsonl", line))
    assert r.turns[0][0].text == "café"
    assert [(p.place, p.count) for p in r.repairs] == [("whole file", 1)]


OTHER_FORMATS = {
    "sharegpt": ("s.json", '[{"id": "a", "conversations": [{"from": "human", "value": "oi"}]}]'),
    "alpaca": ("a.json", '[{"instruction": "a", "input": "", "output": "b"}]'),
    "chatgpt": (
        "conversations.json",
        '[{"title": "t", "mapping": {"a": {"id": "a", "message": {"author": {"role": "tool"},'
        ' "metadata": {"aggregate_result": {"messages": [{"message_type": "image"}]}}},'
        ' "parent": null, "children": []}}}]',
    ),
    "claude": ("c.json", '[{"uuid": "c", "chat_messages": [{"sender": "human", "text": "oi"}]}]'),
    "slack": ("2016-01-14.json", '[{"type": "message", "user": "U1", "text": "oi", "ts": "1.0"}]'),
    "discord": (
        "d.json",
        '{"guild": {"id": "1"}, "channel": {"id": "2"}, "messages": [{"id": "3", "content": "oi",'
        ' "author": {"id": "4", "name": "ana", "roles": [{"id": "5", "name": "admin"}]}}]}',
    ),
    "telegram": (
        "result.json",
        '{"name": "Ana", "type": "personal_chat", "messages": '
        '[{"id": 1, "type": "message", "from": "Ana", "text": "oi"}]}',
    ),
    "abcd": ("abcd.json", '[{"convo_id": 1, "original": [["agent", "hi"]]}]'),
    "squad": ("sq.json", '{"data": [{"title": "t", "paragraphs": [{"context": "c", "qas": []}]}]}'),
    "chatterbot": ("c.yml", "categories:\n- x\nconversations:\n- - oi\n  - olá\n"),
    "generic-jsonl": ("g.jsonl", '{"question": "q", "answer": "a"}\n'),
    "csv": ("c.csv", "speaker,text\nana,oi\n"),
    "whatsapp": ("w.txt", "12/01/2020 10:00 - Ana: oi\n"),
    "irc": ("i.log", "[10:00] <ana> oi\n"),
}


@pytest.mark.parametrize("fmt", sorted(OTHER_FORMATS))
def test_does_not_claim_other_formats(tmp_path, fmt):
    name, content = OTHER_FORMATS[fmt]
    assert OpenAIMessagesImporter().sniff(make_file(tmp_path, name, content)) < 0.5


@pytest.mark.parametrize("content", [b"", b"\x00\xff\xfe" * 50, bytes(range(256)), b"{", b"["])
def test_sniff_survives_garbage(tmp_path, content):
    assert OpenAIMessagesImporter().sniff(make_file(tmp_path, "g.jsonl", content)) < 0.5


def test_real_files(chatlogs):
    folder = chatlogs / "openai_messages_jsonl"
    r = read_with(
        OpenAIMessagesImporter, as_item(folder / "openai_cookbook_toy_chat_fine_tuning.jsonl")
    )
    assert [len(t) for t in r.turns] == [3, 9, 2, 2, 3] and not r.skips
    # the example with no user message and the absurdly long reply are imported as they are
    assert [t.role for t in r.turns[3]] == ["system", "assistant"]
    assert len(r.turns[4][2].text) == 26000
    r = read_with(OpenAIMessagesImporter, as_item(folder / "llamafactory_mllm_demo.json"))
    assert len(r.conversations) == 6 and sum(map(len, r.turns)) == 24 and not r.skips
    assert r.turns[0][0].text == "<image>Who are they?"


# --- garbled input: sniff never raises, read succeeds or raises ParseError only ---

VALID = [
    {
        "id": "x",
        "tools": TOOLS,
        "messages": [
            {"role": "system", "content": "s"},
            {"role": "user", "content": [{"type": "text", "text": "t"}, {"type": "image_url"}]},
            {"role": "assistant", "content": None, "tool_calls": [WEATHER_CALL]},
            {"role": "tool", "tool_call_id": "call_1", "content": "r"},
        ],
    },
    {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]},
]
KEYS = [
    "messages",
    "role",
    "content",
    "tool_calls",
    "function",
    "name",
    "arguments",
    "type",
    "text",
]


@settings(max_examples=100, deadline=None)
@given(
    data=mutated(VALID, json_values(KEYS), root=False, layouts=("jsonl",))
    | garbled(jsonl(*VALID).encode()),
    name=st.sampled_from(["x.jsonl", "x.json"]),
)
def test_garbled_input_never_crashes(data, name):
    assert_survives(OpenAIMessagesImporter, memory_file(data, name))


def test_sniff_when_the_first_record_runs_past_the_head(tmp_path):
    long = {"messages": [{"role": "user", "content": "x" * 70_000}]}
    f = make_file(tmp_path, "big.jsonl", jsonl(long, long))
    assert OpenAIMessagesImporter().sniff(f) >= 0.5
    assert len(read_with(OpenAIMessagesImporter, f).conversations) == 2
    # a ChatGPT export: "messages" nested deep inside the first conversation, roles elsewhere
    chatgpt = [
        {
            "title": "t",
            "mapping": {
                "a": {
                    "message": {
                        "author": {"role": "user"},
                        "metadata": {"messages": [{"text": "x" * 70_000}]},
                    }
                }
            },
        }
    ]
    f = make_file(tmp_path, "conversations.json", json.dumps(chatgpt))
    assert OpenAIMessagesImporter().sniff(f) < 0.5
