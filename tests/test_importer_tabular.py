from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import as_item, make_file, read_with

from afina.engine.errors import ParseError
from afina.engine.types import Conversation
from afina.plugins.importers import table_rows
from afina.plugins.importers.discord import DiscordCSVImporter
from afina.plugins.importers.table_rows import parse_when
from afina.plugins.importers.tabular import CSVImporter, JSONLImporter

TABLE = (
    "conversation_id,speaker,text,timestamp\n"
    "c1,ana,Qual o prazo?,2024-01-05 10:00\n"
    "c2,bob,Oi,1704448800\n"
    "c1,atendente,Cinco dias úteis.,2024-01-05T10:01:00Z\n"
    'c2,atendente,"Olá, como\nposso ajudar?",amanhã\n'
    "c1,ana,,2024-01-05 10:02\n"
    "c3,ana,sozinha,\n"
)


def test_groups_rows_by_conversation_in_order_of_first_appearance(tmp_path):
    f = make_file(tmp_path, "chats.csv", TABLE)
    assert CSVImporter().sniff(f) == pytest.approx(0.55)
    r = read_with(CSVImporter, f)
    assert [c.key for c in r.conversations] == ["c1", "c2", "c3"]
    c1, c2, _c3 = r.turns
    assert [(t.speaker, t.text, t.timestamp) for t in c1] == [
        ("ana", "Qual o prazo?", "2024-01-05T10:00:00"),
        ("atendente", "Cinco dias úteis.", "2024-01-05T10:01:00+00:00"),
    ]
    assert c2[0].timestamp == "2024-01-05T10:00:00+00:00"  # unix seconds
    assert c2[1].text == "Olá, como\nposso ajudar?" and c2[1].timestamp is None
    assert [t.place for t in c2] == ["line 3", "line 5"]
    assert r.conversations[0].place == "line 2" and c1[0].role is None
    assert {s.reason for s in r.skips} == {
        "empty text",
        "time not understood, turn kept without it",
    }


def test_contiguous_conversations_are_emitted_as_they_end(tmp_path):
    rows = "".join(f"c{i // 3},u{i % 2},msg {i}\n" for i in range(12))
    f = make_file(tmp_path, "t.csv", "thread,user,message\n" + rows)
    seen: list[int] = []
    items = CSVImporter().read(f, CSVImporter.resolve_options({}))
    for item in items:
        assert isinstance(item, Conversation)
        seen.append(len(list(item.turns)))
    assert seen == [3, 3, 3, 3]


def test_whole_file_is_one_streamed_conversation_without_a_conversation_column(tmp_path):
    f = make_file(tmp_path, "c.tsv", "role\tcontent\nuser\thello\nassistant\thi there\n")
    items = list(CSVImporter().read(f, CSVImporter.resolve_options({})))
    conv = items[0]
    assert isinstance(conv, Conversation) and conv.key == ""
    assert isinstance(conv.turns, Iterator)  # streamed, not a list
    r = read_with(CSVImporter, f)
    assert [(t.speaker, t.role, t.text) for t in r.turns[0]] == [
        ("user", "user", "hello"),
        ("assistant", "assistant", "hi there"),
    ]


def test_explicit_mapping_and_delimiter(tmp_path):
    text = "quem;fala;papel;sessao\nana;bom dia;human;s1\nbot;olá!;bot;s1\n"
    f = make_file(tmp_path, "x.txt", text)
    r = read_with(
        CSVImporter,
        f,
        text="fala",
        speaker="quem",
        role="papel",
        conversation="sessao",
        delimiter=";",
    )
    assert [(t.speaker, t.role, t.text) for t in r.turns[0]] == [
        ("ana", "user", "bom dia"),
        ("bot", "assistant", "olá!"),
    ]
    assert r.conversations[0].key == "s1"
    tabbed = make_file(tmp_path, "y.txt", "text\tfrom\nhi\tana\n")
    r = read_with(CSVImporter, tabbed, delimiter="\\t")
    assert [(t.speaker, t.text) for t in r.turns[0]] == [("ana", "hi")]


def test_missing_columns_are_parse_errors(tmp_path):
    f = make_file(tmp_path, "x.csv", "a,b\n1,2\n")
    with pytest.raises(ParseError, match="no text column"):
        read_with(CSVImporter, f)
    with pytest.raises(ParseError, match="no column 'nope'"):
        read_with(CSVImporter, make_file(tmp_path, "y.csv", "text\nhi\n"), speaker="nope")
    with pytest.raises(ParseError, match="empty file"):
        read_with(CSVImporter, make_file(tmp_path, "z.csv", "\n\n"))


