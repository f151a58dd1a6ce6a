"""``runs/<id>/runner.pid``: the pid of a run's runner, written by the launcher at start and
again by the runner itself (under `accelerate launch` the lead process replaces the
launcher's pid with its own)."""

from __future__ import annotations

import os
from pathlib import Path

PID_FILE = "runner.pid"


def write_pid(run_dir: Path, pid: int) -> None:
    """Atomically: a reader never sees the file empty between truncation and write (it would
    take a live run for a dead one)."""
    tmp = run_dir / f".{PID_FILE}.{os.getpid()}"
    tmp.write_text(str(pid))
    os.replace(tmp, run_dir / PID_FILE)


def read_pid(run_dir: Path) -> int | None:
    try:
        return int((run_dir / PID_FILE).read_text().strip())
    except (OSError, ValueError):
        return None
