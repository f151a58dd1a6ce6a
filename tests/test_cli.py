"""The CLI end to end: verbs, --json output, exit codes and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from afina.tui.cli import main

SHAREGPT = json.dumps(
    [
        {
            "id": "c1",
            "conversations": [
                {"from": "human", "value": "Qual o horário da loja?"},
                {"from": "gpt", "value": "Das 9h às 18h, de segunda a sábado."},
            ],
        },
    ]
)


def afina(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def ws(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "w"]) == 0
    monkeypatch.chdir(tmp_path / "w")
    return tmp_path / "w"


def test_init_json(tmp_path, capsys):
    code, out, _ = afina(capsys, "init", str(tmp_path / "x"), "--json")
    assert code == 0
    assert json.loads(out) == {"workspace": str(tmp_path / "x"), "created": True}


def test_init_names_the_business_and_never_rewrites_a_workspace(tmp_path, capsys):
    code, _, _ = afina(capsys, "init", str(tmp_path / "x"), "--name", "Padaria Sol")
    assert code == 0
    assert 'name = "Padaria Sol"' in (tmp_path / "x" / "afina.toml").read_text(encoding="utf-8")
    code, _, err = afina(capsys, "init", str(tmp_path / "x"), "--name", "Other")
    assert code != 0 and "already a workspace; its name is [workspace] name in" in err
    assert "Other" not in (tmp_path / "x" / "afina.toml").read_text(encoding="utf-8")


def test_import_then_list_and_show(ws, capsys):
    (ws / "chat.json").write_text(SHAREGPT)
    code, out, _ = afina(capsys, "import", "chat.json", "--json")
    assert code == 0
    result = json.loads(out)
    [f] = result["files"]
    assert (f["importer"], f["status"], f["conversations"], f["turns"]) == (
        "sharegpt",
        "imported",
        1,
        2,
    )
    assert result["workspace"] == {"sources": 1, "conversations": 1, "turns": 2}

    code, out, _ = afina(capsys, "sources", "--json")
    [src] = json.loads(out)
    assert src["importer"] == "sharegpt" and len(src["sha256"]) == 64

    code, out, _ = afina(capsys, "conversations", "--source", str(src["id"]), "--json")
    [conv] = json.loads(out)
    assert conv["turns"] == 2

    code, out, _ = afina(capsys, "show", str(conv["id"]), "--json")
    shown = json.loads(out)
    assert [t["role"] for t in shown["turns"]] == ["user", "assistant"]
    assert shown["turns"][0]["place"] == "[0].conversations[0]"
    assert shown["turns"][0]["source_path"].endswith("chat.json")

    code, out, _ = afina(capsys, "show", str(conv["id"]))
    assert "Das 9h às 18h" in out


def test_refused_file_exits_2_with_one_line(ws, capsys):
    (ws / "bad.json").write_text('[{"conversations": [{"from": "human", "value": "x"')
    code, out, err = afina(capsys, "import", "bad.json")
    assert code == 2
    assert "Traceback" not in out + err
    [line] = out.splitlines()  # one file refused: its reason is the whole output
    assert line.startswith("refused ") and "bad.json" in line and "invalid JSON" in line


def test_errors_are_one_line_with_a_hint(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = afina(capsys, "sources")
    assert code == 2
    assert err.startswith("error: no afina workspace") and "afina init" in err
    code, _, err = afina(capsys, "--workspace", str(tmp_path), "import", "--format", "nope", "x")
    assert code == 2 and "Traceback" not in err


def test_unknown_format_lists_installed(ws, capsys):
    (ws / "a.txt").write_text("x")
    code, _, err = afina(capsys, "import", "a.txt", "--format", "nope")
    assert code == 2
    assert "no importer named 'nope'" in err and "sharegpt" in err


def test_unknown_option_is_refused(ws, capsys):
    (ws / "chat.json").write_text(SHAREGPT)
    code, out, _ = afina(capsys, "import", "chat.json", "--format", "sharegpt", "-o", "colour=red")
    assert code == 2
    assert "has no option 'colour'" in out


def test_show_unknown_id(ws, capsys):
    code, _, err = afina(capsys, "show", "99")
    assert code == 2 and "no conversation with id 99" in err


def test_plugins_json_lists_every_kind_without_importing(capsys):
    code, out, _ = afina(capsys, "plugins", "--json")
    rows = json.loads(out)
    assert code == 0
    assert {"sharegpt", "whatsapp", "slack", "chatgpt"} <= {r["name"] for r in rows}
    assert all("options" not in r for r in rows)


def test_plugins_verbose_shows_options(capsys):
    code, out, _ = afina(capsys, "plugins", "--kind", "importer", "--verbose", "--json")
    assert code == 0
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["sharegpt"]["description"]
    assert all("error" not in r for r in rows.values()), [r.get("error") for r in rows.values()]


def test_console_script_runs_without_a_terminal(tmp_path):
    exe = Path(sys.executable).parent / "afina"
    env = {**os.environ, "CI": "true"}
    result = subprocess.run(
        [str(exe), "init", str(tmp_path / "w"), "--json"], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["created"] is True
