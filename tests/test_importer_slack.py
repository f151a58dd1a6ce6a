from __future__ import annotations

import contextlib
import io
import json
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import as_item, make_file, read_with

from afina.engine.errors import ParseError
from afina.engine.ingest.inputs import InputFile, InputTree, folder_tree, zip_tree
from afina.plugins.importers.slack import SlackImporter

USERS = [
    {"id": "U1", "name": "ana", "real_name": "Ana Souza", "profile": {"display_name": "ana"}},
    {"id": "U2", "name": "bob", "profile": {"real_name": "", "display_name": "Bobby"}},
    {"id": "U3", "name": "cris"},
]
CHANNELS = [{"id": "C1", "name": "general"}, {"id": "C2", "name": "random"}]

GENERAL_DAY1 = [
    {
        "type": "message",
        "subtype": "channel_join",
        "user": "U1",
        "text": "<@U1> has joined",
        "ts": "1700000000.000100",
    },
    {
        "type": "message",
        "subtype": "channel_join",
        "user": "U2",
        "text": "<@U2> has joined",
        "ts": "1700000001.000100",
    },
    {
        "type": "message",
        "user": "U1",
        "ts": "1700000010.000200",
        "text": "Oi <@U2>, veja <https://example.com/doc|o guia> e <#C2|random> &amp; <https://x.org>",
    },
    # a thread root with two replies, one of them on the next day
    {
        "type": "message",
        "user": "U2",
        "ts": "1700000020.000300",
        "thread_ts": "1700000020.000300",
        "reply_count": 2,
        "text": "Como eu configuro o VPN?",
    },
    {
        "type": "message",
        "user": "U1",
        "ts": "1700000030.000400",
        "thread_ts": "1700000020.000300",
        "parent_user_id": "U2",
        "text": "Use o cliente &lt;openvpn&gt;",
    },
    {
        "type": "message",
        "subtype": "channel_topic",
        "user": "U1",
        "text": "set the topic",
        "ts": "1700000040.000500",
    },
    {
        "type": "message",
        "subtype": "bot_message",
        "username": "deploybot",
        "bot_id": "B1",
        "text": "deployed v1.2",
        "ts": "1700000050.000600",
    },
    {
        "type": "message",
        "subtype": "bot_message",
        "bot_id": "B2",
        "text": "",
        "ts": "1700000060.000700",
    },
    {
        "type": "message",
        "subtype": "bot_message",
        "bot_id": "B3",
        "text": "",
        "attachments": [{"fallback": "Build #7 passed", "color": "good"}],
        "ts": "1700000070.000800",
    },
    {
        "type": "message",
        "subtype": "file_share",
        "user": "U3",
        "ts": "1700000080.000900",
        "text": "aqui está",
        "files": [{"id": "F1", "name": "relatorio.pdf"}],
    },
    "not a message",
]
GENERAL_DAY2 = [
    {
        "type": "message",
        "user": "U2",
        "ts": "1700090000.000100",
        "thread_ts": "1700000020.000300",
        "text": "Funcionou, obrigado!",
    },
    {
        "type": "message",
        "user": "U9",
        "ts": "1700090010.000200",
        "text": "quem sou eu?",
        "user_profile": {"real_name": "Visitante"},
    },
]


def write_export(root: Path, extra: dict[str, object] | None = None) -> Path:
    files: dict[str, object] = {
        "users.json": USERS,
        "channels.json": CHANNELS,
        "general/2023-11-14.json": GENERAL_DAY1,
        "general/2023-11-15.json": GENERAL_DAY2,
        "random/2023-11-14.json": [
            {
                "type": "message",
                "user": "U3",
                "text": "olá <!here|here> <mailto:a@b.com|a@b.com> <#C1>",
                "ts": "1700000005.000001",
            }
        ],
        **(extra or {}),
    }
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content), "utf-8")
    return root


def memory_tree(files: dict[str, bytes]) -> InputTree:
    """An export held in memory, so generated examples need no disk."""
    items = [
        InputFile(f"mem!{name}", name, len(data), lambda data=data: io.BytesIO(data))
        for name, data in files.items()
    ]
    return InputTree("mem", "mem", items, is_zip=False)


