from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import as_item, make_file, read_with

from afina.engine.errors import ParseError
from afina.engine.types import Conversation
from afina.plugins.importers.irc import IRCImporter
from afina.plugins.importers.transcript import TranscriptImporter

TRANSCRIPT = """\
Atendimento de 5 de janeiro
[2024-01-05 10:00] Cliente: Meu pedido não chegou.
[2024-01-05 10:01] Atendente: Vou verificar.
Pode me passar o número?

É o que está no e-mail.
10:02 Cliente: 12345
Atendente:
Encontrei, chega amanhã.
Cliente: Obrigado!
"""


def test_reads_speakers_timestamps_and_continuations(tmp_path):
    f = make_file(tmp_path, "suporte.txt", TRANSCRIPT)
    r = read_with(TranscriptImporter, f)
    assert len(r.conversations) == 1
    turns = r.turns[0]
    assert [(t.speaker, t.text) for t in turns] == [
        ("Cliente", "Meu pedido não chegou."),
        ("Atendente", "Vou verificar.\nPode me passar o número?\n\nÉ o que está no e-mail."),
        ("Cliente", "12345"),
        ("Atendente", "Encontrei, chega amanhã."),
        ("Cliente", "Obrigado!"),
    ]
    assert turns[0].timestamp == "2024-01-05T10:00:00" and turns[0].place == "line 2"
    assert turns[2].timestamp is None and turns[2].meta == {"time": "10:02"}
    assert all(t.role is None for t in turns)
    assert [(s.place, s.reason) for s in r.skips] == [
        ("line 1", "text before the first speaker line"),
    ]


def test_blank_lines_split_conversations_only_when_asked(tmp_path):
    text = "A: oi\nB: olá\n\n\nA: tchau\nB: até\n"
    f = make_file(tmp_path, "t.txt", text)
    assert len(read_with(TranscriptImporter, f).conversations) == 1
    r = read_with(TranscriptImporter, f, split_on_blank=True)
    assert [[t.text for t in ts] for ts in r.turns] == [["oi", "olá"], ["tchau", "até"]]
    assert [c.place for c in r.conversations] == ["line 1", "line 5"]


def test_turns_are_streamed_and_drained_if_left_unread(tmp_path):
    f = make_file(tmp_path, "t.txt", "A: 1\nB: 2\n\nA: 3\nB: 4\n")
    opts = TranscriptImporter.resolve_options({"split_on_blank": "yes"})
    convs = [x for x in TranscriptImporter().read(f, opts) if isinstance(x, Conversation)]
    # nobody read the first conversation's turns: the second still starts in the right place
    assert len(convs) == 2 and isinstance(convs[1].turns, Iterator)
    assert [t.text for t in convs[1].turns] == []  # already drained, one-shot
    fresh = TranscriptImporter().read(f, opts)
    first = next(fresh)
    assert isinstance(first, Conversation) and [t.text for t in first.turns] == ["1", "2"]


@pytest.mark.parametrize("text", ["", "\n\n", "just some prose\nwithout speakers\n"])
def test_no_speaker_lines_is_a_parse_error(tmp_path, text):
    with pytest.raises(ParseError):
        read_with(TranscriptImporter, make_file(tmp_path, "x.txt", text))


POSITIVES = {
    "interview.md": "Interviewer: Tell me about you.\nDr. Silva: I study bees.\n"
    "Interviewer: Why bees?\nDr. Silva: They dance to talk.\n",
    "chat.log": "User: how do I reset it?\nAssistant: Hold the button for ten seconds.\n"
    "User: and then?\nAssistant: Wait for the light to blink.\n",
    "q.txt": "Q: What is the fee?\nA: It is five reais.\nQ: And on Sundays?\nA: Same price.\n",
}


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_sniff_claims_transcripts(tmp_path, name):
    f = make_file(tmp_path, name, POSITIVES[name])
    assert TranscriptImporter().sniff(f) >= 0.5
    assert IRCImporter().sniff(f) < 0.5


