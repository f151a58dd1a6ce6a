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

from afina.engine.launch.base import EVENTS_FILE, Launcher
from afina.engine.launch.pidfile import read_pid, write_pid

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


def _is_runner(pid: int, run_name: str) -> bool:
    """Whether ``pid`` is a live process running this run (a pid can be reused by another)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    if stat.rsplit(")", 1)[-1].split()[0] == "Z":
        return False  # a zombie has finished; its parent has not collected it yet
    # An empty command line: the process is between fork and exec, a moment after start.
    return not cmdline or run_name.encode() in cmdline


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
        pid = read_pid(run_dir)
        return pid if pid is not None and _is_runner(pid, run_dir.name) else None

    def stop(self, run_dir: Path, wait: float = 60.0, force: bool = False) -> None:
        pid = self.alive(run_dir)
        if pid is None:
            return
        try:
            pgid = os.getpgid(pid)
            # The whole group: under `accelerate launch` the runner has sibling processes.
            os.killpg(pgid, signal.SIGKILL if force else signal.SIGTERM)
        except ProcessLookupError:
            return  # it ended between the check and the signal
        deadline = time.time() + wait
        while self.alive(run_dir) and time.time() < deadline:
            time.sleep(0.2)
        if self.alive(run_dir):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            time.sleep(0.2)

    def follow(self, run_dir: Path, offset: int) -> tuple[bytes, int]:
        return complete_lines(run_dir / EVENTS_FILE, offset)
