from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import as_item, make_file, read_with

from afina.engine.errors import ParseError
from afina.engine.ingest import textio
from afina.engine.ingest.inputs import zip_tree
from afina.engine.types import Conversation
from afina.plugins.importers import whatsapp
from afina.plugins.importers.whatsapp import WhatsAppImporter

NOTICE = (
    "Messages and calls are end-to-end encrypted. No one outside of this chat, not even "
    "WhatsApp, can read or listen to them. Tap to learn more."
)
ANDROID = f"""\
12/06/24, 21:34 - {NOTICE}
12/06/24, 21:35 - Ana Souza: Bom dia! Qual o horário da loja?
12/06/24, 21:36 - Loja: Das 9h às 18h,
de segunda a sábado.

Domingo fechado.
13/06/24, 08:00 - Ana Souza: <Media omitted>
13/06/24, 08:01 - Ana Souza: This message was deleted
13/06/24, 08:02 - +55 21 98888-7777 joined using this group's invite link
13/06/24, 08:03 - Loja: Obrigado: volte sempre
13/06/24, 08:04 - Loja:.
"""


def turns_of(r) -> list[tuple[str, str, str | None, str]]:
    return [(t.speaker, t.text, t.timestamp, t.place) for t in r.turns[0]]


def test_android_chat(tmp_path):
    f = make_file(tmp_path, "WhatsApp Chat with Ana Souza.txt", ANDROID)
    assert WhatsAppImporter().sniff(f) >= 0.9
    r = read_with(WhatsAppImporter, f)
    assert [(c.key, c.title) for c in r.conversations] == [("Ana Souza", "Ana Souza")]
    assert turns_of(r) == [
        ("Ana Souza", "Bom dia! Qual o horário da loja?", "2024-06-12T21:35", "line 2"),
        (
            "Loja",
            "Das 9h às 18h,\nde segunda a sábado.\n\nDomingo fechado.",
            "2024-06-12T21:36",
            "line 3",
        ),
        ("Ana Souza", "[media]", "2024-06-13T08:00", "line 7"),
        ("Loja", "Obrigado: volte sempre", "2024-06-13T08:03", "line 10"),
        ("Loja", ".", "2024-06-13T08:04", "line 11"),  # "Name:text" without the space
    ]
    assert r.turns[0][0].role is None and r.turns[0][0].key == ""
    assert r.turns[0][2].meta == {"media": True}
    assert [(s.place, s.reason) for s in r.skips] == [
        ("line 1", "system line"),
        ("line 9", "system line"),
        ("line 8", "deleted message"),
    ]
    assert r.conversations[0].meta == {"platform": "android", "date_order": "dmy"}


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # Android, day-first, 4-digit year, no comma (pt-BR)
        (
            ["23/03/2021 18:44 - Ana: oi", "01/04/2021 09:05 - Bia: olá"],
            ["2021-03-23T18:44", "2021-04-01T09:05"],
        ),
        # Android, German dots
        (
            ["31.01.23, 14:05 - Ana: hallo", "01.02.23, 07:00 - Bia: moin"],
            ["2023-01-31T14:05", "2023-02-01T07:00"],
        ),
        # Android, US order, Spanish 12-hour words, "00" after midnight
        (
            [
                "01/20/2019, 11:23 a. m. - Ana: hola",
                "06/20/2020, 00:08 a. m. - Bia: hi",
                "12/20/2021, 12:10 p. m. - Ana: x",
                "12/30/2021, 10:01 p. m. - Bia: y",
            ],
            ["2019-01-20T11:23", "2020-06-20T00:08", "2021-12-20T12:10", "2021-12-30T22:01"],
        ),
        # Android, "a.m." and narrow no-break space before "PM", no leading zeros
        (
            ["1/13/23, 9:05\u202fPM - Ana: a", "1/14/23, 12:30\u202fa.m. - Bia: b"],
            ["2023-01-13T21:05", "2023-01-14T00:30"],
        ),
        # iOS, German dots with seconds
        (
            ["[20.06.19, 15:58:53] John: Hey", "[20.06.19, 15:58:57] Loris: Welcome"],
            ["2019-06-20T15:58:53", "2019-06-20T15:58:57"],
        ),
        # iOS, US order with AM/PM and seconds
        (
            ["[1/22/20, 9:15:01 AM] Ana: a", "[1/22/20, 12:00:00 PM] Bia: b"],
            ["2020-01-22T09:15:01", "2020-01-22T12:00:00"],
        ),
        # German 12-hour words
        (
            ["13.01.23, 9:05 vorm. - Ana: a", "13.01.23, 1:05 nachm. - Bia: b"],
            ["2023-01-13T09:05", "2023-01-13T13:05"],
        ),
        # year first (Swedish-style), read by its shape
        (
            ["2023-01-31 14:05 - Ana: hej", "2023-02-01 07:00 - Bia: hej"],
            ["2023-01-31T14:05", "2023-02-01T07:00"],
        ),
        # year first with the 12-hour word before the time (Japanese)
        (
            ["2020/01/31 午後3:45 - 太郎: こんにちは", "2020/02/01 午前0:05 - 花子: おはよう"],
            ["2020-01-31T15:45", "2020-02-01T00:05"],
        ),
    ],
)
def test_timestamp_layouts(tmp_path, lines, expected):
    f = make_file(tmp_path, "chat.txt", "\n".join(lines) + "\n")
    assert WhatsAppImporter().sniff(f) >= 0.5
    r = read_with(WhatsAppImporter, f)
    assert [t.timestamp for t in r.turns[0]] == expected
    assert not r.skips


