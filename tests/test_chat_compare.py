"""Compare sessions: pane order (shuffled and seeded when blind), names hidden until the
reveal, votes stored with the assistants in the order they were shown, three-way votes."""

from __future__ import annotations

from typing import Any

import pytest

from afina.engine.chat.assistants import Assistants
from afina.engine.chat.compare import CompareSession
from afina.engine.chat.generate import Assistant
from afina.engine.errors import UsageError
from afina.engine.rag.embed import load_embedder
from afina.engine.rag.workspace_index import build_workspace_index

QUESTION = "qual o horário de atendimento da loja?"


@pytest.fixture
def team(curated_ws: Any, chatty_model: Any) -> Assistants:
    """base, few-shot and rag over the chatty tiny model, retrieving from a hash index."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    build_workspace_index(curated_ws, options={"embedder": "hash:64"})
    model = AutoModelForCausalLM.from_pretrained(str(chatty_model)).eval()
    tok = AutoTokenizer.from_pretrained(str(chatty_model))
    return Assistants(
        curated_ws,
        k=2,
        embedder=load_embedder("hash:64"),
        _model=Assistant(model, tok, adapter=False),
    )


def orders(session: CompareSession, rounds: int) -> list[list[str]]:
    return [[p.name for p in session.start(f"{QUESTION} {n}").panes] for n in range(rounds)]


def test_blind_order_is_shuffled_each_round_and_the_seed_repeats_it(team: Assistants) -> None:
    names = ["base", "few-shot", "rag"]
    first = orders(CompareSession(team, names, blind=True, seed=7), 12)
    assert first == orders(CompareSession(team, names, blind=True, seed=7), 12)
    assert first != orders(CompareSession(team, names, blind=True, seed=8), 12)
    assert len({tuple(o) for o in first}) > 1  # not one fixed order
    assert all(sorted(o) == sorted(names) for o in first)
    assert orders(CompareSession(team, names, blind=False, seed=7), 3) == [names] * 3


def test_panes_are_titled_by_label_until_the_round_is_revealed(team: Assistants) -> None:
    session = CompareSession(team, ["base", "rag"], blind=True, seed=1, max_new_tokens=12)
    streamed: dict[str, str] = {}

    def on_text(label: str, piece: str) -> None:
        streamed[label] = streamed.get(label, "") + piece

    rnd = session.ask(QUESTION, on_text)
    assert rnd.answered and rnd.titles == ["A", "B"] and rnd.labels == ["A", "B"]
    # Streamed text is keyed by label (never by name) and adds up to each pane's answer.
    assert set(streamed) == {"A", "B"}
    for pane in rnd.panes:
        assert pane.answer is not None and pane.answer.text
        assert streamed[pane.label].strip() == pane.answer.text
    hidden = rnd.to_json()
    assert [a["assistant"] for a in hidden["answers"]] == [None, None]
    assert all(a["sources"] == [] for a in hidden["answers"])  # rag's sources would tell
    assert [a["answer"] for a in hidden["answers"]] == [p.answer.text for p in rnd.panes]

    shown = session.reveal(rnd)
    assert shown == {p.label: p.name for p in rnd.panes}
    assert sorted(shown.values()) == ["base", "rag"]
    assert rnd.titles == [f"{label}: {name}" for label, name in shown.items()]
    revealed = rnd.to_json()
    assert [a["assistant"] for a in revealed["answers"]] == list(shown.values())
    rag = next(a for a in revealed["answers"] if a["assistant"] == "rag")
    assert len(rag["sources"]) == 2

    open_round = CompareSession(team, ["rag", "base"], max_new_tokens=4).start(QUESTION)
    assert open_round.titles == ["rag", "base"]


def first_round_shown_reversed(session: CompareSession, names: list[str]) -> Any:
    """A round whose panes show the assistants in the opposite order to ``names``."""
    for _ in range(20):
        rnd = session.start(QUESTION)
        if [p.name for p in rnd.panes] == names[::-1]:
            return session.answer(rnd)
    raise AssertionError("the shuffle never reversed the order")


def test_a_vote_stores_the_assistants_in_the_order_they_were_shown(team: Assistants) -> None:
    names = ["base", "rag"]
    session = CompareSession(team, names, blind=True, seed=3, max_new_tokens=6, tags=["loja"])
    rnd = first_round_shown_reversed(session, names)
    assert rnd.pane("A").name == "rag"

    cast = session.vote(rnd, "a")  # A, the pane on the left, was better
    v = cast.vote
    assert (v.left, v.right, v.outcome, v.winner) == ("rag", "base", "a", "rag")
    assert v.prompt == QUESTION and v.tags == ("loja",)
    assert v.answers == {p.name: p.answer.text for p in rnd.panes if p.answer}
    assert rnd.votes == [cast]

    with team.ws.open_store() as store:
        [row] = store.vote_rows(session=session.id)
    assert row["id"] == cast.id and row["left"] == "rag" and row["winner"] == "rag"
    assert row["run"] is None and row["time"] == v.time
    assert set(row["sources"]) == {"rag"}  # base retrieved nothing
    assert [s["key"] for s in row["sources"]["rag"]] == [
        s.key
        for s in rnd.pane("A").answer.sources  # type: ignore[union-attr]
    ]

    with pytest.raises(UsageError, match="already have a vote"):
        session.vote(rnd, "b")
    session.reveal(rnd)
    with pytest.raises(UsageError, match="already shown"):
        session.vote(rnd, "b")
    with team.ws.open_store() as store:
        assert store.vote_count(session=session.id) == 1


def test_three_way_votes_name_two_panes_and_keep_left_as_left(team: Assistants) -> None:
    names = ["base", "few-shot", "rag"]
    session = CompareSession(team, names, blind=True, seed=11, max_new_tokens=4)
    rnd = session.ask(QUESTION)
    a, b, c = (rnd.pane(x).name for x in "ABC")

    with pytest.raises(UsageError, match="names the two it compares"):
        session.vote(rnd, "a")
    # "C was better than A", said right to left: stored left to right as A vs C, B for C.
    ca = session.vote(rnd, "a", ("C", "A")).vote
    assert (ca.left, ca.right, ca.outcome, ca.winner) == (a, c, "b", c)
    ab = session.vote(rnd, "tie", ("a", "b")).vote
    assert (ab.left, ab.right, ab.outcome) == (a, b, "tie")
    with pytest.raises(UsageError, match="already have a vote"):
        session.vote(rnd, "both_bad", ("A", "C"))
    with pytest.raises(UsageError, match="two different panes"):
        session.vote(rnd, "a", ("B", "B"))
    with pytest.raises(UsageError, match="no pane 'D'"):
        session.vote(rnd, "a", ("A", "D"))

    with team.ws.open_store() as store:
        assert store.votes(session=session.id) == [ca, ab]


def test_votes_need_a_blind_answered_round_and_a_known_outcome(team: Assistants) -> None:
    blind = CompareSession(team, ["base", "few-shot"], blind=True, seed=0, max_new_tokens=4)
    unanswered = blind.start(QUESTION)
    with pytest.raises(UsageError, match="not answered yet"):
        blind.vote(unanswered, "a")
    blind.answer(unanswered)
    with pytest.raises(UsageError, match="no vote outcome 'left'"):
        blind.vote(unanswered, "left")

    open_session = CompareSession(team, ["base", "few-shot"], max_new_tokens=4)
    with pytest.raises(UsageError, match="only in blind comparisons"):
        open_session.vote(open_session.ask(QUESTION), "a")
    assert [r.number for r in blind.rounds] == [1] and len(open_session.rounds) == 1


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["rag"], "two or three assistants, got 1"),
        (["base", "rag", "few-shot", "ft"], "two or three assistants, got 4"),
        (["rag", "rag"], "only once"),
        (["rag", "lora"], "no assistant kind 'lora'"),
        (["base", "ft"], "'ft' needs a finished run"),
    ],
)
def test_a_session_refuses_what_it_cannot_compare(
    curated_ws: Any, names: list[str], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        CompareSession(Assistants(curated_ws), names)
