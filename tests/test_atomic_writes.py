"""Small files that must never be seen half-written (afina.toml, a run's spec.toml and
runner.pid, a saved evaluation) are written whole or not at all, and synced to disk; a crash
of the CLI keeps its own log."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from afina.engine.launch.pidfile import PID_FILE, write_pid
from afina.engine.paths import write_atomic
from afina.engine.workspace import init_workspace


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> set[int]:
    """The inodes fsync was called on. A file written atomically keeps the inode of the
    temporary file that was synced, and its folder is synced after the rename."""
    inodes: set[int] = set()
    real = os.fsync

    def fsync(fd: int) -> None:
        inodes.add(os.fstat(fd).st_ino)
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return inodes


def assert_durable(path: Path, synced: set[int]) -> None:
    assert path.stat().st_ino in synced, f"{path.name} was not synced before its rename"
    assert path.parent.stat().st_ino in synced, f"{path.parent} was not synced after it"
    leftovers = [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_write_atomic_replaces_whole_or_not_at_all(tmp_path, synced, monkeypatch):
    target = tmp_path / "state.json"
    write_atomic(target, '{"v": 1}\n')
    assert target.read_text() == '{"v": 1}\n'
    assert_durable(target, synced)

    def power_cut(src: object, dst: object) -> None:
        raise OSError(5, "input/output error")

    monkeypatch.setattr(os, "replace", power_cut)
    with pytest.raises(OSError):
        write_atomic(target, '{"v": 2, "and": "much more"}\n')
    assert target.read_text() == '{"v": 1}\n'  # the old content, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]  # no temp file left


def test_afina_toml_is_synced_and_a_crash_leaves_no_half_config(tmp_path, synced, monkeypatch):
    ws, _ = init_workspace(tmp_path / "ws", name="Padaria Sol")
    assert_durable(ws.root / "afina.toml", synced)

    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError(28, "full")))
    with pytest.raises(Exception, match="cannot make a workspace"):
        init_workspace(tmp_path / "other")
    # A workspace is found by its afina.toml: none is better than an empty or cut one.
    assert not (tmp_path / "other" / "afina.toml").exists()


def test_runner_pid_is_synced_and_records_the_start_time(tmp_path, synced):
    write_pid(tmp_path, os.getpid())
    assert_durable(tmp_path / PID_FILE, synced)
    assert '"start": "' in (tmp_path / PID_FILE).read_text()


def test_a_runs_spec_is_synced(curated_ws, synced):
    from afina.engine.training import jobs
    from afina.engine.training.spec import SPEC_FILE, read_spec

    run_dir, spec = jobs.create_run(curated_ws, curated_ws.config.train)
    assert_durable(run_dir / SPEC_FILE, synced)
    assert read_spec(run_dir).id == spec.id


def test_a_saved_evaluation_is_synced(tmp_path, synced, monkeypatch):
    from afina.engine.eval import report_render, saved

    monkeypatch.setattr(report_render, "render_markdown", lambda report: "# report\n")
    monkeypatch.setattr(report_render, "render_json", lambda report: "{}\n")
    saved.save(tmp_path, {}, [{"question": "q", "answer": "a"}])
    for name in (saved.ANSWERS, saved.REPORT_MD, saved.REPORT_JSON):
        assert_durable(tmp_path / name, synced)


def test_each_crash_keeps_its_own_log_and_only_the_newest_are_kept(tmp_path, monkeypatch, capsys):
    import afina.tui.cli as cli_module

    monkeypatch.setenv("AFINA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cli_module, "KEEP_CRASHES", 3)
    crashes = iter(range(100))

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"bug number {next(crashes)}")

    monkeypatch.setattr(cli_module.cli, "main", boom)
    named: list[str] = []
    for _ in range(5):
        assert cli_module.main(["sources"]) == 1
        err = capsys.readouterr().err
        assert len([line for line in err.splitlines() if line.startswith("error:")]) == 1
        found = re.search(r"traceback in (\S+\.log)$", err, re.MULTILINE)
        assert found, err
        named.append(found.group(1))
    logs = sorted((tmp_path / "cache" / "logs").glob("crash-*.log"))
    assert len(set(named)) == 5  # never the same file twice
    assert [str(p) for p in logs] == named[-3:]  # the newest three, each its own crash
    for n, log in zip((2, 3, 4), logs, strict=True):
        assert f"RuntimeError: bug number {n}" in log.read_text()
