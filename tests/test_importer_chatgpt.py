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
from afina.plugins.importers.chatgpt import ChatGPTImporter

T0 = 1_700_000_000.0  # 2023-11-14T22:13:20+00:00


def msg(role: str, text: str | None = None, t: float | None = None, **extra: Any) -> dict[str, Any]:
    content = extra.pop("content", {"content_type": "text", "parts": [text]})
    m: dict[str, Any] = {
        "author": {"role": role, "name": extra.pop("name", None)},
        "content": content,
    }
    if t is not None:
        m["create_time"] = t
    m.update(extra)
    return m


def node(nid: str, parent: str | None, message: Any, children: list[str] | None = None) -> dict:
    n: dict[str, Any] = {"id": nid, "message": message, "parent": parent}
    if children is not None:
        n["children"] = children
    return n


def conv(nodes: list[dict], current: str | None = None, **extra: Any) -> dict[str, Any]:
    c: dict[str, Any] = {"title": "t", "mapping": {n["id"]: n for n in nodes}, "id": "c1"}
    if current is not None:
        c["current_node"] = current
    c.update(extra)
    return c


def memory_file(data: bytes, name: str = "conversations.json") -> InputFile:
    return bytes_file(data, name)


def read_doc(doc: Any):
    return read_with(ChatGPTImporter, memory_file(json.dumps(doc).encode()))


# A regenerated answer: the user node has two assistant children; current_node picks the newer.
# Dict order is deliberately not tree order (the root comes last).
BRANCHED = conv(
    [
        node("a2", "u1", msg("assistant", "second try", T0 + 20), ["u2"]),
        node("u2", "a2", msg("user", "thanks", T0 + 30), []),
        node("a1", "u1", msg("assistant", "first try", T0 + 10), []),
        node("u1", "sys", msg("user", "hello", T0), ["a1", "a2"]),
        node(
            "sys",
            "root",
            msg("system", "", None, metadata={"is_visually_hidden_from_conversation": True}),
            ["u1"],
        ),
        node("root", None, None, ["sys"]),
    ],
    current="u2",
    conversation_id="conv-42",
)


def test_follows_current_branch_and_keeps_regenerations(tmp_path):
    f = make_file(tmp_path, "conversations.json", json.dumps([BRANCHED]))
    assert ChatGPTImporter().sniff(f) >= 0.9
    r = read_with(ChatGPTImporter, f)
    assert r.skips == []  # the empty root system message is structure, not even a skip
    (turns,) = r.turns
    assert texts(turns) == [("user", "hello"), ("assistant", "second try"), ("user", "thanks")]
    assert turns[1].alternatives == ("first try",)
    assert [t.key for t in turns] == ["u1", "a2", "u2"]
    assert [t.reply_to for t in turns] == [None, "u1", "a2"]
    assert turns[0].timestamp == "2023-11-14T22:13:20+00:00"
    assert turns[1].place == "[0].mapping['a2']"
    c = r.conversations[0]
    assert (c.key, c.title, c.place) == ("conv-42", "t", "[0]")
    assert c.meta["other_branch_messages"] == 1


def test_current_node_choosing_the_older_answer():
    doc = dict(BRANCHED, current_node="a1")
    (turns,) = read_doc(doc).turns
    assert texts(turns) == [("user", "hello"), ("assistant", "first try")]
    assert turns[1].alternatives == ("second try",)


def test_single_object_and_parent_only_nodes():
    # No children lists, no current_node, no timestamps, no content_type: the deepest leaf wins.
    doc = {
        "id": "solo",
        "mapping": {
            "m2": {
                "parent": "m1",
                "message": {"author": {"role": "assistant"}, "content": {"parts": ["b"]}},
            },
            "m1": {
                "parent": "root",
                "message": {"author": {"role": "user"}, "content": {"parts": ["a"]}},
            },
            "root": {"parent": None, "message": None},
            "x": {
                "parent": "root",
                "message": {"author": {"role": "user"}, "content": {"parts": ["short"]}},
            },
        },
    }
    r = read_doc(doc)
    assert r.conversations[0].place == "$" and r.conversations[0].key == "solo"
    assert texts(r.turns[0]) == [("user", "a"), ("assistant", "b")]
    assert r.turns[0][0].place == "$.mapping['m1']" and r.turns[0][0].timestamp is None


