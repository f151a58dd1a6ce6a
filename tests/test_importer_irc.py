"""IRC logs in the dircproxy style: "[15 Jan 08:42] <nick!user@host> text", hostmasks left out.

The shapes follow dircproxy's user log files (its log_dir option): a "[%d %b %H:%M] " stamp,
"<nick!user@host> text" messages, "* nick text" actions, "-nick!user@host- text" notices,
"[nick!user@host] VERSION" CTCP requests, "-->"/"<--"/"---" channel events and "***" lines
for the proxy's own status. Older releases wrote joins as "*** nick (user@host) has joined".
"""

from __future__ import annotations

from support import make_file, read_with

from afina.plugins.importers.irc import IRCImporter
from afina.plugins.importers.transcript import TranscriptImporter
from afina.plugins.importers.whatsapp import WhatsAppImporter

DIRCPROXY = """\
[15 Jan 08:40] *** You connected
[15 Jan 08:40] *** ana (~ana@203.0.113.7) has joined #loja
[15 Jan 08:41] --> bob (~bob@host-198-51-100-2.example.net) joined the channel
[15 Jan 08:42] <ana!~ana@203.0.113.7> bom dia, a loja abre hoje?
[15 Jan 08:43] <bob!~bob@host-198-51-100-2.example.net> abre às 9h
[15 Jan 08:43] * ana agradece
[15 Jan 08:44] -NickServ!services@services.example.net- This nickname is registered
[15 Jan 08:44] [carl!~c@192.0.2.9] VERSION
[15 Jan 08:45] --- bob is now known as bobby
[15 Jan 08:46] <-- carl (~c@192.0.2.9) left IRC (Quit: bye)
[15 Jan 08:47] <@bobby!~bob@host-198-51-100-2.example.net> até logo
[15 Jan 08:48] *** You disconnected
"""

HOST_PARTS = ("~ana", "203.0.113.7", "~bob", "198-51-100-2", "example.net", "192.0.2.9", "@")


def test_dircproxy_log(tmp_path):
    f = make_file(tmp_path, "#loja.log", DIRCPROXY)
    assert IRCImporter().sniff(f) >= 0.8
    assert TranscriptImporter().sniff(f) < 0.5
    assert WhatsAppImporter().sniff(f) < 0.5
    r = read_with(IRCImporter, f)
    (conv,) = r.conversations
    assert conv.key == "#loja"
    assert [(t.speaker, t.text, dict(t.meta), t.place) for t in r.turns[0]] == [
        ("ana", "bom dia, a loja abre hoje?", {"time": "15 Jan 08:42"}, "line 4"),
        ("bob", "abre às 9h", {"time": "15 Jan 08:43"}, "line 5"),
        ("ana", "agradece", {"action": True, "time": "15 Jan 08:43"}, "line 6"),
        ("bobby", "até logo", {"time": "15 Jan 08:47"}, "line 11"),
    ]
    # dircproxy never writes the year: without a day marker no timestamp is made up.
    assert all(t.timestamp is None for t in r.turns[0])
    counts = {s.reason: (s.place, s.count) for s in r.skips}
    assert counts == {
        "status line": ("line 1", 2),
        "join line": ("line 2", 2),
        "notice line": ("line 7", 1),
        "ctcp line": ("line 8", 1),
        "nick line": ("line 9", 1),
        "quit line": ("line 10", 1),
    }


def test_hostmasks_never_reach_a_turn(tmp_path):
    r = read_with(IRCImporter, make_file(tmp_path, "#loja.log", DIRCPROXY))
    for t in r.turns[0]:
        kept = " ".join([t.speaker, t.text, *map(str, t.meta.values())])
        assert not any(part in kept for part in HOST_PARTS), t
    assert not any(part in s.reason for s in r.skips for part in HOST_PARTS)


def test_dircproxy_stamps_get_the_year_from_a_day_marker(tmp_path):
    text = (
        "--- Day changed Mon Jan 15 2024\n"
        "[15 Jan 08:42] <ana!~a@h> oi\n"
        "[16 Jan 09:00] <bob!~b@h> olá\n"
    )
    r = read_with(IRCImporter, make_file(tmp_path, "x.log", text))
    assert [t.timestamp for t in r.turns[0]] == ["2024-01-15T08:42", "2024-01-16T09:00"]


def test_hostmask_in_other_clients_lines(tmp_path):
    # Some ZNC modules and scripts keep the hostmask on messages and actions as well.
    text = (
        "[12:00:00] <ana!ana@client.example> olá\n"
        "[12:00:01] * bob!bob@client.example acena\n"
        "2024-01-01 12:00:02\tcarl!c@h\toi\n"
    )
    r = read_with(IRCImporter, make_file(tmp_path, "x.log", text))
    assert [(t.speaker, t.text) for t in r.turns[0]] == [
        ("ana", "olá"),
        ("bob", "acena"),
        ("carl", "oi"),
    ]


def test_long_hostmask_is_still_a_message(tmp_path):
    host = "very-long-reverse-dns-name-of-a-cable-modem." * 3 + "example.net"
    text = f"[15 Jan 08:42] <ana!~ana@{host}> oi\n[15 Jan 08:43] <bob!~bob@{host}> olá\n"
    f = make_file(tmp_path, "x.log", text)
    assert IRCImporter().sniff(f) >= 0.8
    r = read_with(IRCImporter, f)
    assert [t.speaker for t in r.turns[0]] == ["ana", "bob"] and not r.skips
