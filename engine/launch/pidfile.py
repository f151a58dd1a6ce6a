"""``runs/<id>/runner.pid``: which process runs a run, written by the launcher at start and
again by the runner itself (under `accelerate launch` the lead process replaces the
launcher's pid with its own).

A pid alone names a process only while it lives: once the runner has ended, the number is
free for any other process, a kernel thread or the very process reading the file. So the file
holds the process's start time beside its pid, and a process is the runner only while both
match (``Process``). Files from before that hold the pid alone; they are still read, and their
callers are more careful with them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from afina.engine.paths import write_atomic

PID_FILE = "runner.pid"
_PF_KTHREAD = 0x00200000  # Linux's task flag for a kernel thread (include/linux/sched.h)


@dataclass(frozen=True)
class PidRecord:
    pid: int
    start: str | None  # None: a file written before start times were kept


@dataclass(frozen=True)
class Process:
    """What the system says of a live pid: its arguments, when it started, whether it has
    already finished (a zombie, waiting for its parent to collect it), and whether it is one of
    the kernel's own threads (no command line, and never a runner)."""

    argv: tuple[str, ...]
    start: str
    zombie: bool
    kernel: bool = False


def write_pid(run_dir: Path, pid: int) -> None:
    """Atomically: a reader never sees the file empty between truncation and write (it would
    take a live run for a dead one). Called while ``pid`` lives, so its start time is known."""
    found = inspect(pid)
    record = {"pid": pid, "start": found.start if found else None}
    write_atomic(run_dir / PID_FILE, json.dumps(record) + "\n")


def read_pid(run_dir: Path) -> PidRecord | None:
    try:
        text = (run_dir / PID_FILE).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if text.isdigit():
        return PidRecord(int(text), None)  # the old form: a pid alone
    try:
        data = json.loads(text)
        pid, start = data["pid"], data.get("start")
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if not isinstance(pid, int) or isinstance(pid, bool):
        return None
    return PidRecord(pid, start if isinstance(start, str) else None)


def inspect(pid: int) -> Process | None:
    """The live process ``pid``, or None when there is none (or it cannot be looked at)."""
    if pid <= 0:
        return None
    if Path("/proc/self/stat").exists():
        return _from_proc(pid)
    return _from_ps(pid)


def _from_proc(pid: int) -> Process | None:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) sits in parentheses and may hold spaces and ")": the
    # fields after its last ")" start with the state (field 3); field 9 holds the flags and
    # field 22 the start time, in clock ticks since boot, fixed for the life of the process.
    fields = stat.rsplit(")", 1)[-1].split()
    if len(fields) < 20 or not fields[6].isdigit():
        return None
    words = argv.decode("utf-8", "surrogateescape").split("\0")
    kernel = bool(int(fields[6]) & _PF_KTHREAD)
    return Process(tuple(w for w in words if w), "ticks:" + fields[19], fields[0] == "Z", kernel)


def _from_ps(pid: int) -> Process | None:
    """Where there is no /proc (macOS, the BSDs): ps, with the start time as it prints it
    (``lstart``: five words, to the second; the C locale keeps them the same from one call to
    the next) and the command line split on spaces."""
    if sys.platform == "win32":
        return None
    try:
        out = subprocess.run(
            ["ps", "-ww", "-o", "stat=,lstart=,command=", "-p", str(pid)],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
            env={**os.environ, "LC_ALL": "C"},
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    parts = out.strip().split(None, 6)
    if len(parts) < 6:
        return None
    return Process(
        tuple(parts[6].split()) if len(parts) > 6 else (),
        " ".join(parts[1:6]),
        parts[0].startswith("Z"),
    )