def test_undecidable_dates_default_day_first_unless_us_markers(tmp_path):
    day_first = make_file(tmp_path, "a.txt", "01/02/20, 10:00 - Ana: a\n03/04/20, 11:00 - Bia: b\n")
    assert [t.timestamp for t in read_with(WhatsAppImporter, day_first).turns[0]] == [
        "2020-02-01T10:00",
        "2020-04-03T11:00",
    ]
    us = make_file(tmp_path, "b.txt", "1/2/20, 10:00 AM - Ana: a\n3/4/20, 11:00 PM - Bia: b\n")
    assert [t.timestamp for t in read_with(WhatsAppImporter, us).turns[0]] == [
        "2020-01-02T10:00",
        "2020-03-04T23:00",
    ]
    forced = read_with(WhatsAppImporter, day_first, date_order="mdy")
    assert [t.timestamp for t in forced.turns[0]] == ["2020-01-02T10:00", "2020-03-04T11:00"]


def test_date_evidence_found_past_the_head(tmp_path):
    # 3,000 messages on 1 February, then one on 13 February: only the end settles the order.
    body = "".join(f"01/02/21, 10:{i % 60:02d} - Ana: message number {i}\n" for i in range(3000))
    f = make_file(tmp_path, "long.txt", body + "13/02/21, 09:00 - Bia: the end\n")
    r = read_with(WhatsAppImporter, f)
    assert r.turns[0][0].timestamp == "2021-02-01T10:00"
    assert r.turns[0][-1].timestamp == "2021-02-13T09:00"
    assert r.conversations[0].meta["date_order"] == "dmy"


# South African English and a few other locales write the year first, with WhatsApp's usual
# comma and dash; every real export opens with the encryption notice (a system line).
YEAR_FIRST = f"""\
2019/01/01, 11:25 - {NOTICE}
2019/01/01, 11:25 - Thandi created group "Shop"
2019/01/01, 11:26 - Thandi: Good morning! Are you open today?
2019/01/01, 11:27 - Shop: Yes, until 17:00.
Sundays closed.
2019/01/20, 09:03 - Thandi: <Media omitted>
2019/01/30, 20:49 - Shop: Thanks: see you
"""


