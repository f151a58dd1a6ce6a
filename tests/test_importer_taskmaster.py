"""Taskmaster dialogs, with fixtures written from the corpus's published layout: a list of
``{conversation_id, instruction_id, utterances: [{index, speaker, text, segments}]}``."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import make_file, read_with

from afina.engine.errors import ParseError
from afina.engine.ingest.inputs import InputFile
from afina.engine.plugins import list_plugins, load_plugin
from afina.plugins.importers.taskmaster import TaskmasterImporter


def utterance(index: int, speaker: str, text: str, *slots: str) -> dict[str, object]:
    u: dict[str, object] = {"index": index, "speaker": speaker, "text": text}
    if slots:
        u["segments"] = [
            {
                "start_index": 0,
                "end_index": len(text),
                "text": text,
                "annotations": [{"name": slot} for slot in slots],
            }
        ]
    return u


PIZZA = {
    "conversation_id": "dlg-0001",
    "instruction_id": "pizza-ordering-2",
    "utterances": [
        utterance(0, "USER", "Hi, I'd like to order a large pizza."),
        utterance(1, "ASSISTANT", "Sure. Which toppings?", "pizza_ordering.size_of_pizza.accept"),
        utterance(2, "USER", "Mushrooms and olives.", "pizza_ordering.type_of_topping"),
        utterance(3, "ASSISTANT", "Done: ready in 20 minutes."),
    ],
}
TABLE = {
    "conversation_id": "dlg-0002",
    "instruction_id": "restaurant-table-1",
    "utterances": [
        utterance(0, "USER", "A table for two tonight, please."),
        utterance(1, "ASSISTANT", "At what time?"),
    ],
}


def test_array_of_dialogs(tmp_path):
    f = make_file(tmp_path, "self-dialogs.json", json.dumps([PIZZA, TABLE], indent=2))
    assert TaskmasterImporter().sniff(f) >= 0.9
    r = read_with(TaskmasterImporter, f)
    assert [(c.key, c.title, c.place, dict(c.meta)) for c in r.conversations] == [
        ("dlg-0001", "pizza-ordering-2", "[0]", {"instruction_id": "pizza-ordering-2"}),
        ("dlg-0002", "restaurant-table-1", "[1]", {"instruction_id": "restaurant-table-1"}),
    ]
    assert [(t.role, t.speaker, t.text) for t in r.turns[0]] == [
        ("user", "user", "Hi, I'd like to order a large pizza."),
        ("assistant", "assistant", "Sure. Which toppings?"),
        ("user", "user", "Mushrooms and olives."),
        ("assistant", "assistant", "Done: ready in 20 minutes."),
    ]
    assert [t.key for t in r.turns[0]] == ["0", "1", "2", "3"]
    assert r.turns[0][1].place == "[0].utterances[1]"
    assert r.turns[0][1].meta == {"annotations": ["pizza_ordering.size_of_pizza.accept"]}
    assert r.turns[0][0].meta == {}
    assert not r.skips


def test_jsonl_and_single_dialog(tmp_path):
    lines = "\n".join(json.dumps(d) for d in (PIZZA, TABLE)) + "\n"
    f = make_file(tmp_path, "dialogs.jsonl", lines)
    assert TaskmasterImporter().sniff(f) >= 0.9
    r = read_with(TaskmasterImporter, f)
    assert [(c.key, c.place) for c in r.conversations] == [
        ("dlg-0001", "line 1"),
        ("dlg-0002", "line 2"),
    ]
    pretty = make_file(tmp_path, "one.json", json.dumps(TABLE, indent=2))
    one = read_with(TaskmasterImporter, pretty)
    assert [(c.key, c.place) for c in one.conversations] == [("dlg-0002", "$")]


def test_taskmaster3_dialog_without_instruction_id(tmp_path):
    dialog = {
        "conversation_id": "dlg-3-0001",
        "vertical": "Movie Tickets",
        "scenario": "Buy two tickets for tonight",
        "utterances": [
            {"index": 0, "speaker": "user", "text": "Two tickets for tonight?", "apis": []},
            {"index": 1, "speaker": "assistant", "text": "Which movie?", "apis": []},
        ],
    }
    f = make_file(tmp_path, "data_00.json", json.dumps([dialog]))
    assert TaskmasterImporter().sniff(f) >= 0.9
    r = read_with(TaskmasterImporter, f)
    [conv] = r.conversations
    assert (conv.key, conv.title) == ("dlg-3-0001", None)
    assert conv.meta == {"vertical": "Movie Tickets", "scenario": "Buy two tickets for tonight"}
    assert [t.role for t in r.turns[0]] == ["user", "assistant"]


def test_odd_utterances_are_skipped_and_order_follows_index(tmp_path):
    dialog = {
        "conversation_id": 17,
        "instruction_id": "x",
        "utterances": [
            utterance(1, "ASSISTANT", "second"),
            utterance(0, "USER", "first"),
            utterance(2, "WIZARD", "who am I?"),
            utterance(3, "USER", "   "),
            utterance(4, "USER", 42),  # type: ignore[arg-type]
        ],
    }
    bad = {"conversation_id": "b", "instruction_id": "y", "utterances": "not a list"}
    empty = {"conversation_id": "e", "utterances": []}
    f = make_file(tmp_path, "d.json", json.dumps([dialog, bad, empty, ["nope"]]))
    r = read_with(TaskmasterImporter, f)
    assert [c.key for c in r.conversations] == ["17"]
    assert [(t.text, t.place) for t in r.turns[0]] == [
        ("first", "[0].utterances[1]"),
        ("second", "[0].utterances[0]"),
    ]
    assert [(s.place, s.reason) for s in r.skips] == [
        ("[0].utterances[2]", "speaker 'WIZARD' is neither USER nor ASSISTANT"),
        ("[0].utterances[3]", "utterance has no text"),
        ("[0].utterances[4]", "utterance has no text"),
        ("[1]", "expected a dialog with an 'utterances' list"),
        ("[2]", "dialog has no utterances to import"),
        ("[3]", "expected a dialog with an 'utterances' list"),
    ]


@pytest.mark.parametrize(
    "content",
    [
        json.dumps([{"instruction": "a", "input": "", "output": "b"}]),
        json.dumps({"hello": "world"}),
        json.dumps([1, 2, 3]),
    ],
)
def test_other_json_is_a_parse_error(tmp_path, content):
    f = make_file(tmp_path, "x.json", content)
    assert TaskmasterImporter().sniff(f) == 0.0
    with pytest.raises(ParseError):
        read_with(TaskmasterImporter, f)


def test_first_dialog_past_the_head_is_still_sniffed(tmp_path):
    long_text = "word " * 20_000  # the first dialog alone is bigger than the sniffed head
    big = {**PIZZA, "utterances": [utterance(0, "USER", long_text), *PIZZA["utterances"][1:]]}
    f = make_file(tmp_path, "big.json", json.dumps([big, TABLE]))
    assert 0.5 <= TaskmasterImporter().sniff(f) < 0.9
    assert [c.key for c in read_with(TaskmasterImporter, f).conversations] == [
        "dlg-0001",
        "dlg-0002",
    ]


def test_no_other_importer_claims_taskmaster(tmp_path):
    files = [
        make_file(tmp_path, "self-dialogs.json", json.dumps([PIZZA, TABLE], indent=2)),
        make_file(tmp_path, "d.jsonl", json.dumps(PIZZA) + "\n" + json.dumps(TABLE) + "\n"),
    ]
    for f in files:
        confident = [
            p.name
            for p in list_plugins("importer")
            if not (cls := load_plugin("importer", p.name)).reads_trees() and cls().sniff(f) >= 0.5
        ]
        assert confident == ["taskmaster"], (f.name, confident)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("s.json", json.dumps([{"id": "a", "conversations": [{"from": "human", "value": "x"}]}])),
        ("m.jsonl", json.dumps({"messages": [{"role": "user", "content": "hi"}]}) + "\n"),
        ("abcd.json", json.dumps([{"convo_id": 1, "original": [["customer", "hi"]]}])),
        ("t.jsonl", json.dumps({"conversation_id": "1", "text": "hi", "speaker": "a"}) + "\n"),
        ("w.txt", "13/01/23, 10:00 - Ana: oi\n"),
        ("e.json", ""),
    ],
)
def test_sniff_leaves_other_formats(tmp_path, name, content):
    assert TaskmasterImporter().sniff(make_file(tmp_path, name, content)) < 0.5


VALID = json.dumps([PIZZA, TABLE]).encode()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cuts=st.lists(st.tuples(st.integers(0, len(VALID)), st.binary(max_size=6)), max_size=4),
    truncate=st.integers(1, len(VALID)),
)
def test_garbled_files_never_crash(tmp_path, cuts, truncate):
    data = bytearray(VALID[:truncate])
    for pos, junk in cuts:
        data[pos:pos] = junk
    f: InputFile = make_file(tmp_path, "g.json", bytes(data))
    assert 0.0 <= TaskmasterImporter().sniff(f) <= 1.0
    with contextlib.suppress(ParseError):
        r = read_with(TaskmasterImporter, f)
        assert all(t.text.strip() and t.role in ("user", "assistant") for ts in r.turns for t in ts)
