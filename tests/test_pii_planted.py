"""Every kind of personal data afina knows, planted in WhatsApp, Slack and ChatGPT exports, run
through the whole path a person takes (import, extract, accept, edit, export in every format)
and then looked for, in every form it could take, in every file the export wrote."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from afina.tui.cli import main

ALLOW = ("Lumiar Fibra", "Lumiar Suporte")

# Values by kind. Numbers are also looked for as their digits with any punctuation between.
NUMBERS = {
    "cpf": ["123.456.789-09", "123 456 789 09"],
    "cnpj": ["11.222.333/0001-81", "11222333000181"],
    "phone": ["(48) 99999-1234", "+55 48 97777-6543", "48 98888-7777"],
    "card": ["4111 1111 1111 1111", "5555555555554444"],
    "cep": ["88015-100", "88020300"],
    "iban": ["DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432"],
}
TEXTS = {
    "email": [
        "maria.souza@gmail.com",
        "maria.souza at gmail dot com",
        "carla.m [at] uol [dot] com",
    ],
    "secret": [
        "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z",
        "ghp_aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1wX2",
    ],
    "ip": ["200.147.67.142"],
}
# People, and the words of their names that must not appear in any form (accents, case).
PEOPLE = {
    "Maria Souza": "a WhatsApp contact, named in the file name too",
    "joana prado": "introduced in lower case",
    "Beatriz Lima": "introduced with 'sou a', writing from a bare number",
    "Ronaldo Teixeira": "introduced with 'eu sou'",
    "Carla Mendes": "named by the agent after a lookup",
    "Ivanilde Rocha": "a Slack user, mentioned by her first name in WhatsApp",
    "Fábio Becker": "brought in by an edit in review",
    "Otília Ramalho": "a ChatGPT user named in her own words, mentioned in Slack",
}
NAME_WORDS = sorted({w for name in PEOPLE for w in name.split()})

WHATSAPP_MARIA = """\
12/03/2024, 10:01 - Maria Souza: boa tarde! me chamo joana prado, falo pela Maria. \
meu cpf é 123.456.789-09 e o email maria.souza at gmail dot com
12/03/2024, 10:03 - Lumiar Fibra: Boa tarde! Encontrei o cadastro em nome de Carla Mendes, \
CEP 88015-100. Confirma o telefone (48) 99999-1234 e o e-mail carla.m [at] uol [dot] com?
12/03/2024, 10:05 - Maria Souza: isso. o CPF com espaços é 123 456 789 09, e moro na rua \
das Flores 12, 88020300. A Ivanilde já tinha ligado antes.
12/03/2024, 10:06 - Lumiar Fibra: Certo, Joana. O IBAN DE89 3704 0044 0532 0130 00 e o \
cartão 4111 1111 1111 1111 ficam registrados. Falo com a Ivanilde também.
"""
WHATSAPP_NUMBER = """\
13/03/2024, 09:00 - +55 48 97777-6543: Oi, sou a Beatriz Lima. Meu IP é 200.147.67.142 \
e o CNPJ da loja 11.222.333/0001-81
13/03/2024, 09:02 - Lumiar Fibra: Olá Beatriz! Anotei, Beatriz Lima. Não compartilhe a chave \
sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z com ninguém.
13/03/2024, 09:04 - +55 48 97777-6543: eu sou Ronaldo Teixeira, marido dela. O IBAN inglês é \
GB82WEST12345698765432
13/03/2024, 09:05 - Lumiar Fibra: Obrigada, Ronaldo. A Lumiar Fibra agradece; qualquer coisa \
ligue 48 98888-7777.
"""


def slack_export(root: Path) -> Path:
    folder = root / "slack"
    (folder / "suporte").mkdir(parents=True)
    users = [
        {"id": "U1", "name": "ivanilde", "real_name": "Ivanilde Rocha"},
        {"id": "U2", "name": "suporte", "real_name": "Lumiar Suporte"},
    ]
    (folder / "users.json").write_text(json.dumps(users), "utf-8")
    (folder / "channels.json").write_text(json.dumps([{"id": "C1", "name": "suporte"}]), "utf-8")
    day = [
        {"type": "message", "user": "U1", "ts": "1700000010.000100",
         "text": "Meu cartão 5555555555554444 foi recusado, e o token "
                 "ghp_aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1wX2 também."},
        {"type": "message", "user": "U2", "ts": "1700000020.000100",
         "text": "Ivanilde, a Joana Prado e a Otília já relataram o mesmo; ligue (48) 99999-1234."},
        {"type": "message", "user": "U1", "ts": "1700000030.000100",
         "text": "Mande para maria.souza@gmail.com, ela é minha sócia (CNPJ 11222333000181)."},
        {"type": "message", "user": "U2", "ts": "1700000040.000100",
         "text": "Combinado, Ivanilde Rocha. Falo também com a Otília Ramalho."},
    ]  # fmt: skip
    (folder / "suporte" / "2023-11-14.json").write_text(json.dumps(day), "utf-8")
    return folder


def chatgpt_export(root: Path) -> Path:
    def node(nid: str, parent: str | None, role: str | None, text: str, kids: list[str]) -> Any:
        message = None
        if role:
            message = {"author": {"role": role}, "content": {"content_type": "text",
                       "parts": [text]}, "create_time": 1_700_000_000.0 + len(nid)}  # fmt: skip
        return {"id": nid, "parent": parent, "message": message, "children": kids}

    mapping = {
        "r": node("r", None, None, "", ["u1"]),
        "u1": node("u1", "r", "user", "my name is Otília Ramalho, IP 200.147.67.142, CEP "
                   "88015100 não, é 88015-100. Escreva para maria.souza@gmail.com", ["a1"]),
        "a1": node("a1", "u1", "assistant", "Certo, Otília. O cartão 4111111111111111 e o CPF "
                   "12345678909 foram anotados para Beatriz Lima.", ["u2"]),
        "u2": node("u2", "a1", "user", "E o telefone +55 48 97777-6543?", ["a2"]),
        "a2": node("a2", "u2", "assistant", "Anotado, Otília Ramalho.", []),
    }  # fmt: skip
    conversation = {"title": "Suporte", "create_time": 1_700_000_000.0, "mapping": mapping,
                    "current_node": "a2", "id": "c1"}  # fmt: skip
    path = root / "chatgpt" / "conversations.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps([conversation]), "utf-8")
    return path


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def number_pattern(value: str) -> re.Pattern[str]:
    """The value's digits (and letters, for an IBAN) in order, with any punctuation between."""
    chars = [c for c in value if c.isalnum()]
    return re.compile(r"(?<![0-9])" + r"[\s.\-/()+]{0,3}".join(map(re.escape, chars)), re.I)