def test_year_first_android_chat(tmp_path):
    f = make_file(tmp_path, "WhatsApp Chat with Shop.txt", YEAR_FIRST)
    assert WhatsAppImporter().sniff(f) >= 0.85
    r = read_with(WhatsAppImporter, f)
    assert turns_of(r) == [
        ("Thandi", "Good morning! Are you open today?", "2019-01-01T11:26", "line 3"),
        ("Shop", "Yes, until 17:00.\nSundays closed.", "2019-01-01T11:27", "line 4"),
        ("Thandi", "[media]", "2019-01-20T09:03", "line 6"),
        ("Shop", "Thanks: see you", "2019-01-30T20:49", "line 7"),
    ]
    assert [(s.place, s.reason) for s in r.skips] == [
        ("line 1", "system line"),
        ("line 2", "system line"),
    ]
    assert r.conversations[0].meta == {"platform": "android", "date_order": "ymd"}
    # No day over 12 anywhere: year-first dates are read by their shape, never as d/m.
    forced = read_with(WhatsAppImporter, f, date_order="mdy")
    assert [t.timestamp for t in forced.turns[0]] == [t.timestamp for t in r.turns[0]]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # ISO dates (Swedish, Canadian French), no comma
        (
            ["2019-01-01 11:25 - Ana: hej", "2019-01-20 11:23 - Bia: hej"],
            ["2019-01-01T11:25", "2019-01-20T11:23"],
        ),
        # iOS with brackets, slashes and seconds
        (
            ["[2019/01/01, 11:25:03] Ana: hi", "[2019/01/20, 11:23:09] Bia: hello"],
            ["2019-01-01T11:25:03", "2019-01-20T11:23:09"],
        ),
        # iOS with ISO dates and no comma
        (
            ["[2019-01-01 11:25:03] Ana: hi", "[2019-01-20 23:23:09] Bia: hello"],
            ["2019-01-01T11:25:03", "2019-01-20T23:23:09"],
        ),
        # Chinese and Japanese phones drop the leading zeros of month and day
        (
            ["2019/1/5 上午11:25 - 李雷: 你好", "2019/12/25 下午1:05 - 韩梅梅: 你好"],
            ["2019-01-05T11:25", "2019-12-25T13:05"],
        ),
        # Hungarian: dots with spaces, and one after the day
        (
            ["2019. 01. 05. 11:25 - Anna: szia", "2019. 01. 20. 7:03 - Béla: szia"],
            ["2019-01-05T11:25", "2019-01-20T07:03"],
        ),
        # 12-hour clock with the year first
        (
            ["2019/01/01, 11:25 AM - Ana: hi", "2019/01/01, 12:05 PM - Bia: hello"],
            ["2019-01-01T11:25", "2019-01-01T12:05"],
        ),
    ],
)
def test_year_first_layouts(tmp_path, lines, expected):
    f = make_file(tmp_path, "chat.txt", "\n".join(lines) + "\n")
    assert WhatsAppImporter().sniff(f) >= 0.5
    r = read_with(WhatsAppImporter, f)
    assert [t.timestamp for t in r.turns[0]] == expected
    assert [t.speaker for t in r.turns[0]] == [
        line.split("] ")[-1].split(" - ")[-1].split(":")[0] for line in lines
    ]
    assert not r.skips and not r.repairs


@pytest.mark.parametrize(
    "text",
    [
        # Generic logs put the year first too: log levels are not speakers.
        "2023-01-31 14:05:00 - INFO: started\n2023-01-31 14:05:01 - ERROR: failed\n",
        "2023-01-31 14:05 - root - INFO - started\n2023-01-31 14:06 - root - INFO - done\n",
        # A one-digit year is no date at all.
        "1/2/3, 10:00 - Ana: oi\n1/2/3, 10:01 - Bia: oi\n",
    ],
)
def test_year_first_logs_are_not_claimed(tmp_path, text):
    assert WhatsAppImporter().sniff(make_file(tmp_path, "app.log", text)) < 0.5


PHOTO = "00000012-PHOTO-2020-01-22-21-17-30.jpg"
IOS = (
    "\u200e[1/22/20, 9:15:01\u202fPM] Friends: \u200eMessages are end-to-end encrypted\r\n"
    "[1/22/20, 9:16:00\u202fPM] ~\u202fAna: hi there\r\n"
    "\u200e[1/22/20, 9:16:30\u202fPM] Ana: \u200eimage omitted\r\n"
    f"\u200e[1/22/20, 9:17:30\u202fPM] Bob: \u200e<attached: {PHOTO}>\r\n"
    "[1/22/20, 12:05:00\u202fAM] Bob: ok \u200e@\u2068Ana\u2069 \u200f<This message was edited>\n"
    "[1/22/20, 12:05:10\u202fAM] Bob: POLL:\n"
    "Lunch?\n"
    "OPTION: Yes (2 votes)\n"
    "OPTION: No (0 votes)\n"
    "[1/22/20, 12:06:00\u202fAM] \u200eBob changed the subject to \u201cPlan: June\u201d\n"
    "[1/22/20, 12:07:00\u202fAM] Friends: \u200eAna added Carla\n"
)