def test_oversized_field_is_a_skip_not_a_crash(tmp_path, monkeypatch):
    monkeypatch.setattr(table_rows, "FIELD_LIMIT", 1000)
    text = 'speaker,text\nana,"never closed ' + "x" * 5000 + "\nbob,fine\n"
    r = read_with(CSVImporter, make_file(tmp_path, "big.csv", text))
    assert any("unreadable CSV row" in s.reason for s in r.skips)


UBUNTU = (
    "Context,Ground Truth Utterance,Distractor_0,Distractor_1\n"
    '"how do i mount a usb ? __eou__ it is ntfs __eou__ __eot__ try sudo mount __eou__ __eot__'
    ' that worked __eou__ __eot__",great ! __eou__,wrong __eou__,nope __eou__\n'
)


def test_ubuntu_dialogue_rows_are_conversations(tmp_path):
    f = make_file(tmp_path, "valid.csv", UBUNTU)
    assert CSVImporter().sniff(f) >= 0.7
    r = read_with(CSVImporter, f)
    assert [(t.speaker, t.text, t.place) for t in r.turns[0]] == [
        ("A", "how do i mount a usb ?\nit is ntfs", "line 2 context[0]"),
        ("B", "try sudo mount", "line 2 context[1]"),
        ("A", "that worked", "line 2 context[2]"),
        ("B", "great !", "line 2 response"),
    ]
    assert all(t.role is None for t in r.turns[0])


def test_ubuntu_training_rows_drop_wrong_answers(tmp_path):
    text = (
        "Context,Utterance,Label\n"
        "hi __eou__ __eot__ hello __eou__ __eot__,how are you __eou__,1\n"
        "hi __eou__ __eot__,random text __eou__,0\n"
    )
    r = read_with(CSVImporter, make_file(tmp_path, "train.csv", text))
    assert [[t.text for t in ts] for ts in r.turns] == [["hi", "hello", "how are you"], ["hi"]]
    assert [s.reason for s in r.skips] == ["response labelled 0 (a wrong answer) left out"]


JSONL = (
    "\n".join(
        [
            json.dumps(
                {"session": "s1", "author": "ana", "message": "Oi", "created_at": 1704448800000}
            ),
            "{not json",
            json.dumps(["a list"]),
            json.dumps({"session": "s1", "author": "bot", "message": 42}),
            json.dumps({"session": "s2", "author": "bob", "message": {"nested": True}}),
            json.dumps({"session": "s2", "author": "bob", "message": "tudo bem?"}),
        ]
    )
    + "\n"
)


def test_jsonl_auto_fields_and_bad_lines(tmp_path):
    f = make_file(tmp_path, "chat.jsonl", JSONL)
    assert JSONLImporter().sniff(f) == pytest.approx(0.55)
    r = read_with(JSONLImporter, f)
    assert [c.key for c in r.conversations] == ["s1", "s2"]
    assert [(t.speaker, t.text, t.timestamp) for t in r.turns[0]] == [
        ("ana", "Oi", "2024-01-05T10:00:00+00:00"),
        ("bot", "42", None),
    ]
    assert r.turns[1][0].place == "line 6"
    assert {s.place: s.reason for s in r.skips} == {
        "line 2": "invalid JSON line",
        "line 3": "not a JSON object",
        "line 5": "text missing or not a string",
    }


def test_jsonl_nested_field_option(tmp_path):
    lines = [{"msg": {"body": "olá", "from": {"name": "ana"}}}, {"msg": {"body": "oi"}}]
    f = make_file(tmp_path, "n.jsonl", "\n".join(json.dumps(x) for x in lines))
    r = read_with(JSONLImporter, f, text="msg.body", speaker="msg.from.name")
    assert [(t.speaker, t.text) for t in r.turns[0]] == [("ana", "olá"), ("", "oi")]


@pytest.mark.parametrize("text", ["", "\n", '{"a": 1}\n{"b": 2}\n', "[1, 2]\n"])
def test_jsonl_without_messages_is_a_parse_error(tmp_path, text):
    with pytest.raises(ParseError):
        read_with(JSONLImporter, make_file(tmp_path, "x.jsonl", text))


OTHER_FILES = {
    "openai.jsonl": '{"messages": [{"role": "user", "content": "hi"}]}\n',
    "sharegpt.jsonl": '{"conversations": [{"from": "human", "value": "hi"}]}\n',
    "alpaca.jsonl": '{"instruction": "x", "input": "", "output": "y"}\n',
    "chatgpt.json": '[{"title": "x", "mapping": {}}]',
    "telegram.json": '{\n "name": "Ana",\n "messages": [{"text": "hi"}]\n}',
    "whatsapp.txt": "12/01/2020, 10:00 - Ana: hi, text\n12/01/2020, 10:01 - Bob: ok\n",
    "transcript.txt": "Ana: hello there\nBob: hi\n",
    "README.md": "# Title\n\nSome text, with commas, here.\n",
    "code.py": "from x import text, message\nprint(text)\n",
    "chatterbot.yml": "categories:\n- greetings\nconversations:\n- - Hello\n  - Hi\n",
}


