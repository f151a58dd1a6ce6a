"""Several afina processes on one workspace: a long import takes turns with other commands,
imports queue file by file, and a workspace held too long says who holds it.

The imports run as real processes (the console script) on a generated WhatsApp chat big
enough to take a few seconds; the other commands run in this process through ``main``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from afina.engine.store import Store
from afina.engine.store import db as store_db
from afina.engine.types import Conversation, PairDraft, Turn
from afina.tui.cli import main

AFINA = Path(sys.executable).parent / "afina"
LINES = 250_000


def write_chat(path: Path, lines: int, first: str = "Ana") -> Path:
    """A WhatsApp (Android) export: one message a minute, two people taking turns."""
    start = datetime(2021, 1, 1, 8, 0)
    with path.open("w", encoding="utf-8") as f:
        for i in range(lines):
            when = start + timedelta(minutes=i)
            who = first if i % 2 else "Loja"
            f.write(f"{when:%d/%m/%Y, %H:%M} - {who}: mensagem {i} sobre o pedido\n")
    return path


@pytest.fixture
def ws(tmp_path, monkeypatch, capsys):
    """A workspace with one small source and one pending pair, made before any import."""
    monkeypatch.chdir(tmp_path)
    assert main(["init", "w"]) == 0
    root = tmp_path / "w"
    with Store(root / ".afina" / "afina.db") as s, s.transaction():
        w = s.begin_source("/x/small.json", "small", "test", 1)
        w.add_conversation(Conversation("c", None, "$", [Turn("a", "q", "1"), Turn("b", "r", "2")]))
        w.finish()
        s.add_pairs([PairDraft(1, "quanto custa?", "R$ 10", (), None, (1,))])
    monkeypatch.chdir(root)
    capsys.readouterr()
    return root


def afina(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def start_import(root: Path, *paths: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(AFINA), "import", *map(str, paths), "--json"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CI": "true"},
    )


def wait_for_batches(root: Path, proc: subprocess.Popen[str], timeout: float = 20) -> None:
    """Until the import has committed turns of a source still incomplete (or it failed)."""
    deadline = time.monotonic() + timeout
    db = root / ".afina" / "afina.db"
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        with sqlite3.connect(db, timeout=5) as raw:
            staged = raw.execute(
                "SELECT count(*) FROM turns WHERE source_id IN"
                " (SELECT id FROM sources WHERE complete = 0)"
            ).fetchone()[0]
        if staged:
            return
        time.sleep(0.05)
    raise AssertionError("the import never committed a batch")


def finished(proc: subprocess.Popen[str]) -> tuple[int, dict, str]:
    out, err = proc.communicate(timeout=60)
    return proc.returncode, json.loads(out) if out.strip() else {}, err


def test_commands_take_turns_with_a_long_import(ws, tmp_path, capsys):
    chat = write_chat(tmp_path / "WhatsApp Chat with Ana.txt", LINES)
    first = start_import(ws, chat)
    again = None
    try:
        wait_for_batches(ws, first)
        # What the import wrote so far is committed, but nobody sees it before it ends.
        code, out, _ = afina(capsys, "stats", "--json")
        assert code == 0
        stats = json.loads(out)
        assert (stats["sources"], stats["conversations"], stats["turns"]) == (1, 1, 2)
        # A review change gets in between two batches instead of failing after a wait.
        started = time.monotonic()
        code, out, err = afina(capsys, "pairs", "accept", "1", "--json")
        assert (code, err) == (0, "")
        assert json.loads(out) == {"action": "accept", "pairs": 1, "changed": 1}
        assert time.monotonic() - started < store_db.BUSY_SECONDS
        assert first.poll() is None, "the import ended before the accept could overlap it"
        # The same file again at once: it waits for the first, then finds it imported.
        again = start_import(ws, chat)
        code, result, err = finished(first)
        assert code == 0, err
        [f] = result["files"]
        assert (f["status"], f["turns"]) == ("imported", LINES)
        code, result, err = finished(again)
        assert code == 0, err
        [f] = result["files"]
        assert f["status"] == "unchanged" and f["reason"].startswith("already imported as")
        assert re.search(
            r"waiting for another import to finish: importing WhatsApp Chat with Ana\.txt "
            r"\(pid \d+, started \d\d:\d\d\)",
            err,
        ), err
    finally:
        for proc in (first, again):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.communicate()
    code, out, _ = afina(capsys, "stats", "--json")
    stats = json.loads(out)
    assert (stats["sources"], stats["turns"], stats["pairs"]["accepted"]) == (2, LINES + 2, 1)


def test_a_second_import_waits_its_turn_and_both_are_kept(ws, tmp_path):
    one = write_chat(tmp_path / "WhatsApp Chat with Ana.txt", LINES // 2)
    two = write_chat(tmp_path / "WhatsApp Chat with Bia.txt", 1000, first="Bia")
    first = start_import(ws, one)
    try:
        wait_for_batches(ws, first)
        second = start_import(ws, two)
        code2, result2, err2 = finished(second)
        code1, result1, err1 = finished(first)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert (code1, code2) == (0, 0), (err1, err2)
    assert [f["status"] for f in result1["files"] + result2["files"]] == ["imported"] * 2
    assert result2["workspace"]["turns"] == LINES // 2 + 1000 + 2


def test_a_workspace_held_too_long_names_what_holds_it(ws, capsys, monkeypatch):
    monkeypatch.setattr(store_db, "BUSY_SECONDS", 0.3)
    # An import that does not take turns (an older afina, a stuck process) holding the
    # write lock, with the note a running import leaves.
    holder = Store(ws / ".afina" / "afina.db")
    with holder, holder.importing_alone("importing chats.zip"), holder.transaction():
        code, out, err = afina(capsys, "pairs", "accept", "1")
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert re.fullmatch(
        r"error: workspace busy: importing chats\.zip \(pid \d+, started \d\d:\d\d\)", lines[0]
    ), err
    assert len(lines) == 2 and "hint:" in lines[1]
    # Without a note (a long review change in another process) it still says what it can.
    with Store(ws / ".afina" / "afina.db") as holder, holder.transaction():
        code, _, err = afina(capsys, "pairs", "accept", "1")
    assert code == 2
    assert err.splitlines()[0] == "error: workspace busy: another afina command is writing to it"
    # The lock went with its holder: the change goes through now.
    assert afina(capsys, "pairs", "accept", "1")[0] == 0


def test_a_killed_import_leaves_nothing_visible_and_is_cleaned_up(ws, tmp_path, capsys):
    chat = write_chat(tmp_path / "WhatsApp Chat with Ana.txt", LINES)
    proc = start_import(ws, chat)
    try:
        wait_for_batches(ws, proc)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    code, out, _ = afina(capsys, "stats", "--json")
    assert code == 0
    stats = json.loads(out)
    assert (stats["sources"], stats["conversations"], stats["turns"]) == (1, 1, 2)
    # Opening the workspace with no import running deleted the dead import's rows.
    with sqlite3.connect(ws / ".afina" / "afina.db") as raw:
        assert raw.execute("SELECT count(*) FROM turns").fetchone()[0] == 2
        assert raw.execute("SELECT count(*) FROM sources WHERE complete = 0").fetchone()[0] == 0
    # ... so the file is not "unchanged": it imports whole.
    code, out, _ = afina(capsys, "import", str(chat), "--json")
    assert code == 0
    [f] = json.loads(out)["files"]
    assert (f["status"], f["turns"]) == ("imported", LINES)
