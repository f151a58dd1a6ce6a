"""The runner as a detached process on this machine: its own session (``setsid``), so closing
the terminal, the TUI or the SSH link never stops it; output in the run's runner.log."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from afina.engine.errors import AfinaError
from afina.engine.launch.base import EVENTS_FILE, Launcher
from afina.engine.launch.pidfile import PidRecord, inspect, read_pid, write_pid

RUNNER_MODULE = "afina.engine.training.runner"
LOG_FILE = "runner.log"


def complete_lines(path: Path, offset: int) -> tuple[bytes, int]:
    """The complete lines of ``path`` after byte ``offset``, and where the next read starts:
    a line still being written waits for the next read."""
    try:
        with path.open("rb") as f:
            f.seek(offset)
            data = f.read()
    except FileNotFoundError:
        return b"", offset
    end = data.rfind(b"\n") + 1
    return data[:end], offset + end


def _is_runner(record: PidRecord, run_name: str) -> bool:
    """Whether the recorded process still lives and runs this run. A pid is reused once its
    process ends, so the start time must match too where the file has one; and the command
    line must name the run as a whole argument (the runner's is ``... runner <run_dir>``)."""
    pid = record.pid
    if pid <= 1 or pid == os.getpid():
        return False  # init, or the process asking: a stale file, never a runner to stop
    found = inspect(pid)
    if found is None or found.zombie or found.kernel:
        return False  # gone, finished (waiting for its parent to collect it), or the kernel's
    if record.start is not None and found.start != record.start:
        return False
    if not found.argv:
        # Empty: a kernel thread, or the runner a moment after start, inside exec (Popen has
        # returned but the new command line is not set yet). Only a matching start time tells
        # the second from the first; a pid file of the old kind cannot.
        return record.start is not None
    return any(os.path.basename(arg.rstrip("/")) == run_name for arg in found.argv)


def _live_record(run_dir: Path) -> PidRecord | None:
    record = read_pid(run_dir)
    return record if record is not None and _is_runner(record, run_dir.name) else None


def _signal(record: PidRecord, sig: int) -> None:
    """Signal the runner's process group (under `accelerate launch` the runner has sibling
    processes in it), or the runner alone where the group is not one a launcher made: a
    group of 0 or 1, the caller's own (killpg would hit the caller), or any group when the pid
    file is of the old kind, which cannot prove the process is the one started."""
    pid = record.pid
    pgid = os.getpgid(pid)
    group = pgid > 1 and pgid != os.getpgrp() and (record.start is not None or pgid == pid)
    if group:
        os.killpg(pgid, sig)
    else:
        os.kill(pid, sig)


class LocalLauncher(Launcher):
    name = "local"
    description = "one detached process on this machine"

    def command(self, run_dir: Path) -> list[str]:
        return [sys.executable, "-m", RUNNER_MODULE, str(run_dir)]

    def start(self, run_dir: Path, resume: bool = False) -> int:
        run_dir = run_dir.resolve()
        cmd = self.command(run_dir) + (["--resume"] if resume else [])
        # PYTHONSAFEPATH: the cwd is the run folder, and `python -m` would otherwise put it
        # first on sys.path, where a data file's name could shadow a module.
        env = dict(
            os.environ, PYTHONUNBUFFERED="1", PYTHONSAFEPATH="1", TOKENIZERS_PARALLELISM="false"
        )
        with (run_dir / LOG_FILE).open("ab") as out:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=env,
                cwd=run_dir,  # the run resolves its relative paths against its own folder
            )
        write_pid(run_dir, proc.pid)
        return proc.pid

    def alive(self, run_dir: Path) -> int | None:
        record = _live_record(run_dir)
        return record.pid if record is not None else None

    def stop(self, run_dir: Path, wait: float = 60.0, force: bool = False) -> None:
        record = _live_record(run_dir)
        if record is None:
            return
        try:
            _signal(record, signal.SIGKILL if force else signal.SIGTERM)
        except ProcessLookupError:
            return  # it ended between the check and the signal
        except PermissionError:
            raise AfinaError(
                f"cannot stop the runner of run {run_dir.name} (pid {record.pid}): "
                "it belongs to another user",
                "stop it as that user",
            ) from None
        deadline = time.time() + wait
        while self.alive(run_dir) and time.time() < deadline:
            time.sleep(0.2)
        # Checked again before the kill: the pid may have passed to another process by now.
        record = _live_record(run_dir)
        if record is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                _signal(record, signal.SIGKILL)
            time.sleep(0.2)

    def follow(self, run_dir: Path, offset: int) -> tuple[bytes, int]:
        return complete_lines(run_dir / EVENTS_FILE, offset)