def test_reads_channels_days_and_threads(tmp_path):
    tree = folder_tree(write_export(tmp_path / "export"))
    assert SlackImporter().sniff(tree) >= 0.9
    r = read_with(SlackImporter, tree)
    keys = [c.key for c in r.conversations]
    assert keys == [
        "general/2023-11-14",
        "general/1700000020.000300",
        "general/2023-11-15",
        "random/2023-11-14",
    ]
    day1, thread, day2, random = r.turns
    assert day1[0].speaker == "Ana Souza"
    assert day1[0].text == (
        "Oi @Bobby, veja o guia (https://example.com/doc) e #random & https://x.org"
    )
    assert day1[0].timestamp == "2023-11-14T22:13:30+00:00"
    assert day1[0].key == "1700000010.000200"
    assert day1[0].place == "general/2023-11-14.json [2]"
    assert day1[0].role is None and day1[0].thread is None
    # bots: kept with text (their own or the attachments'), dropped without
    assert [(t.speaker, t.text, dict(t.meta)) for t in day1[1:3]] == [
        ("deploybot", "deployed v1.2", {"bot": True}),
        ("B3", "Build #7 passed", {"bot": True}),
    ]
    assert day1[3].text == "aqui está\n[file: relatorio.pdf]" and day1[3].speaker == "cris"
    # the thread spans both days, replies point at the root
    assert [t.text for t in thread] == [
        "Como eu configuro o VPN?",
        "Use o cliente <openvpn>",
        "Funcionou, obrigado!",
    ]
    assert {t.thread for t in thread} == {"1700000020.000300"}
    assert [t.reply_to for t in thread] == [None, "1700000020.000300", "1700000020.000300"]
    assert r.conversations[1].title == "#general thread: Como eu configuro o VPN?"
    assert [t.speaker for t in day2] == ["Visitante"]
    assert random[0].text == "olá @here a@b.com #general"
    assert r.conversations[3].meta["channel_id"] == "C2"


def test_notices_are_counted_once_per_subtype(tmp_path):
    r = read_with(SlackImporter, folder_tree(write_export(tmp_path / "e")))
    reasons = {s.reason for s in r.skips}
    assert {s.reason: s.count for s in r.skips}["channel_join notice"] == 2
    assert "channel_topic notice" in reasons
    assert "message without text" in reasons  # the bot message with no text at all
    assert "message is not an object" in reasons
    join = next(s for s in r.skips if s.reason.startswith("channel_join"))
    assert join.place == "general/2023-11-14.json [0]"


def test_broken_day_file_is_a_skip_not_a_failure(tmp_path):
    root = write_export(tmp_path / "e", {"general/2023-11-16.json": '[{"text": "cut'})
    r = read_with(SlackImporter, folder_tree(root))
    assert len(r.conversations) == 4
    bad = [s for s in r.skips if s.place == "general/2023-11-16.json"]
    assert len(bad) == 1 and "not valid JSON" in bad[0].reason


def test_zip_wrapping_a_folder_with_dms_and_group_dms(tmp_path):
    files = {
        "ws/users.json": USERS,
        "ws/channels.json": [],
        "ws/dms.json": [{"id": "D1", "members": ["U1", "U2"]}],
        "ws/mpims.json": [
            {"id": "G1", "name": "mpdm-ana--bob--cris-1", "members": ["U1", "U2", "U3"]}
        ],
        "ws/D1/2023-11-14.json": [
            {"type": "message", "user": "U1", "text": "oi", "ts": "1700000000.1"}
        ],
        "ws/mpdm-ana--bob--cris-1/2023-11-14.json": [
            {"type": "message", "user": "U3", "text": "todos aqui?", "ts": "1700000000.2"},
        ],
        "ws/__MACOSX/._junk": "",
    }
    path = tmp_path / "slack.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, content in files.items():
            zf.writestr(name, content if isinstance(content, str) else json.dumps(content))
    tree = zip_tree(path)
    assert SlackImporter().sniff(tree) >= 0.9
    r = read_with(SlackImporter, tree)
    assert [(c.key, c.title) for c in r.conversations] == [
        ("D1/2023-11-14", "DM Ana Souza, Bobby 2023-11-14"),
        ("mpdm-ana--bob--cris-1/2023-11-14", "DM Ana Souza, Bobby, cris 2023-11-14"),
    ]