@pytest.mark.parametrize("current", [None, "gone", 7])
def test_missing_current_node_picks_latest_leaf(current):
    nodes = [
        node("root", None, None),
        node("u1", "root", msg("user", "q", T0)),
        node("old", "u1", msg("assistant", "old but deeper", T0 + 1)),
        node("old2", "old", msg("user", "follow-up", T0 + 2)),
        node("new", "u1", msg("assistant", "newest", T0 + 50)),
    ]
    doc = conv(nodes)
    if current is not None:
        doc["current_node"] = current
    (turns,) = read_doc(doc).turns
    assert texts(turns) == [("user", "q"), ("assistant", "newest")]
    assert turns[1].alternatives == ("old but deeper",)


def test_regeneration_with_reasoning_gives_alternative_to_final_answer():
    nodes = [
        node("root", None, None),
        node("u", "root", msg("user", "analyse", T0)),
        node("old", "u", msg("assistant", "superseded", T0 + 1)),
        node(
            "think",
            "u",
            msg("assistant", t=T0 + 2, content={"content_type": "thoughts", "thoughts": []}),
        ),
        node("call", "think", msg("assistant", '{"q": 1}', T0 + 3, recipient="browser.search")),
        node(
            "out",
            "call",
            msg(
                "tool",
                t=T0 + 4,
                name="browser.search",
                content={"content_type": "execution_output", "text": "result"},
            ),
        ),
        node(
            "recap",
            "out",
            msg(
                "assistant",
                t=T0 + 5,
                content={"content_type": "reasoning_recap", "content": "thought 5s"},
            ),
        ),
        node(
            "ans",
            "recap",
            msg(
                "assistant",
                t=T0 + 6,
                content={
                    "content_type": "multimodal_text",
                    "parts": [
                        "final",
                        {"content_type": "image_asset_pointer", "asset_pointer": "file://x"},
                    ],
                },
            ),
        ),
    ]
    r = read_doc([conv(nodes, current="ans")])
    (turns,) = r.turns
    assert texts(turns) == [
        ("user", "analyse"),
        ("assistant", '{"q": 1}'),
        ("tool", "result"),
        ("assistant", "final\n[image]"),
    ]
    assert turns[1].meta["recipient"] == "browser.search"
    assert turns[2].speaker == "browser.search"
    assert turns[1].alternatives == () and turns[3].alternatives == ("superseded",)
    assert sorted(s.reason for s in r.skips) == [
        "model reasoning (thoughts) is not imported",
        "model reasoning summary is not imported",
    ]


def test_code_interpreter_and_other_content_types():
    chain = [
        ("u", msg("user", "plot it", T0)),
        (
            "code",
            msg(
                "assistant",
                t=T0 + 1,
                recipient="python",
                content={"content_type": "code", "language": "python", "text": "print(1)\r\n"},
            ),
        ),
        (
            "exec",
            msg(
                "tool",
                t=T0 + 2,
                name="python",
                content={"content_type": "execution_output", "text": "1"},
            ),
        ),
        (
            "quote",
            msg(
                "tool",
                t=T0 + 3,
                content={
                    "content_type": "tether_quote",
                    "url": "https://x.org",
                    "title": "X",
                    "text": "quoted",
                },
            ),
        ),
        (
            "browse",
            msg(
                "tool",
                t=T0 + 4,
                content={
                    "content_type": "tether_browsing_display",
                    "result": "# results",
                    "summary": "",
                },
            ),
        ),
        (
            "hidden",
            msg(
                "assistant",
                "secret",
                T0 + 5,
                metadata={"is_visually_hidden_from_conversation": True},
            ),
        ),
        ("custom", msg("system", "be brief", T0 + 6, metadata={"is_user_system_message": True})),
        ("odd", msg("assistant", t=T0 + 7, content={"content_type": "mystery"})),
        ("blank", msg("assistant", "  ", T0 + 8)),
        ("bad", "not a message"),
        ("end", msg("assistant", "done", T0 + 9)),
    ]
    nodes = [node("root", None, None)]
    parent = "root"
    for nid, m in chain:
        nodes.append(node(nid, parent, m))
        parent = nid
    r = read_doc([conv(nodes)])
    (turns,) = r.turns
    assert [t.key for t in turns] == ["u", "code", "exec", "quote", "browse", "end"]
    code = turns[1]
    assert (code.role, code.text) == ("assistant", "print(1)\r\n")
    assert code.meta["recipient"] == "python" and code.meta["language"] == "python"
    assert (turns[2].role, turns[2].speaker, turns[2].text) == ("tool", "python", "1")
    assert turns[3].text == "quoted" and turns[3].meta["url"] == "https://x.org"
    assert turns[4].text == "# results"
    assert {s.place.split("'")[1]: s.reason for s in r.skips} == {
        "hidden": "message hidden from the conversation view",
        "custom": "custom instructions (user system message) are not imported",
        "odd": "unsupported content type 'mystery'",
        "blank": "empty message",
        "bad": "expected a message object",
    }


