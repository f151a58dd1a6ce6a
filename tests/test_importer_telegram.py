from __future__ import annotations

import contextlib
import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import as_item, make_file, read_with

from afina.engine.errors import ParseError
from afina.plugins.importers import telegram_stream
from afina.plugins.importers.telegram import TelegramImporter


def message(mid: int, **fields: object) -> dict[str, object]:
    return {
        "id": mid,
        "type": "message",
        "date": "2024-01-15T10:30:00",
        "date_unixtime": str(1705311000 + mid),
        "from": "Ana",
        "from_id": "user1",
        **fields,
    }


CHAT = {
    "name": "Loja Centro",
    "type": "personal_chat",
    "id": 4242,
    "messages": [
        message(1, text="Qual o horário?"),
        message(
            2,
            **{"from": "Loja", "from_id": "user2"},
            text=[
                "Das ",
                {"type": "bold", "text": "9h às 18h"},
                ", veja ",
                {"type": "link", "text": "https://loja.example"},
            ],
            reply_to_message_id=1,
        ),
        message(3, photo="photos/photo_1.jpg", text=""),
        message(4, media_type="sticker", sticker_emoji="👍", file="stickers/s.webp", text=""),
        message(5, photo="photos/photo_2.jpg", text="o cardápio novo"),
        {
            "id": 6,
            "type": "service",
            "date": "2024-01-15T11:00:00",
            "actor": "Ana",
            "action": "phone_call",
            "text": "",
        },
        message(7, text="", text_entities=[{"type": "plain", "text": "só entidades"}]),
        message(8, text=""),
        message(9, text=42),
        "not a message",
        message(10, date_unixtime=None, date="2024-01-16T09:00:00", text="hora local"),
        message(
            11,
            poll={
                "question": "Abrimos domingo?",
                "answers": [{"text": "Sim", "voters": 2}, {"text": "Não", "voters": 1}],
            },
            text="",
        ),
        message(12, **{"from": None}, text="conta apagada", forwarded_from="Bia"),
    ],
}


def test_single_chat(tmp_path):
    f = make_file(tmp_path, "result.json", json.dumps(CHAT))
    assert TelegramImporter().sniff(f) >= 0.9
    r = read_with(TelegramImporter, f)
    [conv] = r.conversations
    assert (conv.key, conv.title, conv.place, conv.meta) == (
        "4242",
        "Loja Centro",
        "$",
        {"type": "personal_chat"},
    )
    turns = r.turns[0]
    assert [(t.key, t.speaker, t.text) for t in turns] == [
        ("1", "Ana", "Qual o horário?"),
        ("2", "Loja", "Das 9h às 18h, veja https://loja.example"),
        ("3", "Ana", "[media]"),
        ("4", "Ana", "[media]"),
        ("5", "Ana", "o cardápio novo"),
        ("7", "Ana", "só entidades"),
        ("10", "Ana", "hora local"),
        ("11", "Ana", "Abrimos domingo?\n- Sim\n- Não"),
        ("12", "user1", "conta apagada"),
    ]
    assert turns[0].timestamp == "2024-01-15T09:30:01+00:00"
    assert turns[6].timestamp == "2024-01-16T09:00:00"  # no unix time: local time as written
    assert turns[1].reply_to == "1" and turns[0].reply_to is None
    assert turns[1].place == "messages[1]" and all(t.role is None for t in turns)
    assert turns[2].meta == {"media": True, "media_type": "photo", "from_id": "user1"}
    assert turns[3].meta["media_type"] == "sticker" and turns[3].meta["sticker_emoji"] == "👍"
    assert turns[4].meta == {"media_type": "photo", "from_id": "user1"}  # a caption is text
    assert turns[7].meta["poll"] is True
    assert turns[8].meta["forwarded_from"] == "Bia"
    assert [(s.place, s.reason) for s in r.skips] == [
        ("messages[7]", "message has no text"),
        ("messages[8]", "message has no text"),
        ("messages[9]", "expected a message object"),
        ("messages[5]", "service message (phone_call)"),
    ]


