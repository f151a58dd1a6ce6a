"""Pair filters take a person's text literally: LIKE's wildcards (% and _) and its escape
character in a tag or a search select only pairs that contain those very characters."""

from __future__ import annotations

import json

import pytest

from afina.engine.store import Store
from afina.engine.store.pairs import Change, tags_value
from afina.engine.types import Conversation, PairDraft, PairFilter, Turn
from afina.tui.cli import main

TEXTS = {
    "plain": ("quanto custa?", "R$ 10"),
    "percent": ("tem desconto?", "sim, 10% à vista"),
    "underscore": ("qual o usuário?", "use joao_silva"),
    "backslash": ("qual a pasta?", r"C:\pedidos"),
}
TAGS = {"plain": "axb", "percent": "a_b", "underscore": "a%b", "backslash": "a\\b"}


def fill(s: Store) -> dict[str, int]:
    """One pair per entry of TEXTS, tagged as TAGS says; returns their ids by name."""
    with s.transaction():
        w = s.begin_source("/x/chat.json", "sha", "test", 1)
        w.add_conversation(Conversation("c", None, "$", [Turn("a", "q", "1"), Turn("b", "r", "2")]))
        w.finish()
        drafts = [PairDraft(1, q, r, (), None, (i,)) for i, (q, r) in enumerate(TEXTS.values())]
        ids, _ = s.add_pairs(drafts)
    by_name = dict(zip(TEXTS, ids, strict=True))
    s.review([Change(by_name[k], "tags", tags_value([t])) for k, t in TAGS.items()], "tag")
    return by_name


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "a.db") as s:
        yield s, fill(s)


@pytest.mark.parametrize(("tag", "expected"), [("a_b", "percent"), ("a%b", "underscore")])
def test_tag_filter_is_literal(store, tag, expected):
    s, ids = store
    assert s.pair_ids(PairFilter(tag=tag)) == [ids[expected]]
    # The escape character is literal too, and a tag still ignores ASCII case as before.
    assert s.pair_ids(PairFilter(tag="a\\b")) == [ids["backslash"]]
    assert s.pair_ids(PairFilter(tag="AXB")) == [ids["plain"]]


@pytest.mark.parametrize(("search", "expected"), [("%", "percent"), ("_", "underscore")])
def test_search_is_literal(store, search, expected):
    s, ids = store
    assert s.pair_ids(PairFilter(search=search)) == [ids[expected]]
    assert s.count_pairs(PairFilter(search=search)) == 1
    assert s.pair_ids(PairFilter(search="\\")) == [ids["backslash"]]
    assert s.pair_ids(PairFilter(search="10")) == [ids["plain"], ids["percent"]]


def test_bulk_accept_by_tag_touches_only_that_tag(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "w"]) == 0
    with Store(tmp_path / "w" / ".afina" / "afina.db") as s:
        ids = fill(s)
    capsys.readouterr()
    code = main(["-w", str(tmp_path / "w"), "pairs", "accept", "--tag", "a_b", "--json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out) == {"action": "accept", "pairs": 1, "changed": 1}
    code = main(["-w", str(tmp_path / "w"), "pairs", "reject", "--search", "%", "--json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["pairs"] == 1
    with Store(tmp_path / "w" / ".afina" / "afina.db") as s:
        assert s.pair(ids["plain"]).status == "pending"
        assert s.pair(ids["percent"]).status == "rejected"