def test_ios_chat_in_zip(tmp_path):
    path = tmp_path / "WhatsApp Chat - Friends (1).zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("_chat.txt", IOS.encode("utf-8"))
        z.writestr(PHOTO, b"\xff\xd8")
    member = zip_tree(path).get("_chat.txt")
    assert member is not None
    assert WhatsAppImporter().sniff(member) >= 0.9
    r = read_with(WhatsAppImporter, member)
    assert r.conversations[0].key == "Friends"
    assert turns_of(r) == [
        ("Ana", "hi there", "2020-01-22T21:16:00", "line 2"),
        ("Ana", "[media]", "2020-01-22T21:16:30", "line 3"),
        ("Bob", "[media]", "2020-01-22T21:17:30", "line 4"),
        ("Bob", "ok @Ana", "2020-01-22T00:05:00", "line 5"),
        (
            "Bob",
            "POLL:\nLunch?\nOPTION: Yes (2 votes)\nOPTION: No (0 votes)",
            "2020-01-22T00:05:10",
            "line 6",
        ),
    ]
    assert r.turns[0][2].meta == {"media": True, "file": PHOTO}
    assert sorted(s.place for s in r.skips) == ["line 1", "line 10", "line 11"]
    assert {s.reason for s in r.skips} == {"system line"}


def test_marks_inside_timestamps_and_header_like_text(tmp_path):
    # Right-to-left locales put marks between the fields; a line that looks like a header but
    # has no real time continues the message before.
    f = make_file(
        tmp_path,
        "rtl.txt",
        (
            "\u200f12/06/2020, 10:00 - \u200fדנה: שלום\n"
            "12/\u200e06/2020, 10:01 - Bia: oi\n"
            "13/06/2020, 99:99 - not a time\n"
        ),
    )
    r = read_with(WhatsAppImporter, f)
    assert [(t.speaker, t.text, t.timestamp) for t in r.turns[0]] == [
        ("דנה", "שלום", "2020-06-12T10:00"),
        ("Bia", "oi\n13/06/2020, 99:99 - not a time", "2020-06-12T10:01"),
    ]


def test_android_caption_after_attachment(tmp_path):
    f = make_file(
        tmp_path,
        "c.txt",
        (
            "13/01/23, 10:00 - Ana: IMG-20230113-WA0001.jpg (file attached)\n"
            "the new menu\n"
            "13/01/23, 10:01 - Bia: IMG-20230113-WA0002.jpg (arquivo anexado)\n"
        ),
    )
    r = read_with(WhatsAppImporter, f)
    assert [(t.text, dict(t.meta)) for t in r.turns[0]] == [
        ("the new menu", {"attachment": "IMG-20230113-WA0001.jpg"}),
        ("[media]", {"media": True, "file": "IMG-20230113-WA0002.jpg"}),
    ]


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("WhatsApp Chat with Loja Centro.txt", "Loja Centro"),
        ("WhatsApp Chat with Loja Centro (2).txt", "Loja Centro"),
        ("Conversa do WhatsApp com Maria.txt", "Maria"),
        ("Chat de WhatsApp con Pepe.txt", "Pepe"),
        ("WhatsApp Chat - Friends/_chat.txt", "Friends"),
        ("export.txt", "export"),
    ],
)
def test_chat_name_from_file_name(tmp_path, name, key):
    f = make_file(tmp_path, name, "13/01/23, 10:00 - Ana: oi\n")
    # On disk the tree is not known, only the path: the folder names an iOS _chat.txt.
    assert read_with(WhatsAppImporter, f).conversations[0].key == key


def test_crlf_bom_and_text_before_first_message(tmp_path):
    content = (
        "\ufeffexported by a tool\r\n"
        "13/01/23, 10:00 - Ana: one\r\n"
        "two\r\n"
        "13/01/23, 10:01 - Bia: three\n"
        "four\n"
    )
    f = make_file(tmp_path, "x.txt", content)
    r = read_with(WhatsAppImporter, f)
    assert [t.text for t in r.turns[0]] == ["one\ntwo", "three\nfour"]
    assert [(s.place, s.reason) for s in r.skips] == [("line 1", "text before the first message")]


def test_utf16_file(tmp_path):
    f = make_file(tmp_path, "x.txt", "13/01/23, 10:00 - Ana: olá\n".encode("utf-16"))
    assert WhatsAppImporter().sniff(f) >= 0.5
    assert [t.text for t in read_with(WhatsAppImporter, f).turns[0]] == ["olá"]


def test_undecodable_bytes_are_counted(tmp_path):
    data = (
        "13/01/23, 10:00 - Ana: olá, é já\n".encode()
        + b"13/01/23, 10:01 - Bia: bad \xff\xfe here\n"
    )
    r = read_with(WhatsAppImporter, make_file(tmp_path, "x.txt", data))
    assert r.turns[0][1].text == "bad \ufffd\ufffd here"  # UTF-8 around it: not legacy text
    assert [(p.place, p.what, p.count) for p in r.repairs] == [
        ("line 2", "undecodable bytes replaced", 2),
    ]


