from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import as_item, make_file, read_with

from afina.engine.errors import ParseError
from afina.plugins.importers import discord
from afina.plugins.importers.discord import DiscordCSVImporter, DiscordJSONImporter
from afina.plugins.importers.tabular import CSVImporter


def author(uid: str, name: str, nickname: str | None = None, bot: bool = False) -> dict:
    return {
        "id": uid,
        "name": name,
        "discriminator": "0000",
        "nickname": nickname,
        "color": None,
        "isBot": bot,
        "roles": [],
        "avatarUrl": "https://cdn/x.png",
    }


def message(mid: str, kind: str, content: str, who: dict, **extra: object) -> dict:
    return {
        "id": mid,
        "type": kind,
        "timestamp": "2023-03-01T10:00:00.123+00:00",
        "timestampEdited": None,
        "callEndedTimestamp": None,
        "isPinned": False,
        "content": content,
        "author": who,
        "attachments": [],
        "embeds": [],
        "stickers": [],
        "reactions": [],
        "mentions": [],
        **extra,
    }


ANA = author("111", "ana", "Ana")
BOB = author("222", "bob")
BOT = author("333", "helper", "Helper", bot=True)

EXPORT = {
    "guild": {"id": "900", "name": "Suporte", "iconUrl": "https://cdn/g.png"},
    "channel": {
        "id": "901",
        "type": "GuildTextChat",
        "categoryId": "1",
        "category": "Geral",
        "name": "ajuda",
        "topic": None,
    },
    "dateRange": {"after": None, "before": None},
    "exportedAt": "2023-03-02T00:00:00+00:00",
    "messages": [
        message("1", "GuildMemberJoin", "Joined the server.", BOB),
        message("2", "Default", "Como faço login?", BOB),
        message(
            "3", "Reply", "Pelo menu Conta.", ANA, reference={"messageId": "2", "channelId": "901"}
        ),
        message(
            "4",
            "Default",
            "",
            BOB,
            attachments=[
                {
                    "id": "a",
                    "url": "https://cdn/att/erro.png",
                    "fileName": "erro.png",
                    "fileSizeBytes": 10,
                }
            ],
        ),
        message("5", "Default", "", BOT, embeds=[{"title": "Status", "description": "Tudo ok"}]),
        message("6", "ChannelPinnedMessage", "Pinned a message.", ANA),
        message("7", "GuildMemberJoin", "Joined the server.", ANA),
        message("8", "Default", "   ", ANA),
        "garbage",
    ],
    "messageCount": 9,
}


def test_reads_channel_with_replies_and_attachments(tmp_path):
    f = make_file(tmp_path, "Suporte - Geral - ajuda [901].json", json.dumps(EXPORT, indent=2))
    assert DiscordJSONImporter().sniff(f) >= 0.9
    r = read_with(DiscordJSONImporter, f)
    (conv,) = r.conversations
    assert (conv.key, conv.title) == ("901", "Suporte #ajuda")
    assert conv.meta["category"] == "Geral"
    turns = r.turns[0]
    assert [(t.key, t.speaker, t.text) for t in turns] == [
        ("2", "bob", "Como faço login?"),
        ("3", "Ana", "Pelo menu Conta."),
        ("4", "bob", "[attachment: erro.png]"),
        ("5", "Helper", "Status\nTudo ok"),
    ]
    assert turns[1].reply_to == "2" and turns[0].reply_to is None
    assert turns[0].timestamp == "2023-03-01T10:00:00.123000+00:00"
    assert turns[0].place == "messages[1]" and turns[0].role is None
    assert turns[3].meta["bot"] is True and "bot" not in turns[0].meta
    reasons = {s.reason for s in r.skips}
    assert {s.reason: s.count for s in r.skips}["GuildMemberJoin notice"] == 2
    assert reasons == {
        "GuildMemberJoin notice",
        "ChannelPinnedMessage notice",
        "message without text or attachments",
        "message is not an object",
    }


def test_big_exports_are_streamed(tmp_path, monkeypatch):
    monkeypatch.setattr(discord, "WHOLE_LIMIT", 10)
    f = make_file(tmp_path, "c.json", json.dumps(EXPORT))
    r = read_with(DiscordJSONImporter, f)
    assert r.conversations[0].key == "901" and len(r.turns[0]) == 4
    cut = make_file(tmp_path, "cut.json", json.dumps(EXPORT)[:900])
    with pytest.raises(ParseError):
        read_with(DiscordJSONImporter, cut)


@pytest.mark.parametrize("doc", [[EXPORT], {"guild": {}, "messages": {"0": {}}}, "text"])
def test_wrong_shapes_are_parse_errors(tmp_path, doc):
    f = make_file(tmp_path, "x.json", json.dumps(doc))
    with pytest.raises(ParseError):
        read_with(DiscordJSONImporter, f)
    truncated = make_file(tmp_path, "t.json", json.dumps(EXPORT)[:-40])
    with pytest.raises(ParseError):
        read_with(DiscordJSONImporter, truncated)