def test_account_export_with_left_chats(tmp_path):
    joins = [
        {"id": i, "type": "service", "action": "invite_members", "date": "2024-01-01T00:00:00"}
        for i in range(10)
    ]
    doc = {
        "about": "Here is the data you requested.",
        "personal_information": {"user_id": 1, "first_name": "Ana"},
        "contacts": {"about": "", "list": []},
        "chats": {
            "about": "",
            "list": [
                CHAT,
                {
                    "name": "Grupo",
                    "type": "private_group",
                    "id": 7,
                    "messages": [*joins, message(20, text="oi grupo")],
                },
                {"name": "Vazio", "type": "private_group", "id": 8, "messages": []},
                ["not", "a", "chat"],
            ],
        },
        "left_chats": {
            "about": "",
            "list": [
                {
                    "name": "Antigo",
                    "type": "public_supergroup",
                    "id": 9,
                    "messages": [message(30, text="tchau")],
                },
            ],
        },
    }
    f = make_file(tmp_path, "result.json", json.dumps(doc))
    assert TelegramImporter().sniff(f) >= 0.9
    r = read_with(TelegramImporter, f)
    assert [(c.key, c.place) for c in r.conversations] == [
        ("4242", "chats.list[0]"),
        ("7", "chats.list[1]"),
        ("9", "left_chats.list[0]"),
    ]
    assert r.turns[1][0].place == "chats.list[1].messages[10]"
    joined = [s for s in r.skips if "invite_members" in s.reason]
    assert [s.place for s in joined] == [
        "chats.list[1].messages[0]",
        "chats.list[1].messages[1]",
        "chats.list[1].messages[2]",
        "after chats.list[1].messages[2]",
    ]
    assert (joined[-1].reason, joined[-1].count) == (
        "service message (invite_members), more not listed",
        7,
    )
    notes = [(s.place, s.reason) for s in r.skips]
    assert ("chats.list[2]", "chat has no messages to import") in notes
    assert ("chats.list[3]", "expected a chat with a 'messages' list") in notes


def test_odd_messages(tmp_path):
    doc = {
        "name": "x",
        "id": "c1",
        "messages": [
            {"id": 1, "type": "weird", "text": "?"},
            {
                "id": 2,
                "type": "message",
                "date_unixtime": "soon",
                "date": "2024-01-15 10:30",
                "from": "Ana",
                "text": "bad dates",
            },
            {"id": 3, "type": "service", "action": ["not", "a", "string"]},
        ],
    }
    r = read_with(TelegramImporter, make_file(tmp_path, "x.json", json.dumps(doc)))
    assert [(t.text, t.timestamp) for t in r.turns[0]] == [("bad dates", None)]
    assert [s.reason for s in r.skips] == [
        "unknown message type 'weird'",
        "service message (unknown)",
    ]


@pytest.mark.parametrize(
    "doc",
    [
        [CHAT],
        {"name": "x", "messages": {"1": "a"}},
        {"about": "x", "chats": {"about": "y"}},
        {"hello": "world"},
    ],
)
def test_wrong_shapes_are_parse_errors(tmp_path, doc):
    with pytest.raises(ParseError):
        read_with(TelegramImporter, make_file(tmp_path, "x.json", json.dumps(doc)))


def test_truncated_json_is_a_parse_error(tmp_path):
    f = make_file(tmp_path, "result.json", json.dumps(CHAT)[:300])
    assert TelegramImporter().sniff(f) >= 0.5
    with pytest.raises(ParseError):
        read_with(TelegramImporter, f)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("c.json", json.dumps([{"title": "t", "mapping": {}, "create_time": 1.0}])),
        ("s.json", json.dumps([{"id": "a", "conversations": [{"from": "human", "value": "x"}]}])),
        ("m.jsonl", json.dumps({"messages": [{"role": "user", "content": "hi"}]}) + "\n"),
        ("o.json", json.dumps({"messages": [{"role": "user", "content": "hi"}]})),
        (
            "d.json",
            json.dumps(
                {
                    "guild": {"id": "1", "name": "g"},
                    "channel": {"id": "2", "type": "GuildTextChat"},
                    "messages": [
                        {
                            "id": "3",
                            "type": "Default",
                            "timestamp": "2020-01-01T00:00:00+00:00",
                            "content": "hi",
                            "author": {"id": "4", "name": "a"},
                        }
                    ],
                }
            ),
        ),
        ("slack.json", json.dumps([{"type": "message", "user": "U1", "text": "hi", "ts": "1.0"}])),
        ("w.txt", "13/01/23, 10:00 - Ana: oi\n"),
        ("g.bin", bytes(range(256)) * 4),
        ("e.json", ""),
    ],
)
def test_sniff_leaves_other_formats(tmp_path, name, content):
    assert TelegramImporter().sniff(make_file(tmp_path, name, content)) < 0.5