@pytest.mark.parametrize("stamp", [10**400, -1e300, float("inf"), "2023-01-01", True, None])
def test_odd_timestamps_become_none(stamp):
    (turns,) = read_doc([conv([node("u", None, msg("user", "x", create_time=stamp))])]).turns
    assert turns[0].timestamp is None


def test_bad_records_are_skipped_not_fatal():
    good = conv([node("root", None, None), node("u", "root", msg("user", "hi"))])
    only_hidden = conv(
        [node("u", None, msg("user", "x", metadata={"is_visually_hidden_from_conversation": True}))]
    )
    doc = [
        good,
        "junk",
        {"title": "no mapping"},
        {"mapping": {}},
        only_hidden,
        {"mapping": {"a": 5, "b": {"parent": None, "message": msg("user", "ok")}}},
    ]
    r = read_doc(doc)
    assert len(r.conversations) == 2
    assert [(s.place, s.reason) for s in r.skips] == [
        ("[1]", "expected a conversation object"),
        ("[2]", "conversation has no 'mapping' of messages"),
        ("[3]", "conversation has no 'mapping' of messages"),
        ("[4].mapping['u']", "message hidden from the conversation view"),
        ("[4]", "conversation has no messages to import"),
        ("[5].mapping['a']", "expected a node object"),
    ]


def test_parent_cycle_does_not_hang():
    nodes = [
        node("a", "b", msg("user", "one", T0)),
        node("b", "a", msg("assistant", "two", T0 + 1)),
    ]
    (turns,) = read_doc([conv(nodes, current="b")]).turns
    assert texts(turns) == [("user", "one"), ("assistant", "two")]
    (turns,) = read_doc([conv(nodes)]).turns  # no leaf at all: still imports something
    assert len(turns) == 2


def test_latin1_text_is_read_as_windows_1252():
    # A lone Latin-1 byte is legacy 8-bit text, not corruption: its accent is kept.
    data = json.dumps([conv([node("u", None, msg("user", "caf\u00e9"))])]).encode()
    data = data.replace(b"caf\\u00e9", b"caf\xe9")
    r = read_with(ChatGPTImporter, memory_file(data))
    assert r.turns[0][0].text == "café"
    assert [(x.what, x.count) for x in r.repairs] == [
        ("not UTF-8: read as Windows-1252 (Latin-1)", 1)
    ]


def test_large_files_are_streamed(monkeypatch):
    monkeypatch.setattr(jsonio, "WHOLE_LIMIT", 10)  # make the tiny file count as "large"
    monkeypatch.setattr(jsonio, "load_json", None)  # and prove it is never loaded whole
    r = read_doc([BRANCHED, BRANCHED])
    assert len(r.conversations) == 2
    assert r.turns[1][0].timestamp == "2023-11-14T22:13:20+00:00"


@pytest.mark.parametrize(
    ("data", "place"),
    [
        (b'[{"mapping": {"a": {"parent": null', "line 1 column 35"),
        (b'{"title": "x", "mapping": ', "line 1 column 27"),
        (b'{"conversations": []}', "$"),
        (b'"just a string"', "$"),
        (b"[1, 2]", "[0]"),
        (b'[{"instruction": "a", "output": "b"}]', "[0]"),
    ],
)
def test_unreadable_files_raise_parse_error(data, place):
    with pytest.raises(ParseError) as e:
        read_with(ChatGPTImporter, memory_file(data))
    assert e.value.place == place