def test_sniff_negatives(tmp_path):
    plain = make_file(tmp_path, "channels.json", json.dumps(CHANNELS))
    assert SlackImporter().sniff(plain) == 0.0  # a single file is never a Slack export
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("hello")
    (other / "data").mkdir()
    (other / "data" / "result.json").write_text('{"name": "Telegram", "messages": []}')
    assert SlackImporter().sniff(folder_tree(other)) == 0.0
    # day-named files alone, without Slack's message shape
    days = tmp_path / "days"
    (days / "diary").mkdir(parents=True)
    (days / "diary" / "2024-01-01.json").write_text('{"weather": "sunny"}')
    assert SlackImporter().sniff(folder_tree(days)) < 0.5
    with pytest.raises(ParseError):
        list(SlackImporter().read(folder_tree(other), {}))


def test_day_files_without_listings_still_read(tmp_path):
    root = tmp_path / "bare"
    (root / "general").mkdir(parents=True)
    (root / "general" / "2024-01-01.json").write_text(
        json.dumps([{"type": "message", "user": "U1", "text": "hi", "ts": "1704067200.0001"}])
    )
    tree = folder_tree(root)
    assert 0.5 <= SlackImporter().sniff(tree) < 0.9
    r = read_with(SlackImporter, tree)
    assert [(t.speaker, t.text) for t in r.turns[0]] == [("U1", "hi")]


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "ts",
                    "thread_ts",
                    "text",
                    "user",
                    "subtype",
                    "attachments",
                    "files",
                    "reply_count",
                    "bot_id",
                    "name",
                    "id",
                    "members",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    users=st.one_of(
        _json.map(json.dumps), st.binary(max_size=40).map(lambda b: b.decode("latin-1"))
    ),
    day=st.one_of(st.lists(_json, max_size=5).map(json.dumps), st.text(max_size=40)),
    dms=st.lists(_json, max_size=3).map(json.dumps),
    cut=st.integers(min_value=0, max_value=200),
)
def test_garbled_exports_never_crash(users, day, dms, cut):
    valid = json.dumps(GENERAL_DAY1)
    files = {
        "users.json": users.encode("utf-8", "surrogatepass"),
        "channels.json": json.dumps(CHANNELS).encode(),
        "dms.json": dms.encode(),
        "general/2023-11-14.json": day.encode("utf-8", "surrogatepass"),
        "general/2023-11-15.json": valid[:cut].encode() + b"\xff",
    }
    tree = memory_tree(files)
    assert 0.0 <= SlackImporter().sniff(tree) <= 1.0
    with contextlib.suppress(ParseError):
        read_with(SlackImporter, tree)


def test_real_export(chatlogs):
    tree = as_item(chatlogs / "slack" / "hfaran_testarchive.zip")
    assert SlackImporter().sniff(tree) >= 0.9
    r = read_with(SlackImporter, tree)
    turns = [t for ts in r.turns for t in ts]
    # 158 messages: 147 turns, 8 channel_join and 3 bot_add notices
    assert len(r.conversations) == 16 and len(turns) == 147
    assert sorted((s.reason, s.count) for s in r.skips) == [
        ("bot_add notice", 3),
        ("channel_join notice", 8),
    ]
    speakers = Counter(t.speaker for t in turns)
    assert speakers == {
        "github": 94,
        "Hamza Faran": 33,
        "Hermione Granger": 14,
        "Harry Potter": 5,
        "heroeshannibal": 1,
    }
    assert sum(1 for t in turns if t.meta.get("bot")) == 94
    first = r.turns[0][0]
    assert first.text.startswith("@Harry Potter: Created an issue")
    assert not any("&gt;" in t.text or "<@U" in t.text for t in turns)
