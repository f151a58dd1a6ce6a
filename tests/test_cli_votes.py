"""`afina votes` end to end: import, list, ratings, preference export and delete."""

from __future__ import annotations

import json

import pytest

from afina.engine.store.votes import dump_votes
from afina.engine.types import Vote
from afina.engine.workspace import open_workspace
from afina.tui.cli import main

# Three votes: lora wins twice (once shown as A, once as B), then a tie.
VOTES = [
    Vote(
        "Qual o prazo de entrega?",
        "lora",
        "base",
        "a",
        {"lora": "Até 5 dias úteis.", "base": "Não sei."},
        ("entrega",),
        "2024-05-01T12:00:00+00:00",
    ),
    Vote(
        "Vocês aceitam Pix?",
        "rag",
        "lora",
        "b",
        {"rag": "Sim.", "lora": "Sim, Pix e cartão."},
        ("pagamento",),
        "2024-05-01T12:01:00+00:00",
    ),
    Vote(
        "Qual o horário?",
        "base",
        "lora",
        "tie",
        {"base": "Das 9h às 18h.", "lora": "9h às 18h."},
        ("entrega",),
        "2024-05-01T12:02:00+00:00",
    ),
]


def afina(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def ok_json(capsys, *args: str):
    code, out, err = afina(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def flat(text: str) -> str:
    # rich wraps at the terminal width; compare words, not line breaks.
    return " ".join(text.split())


@pytest.fixture
def ws(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "w"]) == 0
    monkeypatch.chdir(tmp_path / "w")
    return tmp_path / "w"


@pytest.fixture
def voted(ws, capsys):
    (ws / "votes.jsonl").write_text(dump_votes(VOTES), encoding="utf-8")
    assert ok_json(capsys, "votes", "import", "votes.jsonl") == {
        "imported": 3,
        "already_there": 0,
        "votes": 3,
    }
    return ws


def test_import_then_list(voted, capsys):
    listed = ok_json(capsys, "votes", "list")
    assert listed["total"] == 3
    assert [(r["left"], r["right"], r["outcome"], r["winner"]) for r in listed["votes"]] == [
        ("lora", "base", "a", "lora"),
        ("rag", "lora", "b", "lora"),
        ("base", "lora", "tie", None),
    ]
    assert listed["votes"][0]["answers"] == dict(VOTES[0].answers)
    assert [r["id"] for r in ok_json(capsys, "votes", "list", "--limit", "1")["votes"]] == [
        listed["votes"][2]["id"]
    ]
    tagged = ok_json(capsys, "votes", "list", "--tag", "pagamento")["votes"]
    assert [r["prompt"] for r in tagged] == ["Vocês aceitam Pix?"]

    code, out, _ = afina(capsys, "votes", "list")
    assert code == 0
    assert "lora vs base" in out and "2024-05-01 12:01" in out and "Qual o horário?" in out
    assert "3 of 3 shown" in flat(out)


def test_importing_the_same_file_again_adds_nothing(voted, capsys):
    again = ok_json(capsys, "votes", "import", "votes.jsonl")
    assert again == {"imported": 0, "already_there": 3, "votes": 3}


def test_ratings_rank_the_winner_first_with_its_counts(voted, capsys):
    result = ok_json(capsys, "votes", "ratings", "--boot", "200")
    assert (result["method"], result["votes"], result["level"]) == ("bt", 3, 0.95)
    by_name = {r["assistant"]: r for r in result["ratings"]}
    assert result["ratings"][0]["assistant"] == "lora"
    assert {k: by_name["lora"][k] for k in ("wins", "losses", "ties", "both_bad", "votes")} == {
        "wins": 2,
        "losses": 0,
        "ties": 1,
        "both_bad": 0,
        "votes": 3,
    }
    for r in result["ratings"]:
        assert r["lo"] <= r["rating"] <= r["hi"]
    assert by_name["lora"]["rating"] > 1000 > by_name["rag"]["rating"]

    elo = ok_json(capsys, "votes", "ratings", "--method", "elo", "--boot", "50")
    assert elo["method"] == "elo" and elo["ratings"][0]["assistant"] == "lora"

    tags = ok_json(capsys, "votes", "ratings", "--by-tag", "--boot", "50")
    assert sorted(tags["by_tag"]) == ["entrega", "pagamento"] and tags["untagged"] == 0
    assert {r["assistant"] for r in tags["by_tag"]["pagamento"]} == {"rag", "lora"}

    code, out, _ = afina(capsys, "votes", "ratings", "--boot", "50")
    assert code == 0
    assert "Bradley-Terry ratings from 3 votes" in flat(out)
    [lora_line] = [ln for ln in out.splitlines() if ln.strip().startswith("lora")]
    assert lora_line.split()[-5:] == ["2", "0", "1", "0", "3"]


def test_ratings_with_no_votes_say_so_and_succeed(ws, capsys):
    code, out, _ = afina(capsys, "votes", "ratings")
    assert code == 0 and "No votes yet" in out
    assert ok_json(capsys, "votes", "ratings")["ratings"] == []


def test_export_writes_exact_preference_pairs_and_says_what_was_left_out(voted, capsys):
    code, out, _ = afina(capsys, "votes", "export", "prefs.jsonl")
    assert code == 0
    lines = (voted / "prefs.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(ln) for ln in lines] == [
        {
            "prompt": "Qual o prazo de entrega?",
            "chosen": "Até 5 dias úteis.",
            "rejected": "Não sei.",
        },
        {"prompt": "Vocês aceitam Pix?", "chosen": "Sim, Pix e cartão.", "rejected": "Sim."},
    ]
    said = flat(out)
    assert "Wrote 2 preference pairs from 3 votes" in said
    assert "Left out 1 of 3 votes: tie 1." in said and "neither answer is better" in said

    result = ok_json(capsys, "votes", "export", "meta.jsonl", "--with-meta")
    assert (result["pairs"], result["votes"]) == (2, 3)
    assert result["left_out"] == {"tie": 1, "both_bad": 0, "missing_answer": 0, "same_answer": 0}
    first = json.loads((voted / "meta.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert (first["chosen_assistant"], first["rejected_assistant"], first["tags"]) == (
        "lora",
        "base",
        ["entrega"],
    )


def test_export_and_ratings_follow_the_run(ws, capsys):
    with open_workspace(ws).open_store() as store:
        store.add_vote(VOTES[0], run="r1")
        store.add_vote(VOTES[1], run="r2")
        store.add_vote(Vote("p", "base", "lora", "both_bad", {"base": "x", "lora": "y"}), run="r1")
    result = ok_json(capsys, "votes", "export", "r1.jsonl", "--run", "r1")
    assert (result["pairs"], result["votes"], result["left_out"]["both_bad"]) == (1, 2, 1)
    [line] = (ws / "r1.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["prompt"] == "Qual o prazo de entrega?"
    rated = ok_json(capsys, "votes", "ratings", "--run", "r2", "--boot", "20")
    assert rated["votes"] == 1 and {r["assistant"] for r in rated["ratings"]} == {"rag", "lora"}
    assert ok_json(capsys, "votes", "list", "--run", "r1")["total"] == 2


def test_a_bad_import_line_names_the_file_and_line_and_imports_nothing(ws, capsys):
    good = dump_votes(VOTES[:2])
    (ws / "bad.jsonl").write_text(good + '{"prompt": "p", "left": "a", "right": "b"\n')
    code, out, err = afina(capsys, "votes", "import", "bad.jsonl")
    assert code == 2
    assert "Traceback" not in out + err
    assert "bad.jsonl: line 3:" in flat(err)
    assert ok_json(capsys, "votes", "list")["total"] == 0

    # A line that parses but lacks an answer is refused the same way.
    no_answer = dump_votes([Vote("p", "base", "lora", "a", {"base": "x"})])
    (ws / "bad.jsonl").write_text(good + "\n" + no_answer)
    code, _, err = afina(capsys, "votes", "import", "bad.jsonl")
    assert code == 2
    assert "bad.jsonl: line 4: the vote has no answer from 'lora'" in flat(err)
    assert ok_json(capsys, "votes", "list")["total"] == 0


def test_delete_a_vote(voted, capsys):
    first, second, third = (r["id"] for r in ok_json(capsys, "votes", "list")["votes"])
    assert ok_json(capsys, "votes", "delete", str(second)) == {"deleted": second}
    assert [r["id"] for r in ok_json(capsys, "votes", "list")["votes"]] == [first, third]
    code, _, err = afina(capsys, "votes", "delete", str(second))
    assert code == 2 and f"no vote with id {second}" in err
    code, out, _ = afina(capsys, "votes", "delete", str(first))
    assert code == 0 and f"Deleted vote {first}." in out