NEGATIVES = {
    "README.md": "# afina\n\nNote: this is alpha.\nNote: expect bugs.\n\n- **Import**: logs\n"
    "- **Train**: LoRA\nSee: docs\nSee: wiki\n",
    "config.txt": "name: demo\nversion: 1\nname: other\nversion: 2\nowner: ana\nowner: bob\n",
    "code.md": "def f(x):\n    return x\nclass A:\n    pass\nclass B:\n    pass\n",
    "whatsapp.txt": "12/01/2020, 10:00 - Ana: hi there\n12/01/2020, 10:01 - Bob: hello you\n"
    "12/01/2020, 10:02 - Ana: how are you\n12/01/2020, 10:03 - Bob: fine thanks\n",
    "ios.txt": "[12.01.20, 10:00:00] Ana: hi there\n[12.01.20, 10:01:00] Bob: hello you\n"
    "[12.01.20, 10:02:00] Ana: how are you\n[12.01.20, 10:03:00] Bob: fine thanks\n",
    "mail.txt": "From: ana@example.com\nTo: bob@example.com\nSubject: hi\nDate: today\n\n"
    "Hello Bob\n",
    "app.log": "INFO: starting the server\nERROR: could not bind\nINFO: retrying in 5 s\n"
    "ERROR: could not bind again\n",
    "PKG-INFO": "Metadata-Version: 2.1\nName: x\nClassifier: Programming Language :: Python\n"
    "Classifier: License :: OSI Approved\nRequires-Dist: a\nRequires-Dist: b\n",
    "sources.txt": "Suite: devel\nComponent: main\nSuite: stable\nComponent: universe\n"
    "Suite: old\nComponent: restricted\n",
    "data.json": '{"speaker": "Ana", "text": "hi"}\n',
    "chats.yml": "Ana: hello there\nBob: hi you\nAna: how are you\nBob: fine thanks\n",
    "list.txt": "1. Step one: open it\n2. Step two: close it\n3. Step one: again\n",
    "irc.log": "[12:00] <ana> hi: there\n[12:01] <bob> hello\n[12:02] <ana> ok\n",
}


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_transcript_sniff_is_strict(tmp_path, name):
    f = make_file(tmp_path, name, NEGATIVES[name])
    assert TranscriptImporter().sniff(f) < 0.5


IRSSI = """\
--- Log opened Mon Jan 01 12:00:00 2024
12:00 -!- ana [~ana@host] has joined #afina
12:01 <@ana> alguém aí?
12:02 < bob> oi ana
12:03  * bob acena
12:04 -!- bob is now known as bobby
--- Day changed Tue Jan 02 2024
09:00 <+ana> bom dia
09:01 -!- mode/#afina [+o ana] by ChanServ
09:02 -!- carl [~c@h] has quit [Quit: bye]
09:03 -!- dave [~d@h] has quit [Ping timeout]
09:04 -!- ana changed the topic of #afina to: releases
this line is not IRC
--- Log closed Tue Jan 02 10:00:00 2024
"""


def test_irssi_log(tmp_path):
    f = make_file(tmp_path, "#afina.log", IRSSI)
    assert IRCImporter().sniff(f) >= 0.8
    assert TranscriptImporter().sniff(f) < 0.5
    r = read_with(IRCImporter, f)
    (conv,) = r.conversations
    assert (conv.key, conv.title) == ("#afina", "#afina")
    assert [(t.speaker, t.text, t.timestamp, dict(t.meta)) for t in r.turns[0]] == [
        ("ana", "alguém aí?", "2024-01-01T12:01", {}),
        ("bob", "oi ana", "2024-01-01T12:02", {}),
        ("bob", "acena", "2024-01-01T12:03", {"action": True}),
        ("ana", "bom dia", "2024-01-02T09:00", {}),
    ]
    assert r.turns[0][0].place == "line 3" and r.turns[0][0].role is None
    assert {s.reason: s.count for s in r.skips}["quit line"] == 2
    assert {s.reason for s in r.skips} == {
        "join line",
        "nick line",
        "mode line",
        "quit line",
        "topic line",
        "unrecognised line",
    }