CSV = (
    '"AuthorID","Author","Date","Content","Attachments","Reactions"\n'
    '"222","bob#0000","01-Mar-23 10:05 AM","Como faço login?","",""\n'
    '"111","ana","2023-03-01T10:06:00.000+00:00","Pelo menu ""Conta"":\n1. clique\n2. entre","",'
    '"👍 (2)"\n'
    '"222","bob#0000","01-Mar-23 02:30 PM","","https://cdn.discordapp.com/attachments/1/2/erro.png",""\n'
    '"222","bob#0000","quinta-feira","obrigado","",""\n'
    '"111","ana","01-Mar-23 03:00 PM","","",""\n'
)


def test_reads_csv_with_local_dates(tmp_path):
    f = make_file(tmp_path, "Suporte - ajuda [901234567890123456].csv", CSV)
    assert DiscordCSVImporter().sniff(f) >= 0.9
    assert CSVImporter().sniff(f) < DiscordCSVImporter().sniff(f)
    r = read_with(DiscordCSVImporter, f)
    (conv,) = r.conversations
    assert (conv.key, conv.title) == ("901234567890123456", "Suporte - ajuda")
    turns = r.turns[0]
    assert [(t.speaker, t.text, t.timestamp) for t in turns] == [
        ("bob#0000", "Como faço login?", "2023-03-01T10:05:00"),
        ("ana", 'Pelo menu "Conta":\n1. clique\n2. entre', "2023-03-01T10:06:00+00:00"),
        ("bob#0000", "[attachment: erro.png]", "2023-03-01T14:30:00"),
        ("bob#0000", "obrigado", None),
    ]
    assert [t.place for t in turns] == ["line 2", "line 3", "line 6", "line 7"]
    assert turns[0].meta == {"author_id": "222"}
    assert {s.reason for s in r.skips} == {
        "date not understood, turn kept without it",
        "message without text or attachments",
    }


@pytest.mark.parametrize("text", ["", "\n\n", "Author,Content\nana,hi\n", "a,b\n1,2\n"])
def test_csv_without_the_exporter_header_is_refused(tmp_path, text):
    f = make_file(tmp_path, "x.csv", text)
    assert DiscordCSVImporter().sniff(f) == 0.0
    with pytest.raises(ParseError):
        read_with(DiscordCSVImporter, f)


OTHER_HEADS = {
    "chatgpt.json": '[{"title": "x", "mapping": {"a": {"message": null}}}]',
    "telegram.json": '{"name": "Ana", "type": "personal_chat", "id": 1, "messages": []}',
    "sharegpt.json": '[{"id": "1", "conversations": [{"from": "human", "value": "hi"}]}]',
    "slack_day.json": '[{"type": "message", "user": "U1", "text": "hi", "ts": "1.0"}]',
    "generic.csv": "conversation_id,speaker,text\n1,ana,hi\n",
    "chat.txt": "12/01/2020, 10:00 - Ana: hi\n",
    "openai.jsonl": '{"messages": [{"role": "user", "content": "hi"}]}\n',
}


@pytest.mark.parametrize("name", sorted(OTHER_HEADS))
def test_sniff_does_not_claim_other_formats(tmp_path, name):
    f = make_file(tmp_path, name, OTHER_HEADS[name])
    assert DiscordJSONImporter().sniff(f) < 0.5
    assert DiscordCSVImporter().sniff(f) < 0.5


def test_sniff_never_raises_on_binary(tmp_path):
    f = make_file(tmp_path, "x.json", b'\x00\xff{"guild": {\xfe')
    assert DiscordJSONImporter().sniff(f) == 0.0
    assert DiscordCSVImporter().sniff(make_file(tmp_path, "e.csv", b"")) == 0.0


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_garbled_json_and_csv_never_crash(tmp_path_factory, data):
    tmp = tmp_path_factory.mktemp("g")
    doc = json.dumps(EXPORT)
    start = data.draw(st.integers(0, len(doc)))
    end = data.draw(st.integers(start, len(doc)))
    noise = data.draw(st.text(max_size=10))
    garbled = doc[:start] + noise + doc[end:]
    for importer, name, text in (
        (DiscordJSONImporter, "g.json", garbled),
        (DiscordCSVImporter, "g.csv", CSV[: start % len(CSV)] + noise + CSV[end % len(CSV) :]),
    ):
        f = make_file(tmp, name, text.encode("utf-8", "surrogatepass"))
        assert 0.0 <= importer().sniff(f) <= 1.0
        with contextlib.suppress(ParseError):
            read_with(importer, f)
    # valid JSON with wrongly typed fields is read, never a TypeError
    wrong = data.draw(st.sampled_from([None, 3, "x", [], {}, [1], {"id": []}]))
    field = data.draw(
        st.sampled_from(
            ["author", "attachments", "reference", "embeds", "type", "content", "timestamp", "id"]
        )
    )
    msg = dict(EXPORT["messages"][2], **{field: wrong})
    f = make_file(tmp, "w.json", json.dumps(dict(EXPORT, messages=[msg], channel=wrong)))
    read_with(DiscordJSONImporter, f)


def test_real_files_are_not_claimed(chatlogs):
    for path in sorted(p for p in chatlogs.rglob("*") if p.is_file()):
        item = as_item(path)
        assert DiscordJSONImporter().sniff(item) < 0.5, path
        assert DiscordCSVImporter().sniff(item) < 0.5, path
