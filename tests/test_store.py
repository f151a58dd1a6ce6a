from __future__ import annotations

import sqlite3

import pytest

from afina.engine.errors import NotFound, WorkspaceError
from afina.engine.store import SCHEMA_VERSION, SourceExists, Store, people, writer
from afina.engine.store.schema import MIGRATIONS
from afina.engine.types import Conversation, Turn


def conv(key: str, *texts: str, ts: str | None = None) -> Conversation:
    turns = [
        Turn(speaker="a" if i % 2 == 0 else "b", text=t, place=f"line {i + 1}", timestamp=ts)
        for i, t in enumerate(texts)
    ]
    return Conversation(key=key, title=None, place="$", turns=turns)


def add(store: Store, sha: str, *convs: Conversation) -> list[tuple[int, int]]:
    with store.transaction():
        w = store.begin_source(f"/x/{sha}.json", sha, "test", 10)
        results = [w.add_conversation(c) for c in convs]
        w.finish()
    return results


def test_new_database_is_migrated_and_in_wal_mode(tmp_path):
    with Store(tmp_path / "a.db") as s:
        assert s.version == SCHEMA_VERSION
        assert s.integrity_check() == "ok"
    db = sqlite3.connect(tmp_path / "a.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_newer_schema_is_refused(tmp_path):
    Store(tmp_path / "a.db").close()
    db = sqlite3.connect(tmp_path / "a.db")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(WorkspaceError, match="newer than this afina knows"):
        Store(tmp_path / "a.db")


def test_overlapping_export_adds_only_new_turns(tmp_path):
    with Store(tmp_path / "a.db") as s:
        assert add(s, "1", conv("chat", "hi", "hello", "price?")) == [(3, 0)]
        # A later export of the same chat: the old turns plus two new ones.
        assert add(s, "2", conv("chat", "hi", "hello", "price?", "R$ 99", "thanks")) == [(2, 3)]
        [info] = s.conversations()
        assert info.turns == 5
        assert [t.text for t in s.turns(info.id)] == ["hi", "hello", "price?", "R$ 99", "thanks"]
        # provenance: the new turns point at the second source
        assert [t.source_path for t in s.turns(info.id)][-1] == "/x/2.json"


def test_repeated_identical_messages_are_kept(tmp_path):
    with Store(tmp_path / "a.db") as s:
        add(s, "1", conv("c", "ok", "ok", "ok", ts="2024-01-01T10:00"))
        assert s.counts()["turns"] == 3
        add(s, "2", conv("c", "ok", "ok", "ok", "ok", ts="2024-01-01T10:00"))
        assert s.counts()["turns"] == 4


def test_conversation_without_key_is_identified_by_content(tmp_path):
    with Store(tmp_path / "a.db") as s:
        add(s, "1", conv("", "q1", "a1"), conv("", "q2", "a2"))
        add(s, "2", conv("", "q1", "a1"), conv("", "q3", "a3"))
        assert s.counts() == {"sources": 2, "conversations": 3, "turns": 6}


def test_failed_source_leaves_nothing(tmp_path):
    with Store(tmp_path / "a.db") as s:
        add(s, "1", conv("a", "x", "y"))

        def broken():
            yield Turn(speaker="a", text="first", place="line 1")
            raise RuntimeError("boom")

        with pytest.raises(RuntimeError), s.transaction():
            w = s.begin_source("/x/2", "2", "test", 1)
            w.add_conversation(Conversation("b", None, "$", broken()))
        assert s.counts() == {"sources": 1, "conversations": 1, "turns": 2}
        assert s.source_by_sha("2") is None
        assert s.integrity_check() == "ok"


def test_text_is_stored_as_nfc(tmp_path):
    decomposed = "cafe\u0301"
    with Store(tmp_path / "a.db") as s:
        add(s, "1", conv("a", decomposed))
        [t] = s.turns(s.conversations()[0].id)
        assert t.text == "caf\u00e9"


def test_unknown_ids_are_clear_errors(tmp_path):
    with Store(tmp_path / "a.db") as s:
        with pytest.raises(NotFound, match="no conversation with id 7"):
            s.conversation(7)
        with pytest.raises(NotFound, match="no source with id 3"):
            s.source(3)


def test_two_connections_can_work_at_once(tmp_path):
    path = tmp_path / "a.db"
    with Store(path) as a, Store(path) as b:
        add(a, "1", conv("a", "x"))
        assert b.counts()["turns"] == 1
        add(b, "2", conv("b", "y"))
        assert a.counts()["turns"] == 2


def test_same_line_in_different_places_without_timestamps(tmp_path):
    with Store(tmp_path / "a.db") as s:
        add(s, "1", conv("c", "ok", "sure", "ok", "bye"))
        assert s.counts()["turns"] == 4
        add(s, "2", conv("c", "ok", "sure", "ok", "bye", "ok"))
        assert s.counts()["turns"] == 5


def test_database_of_schema_3_migrates_and_keeps_what_it_held(tmp_path):
    path = tmp_path / "a.db"
    db = sqlite3.connect(path)
    for script in MIGRATIONS[:3]:
        db.executescript(script)
    db.execute("PRAGMA user_version = 3")
    db.execute(
        "INSERT INTO sources (path, sha256, importer, imported_at, size, conversations, turns)"
        " VALUES ('/x/1.json', '1', 'test', '2024-01-01', 1, 1, 1)"
    )
    db.execute(
        "INSERT INTO conversations (source_id, importer, key, place) VALUES (1, 't', 'k', '$')"
    )
    db.execute(
        "INSERT INTO turns (conversation_id, seq, minute, key, speaker, text, source_id, place)"
        " VALUES (1, 0, 0, 7, 'a', 'oi', 1, 'line 1')"
    )
    db.commit()
    db.close()
    with Store(path) as s:
        assert s.version == SCHEMA_VERSION == 4
        assert s.counts() == {"sources": 1, "conversations": 1, "turns": 1}
        assert s.source_by_sha("1") is not None
        [t] = s.turns(1)
        assert t.text == "oi"
        complete, after = s._db.execute("SELECT complete, turns_after FROM sources").fetchone()
        assert (complete, after) == (1, None)  # complete; no range of its turns to delete


def test_a_source_written_in_batches_is_hidden_until_complete(tmp_path, monkeypatch):
    monkeypatch.setattr(writer, "BATCH_SECONDS", 0.0)  # commit after every conversation
    path = tmp_path / "a.db"
    with Store(path) as s, Store(path) as reader:
        add(s, "1", conv("old", "hi", "hello"))
        with s.import_source("/x/2.json", "2", "test", 1) as w:
            w.add_conversation(conv("new", "q", "a"))
            w.add_conversation(conv("old", "hi", "hello", "later"))
            w.add_conversation(Conversation("p", None, "$", [Turn("Zé", "sou o Zé", "1")]))
            # committed, yet nothing of it shows: no source, conversation or turn
            assert reader.counts() == {"sources": 1, "conversations": 1, "turns": 2}
            assert [c.key for c in reader.conversations()] == ["old"]
            assert reader.conversations()[0].turns == 2
            assert [t.text for t in reader.turns(reader.conversations()[0].id)] == ["hi", "hello"]
            assert reader.source_by_sha("2") is None
            with pytest.raises(NotFound):
                reader.source(2)
            # nor in the workspace-wide reads the personal-data scrubber makes
            assert sorted(people.speakers(reader)) == ["a", "b"]
            assert list(people.texts_containing(reader, ["later", "sou"])) == []
            assert len(list(people.texts_by_conversation(reader))) == 2
        assert reader.counts() == {"sources": 2, "conversations": 3, "turns": 6}
        assert reader.source(2).turns == 4
        assert set(people.speakers(reader)) == {"a", "b", "Zé"}
        assert list(people.texts_containing(reader, ["later", "sou"])) == ["later", "sou o Zé"]


def test_a_source_written_in_batches_that_fails_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(writer, "BATCH_SECONDS", 0.0)
    with Store(tmp_path / "a.db") as s:
        add(s, "1", conv("old", "hi", "hello"))
        with pytest.raises(RuntimeError), s.import_source("/x/2.json", "2", "test", 1) as w:
            w.add_conversation(conv("new", "q", "a"))
            w.add_conversation(conv("old", "hi", "hello", "later"))
            raise RuntimeError("the importer broke")
        assert s.counts() == {"sources": 1, "conversations": 1, "turns": 2}
        raw = s._db.execute("SELECT count(*) FROM turns").fetchone()[0]
        assert raw == 2 and s.integrity_check() == "ok"


def test_the_same_content_stored_meanwhile_is_reported_not_a_constraint_error(tmp_path):
    path = tmp_path / "a.db"
    with Store(path) as a, Store(path) as b:
        add(a, "1", conv("c", "x"))
        with pytest.raises(SourceExists) as found, b.import_source("/y/1.json", "1", "test", 1):
            pass
        assert found.value.source.path == "/x/1.json"
