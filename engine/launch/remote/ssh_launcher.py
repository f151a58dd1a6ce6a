"""The runner on a GPU box over SSH: the run folder goes over, the runner starts detached
there, and its events come back to the laptop's copy of the run folder as they are written.

Everything done on the box is done by the box's own afina (the same version, installed by
``afina remote setup``) through :func:`remote_main`, called by a constant ``python -c`` line
with the values as arguments: the remote runner is started, found and stopped by the very
code that does it locally (:class:`LocalLauncher`), so a remote run behaves as a local one
does, pid file and process group included. No shell script is ever built from a value.

The laptop keeps a mirror of the remote ``events.jsonl`` (and ``runner.log``) in
``runs/<id>/``: the remote file only grows, so the mirror is always a byte prefix of it, the
offsets of both are the same, and every local reader (status, curves, the Train screen) works
on a remote run unchanged.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from afina.engine.launch.base import EVENTS_FILE, Launcher
from afina.engine.launch.local import LOG_FILE, LocalLauncher, complete_lines
from afina.engine.launch.remote import transfer
from afina.engine.launch.remote.hosts import known_hosts_file
from afina.engine.launch.remote.ssh import SSH, Host, RemoteError
from afina.engine.launch.remote.transfer import file_hashes

# The one line the box runs; the command and its values follow as sys.argv[1:].
ENTRY = (
    "import sys; from afina.engine.launch.remote.ssh_launcher import remote_main; "
    "sys.exit(remote_main(sys.argv[1:]))"
)
# What goes to the box: the run's input and nothing else (no store, no other workspace file).
PUSHED = ("spec.toml", "data")
PUSHED_GLOBS = ("accelerate.*",)  # a launcher config carried into the run
_MAX_EVENTS = 4 << 20  # bytes of events carried in one call: a long run catches up in steps
_MAX_LOG = 256 << 10
_NO_PYTHON = 127  # the shell's "command not found"


class SSHLauncher(Launcher):
    name = "ssh"
    description = "a GPU box over SSH, with the person's own ssh client and verified host keys"

    def __init__(self, host: Host, known_hosts: Path) -> None:
        self.host = host
        self.ssh = SSH(host, known_hosts)

    # -- how launch.json remembers it ----------------------------------------------------

    def record(self) -> dict[str, Any]:
        return {"host": asdict(self.host)}  # names and paths only: ssh finds the keys itself

    @classmethod
    def rebuild(cls, record: dict[str, Any], run_dir: Path) -> SSHLauncher:
        try:
            host = Host(**record["host"])
        except (KeyError, TypeError) as e:
            raise RemoteError(f"run {run_dir.name}: launch.json names no usable host ({e})") from e
        # runs/<id>/ sits in the workspace root, whose .afina/ holds the accepted host keys
        return cls(host, known_hosts_file(run_dir.resolve().parent.parent))

    # -- the box ---------------------------------------------------------------------------

    def remote_dir(self, run_dir: Path) -> str:
        return f"{self.host.workdir.rstrip('/') or '.'}/runs/{run_dir.name}"

    def _call(
        self, command: str, where: str, *args: str, timeout: float = 120
    ) -> subprocess.CompletedProcess[bytes]:
        # PYTHONSAFEPATH: `python -c` would put the remote cwd first on sys.path
        argv = ["env", "PYTHONSAFEPATH=1", self.host.python, "-c", ENTRY, command, where]
        return self.ssh.run([*argv, *args], timeout=timeout)

    def _check(self, command: str, run_dir: Path, *args: str, timeout: float = 120) -> bytes:
        done = self._call(command, self.remote_dir(run_dir), *args, timeout=timeout)
        if done.returncode != 0:
            raise self._failure(done, command)
        return done.stdout

    def _failure(self, done: subprocess.CompletedProcess[bytes], what: str) -> RemoteError:
        text = done.stderr.decode("utf-8", "replace").strip()
        name, python = self.host.name, self.host.python
        if done.returncode == _NO_PYTHON:
            return RemoteError(
                f"{name}: no Python at {python!r} on the box",
                f"run `afina remote setup {name}`",
            )
        if "No module named 'afina" in text or "cannot import name" in text:
            return RemoteError(
                f"{name}: afina is not installed for {python} on the box",
                f"run `afina remote setup {name}`",
            )
        last = text.splitlines()[-1] if text else f"exit status {done.returncode}"
        return RemoteError(f"{name}: {what} failed on the box: {last}")

    def check_ready(self) -> None:
        """One call that fails with its one line when the box is down, refuses the key, has no
        Python or no afina: made before anything is made or sent."""
        done = self._call("ready", self.host.workdir, timeout=60)
        if done.returncode != 0:
            raise self._failure(done, "checking afina")

    def discard(self, run_dir: Path) -> None:
        """Remove what a start that failed after its push left on the box. Best effort: the
        link may be what failed, and a stale folder there harms nothing but disk."""
        with contextlib.suppress(RemoteError, OSError, subprocess.SubprocessError):
            self.ssh.run(["rm", "-rf", "--", self.remote_dir(run_dir)], timeout=60)

    def start(self, run_dir: Path, resume: bool = False) -> int:
        remote = self.remote_dir(run_dir)
        names = [n for n in PUSHED if (run_dir / n).exists()]
        names += sorted(p.name for g in PUSHED_GLOBS for p in run_dir.glob(g))
        # Pushed again on a resume too: rsync sends nothing that is already there by hash.
        transfer.push(self.ssh, run_dir, remote, names)
        out = self._check("start", run_dir, *(["--resume"] if resume else []))
        try:
            return int(out.split()[-1])
        except (ValueError, IndexError):
            raise RemoteError(f"{self.host.name}: the box did not say the runner's pid") from None

    def alive(self, run_dir: Path) -> int | None:
        out = self._check("alive", run_dir, timeout=60).strip()
        return int(out) if out.isdigit() else None

    def stop(self, run_dir: Path, wait: float = 60.0, force: bool = False) -> None:
        self._check("stop", run_dir, str(wait), "1" if force else "0", timeout=wait + 60)
        with contextlib.suppress(RemoteError):
            self.follow(run_dir, 0)  # the mirror gets the "stopped" event before status reads

    def follow(self, run_dir: Path, offset: int) -> tuple[bytes, int]:
        self.mirror(run_dir)
        return complete_lines(run_dir / EVENTS_FILE, offset)

    def mirror(self, run_dir: Path) -> None:
        """Append to the local events.jsonl and runner.log what the box has past their ends.
        Locked, so two followers (the CLI and the TUI) never append the same bytes twice."""
        with (run_dir / EVENTS_FILE).open("ab") as events:
            fcntl.flock(events, fcntl.LOCK_EX)
            log_path = run_dir / LOG_FILE
            have = events.seek(0, os.SEEK_END)
            have_log = log_path.stat().st_size if log_path.exists() else 0
            out = self._check("events", run_dir, str(have), str(have_log))
            header, _, body = out.partition(b"\n")
            sizes = json.loads(header)
            n_events, n_log = int(sizes["events"]), int(sizes["log"])
            if len(body) != n_events + n_log:
                raise RemoteError(f"{self.host.name}: the events came back cut short")
            events.write(body[:n_events])
            events.flush()
            if n_log:
                with log_path.open("ab") as log:
                    log.write(body[n_events:])

    def pull(self, run_dir: Path, names: list[str]) -> list[str]:
        hashes = json.loads(self._check("hashes", run_dir, *names, timeout=600))
        return transfer.pull(self.ssh, run_dir, self.remote_dir(run_dir), names, hashes)


# -- on the box ------------------------------------------------------------------------------


def remote_main(argv: list[str]) -> int:
    """What the box runs for the laptop: ``COMMAND RUN_DIR ARGS...``. Output is for the laptop's
    :class:`SSHLauncher` to read, never for a person."""
    command, where, *args = argv
    run_dir = Path(os.path.expanduser(where))
    if command == "ready":
        return 0  # importing this module was the test
    if command == "start":
        run_dir = run_dir.resolve()
        print(_launcher(run_dir).start(run_dir, resume="--resume" in args))
    elif command == "alive":
        print(LocalLauncher().alive(run_dir) or "")
    elif command == "stop":
        LocalLauncher().stop(run_dir, float(args[0]), args[1] == "1")
    elif command == "events":
        events, _ = complete_lines(run_dir / EVENTS_FILE, int(args[0]))
        events = events[: events.rfind(b"\n", 0, _MAX_EVENTS) + 1]
        log = _read_from(run_dir / LOG_FILE, int(args[1]), _MAX_LOG)
        sys.stdout.buffer.write(json.dumps({"events": len(events), "log": len(log)}).encode())
        sys.stdout.buffer.write(b"\n" + events + log)
    elif command == "hashes":
        print(json.dumps(file_hashes(run_dir, args)))
    else:
        print(f"unknown command {command!r}", file=sys.stderr)
        return 2
    return 0


def _read_from(path: Path, offset: int, limit: int) -> bytes:
    try:
        with path.open("rb") as f:
            f.seek(offset)
            return f.read(limit)
    except FileNotFoundError:
        return b""


def _gpu_count() -> int:
    try:
        out = subprocess.run(
            ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(1 for line in out.splitlines() if line.startswith("GPU "))


def _launcher(run_dir: Path) -> LocalLauncher:
    """One process, or one per GPU under `accelerate launch` where the box has several."""
    gpus = _gpu_count()
    if gpus <= 1:
        return LocalLauncher()
    from afina.engine.launch.accelerate_launch import CONFIG_STEM, AccelerateLauncher

    class PerGPU(AccelerateLauncher):
        def command(self, run_dir: Path) -> list[str]:
            cmd = super().command(run_dir)
            if any(run_dir.glob(CONFIG_STEM + ".*")):
                return cmd  # the person's own config says how many processes
            at = cmd.index("accelerate.commands.launch") + 1
            return [*cmd[:at], "--multi_gpu", "--num_processes", str(gpus), *cmd[at:]]

    return PerGPU()