VALID = json.dumps(CHAT, ensure_ascii=False).encode("utf-8")
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cuts=st.lists(st.tuples(st.integers(0, len(VALID)), st.binary(max_size=6)), max_size=4),
    field=st.sampled_from(
        [
            "text",
            "date_unixtime",
            "date",
            "id",
            "from",
            "reply_to_message_id",
            "type",
            "photo",
            "poll",
            "text_entities",
            "action",
        ]
    ),
    value=VALUES,
)
def test_garbled_exports_never_crash(tmp_path, cuts, field, value):
    doc = json.loads(VALID)
    doc["messages"][1][field] = value
    data = bytearray(json.dumps(doc).encode("utf-8"))
    for pos, junk in cuts:
        data[pos:pos] = junk
    f = make_file(tmp_path, "result.json", bytes(data))
    assert 0.0 <= TelegramImporter().sniff(f) <= 1.0
    with contextlib.suppress(ParseError):
        read_with(TelegramImporter, f)


def test_real_files(chatlogs):
    folder = chatlogs / "telegram"
    r = read_with(TelegramImporter, as_item(folder / "tgparser_personal_chat.json"))
    assert [c.key for c in r.conversations] == ["123456789"]
    assert [(t.key, t.text) for t in r.turns[0]] == [
        ("1", "Hello!"),
        ("2", "Hi there!"),
        ("3", "Check this important message"),
        ("4", "Got it!"),
    ]
    assert r.turns[0][3].reply_to == "3"
    assert [(s.place, s.reason) for s in r.skips] == [
        ("messages[4]", "service message (phone_call)"),
    ]

    r = read_with(TelegramImporter, as_item(folder / "chatminer_telegram_batch_export.json"))
    assert [c.key for c in r.conversations] == ["Chatname"]
    assert [(t.speaker, t.text, t.timestamp) for t in r.turns[0]] == [
        ("Author 1", "Minimal Message", "2018-12-05T10:39:10+00:00"),
        ("Author 2", "Link:https://telegram.org/", "2018-12-05T10:49:24+00:00"),
    ]
    assert not r.skips


# ---------------------------------------------------------------- chats as a plain list


def chat(cid: int, kind: str, name: str, *messages: dict[str, object]) -> dict[str, object]:
    return {"name": name, "type": kind, "id": cid, "messages": list(messages)}


BOT = chat(
    93372553,
    "bot_chat",
    "HelpBot",
    message(1, text="/start"),
    message(2, **{"from": "HelpBot", "from_id": "user93372553"}, text="How can I help?"),
    message(3, text="Opening hours?"),
    message(4, **{"from": "HelpBot", "from_id": "user93372553"}, text="9 to 18."),
)
PLAIN_LIST = {
    "about": "Here is the data you requested.",
    "personal_information": {"user_id": 1, "first_name": "Ana", "phone_number": "+55 0"},
    "contacts": {"about": "", "list": [{"first_name": "Bia", "phone_number": "+55 1"}]},
    "chats": [
        chat(11, "personal_chat", "Bia", message(1, text="oi"), message(2, text="olá")),
        chat(12, "private_supergroup", "Loja", message(1, text="bom dia")),
        chat(13, "private_group", "Família", message(1, text="jantar?")),
        chat(14, "public_supergroup", "Bairro", message(1, text="feira hoje")),
        chat(15, "public_channel", "Notícias", message(1, text="post")),
        chat(16, "private_channel", "Avisos", message(1, text="aviso")),
        chat(17, "saved_messages", "", message(1, text="lembrete")),
        chat(18, "replies", "Replies", message(1, text="re")),
        BOT,
        {"name": "sem tipo", "id": 19, "messages": [message(1, text="antigo")]},
    ],
    "left_chats": [chat(20, "private_supergroup", "Antigo", message(1, text="tchau"))],
}