def test_truncated_large_file_raises_parse_error(monkeypatch):
    monkeypatch.setattr(jsonio, "WHOLE_LIMIT", 10)
    data = json.dumps([BRANCHED, BRANCHED]).encode()[:-40]
    with pytest.raises(ParseError) as e:
        read_with(ChatGPTImporter, memory_file(data))
    assert e.value.place == "after element [0]"


OTHER_HEADS = {
    "claude": '[{"uuid": "u", "name": "n", "chat_messages": '
    '[{"uuid": "m", "sender": "human", "text": "hi"}]}]',
    "sharegpt": '[{"id": "1", "conversations": [{"from": "human", "value": "hi"}]}]',
    "openai": '{"messages": [{"role": "user", "content": "hi"}]}\n{"messages": []}\n',
    "alpaca": '[{"instruction": "a", "input": "", "output": "b"}]',
    "slack": '[{"type": "message", "user": "U1", "text": "hi", "ts": "1.0"}]',
    "discord": '{"guild": {"id": "1"}, "channel": {"id": "2"}, "messages": '
    '[{"id": "3", "author": {"id": "4", "name": "x"}, "content": "hi"}]}',
    "telegram": '{"name": "x", "type": "personal_chat", '
    '"messages": [{"id": 1, "from": "a", "text": "hi"}]}',
    "squad": '{"version": "1", "data": [{"title": "t", "paragraphs": []}]}',
    "csv": "author,text\nann,hi\n",
    "whatsapp": "12/31/20, 9:00 PM - Ann: hi\n",
    "empty": "",
    "garbage": "\x00\xff\xfe garbage {[",
}


@pytest.mark.parametrize("name", sorted(OTHER_HEADS))
def test_sniff_leaves_other_formats_alone(name):
    assert (
        ChatGPTImporter().sniff(memory_file(OTHER_HEADS[name].encode("utf-8", "surrogatepass")))
        < 0.5
    )


def test_sniff_never_raises_on_trees_or_binary():
    assert ChatGPTImporter().sniff(InputTree("t", "t", [], is_zip=False)) == 0.0
    assert ChatGPTImporter().sniff(memory_file(bytes(range(256)) * 10)) == 0.0


def test_real_files(chatlogs):
    folder = chatlogs / "chatgpt_export"
    r = read_with(
        ChatGPTImporter, as_item(folder / "polylogue_native-conversation-v1_branching.json")
    )
    (turns,) = r.turns
    assert [t.key for t in turns] == ["user", "tool-call", "tool-result", "answer-active"]
    assert turns[-1].alternatives == ("Superseded answer.",)
    assert turns[0].text.endswith("\n[image]")
    assert len(r.skips) == 3  # custom instructions, thoughts, reasoning recap

    r = read_with(ChatGPTImporter, as_item(folder / "looselips_minimal_pii_conversations.json"))
    assert [len(t) for t in r.turns] == [2] * 5 and r.skips == []
    assert r.conversations[0].key == "conv-employment"

    item = as_item(folder / "chatgpt2graph_code_interpreter_conversations.json")
    r = read_with(ChatGPTImporter, item)
    (turns,) = r.turns
    assert len(turns) == 42 and len(r.skips) == 1  # the hidden user system message
    roles = [t.role for t in turns]
    assert (roles.count("user"), roles.count("assistant"), roles.count("tool")) == (8, 23, 11)
    assert sum(1 for t in turns if t.meta.get("recipient") == "python") == 11
    assert turns[0].text.startswith("given two random") and turns[-1].key.startswith("875ad56f")


# Hypothesis: garbled versions of a valid export never crash the importer.

JSON_VALUES = json_values(floats=True, text_size=5, key_size=5)


VALID = [BRANCHED, json.loads(json.dumps(conv([node("u", None, msg("user", "x", T0))])))]


@settings(max_examples=80, deadline=None)
@given(mutated(VALID, JSON_VALUES, edits=1, drop=False))
def test_garbled_structure_never_crashes(data):
    assert_survives(ChatGPTImporter, memory_file(data))


@settings(max_examples=60, deadline=None)
@given(spliced(json.dumps(VALID).encode()))
def test_garbled_bytes_never_crash(data):
    assert_survives(ChatGPTImporter, memory_file(data))