def test_impossible_date_keeps_message_and_counts_repair(tmp_path):
    f = make_file(tmp_path, "x.txt", "13/01/23, 10:00 - Ana: ok\n31/02/23, 10:01 - Bia: when?\n")
    r = read_with(WhatsAppImporter, f)
    assert [t.timestamp for t in r.turns[0]] == ["2023-01-13T10:00", None]
    assert [(p.place, p.count) for p in r.repairs] == [("line 2", 1)]


def test_many_system_lines_are_summarised(tmp_path):
    lines = ["13/01/23, 10:00 - Ana: hi"] + [f"13/01/23, 10:01 - User {i} left" for i in range(50)]
    f = make_file(tmp_path, "x.txt", "\n".join(lines))
    r = read_with(WhatsAppImporter, f)
    assert len(r.turns[0]) == 1
    assert len(r.skips) == whatsapp.PLACES_PER_REASON + 1
    assert (r.skips[-1].reason, r.skips[-1].count) == ("system line, more not listed", 30)
    assert sum(s.count for s in r.skips) == 50  # every system line is counted


def test_only_system_lines_gives_no_conversation(tmp_path):
    f = make_file(tmp_path, "x.txt", "23/03/2021 18:44 - \u200e+55 21 90000-0000 saiu\n")
    r = read_with(WhatsAppImporter, f)
    assert r.conversations == []
    assert [s.reason for s in r.skips] == ["system line", "no messages, only system lines"]


def test_turns_stream_and_skips_come_after(tmp_path):
    f = make_file(tmp_path, "x.txt", ANDROID)
    items = WhatsAppImporter().read(f, WhatsAppImporter.resolve_options({}))
    conv = next(items)
    assert isinstance(conv, Conversation) and isinstance(conv.turns, Iterator)
    next(iter(conv.turns))  # take one turn, leave the rest: the skips are still all counted
    assert len(list(items)) == 3


@pytest.mark.parametrize("block", [1, 7, 64, 300])
def test_block_boundaries_change_nothing(tmp_path, monkeypatch, block):
    text = ANDROID * 3 + "13/06/24, 09:00 - Loja: fim"
    f = make_file(tmp_path, "x.txt", text)
    want = read_with(WhatsAppImporter, f)
    monkeypatch.setattr(textio, "BLOCK_BYTES", block)
    got = read_with(WhatsAppImporter, f)
    assert got.turns == want.turns and got.skips == want.skips
    assert want.turns[0][-1].place == "line 34"


@pytest.mark.parametrize("block", [16, 1 << 20])
def test_over_long_lines_are_cut(tmp_path, monkeypatch, block):
    monkeypatch.setattr(textio, "BLOCK_BYTES", block)
    long = "13/01/23, 10:00 - Ana: " + "a" * 5000
    f = make_file(tmp_path, "x.txt", f"{long}\n13/01/23, 10:01 - Bia: ok\n{long}\nb\n")
    stats = textio.TextStats()
    text = "".join(textio.iter_blocks(f, stats, max_line=1000))
    assert stats.long_lines == [1, 3]
    assert text == f"{long[:1000]}\n13/01/23, 10:01 - Bia: ok\n{long[:1000]}\nb\n"


def test_not_whatsapp_is_a_parse_error(tmp_path):
    f = make_file(tmp_path, "x.txt", "just some notes\nwithout any timestamps\n")
    assert WhatsAppImporter().sniff(f) == 0.0
    with pytest.raises(ParseError):
        read_with(WhatsAppImporter, f)
    assert read_with(WhatsAppImporter, make_file(tmp_path, "e.txt", "")).conversations == []


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("c.json", json.dumps([{"title": "t", "mapping": {}, "create_time": 1.0}])),
        ("s.json", json.dumps([{"id": "a", "conversations": [{"from": "human", "value": "x"}]}])),
        ("m.jsonl", json.dumps({"messages": [{"role": "user", "content": "hi"}]}) + "\n"),
        ("a.json", json.dumps([{"instruction": "a", "input": "", "output": "b"}])),
        (
            "d.csv",
            "AuthorID,Author,Date,Content,Attachments,Reactions\n"
            '"1","a#1","2020-01-31T14:05:00.000+00:00","hi","",""\n',
        ),
        ("irc.log", "[12:34] <alice> hi\n[12:35] <bob> hello\n"),
        ("irc2.log", "[2023-01-31 14:05:00] <alice> hi\n[2023-01-31 14:05:09] * bob waves\n"),
        ("t.txt", "User: hello\nAssistant: hi, how can I help?\n"),
        ("y.yml", "categories:\n- greetings\nconversations:\n- - Hello\n  - Hi\n"),
        ("tg.json", json.dumps({"name": "x", "type": "personal_chat", "id": 1, "messages": []})),
        ("g.bin", bytes(range(256)) * 4),
    ],
)
def test_sniff_leaves_other_formats(tmp_path, name, content):
    assert WhatsAppImporter().sniff(make_file(tmp_path, name, content)) < 0.5