def test_chats_as_a_plain_list_and_chat_types(tmp_path):
    f = make_file(tmp_path, "result.json", json.dumps(PLAIN_LIST, indent=1))
    assert TelegramImporter().sniff(f) >= 0.9
    r = read_with(TelegramImporter, f)
    assert [(c.key, c.place, c.meta.get("type")) for c in r.conversations] == [
        ("11", "chats[0]", "personal_chat"),
        ("12", "chats[1]", "private_supergroup"),
        ("13", "chats[2]", "private_group"),
        ("14", "chats[3]", "public_supergroup"),
        ("93372553", "chats[8]", "bot_chat"),
        ("19", "chats[9]", None),
        ("20", "left_chats[0]", "private_supergroup"),
    ]
    assert r.turns[0][1].place == "chats[0].messages[1]"
    skipped = {s.place: s.reason for s in r.skips}
    assert skipped == {
        "chats[4]": "public_channel: broadcast posts, not a conversation "
        "(--option telegram.channels=true imports them)",
        "chats[5]": "private_channel: broadcast posts, not a conversation "
        "(--option telegram.channels=true imports them)",
        "chats[6]": "Saved Messages: notes to oneself, not a conversation",
        "chats[7]": "the Replies chat: copies of replies made in other chats",
    }
    # Nothing of the account's personal sections reaches a conversation.
    assert "+55" not in repr([c.meta for c in r.conversations] + r.turns)


def test_bot_chat_turns_get_roles(tmp_path):
    f = make_file(tmp_path, "result.json", json.dumps(BOT))
    r = read_with(TelegramImporter, f)
    assert [(t.role, t.speaker, t.text) for t in r.turns[0]] == [
        ("user", "Ana", "/start"),
        ("assistant", "HelpBot", "How can I help?"),
        ("user", "Ana", "Opening hours?"),
        ("assistant", "HelpBot", "9 to 18."),
    ]
    personal = make_file(tmp_path, "p.json", json.dumps(CHAT))
    assert all(t.role is None for t in read_with(TelegramImporter, personal).turns[0])


def test_channels_option_imports_channels(tmp_path):
    f = make_file(tmp_path, "result.json", json.dumps(PLAIN_LIST))
    r = read_with(TelegramImporter, f, channels="true")
    assert {"15", "16"} <= {c.key for c in r.conversations}
    assert "17" not in {c.key for c in r.conversations}  # saved messages stay out


def test_unread_turns_do_not_shift_later_chats(tmp_path):
    f = make_file(tmp_path, "result.json", json.dumps(PLAIN_LIST))
    importer = TelegramImporter()
    items = importer.read(f, importer.resolve_options({}))
    conversations = [it for it in items if hasattr(it, "turns")]  # nobody reads the turns
    assert [c.key for c in conversations][:2] == ["11", "12"]
    fresh = [it for it in importer.read(f, importer.resolve_options({})) if hasattr(it, "turns")]
    assert [[t.text for t in c.turns] for c in fresh][1] == ["bom dia"]


