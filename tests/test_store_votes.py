"""Blind votes in the store: round trip, filters, validation, delete, import and migration."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from afina.engine.errors import NotFound, ParseError, UsageError
from afina.engine.store import SCHEMA_VERSION, Store
from afina.engine.store.votes import dump_votes, read_votes_file
from afina.engine.types import Vote


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "a.db") as s:
        yield s


def vote(
    outcome: str = "a",
    *,
    prompt: str = "Qual o prazo de entrega?",
    left: str = "base",
    right: str = "lora",
    tags: tuple[str, ...] = (),
    time: str = "2024-05-01T12:00:00+00:00",
) -> Vote:
    answers = {left: f"{left} diz: 3 dias", right: f"{right} diz: 5 dias"}
    return Vote(prompt, left, right, outcome, answers, tags, time)  # type: ignore[arg-type]


def test_a_vote_reads_back_as_it_was_cast(store):
    v = vote("b", tags=("prazo", "entrega"))
    sources = {"lora": [{"pair_id": 7, "score": 0.81, "text": "Entregamos em 5 dias úteis."}]}
    vote_id = store.add_vote(v, run="r-20240501", session="s1", sources=sources)
    assert store.votes() == [v]  # tags keep their order, answers their text
    [row] = store.vote_rows()
    assert row == {
        "id": vote_id,
        **v.to_dict(),
        "winner": "lora",
        "sources": sources,
        "run": "r-20240501",
        "session": "s1",
    }
    assert store.vote_count() == 1


def test_a_vote_without_a_time_is_stamped_now_in_utc(store):
    before = datetime.now(timezone.utc).replace(microsecond=0)
    store.add_vote(vote(time=""))
    [stored] = store.votes()
    at = datetime.fromisoformat(stored.time)
    assert at.utcoffset() == timedelta(0)
    assert before <= at <= datetime.now(timezone.utc)


def test_filters_by_run_session_and_exact_tag(store):
    store.add_vote(vote("a", prompt="p1", tags=("preço",)), run="r1", session="s1")
    store.add_vote(vote("b", prompt="p2", tags=("preço_antigo", "100%")), run="r1", session="s2")
    store.add_vote(vote("tie", prompt="p3", tags=("preço",)), run="r2", session="s2")
    store.add_vote(vote("both_bad", prompt="p4"))

    def prompts(**where):
        return [v.prompt for v in store.votes(**where)]

    assert prompts() == ["p1", "p2", "p3", "p4"]  # the order they were cast
    assert prompts(run="r1") == ["p1", "p2"]
    assert prompts(session="s2") == ["p2", "p3"]
    # A tag matches whole: "preço" is not "preço_antigo", and % is no wildcard.
    assert prompts(tag="preço") == ["p1", "p3"]
    assert prompts(tag="100%") == ["p2"]
    assert prompts(tag="100") == []
    assert prompts(run="r1", tag="preço") == ["p1"]
    assert store.vote_count(session="s2") == 2 and store.vote_count(run="nope") == 0


def test_vote_rows_limit_keeps_the_newest_oldest_first(store):
    for i in range(5):
        store.add_vote(vote(prompt=f"p{i}"))
    rows = store.vote_rows(limit=2)
    assert [r["prompt"] for r in rows] == ["p3", "p4"]
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)


@pytest.mark.parametrize(
    ("bad", "sources", "message"),
    [
        (Vote("p", "base", "lora", "a", {"base": "x"}), None, "no answer from 'lora'"),
        (Vote("p", "base", "lora", "a", {}), None, "no answer from 'base' or 'lora'"),
        (vote(tags=("a,b",)), None, "without commas"),
        (vote(tags=(" ",)), None, "non-empty"),
        (vote(), {"rag": [{"text": "x"}]}, "sources given for 'rag'"),
        (vote(), {"lora": "not a list"}, "must be a list of objects"),
    ],
)
def test_a_vote_the_store_cannot_use_is_refused(store, bad, sources, message):
    with pytest.raises(UsageError, match=message):
        store.add_vote(bad, sources=sources)
    assert store.vote_count() == 0


def test_the_schema_itself_refuses_an_unknown_outcome(store):
    # Rows written by other code (or a hand edit) are held to the same outcomes as Vote.
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        store._db.execute(
            "INSERT INTO votes (at, prompt, left_assistant, right_assistant, outcome, answers)"
            " VALUES ('t', 'p', 'a', 'b', 'draw', '{}')"
        )


def test_delete_removes_one_vote_and_refuses_an_unknown_id(store):
    ids = [store.add_vote(vote(prompt=f"p{i}")) for i in range(3)]
    store.delete_vote(ids[1])
    assert [v.prompt for v in store.votes()] == ["p0", "p2"]
    with pytest.raises(NotFound, match=f"no vote with id {ids[1]}"):
        store.delete_vote(ids[1])
    assert store.vote_count() == 2


def test_import_is_all_or_nothing_and_skips_votes_already_there(store):
    votes = [vote("a", prompt="p1"), vote("b", prompt="p2"), vote(prompt="p3", time="")]
    added, existing = store.import_votes(votes, run="r1")
    assert (len(added), existing) == (3, 0)
    assert {r["run"] for r in store.vote_rows()} == {"r1"}
    # Again: the timed votes are recognised; the untimed one cannot be and is added.
    added, existing = store.import_votes(votes)
    assert (len(added), existing) == (1, 2)
    assert store.vote_count() == 4
    # One bad vote anywhere and none of them is stored.
    with pytest.raises(UsageError):
        store.import_votes([vote(prompt="p9"), Vote("p", "x", "y", "a", {"x": "1"})])
    assert store.vote_count() == 4


def test_read_votes_file_names_the_file_and_line(tmp_path):
    good = [vote("a", prompt="linha\u2028com separador"), vote("tie")]
    path = tmp_path / "votes.jsonl"
    path.write_text(dump_votes(good) + "\n", encoding="utf-8")
    # U+2028 inside a JSON string is no line end, and a trailing blank line is fine.
    assert read_votes_file(path) == good

    first = dump_votes([vote("b")])
    bad = tmp_path / "bad.jsonl"
    bad.write_text(first + "\n" + '{"prompt": "p", "left": "a"}\n', encoding="utf-8")
    with pytest.raises(ParseError, match=r"bad\.jsonl: line 3: a vote needs right, outcome"):
        read_votes_file(bad)

    no_answer = Vote("p", "base", "lora", "b", {"base": "x"})
    bad.write_text(first + dump_votes([no_answer]), encoding="utf-8")
    with pytest.raises(ParseError, match=r"bad\.jsonl: line 2: the vote has no answer from 'lora'"):
        read_votes_file(bad)

    bad.write_bytes(first.encode() + b'{"prompt": "\xff"}\n')
    with pytest.raises(ParseError, match=r"bad\.jsonl: line 2: not UTF-8"):
        read_votes_file(bad)


def test_version_two_database_gains_votes_and_keeps_its_pairs(tmp_path):
    from afina.engine.store.schema import MIGRATIONS, statements

    path = tmp_path / "v2.db"
    db = sqlite3.connect(path)
    for script in MIGRATIONS[:2]:
        for s in statements(script):
            db.execute(s)
    db.execute("PRAGMA user_version = 2")
    db.execute(
        "INSERT INTO sources (path, sha256, importer, imported_at, size)"
        " VALUES ('chat.json', 'h', 'sharegpt', 't', 1)"
    )
    db.execute(
        "INSERT INTO conversations (source_id, importer, key, place)"
        " VALUES (1, 'sharegpt', 'c', '$')"
    )
    db.execute(
        "INSERT INTO pairs (conversation_id, key, prompt, response, turn_ids, created_at)"
        " VALUES (1, 42, 'Qual o horário?', 'Das 9h às 18h.', '[1, 2]', 't')"
    )
    db.execute("INSERT INTO pair_state (pair_id, status) VALUES (1, 'accepted')")
    db.commit()
    db.close()

    with Store(path) as s:
        assert s.version == SCHEMA_VERSION
        assert s.integrity_check() == "ok"
        [pair] = s.pairs()
        assert (pair.prompt, pair.response, pair.status) == (
            "Qual o horário?",
            "Das 9h às 18h.",
            "accepted",
        )
        assert s.vote_count() == 0
        s.add_vote(vote())
    with Store(path) as s:  # opening again migrates nothing and loses nothing
        assert s.version == SCHEMA_VERSION and s.vote_count() == 1 and s.count_pairs() == 1
