"""Review changes are durable once acknowledged: kill -9 loses none and corrupts nothing.

A writer process applies a planned sequence of review changes, printing each one after the
store returns; the test kills it with SIGKILL at random moments, then checks the database
passes PRAGMA integrity_check and holds every acknowledged change (and at most the one in
flight). Two writers at once must both get through.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from afina.engine.store import Store
from afina.engine.types import Conversation, PairDraft, Turn

PAIRS = 8
WRITER = """
import sys
from afina.engine.store import Store
from afina.engine.store.pairs import Change
path, start, stop, first_pair, pairs = sys.argv[1], *map(int, sys.argv[2:])
with Store(__import__("pathlib").Path(path)) as s:
    for k in range(start, stop):
        pair = first_pair + k % pairs
        status = "accepted" if (k // pairs) % 2 == 0 else "rejected"
        s.review([Change(pair, "status", status)], f"op {k}")
        print(k, flush=True)
"""


def planned(k: int) -> tuple[int, str]:
    return 1 + k % PAIRS, "accepted" if (k // PAIRS) % 2 == 0 else "rejected"


def state_after(ops: int) -> dict[int, str]:
    state = dict.fromkeys(range(1, PAIRS + 1), "pending")
    for k in range(ops):
        pair, status = planned(k)
        state[pair] = status
    return state


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "a.db"
    with Store(path) as s, s.transaction():
        w = s.begin_source("/x", "sha", "test", 1)
        w.add_conversation(Conversation("c", None, "$", [Turn("a", "q", "1"), Turn("b", "r", "2")]))
        w.finish()
        s.add_pairs([PairDraft(1, f"p{i}", f"r{i}", (), None, (i,)) for i in range(2 * PAIRS)])
    return path


def statuses(path: Path, first: int = 1) -> dict[int, str]:
    with Store(path) as s:
        assert s.integrity_check() == "ok"
        return {i - first + 1: s.pair(i).status for i in range(first, first + PAIRS)}


def test_kill_9_loses_no_acknowledged_change(db):
    rng = random.Random(3)
    done = 0
    for _ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db), str(done), str(done + 10_000), "1", str(PAIRS)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        deadline = time.monotonic() + rng.uniform(0.3, 1.2)
        acked = done - 1
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            acked = int(line)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        # Lines already written but not yet read are acknowledged too.
        for line in proc.stdout.read().split():
            acked = int(line)
        assert acked >= done, "the writer never got a change through"
        found = statuses(db)
        assert found in (state_after(acked + 1), state_after(acked + 2)), (acked, found)
        done = acked + 1 if found == state_after(acked + 1) else acked + 2


def test_two_writers_at_once(db):
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db), "0", "200", str(first), str(PAIRS)],
            stdout=subprocess.DEVNULL,
        )
        for first in (1, 1 + PAIRS)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    expected = state_after(200)
    assert statuses(db, 1) == expected
    assert statuses(db, 1 + PAIRS) == expected


def damaged_workspace(tmp_path: Path, monkeypatch, how: str) -> Path:
    """A workspace with a few thousand conversations whose database file was then damaged:
    its middle overwritten, the file cut in half, or its header wiped."""
    from afina.tui.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["init", "w"]) == 0
    root = tmp_path / "w"
    chat = [
        {
            "id": f"c{i}",
            "conversations": [
                {"from": "human", "value": f"pergunta {i} " * 20},
                {"from": "gpt", "value": f"resposta {i} " * 20},
            ],
        }
        for i in range(3000)
    ]
    (root / "chat.json").write_text(json.dumps(chat), encoding="utf-8")
    (root / "more.json").write_text(json.dumps(chat[:1]).replace("pergunta", "outra"))
    assert main(["-w", str(root), "import", str(root / "chat.json")]) == 0
    db = root / ".afina" / "afina.db"
    assert not db.with_name("afina.db-wal").exists()  # all of it is in the file itself
    data = bytearray(db.read_bytes())
    n = len(data)
    if how == "middle":
        data[n // 4 : 3 * n // 4] = b"\xff" * (3 * n // 4 - n // 4)
    elif how == "truncated":
        data = data[: n // 2]
    else:
        data[:100] = bytes(100)
    db.write_bytes(bytes(data))
    return root


@pytest.mark.parametrize(
    ("how", "said"),
    [
        ("middle", "database disk image is malformed"),
        ("truncated", "database disk image is malformed"),
        ("header", "file is not a database"),
    ],
)
def test_a_damaged_database_says_how_to_recover(tmp_path, monkeypatch, capsys, how, said):
    from afina.tui.cli import main

    root = damaged_workspace(tmp_path, monkeypatch, how)
    capsys.readouterr()
    for command in (["stats"], ["conversations"], ["import", str(root / "more.json")]):
        code = main(["-w", str(root), *command])
        err = capsys.readouterr().err
        assert code == 2, (command, err)
        lines = err.strip().splitlines()
        assert lines[0].startswith("error: ") and lines[0].endswith(
            f"afina.db: the workspace database is damaged ({said})"
        ), (command, err)
        assert len(lines) == 2 and '.recover" | sqlite3' in lines[1], (command, err)
        assert "importer" not in err and "bug" not in err
