from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from support import (
    as_item,
    assert_survives,
    json_values,
    make_file,
    mutated,
    read_with,
    spliced,
    texts,
)
from support import memory_file as bytes_file

from afina.engine.errors import ParseError
from afina.engine.ingest import jsonio
from afina.engine.ingest.inputs import InputFile, InputTree
from afina.plugins.importers.claude import ClaudeImporter

# The parent Claude gives the first message of a conversation.
ROOT = "00000000-0000-4000-8000-000000000000"


def at(minute: int) -> str:
    return f"2026-02-01T09:{minute:02d}:00.000000Z"


def message(
    uuid: str, sender: str, text: str, minute: int, parent: str | None = ROOT, **extra: Any
) -> dict[str, Any]:
    m: dict[str, Any] = {
        "uuid": uuid,
        "sender": sender,
        "text": text,
        "content": [{"type": "text", "text": text}],
        "created_at": at(minute),
        "attachments": [],
        "files": [],
    }
    if parent is not None:
        m["parent_message_uuid"] = parent
    m.update(extra)
    return m


def conversation(messages: list[dict], uuid: str = "c1", **extra: Any) -> dict[str, Any]:
    return {"uuid": uuid, "name": "Chat", "created_at": at(0), "chat_messages": messages, **extra}


def memory_file(data: bytes, name: str = "conversations.json") -> InputFile:
    return bytes_file(data, name)


def read_doc(doc: Any):
    return read_with(ClaudeImporter, memory_file(json.dumps(doc).encode()))


RETRIED = conversation(
    [
        message("m1", "human", "Why?", 0),
        message("m2", "assistant", "First answer.", 1, parent="m1"),
        message("m3", "assistant", "Retried answer.", 5, parent="m1"),
        message("m4", "human", "Thanks.", 10, parent="m3"),
    ]
)


def test_follows_latest_branch_and_keeps_retries(tmp_path):
    f = make_file(tmp_path, "conversations.json", json.dumps([RETRIED]))
    assert ClaudeImporter().sniff(f) >= 0.9
    r = read_with(ClaudeImporter, f)
    assert r.skips == []
    (turns,) = r.turns
    assert texts(turns) == [("user", "Why?"), ("assistant", "Retried answer."), ("user", "Thanks.")]
    assert [t.speaker for t in turns] == ["human", "assistant", "human"]
    assert turns[1].alternatives == ("First answer.",)
    assert [t.key for t in turns] == ["m1", "m3", "m4"]
    assert [t.reply_to for t in turns] == [None, "m1", "m3"]
    assert turns[2].timestamp == "2026-02-01T09:10:00+00:00"
    assert turns[1].place == "[0].chat_messages[2]"
    c = r.conversations[0]
    assert (c.key, c.title, c.place) == ("c1", "Chat", "[0]")
    assert c.meta["other_branch_messages"] == 1


def test_latest_leaf_can_be_on_the_older_answer():
    later = message("m5", "human", "Back to the first.", 20, parent="m2")
    doc = conversation([*RETRIED["chat_messages"], later])
    (turns,) = read_doc(doc).turns
    assert [t.key for t in turns] == ["m1", "m2", "m5"]
    assert turns[1].alternatives == ("Retried answer.",)


def test_single_object_and_old_style_messages():
    # No parent links and no content blocks: the file order is the conversation.
    doc = {
        "uuid": "old",
        "name": "",
        "chat_messages": [
            {"uuid": "o1", "sender": "human", "text": "Name a cat.", "created_at": at(5)},
            {"uuid": "o2", "sender": "assistant", "text": "Biscuit.", "created_at": at(1)},
            {"uuid": "o3", "sender": "assistant", "text": " \n\t", "created_at": at(6)},
        ],
    }
    r = read_doc(doc)
    (c,) = r.conversations
    assert (c.key, c.title, c.place) == ("old", None, "$")
    assert texts(r.turns[0]) == [("user", "Name a cat."), ("assistant", "Biscuit.")]
    assert [(s.place, s.reason) for s in r.skips] == [
        ("$.chat_messages[2]", "empty or whitespace-only message")
    ]