def leaks(text: str) -> list[str]:
    # JSON may escape accents ("Ot\\u00edlia"): read them back before looking
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    found = []
    for kind, values in NUMBERS.items():
        found += [f"{kind} {v}" for v in values if number_pattern(v).search(text)]
    for kind, values in TEXTS.items():
        found += [f"{kind} {v}" for v in values if v.casefold() in text.casefold()]
    found += [f"email local part in {t!r}" for t in ("maria.souza", "carla.m") if t in text]
    folded = fold(text)
    found += [f"name {w}" for w in NAME_WORDS if re.search(rf"\b{fold(w)}\b", folded)]
    return found


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AFINA_CACHE_DIR", str(tmp_path / "cache"))
    inbox = tmp_path / "home" / "maria" / "exports"
    inbox.mkdir(parents=True)
    (inbox / "WhatsApp Chat with Maria Souza.txt").write_text(WHATSAPP_MARIA, "utf-8")
    (inbox / "WhatsApp Chat with +55 48 97777-6543.txt").write_text(WHATSAPP_NUMBER, "utf-8")
    slack_export(inbox)
    chatgpt_export(inbox)
    ws = tmp_path / "ws"
    assert main(["init", str(ws)]) == 0
    toml = ws / "afina.toml"
    allow = ", ".join(json.dumps(a) for a in ALLOW)
    toml.write_text(toml.read_text("utf-8").replace("pii_allow = []", f"pii_allow = [{allow}]"))
    assert main(["-w", str(ws), "import", str(inbox)]) == 0  # one folder, as people keep them
    return ws


def cli(ws: Path, capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    capsys.readouterr()
    code = main(["-w", str(ws), *args, "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def test_no_planted_value_leaves_in_any_export_or_card(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = workspace
    sources = cli(ws, capsys, "sources")
    by_id = {s["id"]: s["importer"] for s in sources}
    assert sorted(by_id.values()) == ["chatgpt", "slack", "whatsapp", "whatsapp"], sources
    for sid, importer in by_id.items():
        who = ["--assistant-role", "assistant"] if importer == "chatgpt" else []
        if importer == "whatsapp":
            who = ["--assistant", "Lumiar Fibra"]
        elif importer == "slack":
            who = ["--assistant", "Lumiar Suporte"]
        cli(ws, capsys, "pairs", "extract", "--source", str(sid), *who)
    pairs = cli(ws, capsys, "pairs", "list", "--limit", "100")["pairs"]
    assert len(pairs) >= 6
    cli(ws, capsys, "pairs", "accept", "--status", "pending")
    # Edits in review bring values back: names no one in the workspace has, a known contact,
    # numbers in new forms.
    edits = {
        "--response": "Ligue para Fábio Becker ou Maria Souza no (48) 99999-1234 ou mande para "
        "maria.souza at gmail dot com; CPF 123 456 789 09, CEP 88020300.",
        "--prompt": "sou a Beatriz Lima e o cartão é 4111 1111 1111 1111, a Ivanilde sabe",
    }
    for flag, text in edits.items():
        edited = cli(ws, capsys, "pairs", "edit", str(pairs[0]["id"]), flag, text)
        assert edited["placeholders"], edited
    stored = json.dumps(cli(ws, capsys, "pairs", "list", "--limit", "100"), ensure_ascii=False)
    assert leaks(stored) == []
    assert "Lumiar Fibra" in stored  # the business's own name is allowed, and kept

    exports = ws / "exports"
    for fmt, name in [("messages", "m.jsonl"), ("prompt-completion", "pc.jsonl"),
                      ("alpaca", "a.json"), ("sharegpt", "s.json"), ("hf", "hf")]:  # fmt: skip
        cli(ws, capsys, "export", fmt, str(exports / name))
    cli(ws, capsys, "export", "messages", str(exports / "split.jsonl"), "--per-split")
    written = [p for p in exports.rglob("*") if p.is_file()]
    assert len([p for p in written if p.name.endswith(".card.md") or p.name == "README.md"]) >= 6
    everything = {p: p.read_bytes().decode("utf-8", "replace") for p in written}
    assert any("<NAME_" in t for t in everything.values())
    found = {str(p.relative_to(exports)): leaks(t) for p, t in everything.items() if leaks(t)}
    assert found == {}
    for path, text in everything.items():  # cards: no file names, no home folders
        for secret in ("WhatsApp Chat with", "97777", "home/maria", str(ws.parent)):
            assert secret not in text, (path, secret)
