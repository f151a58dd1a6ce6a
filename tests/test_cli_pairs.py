"""Curation through the CLI on the sample domain: extract, curate, review, undo."""

from __future__ import annotations

import json

import pytest

from afina.tui.cli import main


def run(capsys, *args: str):
    code = main(list(args))
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


@pytest.fixture
def ws(tmp_path, capsys, monkeypatch):
    from afina.engine.demo.stages import sample_domain

    monkeypatch.chdir(tmp_path)
    assert main(["init", "w"]) == 0
    monkeypatch.chdir(tmp_path / "w")
    root = sample_domain()
    assert main(["import", str(root / "whatsapp"), str(root / "slack"), "--json"]) == 0
    capsys.readouterr()
    return tmp_path / "w"


def test_extract_guesses_the_agents_and_scrubs(ws, capsys):
    # With the identity checks kept as pairs, the CPFs customers sent are in pairs to scrub.
    result = run(capsys, "pairs", "extract", "--keep-detours", "--json")
    assert result["added"] > 500 and result["already_there"] == 0
    assistants = {a["assistant"] for a in result["assistants"].values()}
    assert all("Lumiar" in who for who in assistants), assistants
    assert result["pii_scrubbed"]["cpf"] > 0 and result["pii_scrubbed"]["email"] > 0
    # Extracting again adds nothing.
    again = run(capsys, "pairs", "extract", "--keep-detours", "--json")
    assert again["added"] == 0 and again["already_there"] == result["added"]
    # No planted CPF survives in any stored pair.
    pairs = run(capsys, "pairs", "list", "--limit", "100000", "--json")["pairs"]
    text = "\n".join(p["prompt"] + p["response"] for p in pairs)
    assert "<CPF_1>" in text
    from afina.engine.demo.stages import sample_domain

    planted = json.loads((sample_domain() / "pii.json").read_text())
    cpfs = [item["value"] for item in _items(planted) if item.get("kind") == "cpf"]
    assert cpfs and not [c for c in cpfs if c in text]


def test_extract_steps_over_identity_checks(ws, capsys):
    def checks() -> list[str]:
        pairs = run(capsys, "pairs", "list", "--limit", "100000", "--json")["pairs"]
        answers = [p["response"] for p in pairs]
        return [a for a in answers if "CPF" in a and a.endswith("?")]

    assert run(capsys, "pairs", "extract", "--json")["added"] > 500
    assert checks() == []
    # Kept, the checks come back as pairs of their own: the sample's agents ask for a CPF
    # in some 40 chats.
    assert run(capsys, "pairs", "extract", "--keep-detours", "--json")["added"] > 30
    assert len(checks()) > 30


def _items(planted):
    return planted["items"] if isinstance(planted, dict) and "items" in planted else planted


def test_curate_review_and_undo(ws, capsys):
    extracted = run(capsys, "pairs", "extract", "--json")["added"]
    report = run(capsys, "curate", "--accept-passing", "--json")
    assert report["removed"]["trivial"] > 0
    assert report["duplicates"]
    pairs = report["pairs"]
    assert pairs["pending"] == 0 and pairs["accepted"] == report["accepted"]

    rejected = run(capsys, "pairs", "list", "--status", "rejected", "--rule", "trivial", "--json")
    first = rejected["pairs"][0]["id"]
    shown = run(capsys, "pairs", "show", str(first), "--json")
    assert any(h["rule"] == "trivial" for h in shown["rule_hits"])

    run(capsys, "pairs", "accept", str(first), "--json")
    run(
        capsys, "pairs", "edit", str(first), "--response", "Obrigada!", "--tag", "revisar", "--json"
    )
    shown = run(capsys, "pairs", "show", str(first), "--json")
    assert (shown["status"], shown["response"], shown["tags"], shown["edited"]) == (
        "accepted",
        "Obrigada!",
        ["revisar"],
        True,
    )
    assert run(capsys, "pairs", "undo", "--json")["action"] == "edit"
    assert run(capsys, "pairs", "undo", "--json")["action"] == "accept"
    assert run(capsys, "pairs", "show", str(first), "--json")["status"] == "rejected"
    # Undoing the curate run puts every pair back to pending.
    assert run(capsys, "pairs", "undo", "--json")["action"] == "curate"
    stats = run(capsys, "stats", "--json")
    assert stats["pairs"] == {"pending": extracted, "accepted": 0, "rejected": 0}
    assert run(capsys, "pairs", "redo", "--json")["action"] == "curate"


def test_bulk_action_needs_a_target(ws, capsys):
    assert main(["pairs", "accept"]) == 2
    assert "say which pairs" in capsys.readouterr().err


def test_rules_are_configured_in_afina_toml(ws, capsys):
    toml = ws / "afina.toml"
    toml.write_text(toml.read_text() + "\n[curate.rules.trivial]\nenabled = false\n")
    run(capsys, "pairs", "extract", "--json")
    report = run(capsys, "curate", "--json")
    assert "trivial" not in report["removed"]
    toml.write_text(toml.read_text() + "\n[curate.rules.nonsense]\n")
    assert main(["curate"]) == 2
    assert "nonsense" in capsys.readouterr().err


def test_undo_with_nothing_to_undo_says_so(ws, capsys):
    assert main(["pairs", "undo"]) == 0
    assert capsys.readouterr().out.strip() == "Nothing to undo."
    assert main(["pairs", "redo"]) == 0
    assert capsys.readouterr().out.strip() == "Nothing to redo."