def test_content_blocks():
    m = message("a", "assistant", "", 1)
    m["text"] = "the flat text"
    m["content"] = [
        {"type": "thinking", "thinking": "private reasoning"},
        {"type": "text", "text": "Part one."},
        {"type": "tool_use", "name": "repl", "input": {"code": "1+1"}},
        {"type": "tool_result", "content": [{"type": "text", "text": "2"}]},
        {"type": "tool_result", "content": "plain"},
        {"type": "text", "text": "Part two."},
        "not a block",
        {"type": "image"},
    ]
    only_tools = message("b", "assistant", "", 2, parent="a")
    only_tools["text"] = "fallback text"
    only_tools["content"] = [{"type": "tool_use", "name": "web", "input": None}]
    (turns,) = read_doc([conversation([m, only_tools])]).turns
    assert turns[0].text == "Part one.\n\nPart two."
    assert "private reasoning" not in repr(turns[0])
    assert turns[0].meta == {
        "thinking_blocks": 1,
        "tool_uses": [{"name": "repl", "input": {"code": "1+1"}}],
        "tool_results": ["2", "plain"],
    }
    assert turns[1].text == "fallback text"


def test_attachments_are_appended_and_files_named():
    m = message("u", "human", "Look at this.", 0)
    m["attachments"] = [
        {"file_name": "main.rs", "extracted_content": "fn main() {}"},
        {"file_name": "empty.txt", "extracted_content": ""},
        "junk",
    ]
    m["files"] = [{"file_name": "shot.png"}, {"no_name": 1}]
    m["files_v2"] = [{"file_name": "shot.png"}]
    bare = message("v", "human", "  ", 1, parent="u")
    bare["attachments"] = [{"file_name": "notes.md", "extracted_content": "# notes"}]
    (turns,) = read_doc([conversation([m, bare])]).turns
    assert turns[0].text == (
        "Look at this.\n\n[attachment: main.rs]\nfn main() {}\n\n[attachment: empty.txt]"
        "\n\n[file: shot.png]"
    )
    assert turns[0].meta["files"] == ["shot.png"]
    assert turns[1].text == "[attachment: notes.md]\n# notes"  # not whitespace-only: it has a file


def test_bad_records_and_messages_are_skipped():
    doc = [
        RETRIED,
        "junk",
        {"uuid": "x", "name": "Broken record"},
        conversation([], uuid="empty"),
        conversation([message("w", "human", "   ", 0), 7]),
        conversation([message("s", "system", "odd sender", 0)]),
    ]
    r = read_doc(doc)
    assert [c.key for c in r.conversations] == ["c1", "c1"]
    assert (r.turns[1][0].role, r.turns[1][0].speaker) == (None, "system")
    assert [(s.place, s.reason) for s in r.skips] == [
        ("[1]", "expected a conversation object"),
        ("[2]", "conversation has no chat_messages"),
        ("[3]", "conversation has no chat_messages"),
        ("[4].chat_messages[1]", "expected a message object"),
        ("[4].chat_messages[0]", "empty or whitespace-only message"),
        ("[4]", "conversation has no messages to import"),
    ]


def test_duplicate_ids_and_parent_cycles_do_not_break_reading():
    msgs = [
        message("a", "human", "one", 0, parent="b"),
        message("b", "assistant", "two", 1, parent="a"),
        message("a", "human", "three", 2, parent="b"),  # repeats a uuid
    ]
    (turns,) = read_doc(conversation(msgs)).turns
    assert [(t.key, t.text) for t in turns] == [("a", "one"), ("b", "two"), ("", "three")]


@pytest.mark.parametrize(
    ("stamp", "iso"),
    [
        ("2026-02-01T09:00:00.123Z", "2026-02-01T09:00:00.123000+00:00"),
        ("2026-02-01T09:00:00+02:00", "2026-02-01T09:00:00+02:00"),
        ("2026-02-01 09:00", "2026-02-01T09:00:00"),
        ("2026-13-01T09:00:00Z", None),
        ("yesterday", None),
        (1700000000, None),
    ],
)
def test_timestamps(stamp, iso):
    m = message("a", "human", "hi", 0, created_at=stamp)
    (turns,) = read_doc(conversation([m])).turns
    assert turns[0].timestamp == iso


def test_latin1_text_is_read_as_windows_1252():
    # A lone Latin-1 byte is legacy 8-bit text, not corruption: its accent is kept.
    data = json.dumps([conversation([message("a", "human", "caf\u00e9", 0)])]).encode()
    data = data.replace(b"caf\\u00e9", b"caf\xe9")
    r = read_with(ClaudeImporter, memory_file(data))
    assert r.turns[0][0].text == "café"
    assert [(x.what, x.count) for x in r.repairs] == [
        ("not UTF-8: read as Windows-1252 (Latin-1)", 1)
    ]


def test_large_files_are_streamed(monkeypatch):
    monkeypatch.setattr(jsonio, "WHOLE_LIMIT", 10)  # make the tiny file count as "large"
    monkeypatch.setattr(jsonio, "load_json", None)  # and prove it is never loaded whole
    r = read_doc([RETRIED, RETRIED])
    assert [len(t) for t in r.turns] == [3, 3]