DOCS = [ANDROID.encode("utf-8"), IOS.encode("utf-8")]


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    doc=st.sampled_from(DOCS),
    cuts=st.lists(st.tuples(st.integers(0, 2000), st.binary(max_size=8)), max_size=6),
    truncate=st.integers(1, 2000),
)
def test_garbled_files_never_crash(tmp_path, doc, cuts, truncate):
    data = bytearray(doc[:truncate])
    for pos, junk in cuts:
        data[pos:pos] = junk
    f = make_file(tmp_path, "fuzz.txt", bytes(data))
    assert 0.0 <= WhatsAppImporter().sniff(f) <= 1.0
    try:
        r = read_with(WhatsAppImporter, f)
    except ParseError:
        return
    for turns in r.turns:
        assert all(t.place.startswith("line ") and t.text for t in turns)


def test_real_files(chatlogs):
    folder = chatlogs / "whatsapp"
    dd = read_with(WhatsAppImporter, as_item(folder / "chatminer_test_ddmmyy_24hrs.txt"))
    mm = read_with(WhatsAppImporter, as_item(folder / "chatminer_test_mmddyyyy_12hrs.txt"))
    stamps = [t.timestamp for t in dd.turns[0]]
    assert stamps == [t.timestamp for t in mm.turns[0]]
    assert stamps == [
        "2019-01-01T11:25",
        "2019-01-20T11:23",
        "2019-01-30T20:49",
        "2020-06-10T15:55",
        "2021-12-10T10:10",
        "2021-12-20T12:10",
        "2021-12-30T22:01",
    ]
    # The other two of the ten lines ("created group", "You were added") are system lines.
    assert [s.place for s in dd.skips] == [s.place for s in mm.skips] == ["line 6", "line 7"]
    assert [t.text for t in dd.turns[0]] == [t.text for t in mm.turns[0]]
    assert dd.turns[0][6].speaker == "John Doe" and "\n" in dd.turns[0][6].text

    ios = read_with(WhatsAppImporter, as_item(folder / "pustur_example_ios__chat.txt"))
    assert len(ios.turns[0]) == 48 and len(ios.skips) == 4
    assert sum(1 for t in ios.turns[0] if t.meta.get("media")) == 4
    poll = next(t for t in ios.turns[0] if t.text.startswith("POLL:"))
    assert poll.text.count("OPTION:") == 5 and poll.place == "line 48"

    pt = read_with(WhatsAppImporter, as_item(folder / "moacirmoda_ptbr_chat.txt"))
    assert pt.conversations == [] and [s.reason for s in pt.skips][:2] == ["system line"] * 2

    it = read_with(WhatsAppImporter, as_item(folder / "wca_android_it.txt"))
    assert [(t.speaker, t.text) for t in it.turns[0]] == [
        ("Mario", "ciao Luigi"),
        ("Luigi", "ciao Mario\ncome stai?"),
    ]
    assert [s.reason for s in it.skips] == ["system line"]


def test_windows_1252_and_nul_bytes_are_reported_as_repairs(tmp_path):
    """A chat saved by an old Windows editor: not UTF-8, with stray NULs. It imports, and the
    summary says what was changed on the way in instead of staying silent."""
    raw = "12/03/2024, 10:01 - Ana: olá, tudo bem?\n12/03/2024, 10:02 - Bia: sim\x00!\n"
    f = make_file(tmp_path, "chat.txt", raw.encode("cp1252"))
    r = read_with(WhatsAppImporter, f)
    assert [t.text for t in r.turns[0]] == ["olá, tudo bem?", "sim!"]
    found = {x.what: (x.place, x.count) for x in r.repairs}
    assert found["NUL bytes removed"] == ("line 2", 1)
    assert any("Windows-1252" in what for what in found)
