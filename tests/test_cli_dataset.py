"""Split and export through the CLI, and the promise that no detected PII leaves afina."""

from __future__ import annotations

import json

import pytest

from afina.tui.cli import main

PLANTED = {
    "email": "maria.souza@example.com",
    "phone": "+55 48 99123-4567",
    "intl_phone": "+44 20 7946 0958",
    "cpf": "529.982.247-25",
    "cnpj": "11.222.333/0001-81",
    "card": "4111 1111 1111 1111",
    # Public addresses: documentation and private ranges are facts (a router's admin page).
    "ipv4": "187.45.10.22",
    "ipv6": "2804:14c:1a9::45",
    "key": "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z",
}


def run(capsys, *args: str):
    code = main(list(args))
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


@pytest.fixture
def ws(tmp_path, capsys, monkeypatch):
    conversations = [
        {
            "id": f"c{i}",
            "conversations": [
                {
                    "from": "human",
                    "value": f"Pergunta {i}: " + ", ".join(PLANTED.values()),
                },
                {"from": "gpt", "value": f"Obrigada! Anotei seu contato para o caso {i}."},
            ],
        }
        for i in range(20)
    ]
    (tmp_path / "chats.json").write_text(json.dumps(conversations), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["init", "w"]) == 0
    monkeypatch.chdir(tmp_path / "w")
    capsys.readouterr()
    run(capsys, "import", str(tmp_path / "chats.json"), "--json")
    return tmp_path / "w"


@pytest.mark.parametrize("fmt", ["messages", "prompt-completion", "alpaca", "sharegpt"])
def test_exports_never_hold_detected_pii(ws, capsys, fmt):
    extracted = run(capsys, "pairs", "extract", "--assistant-role", "assistant", "--json")
    assert extracted["added"] == 20
    run(capsys, "pairs", "accept", "--status", "pending", "--json")
    # A reviewer's edit brings a value back: it is replaced as it is saved, by the placeholder
    # the conversation already uses for it.
    edited = run(
        capsys, "pairs", "edit", "1", "--response", f"Escreva para {PLANTED['email']}", "--json"
    )
    assert edited["scrubbed"] == {"email": 1} and edited["placeholders"] == ["<EMAIL_1>"]
    listed = run(capsys, "pairs", "show", "1", "--json")
    assert "Escreva para <EMAIL_1>" in json.dumps(listed, ensure_ascii=False)
    result = run(capsys, "export", fmt, str(ws / "exports" / "out.data"), "--json")
    assert result["pii_replaced_at_export"] == 0
    text = (ws / "exports" / "out.data").read_text(encoding="utf-8")
    leaked = {k: v for k, v in PLANTED.items() if v in text}
    assert not leaked
    assert "<EMAIL_1>" in text and "<CPF_1>" in text


def test_split_is_by_conversation_and_stable(ws, capsys):
    run(capsys, "pairs", "extract", "--assistant-role", "assistant", "--json")
    run(capsys, "pairs", "accept", "--status", "pending", "--json")
    first = run(capsys, "split", "--seed", "7", "--json")
    assert sum(first["conversations"].values()) == 20
    again = run(capsys, "split", "--seed", "7", "--json")
    assert again["conversations"] == first["conversations"]
    listed = run(capsys, "pairs", "list", "--limit", "100", "--json")["pairs"]
    by_conversation = {}
    for p in listed:
        by_conversation.setdefault(p["conversation_id"], set()).add(p["split"])
    assert all(len(s) == 1 for s in by_conversation.values())


def test_export_hf_folder(ws, capsys):
    run(capsys, "pairs", "extract", "--assistant-role", "assistant", "--json")
    run(capsys, "pairs", "accept", "--status", "pending", "--json")
    result = run(capsys, "export", "hf", str(ws / "exports" / "hf"), "--json")
    assert sum(result["counts"].values()) == 20
    assert (ws / "exports" / "hf" / "README.md").is_file()