@pytest.mark.parametrize(
    ("data", "place"),
    [
        (b'[{"uuid": "a", "chat_messages": [', "line 1 column 34"),
        (b'{"uuid": "a", "name": "project", "docs": []}', "$"),
        (b'"just a string"', "$"),
        (b"[null]", "[0]"),
        (b'[{"title": "x", "mapping": {}}]', "[0]"),
    ],
)
def test_unreadable_files_raise_parse_error(data, place):
    with pytest.raises(ParseError) as e:
        read_with(ClaudeImporter, memory_file(data))
    assert e.value.place == place


OTHER_HEADS = {
    "chatgpt": '[{"title": "t", "mapping": {"r": {"id": "r", "message": null, "parent": null}}, '
    '"current_node": "r"}]',
    "sharegpt": '[{"id": "1", "conversations": [{"from": "human", "value": "hi"}]}]',
    "openai": '{"messages": [{"role": "user", "content": "hi"}]}\n',
    "alpaca": '[{"instruction": "a", "input": "", "output": "b"}]',
    "slack": '[{"type": "message", "user": "U1", "text": "hi", "ts": "1.0"}]',
    "discord": '{"guild": {"id": "1"}, "messages": [{"id": "3", "author": {"id": "4"}}]}',
    "telegram": '{"name": "x", "messages": [{"id": 1, "from": "a", "text": "hi", "sender": "a"}]}',
    "claude_projects": '[{"uuid": "p", "name": "Project", "docs": [{"filename": "a"}]}]',
    "squad": '{"version": "1", "data": [{"title": "t", "paragraphs": []}]}',
    "whatsapp": "12/31/20, 9:00 PM - Ann: hi\n",
    "empty": "",
    "garbage": "\x00\xff garbage [{",
}


@pytest.mark.parametrize("name", sorted(OTHER_HEADS))
def test_sniff_leaves_other_formats_alone(name):
    assert ClaudeImporter().sniff(memory_file(OTHER_HEADS[name].encode())) < 0.5


def test_sniff_single_object_and_non_files():
    assert ClaudeImporter().sniff(memory_file(json.dumps(RETRIED).encode())) >= 0.9
    assert ClaudeImporter().sniff(memory_file(b'[{"uuid": "a", "chat_messages": []}]')) >= 0.9
    assert ClaudeImporter().sniff(InputTree("t", "t", [], is_zip=True)) == 0.0
    assert ClaudeImporter().sniff(memory_file(bytes(range(256)) * 10)) == 0.0


def test_real_file(chatlogs):
    item = as_item(chatlogs / "claude_export" / "chatlore_branching_claude_conversations.json")
    assert ClaudeImporter().sniff(item) >= 0.9
    r = read_with(ClaudeImporter, item)
    assert [len(t) for t in r.turns] == [3, 2]
    first, old = r.turns
    assert [t.key for t in first] == ["m1", "m3", "m4"]
    assert first[0].text.startswith("Why does this not compile?\n\n[attachment: main.rs]\nfn ")
    assert first[0].text.endswith("[file: screenshot.png]")
    assert first[1].alternatives == ("x does not live long enough.",)
    assert first[1].meta["tool_uses"] == [{"name": "repl", "input": {"code": "cargo check"}}]
    assert all("internal reasoning" not in t.text for t in first)
    assert [t.text for t in old] == ["Give me a name for a cat.", "Biscuit."]
    assert [(s.place, s.reason) for s in r.skips] == [
        ("[1].chat_messages[2]", "empty or whitespace-only message"),
        ("[2]", "conversation has no chat_messages"),
    ]


# Hypothesis: garbled versions of a valid export never crash the importer.

JSON_VALUES = json_values(floats=True, text_size=5, key_size=5)


ATTACHED = message("x", "human", "see file", 30, parent="m4")
ATTACHED["attachments"] = [{"file_name": "a.txt", "extracted_content": "data"}]
VALID = [RETRIED, conversation([ATTACHED, {"uuid": "y", "sender": "assistant", "text": "ok"}])]


@settings(max_examples=80, deadline=None)
@given(mutated(VALID, JSON_VALUES, edits=1, drop=False))
def test_garbled_structure_never_crashes(data):
    assert_survives(ClaudeImporter, memory_file(data))


@settings(max_examples=60, deadline=None)
@given(spliced(json.dumps(VALID).encode()))
def test_garbled_bytes_never_crash(data):
    assert_survives(ClaudeImporter, memory_file(data))