def test_weechat_hexchat_and_znc_logs(tmp_path):
    weechat = (
        "2024-01-01 12:00:00\t-->\tana (~a@h) has joined #afina\n"
        "2024-01-01 12:00:05\t@ana\tolá\n"
        "2024-01-01 12:00:09\tbob\toi\n"
        "2024-01-01 12:00:10\t *\tbob acena\n"
        "2024-01-01 12:01:00\t<--\tbob (~b@h) has quit (bye)\n"
    )
    hexchat = (
        "**** BEGIN LOGGING AT Mon Jan  1 12:00:00 2024\n\n"
        "Jan 01 12:00:01 *\tana (~a@h) has joined #afina\n"
        "Jan 01 12:00:02 <ana>\tolá\n"
        "Jan 01 12:00:03 <bob>\toi\n"
        "Jan 01 12:00:04 *\tbob acena\n"
    )
    znc = (
        "[12:00:00] *** Joins: ana (~a@h)\n"
        "[12:00:01] <ana> olá\n"
        "[12:00:02] <bob> oi\n"
        "[12:00:03] * bob acena\n"
        "[12:00:04] *** Quits: bob (~b@h) (Quit: bye)\n"
    )
    expected = [("ana", "olá"), ("bob", "oi"), ("bob", "acena")]
    for name, text, first_time in (
        ("irc.libera.#afina.weechatlog", weechat, "2024-01-01T12:00:05"),
        ("libera-#afina.log", hexchat, "2024-01-01T12:00:02"),
        ("afina_20240101.log", znc, None),  # time only, no date anywhere
    ):
        f = make_file(tmp_path, name, text)
        assert IRCImporter().sniff(f) >= 0.8, name
        r = read_with(IRCImporter, f)
        assert [(t.speaker, t.text) for t in r.turns[0]] == expected, name
        assert r.turns[0][0].timestamp == first_time, name
        assert r.turns[0][2].meta["action"] is True
        assert any(s.reason.startswith("join") for s in r.skips), name
    assert (
        read_with(IRCImporter, make_file(tmp_path, "libera-#afina.log", hexchat))
        .conversations[0]
        .key
        == "#afina"
    )


def test_irc_without_messages_is_a_parse_error(tmp_path):
    f = make_file(tmp_path, "x.log", "12:00 -!- ana has joined #a\n12:01 -!- ana has quit\n")
    with pytest.raises(ParseError):
        read_with(IRCImporter, f)


@pytest.mark.parametrize("name", sorted(set(NEGATIVES) - {"irc.log"}) + sorted(POSITIVES))
def test_irc_sniff_negatives(tmp_path, name):
    text = {**NEGATIVES, **POSITIVES}[name]
    assert IRCImporter().sniff(make_file(tmp_path, name, text)) < 0.5


def test_sniff_never_raises_on_binary(tmp_path):
    for data in (b"", b"\x00\x01\x02\xff" * 100, "é".encode("latin-1") * 50):
        f = make_file(tmp_path, "b.txt", data)
        assert TranscriptImporter().sniff(f) == 0.0
        assert IRCImporter().sniff(f) == 0.0


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_garbled_text_never_crashes(tmp_path_factory, data):
    tmp = tmp_path_factory.mktemp("g")
    for importer, doc in ((TranscriptImporter, TRANSCRIPT), (IRCImporter, IRSSI)):
        start = data.draw(st.integers(0, len(doc)))
        end = data.draw(st.integers(start, len(doc)))
        noise = data.draw(
            st.text(max_size=20) | st.binary(max_size=20).map(lambda b: b.decode("latin-1"))
        )
        raw = (doc[:start] + noise + doc[end:]).encode("utf-8", "surrogatepass")
        if data.draw(st.booleans()):
            raw = raw.replace(b"a", b"\xff", 1)
        f = make_file(tmp, "g.log", raw)
        assert 0.0 <= importer().sniff(f) <= 1.0
        options = (
            {"split_on_blank": data.draw(st.booleans())} if importer is TranscriptImporter else {}
        )
        with contextlib.suppress(ParseError):
            read_with(importer, f, **options)


def test_latin1_text_is_read_as_windows_1252(tmp_path):
    # A lone Latin-1 byte is legacy 8-bit text, not corruption: its accent is kept.
    f = make_file(tmp_path, "t.txt", b"A: ol\xe1\nB: oi\n")
    r = read_with(TranscriptImporter, f)
    assert r.turns[0][0].text == "olá"
    assert [x.count for x in r.repairs] == [1]


def test_real_files_are_not_claimed(chatlogs):
    # None of the collected exports is a plain transcript or an IRC log; WhatsApp's .txt
    # files, the ChatterBot YAML and the CSV must all stay with their own importers.
    for path in sorted(p for p in chatlogs.rglob("*") if p.is_file()):
        item = as_item(path)
        assert TranscriptImporter().sniff(item) < 0.5, path
        assert IRCImporter().sniff(item) < 0.5, path
