"""Pairs in the store: adding, filtering in SQL, and the append-only review log."""

from __future__ import annotations

import sqlite3

import pytest

from afina.engine.errors import AfinaError, NotFound
from afina.engine.store import Store
from afina.engine.store.pairs import Change, tags_value
from afina.engine.types import Conversation, PairDraft, PairFilter, RuleHit, Turn


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "a.db") as s:
        with s.transaction():
            w = s.begin_source("/x/chat.json", "sha", "test", 1)
            for key in ("c1", "c2"):
                turns = [
                    Turn("cliente", f"{key} pergunta", "line 1"),
                    Turn("Ana", f"{key} resposta", "line 2"),
                ]
                w.add_conversation(Conversation(key, None, "$", turns))
            w.finish()
        yield s


def drafts(n: int, conversation_id: int = 1) -> list[PairDraft]:
    return [
        PairDraft(conversation_id, f"pergunta {i}", f"resposta {i}", (("user", "oi"),), None, (i,))
        for i in range(n)
    ]


def add(store: Store, items: list[PairDraft]) -> tuple[list[int], int]:
    with store.transaction():
        return store.add_pairs(items)


def test_pairs_are_added_once(store):
    ids, existing = add(store, drafts(3))
    assert len(ids) == 3 and existing == 0
    ids2, existing2 = add(store, drafts(4))
    assert len(ids2) == 1 and existing2 == 3
    row = store.pair(ids[0])
    assert (row.prompt, row.response, row.status, row.context) == (
        "pergunta 0",
        "resposta 0",
        "pending",
        (("user", "oi"),),
    )


def test_review_undo_redo(store):
    [a, b, c] = add(store, drafts(3))[0]
    assert store.review([Change(a, "status", "accepted")], "accept") == 1
    assert store.review([Change(b, "response", "resposta editada")], "edit") == 1
    assert store.pair(b).response == "resposta editada" and store.pair(b).edited
    assert store.undo() == (1, "edit")
    assert store.pair(b).response == "resposta 1" and not store.pair(b).edited
    assert store.undo() == (1, "accept")
    assert store.pair(a).status == "pending"
    assert store.undo() is None
    assert store.redo() == (1, "accept")
    assert store.pair(a).status == "accepted"
    # A new change forgets what could be redone, as in any editor.
    store.review([Change(c, "status", "rejected")], "reject")
    assert store.redo() is None
    assert store.undo() == (1, "reject")
    assert store.undo() == (1, "accept")  # the redone accept is undone as a whole
    assert store.pair(a).status == "pending"


def test_bulk_action_is_one_batch(store):
    ids = add(store, drafts(5))[0]
    changed = store.review([Change(i, "status", "accepted") for i in ids], "accept 5")
    assert changed == 5
    assert store.count_pairs(PairFilter(status="accepted")) == 5
    assert store.undo() == (5, "accept 5")
    assert store.count_pairs(PairFilter(status="pending")) == 5


def test_the_log_only_grows(store):
    [a] = add(store, drafts(1))[0]
    store.review([Change(a, "status", "accepted")], "accept")
    store.undo()
    store.redo()
    log = store.review_log()
    assert [kind for _, kind, _, _, _ in log] == ["redo", "undo", "do"]
    assert all(n == 1 for *_, n in log)


def test_filters_run_in_sql(store):
    ids = add(store, drafts(4))[0] + add(store, drafts(2, conversation_id=2))[0]
    store.review([Change(ids[0], "tags", tags_value(["preço", "plano"]))], "tag")
    store.review([Change(ids[1], "status", "rejected")], "reject")
    with store.transaction():
        store.add_rule_hits(ids[2], [RuleHit("url", "https://x", "response")])
    store.set_splits({1: "train", 2: "test"})
    assert store.pair_ids(PairFilter(tag="preço")) == [ids[0]]
    assert store.pair_ids(PairFilter(tag="pre")) == []
    assert store.pair_ids(PairFilter(status="rejected")) == [ids[1]]
    assert store.pair_ids(PairFilter(rule="url")) == [ids[2]]
    assert store.pair_ids(PairFilter(split="test")) == ids[4:]
    assert store.pair_ids(PairFilter(search="resposta 3")) == [ids[3]]
    assert store.pair_ids(PairFilter(source_id=1)) == ids
    assert [p.id for p in store.pairs(limit=2, offset=2)] == ids[2:4]
    assert store.pair(ids[0]).tags == ("plano", "preço")
    assert store.rule_hits(ids[2]) == [RuleHit("url", "https://x", "response")]


def test_bad_changes_are_refused(store):
    [a] = add(store, drafts(1))[0]
    with pytest.raises(AfinaError, match="status must be one of"):
        store.review([Change(a, "status", "maybe")], "x")
    with pytest.raises(AfinaError, match="cannot change 'key'"):
        store.review([Change(a, "key", "1")], "x")
    with pytest.raises(NotFound):
        store.review([Change(999, "status", "accepted")], "x")
    assert store.review_log() == []  # the refused batch left nothing behind
    with pytest.raises(AfinaError, match="comma"):
        tags_value(["a,b"])


def test_pii_values_stay_in_the_store(store):
    with store.transaction():
        store.keep_pii_values(1, {"<EMAIL_1>": ("email", "ana@example.com")})
    assert store.pii_values(1) == {"<EMAIL_1>": ("email", "ana@example.com")}


def test_version_one_database_is_migrated_with_its_data(tmp_path):
    from afina.engine.store.schema import MIGRATIONS, statements

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    for s in statements(MIGRATIONS[0]):
        db.execute(s)
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO sources (path, sha256, importer, imported_at, size)"
        " VALUES ('p', 'h', 'x', 't', 1)"
    )
    db.commit()
    db.close()
    with Store(path) as s:
        assert s.version == len(MIGRATIONS)
        assert s.counts()["sources"] == 1 and s.count_pairs() == 0


def test_a_rule_hit_is_recorded_once(store):
    [a] = add(store, drafts(1))[0]
    hit = RuleHit("url", "https://x", "response")
    for _ in range(2):
        with store.transaction():
            store.add_rule_hits(a, [hit])
    assert store.rule_hits(a) == [hit]