def test_hostile_nesting_and_oversized_messages_are_parse_errors(tmp_path, monkeypatch):
    deep = '{"name": "x", "messages": [' + "[" * 100_000 + "]" * 100_000 + "]}"
    with pytest.raises(ParseError, match="nested deeper than"):
        read_with(TelegramImporter, make_file(tmp_path, "d.json", deep))
    skipped_deep = '{"about": ' + "[" * 100_000 + "]" * 100_000 + ', "chats": []}'
    with pytest.raises(ParseError, match="nested deeper than"):
        read_with(TelegramImporter, make_file(tmp_path, "e.json", skipped_deep))
    monkeypatch.setattr(telegram_stream, "MAX_ELEMENT_BYTES", 4096)
    big = json.dumps({**CHAT, "messages": [message(1, text="x" * 1_000_000)]})
    with pytest.raises(ParseError, match="MiB in one value"):
        read_with(TelegramImporter, make_file(tmp_path, "b.json", big))
    # Many small messages in a row are fine: the limit is per message.
    many = json.dumps({**CHAT, "messages": [message(i, text="y" * 100) for i in range(500)]})
    assert len(read_with(TelegramImporter, make_file(tmp_path, "m.json", many)).turns[0]) == 500


def test_undecodable_bytes_are_replaced_and_counted(tmp_path):
    good = json.dumps(CHAT, ensure_ascii=False).encode("utf-8")
    bad = good.replace("Qual o horário?".encode(), b"Qual o hor\xff\xferio?")
    r = read_with(TelegramImporter, make_file(tmp_path, "result.json", bad))
    assert r.turns[0][0].text == "Qual o hor\ufffd\ufffdrio?"
    assert [(p.what, p.count) for p in r.repairs] == [("undecodable bytes replaced", 2)]


def test_utf16_export(tmp_path):
    f = make_file(tmp_path, "result.json", json.dumps(CHAT, ensure_ascii=False).encode("utf-16"))
    assert read_with(TelegramImporter, f).turns[0][0].text == "Qual o horário?"


# ---------------------------------------------------------------- memory stays flat

CHILD = """
import resource, sys
from pathlib import Path
from afina.engine.ingest.inputs import disk_file
from afina.plugins.importers.telegram import TelegramImporter
importer = TelegramImporter()
turns = 0
for item in importer.read(disk_file(Path(sys.argv[1])), importer.resolve_options({})):
    for _ in getattr(item, "turns", ()):
        turns += 1
print(turns, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def big_export(path, target_bytes: int) -> int:
    """An account export of about ``target_bytes``, written fast from one message template;
    returns how many messages it holds."""
    template = json.dumps(message(0, text="mensagem número {i} com algum texto para encher"))
    template = template.replace('"id": 0', '"id": {i}').replace("{", "{{").replace("}", "}}")
    template = template.replace("{{i}}", "{i}")
    per_chat = 5000
    count = 0
    with path.open("w", encoding="utf-8") as out:
        out.write('{"about": "x", "personal_information": {"user_id": 1}, "chats": {"list": [')
        chat_no = 0
        while out.tell() < target_bytes:
            if chat_no:
                out.write(",")
            head = json.dumps({"name": f"Chat {chat_no}", "type": "private_group", "id": chat_no})
            out.write(head[:-1] + ', "messages": [')
            out.write(",\n".join(template.format(i=i) for i in range(per_chat)))
            out.write("]}")
            count += per_chat
            chat_no += 1
        out.write("]}}")
    return count


def peak_rss(path) -> tuple[int, int]:
    """(turns, peak RSS in bytes) of importing ``path`` in a fresh process.

    The child reports its own peak (RUSAGE_SELF at its end is the same number RUSAGE_CHILDREN
    gives the parent after it exits, without the other children this test run has waited for).
    """
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, check=True
    )
    turns, kib = done.stdout.split()
    return int(turns), int(kib) * 1024


def test_big_export_is_read_in_flat_memory(tmp_path):
    small = tmp_path / "small.json"
    small.write_text(json.dumps({"chats": {"list": [CHAT]}}), encoding="utf-8")
    _, base = peak_rss(small)
    big = tmp_path / "result.json"
    messages = big_export(big, 40 * 1024**2)
    size = big.stat().st_size
    turns, peak = peak_rss(big)
    assert turns == messages
    # Parsed whole, the file would take about five times its size; streamed, the process
    # grows by a small fraction of it whatever the size.
    assert peak - base < size // 4, (base // 2**20, peak // 2**20, size // 2**20)