@pytest.mark.parametrize("name", sorted(OTHER_FILES))
def test_sniff_does_not_claim_other_formats(tmp_path, name):
    f = make_file(tmp_path, name, OTHER_FILES[name])
    assert CSVImporter().sniff(f) < 0.5
    assert JSONLImporter().sniff(f) < 0.5


def test_discord_csv_outbids_the_generic_csv(tmp_path):
    f = make_file(
        tmp_path,
        "d.csv",
        "AuthorID,Author,Date,Content,Attachments,Reactions\n1,ana,01-Mar-23 10:05 AM,hi,,\n",
    )
    assert 0.5 <= CSVImporter().sniff(f) < DiscordCSVImporter().sniff(f)


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2024-01-05T10:00:00Z", "2024-01-05T10:00:00+00:00"),
        ("2024-01-05 10:00", "2024-01-05T10:00:00"),
        ("05-Jan-24 03:04 PM", "2024-01-05T15:04:00"),
        ("1/5/2024 3:04 PM", "2024-01-05T15:04:00"),
        (1704448800.5, "2024-01-05T10:00:00.500000+00:00"),
        ("1704448800000", "2024-01-05T10:00:00+00:00"),
        ("05/01/2024 10:00", None),  # day or month first? not guessed
        (float("nan"), None),
        (True, None),
        ("", None),
        (1e30, None),
    ],
)
def test_parse_when(value, expected):
    assert parse_when(value) == expected


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_garbled_tables_never_crash(tmp_path_factory, data):
    tmp = tmp_path_factory.mktemp("g")
    for importer, name, doc in (
        (CSVImporter, "g.csv", TABLE),
        (JSONLImporter, "g.jsonl", JSONL),
        (CSVImporter, "u.csv", UBUNTU),
    ):
        start = data.draw(st.integers(0, len(doc)))
        end = data.draw(st.integers(start, len(doc)))
        noise = data.draw(
            st.text(max_size=12) | st.binary(max_size=12).map(lambda b: b.decode("latin-1"))
        )
        raw = (doc[:start] + noise + doc[end:]).encode("utf-8", "surrogatepass")
        if data.draw(st.booleans()):
            raw = raw.replace(b"a", b"\xff", 1)
        f = make_file(tmp, name, raw)
        assert 0.0 <= importer().sniff(f) <= 1.0
        with contextlib.suppress(ParseError):
            read_with(importer, f)


def test_latin1_text_is_read_as_windows_1252(tmp_path):
    # A lone Latin-1 byte is legacy 8-bit text, not corruption: its accent is kept.
    f = make_file(tmp_path, "x.csv", b"speaker,text\nana,ol\xe1\n")
    r = read_with(CSVImporter, f)
    assert r.turns[0][0].text == "olá"
    assert [(x.what, x.count) for x in r.repairs] == [
        ("not UTF-8: read as Windows-1252 (Latin-1)", 1)
    ]


def test_real_ubuntu_dialogue_file(chatlogs):
    f = as_item(chatlogs / "ubuntu_dialogue" / "hf_datasets_ubuntu_dummy_valid.csv")
    assert CSVImporter().sniff(f) >= 0.7
    r = read_with(CSVImporter, f)
    assert len(r.conversations) == 1 and not r.skips
    turns = r.turns[0]
    assert [t.speaker for t in turns] == ["A", "B", "A", "B", "A"]
    assert turns[-1].text == "nice thank !" and turns[-1].place == "line 2 response"
    assert "__eou__" not in "".join(t.text for t in turns)


def test_real_files_of_other_formats_are_not_claimed(chatlogs):
    for path in sorted(p for p in chatlogs.rglob("*") if p.is_file()):
        item = as_item(path)
        if path.suffix != ".csv":
            assert CSVImporter().sniff(item) < 0.5, path
        assert JSONLImporter().sniff(item) < 0.5, path


def test_rows_wider_than_the_header_are_counted(tmp_path):
    f = make_file(tmp_path, "w.csv", "speaker,text\nana,hello, world\nbob,ok\n")
    r = read_with(CSVImporter, f)
    assert [t.text for t in r.turns[0]] == ["hello", "ok"]
    assert [(s.place, s.reason) for s in r.skips] == [
        ("line 2", "row has more fields than the header (extra fields left out)"),
    ]
