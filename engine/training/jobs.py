"""Training runs as jobs: create a run folder, start its runner detached, and read its state.

A run's state comes from its events and whether its runner process is alive, so any process
(the CLI, the TUI, a laptop over SSH) sees the same thing without a server.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from afina.engine.config import TrainSettings
from afina.engine.errors import NotFound, UsageError
from afina.engine.training import checkpoints
from afina.engine.training.events import read_events, read_from
from afina.engine.training.runner import PID_FILE, write_pid
from afina.engine.training.spec import SPEC_FILE, RunSpec, read_spec
from afina.engine.training.trace import RunTrace, TraceBuilder
from afina.engine.workspace import Workspace

RUNNER_MODULE = "afina.engine.training.runner"
LOG_FILE = "runner.log"


def runs_dir(ws: Workspace) -> Path:
    return ws.root / "runs"


def new_run_id() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def create_run(
    ws: Workspace,
    settings: TrainSettings,
    method_options: dict[str, Any] | None = None,
    allow: tuple[str, ...] = (),
    root: Path | None = None,
) -> tuple[Path, RunSpec]:
    """A run folder with its spec and its data, prepared by the method's objective (for chat
    pairs: the workspace's accepted pairs per split, scrubbed, exported as messages JSONL), so a
    run never reads the store again. ``root``: where to put it instead of runs/ (a dry run's
    scratch folder)."""
    from afina.engine.plugins import load_plugin
    from afina.engine.training.objectives import objective_of

    options = dict(ws.config.train.options.get(settings.method, {}))
    options.update(method_options or {})
    # Resolved (typed, defaults filled in) before any work, so a typo fails at once and the
    # spec records every option the run used.
    options = load_plugin("trainer", settings.method).resolve_options(options)
    objective = objective_of(settings.method)
    run_id = new_run_id()
    run_dir = (root or runs_dir(ws)) / run_id
    try:
        examples = objective.prepare_data(ws, settings, options, run_dir / "data", allow)
    except BaseException:
        shutil.rmtree(run_dir, ignore_errors=True)  # no half-made run folders
        raise
    spec = RunSpec(
        id=run_id,
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        workspace=str(ws.root),
        settings=settings,
        method_options=options,
        examples=examples,
    )
    (run_dir / SPEC_FILE).write_text(spec.to_toml(), encoding="utf-8")
    return run_dir, spec


def start(run_dir: Path, resume: bool = False) -> int:
    """Start the runner detached (its own session), its output in runner.log; returns its pid."""
    spec = read_spec(run_dir)
    s = spec.settings
    if s.launcher == "accelerate":
        cmd = [sys.executable, "-m", "accelerate.commands.launch"]
        if s.accelerate_config:
            cmd += ["--config_file", str(Path(spec.workspace, s.accelerate_config))]
        cmd += ["-m", RUNNER_MODULE, str(run_dir)]
    elif s.launcher == "local":
        cmd = [sys.executable, "-m", RUNNER_MODULE, str(run_dir)]
    else:
        raise UsageError(f"train.launcher must be 'local' or 'accelerate', got {s.launcher!r}")
    if resume:
        cmd.append("--resume")
    env = dict(os.environ, PYTHONUNBUFFERED="1", TOKENIZERS_PARALLELISM="false")
    with (run_dir / LOG_FILE).open("ab") as out:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
            cwd=spec.workspace,
        )
    write_pid(run_dir, proc.pid)
    return proc.pid


@dataclass(frozen=True)
class RunStatus:
    id: str
    state: str  # starting, running, finished, failed, stopped, interrupted
    method: str
    base_model: str
    created: str
    step: int
    total: int
    loss: float | None
    val_loss: float | None
    eta_s: float | None
    pid: int | None
    message: str
    checkpoints: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def runner_pid(run_dir: Path) -> int | None:
    """The runner's pid if that process is alive and is this run's runner."""
    try:
        pid = int((run_dir / PID_FILE).read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    if stat.rsplit(")", 1)[-1].split()[0] == "Z":
        return None  # a zombie has finished; its parent has not collected it yet
    # An empty command line: the process is between fork and exec, a moment after start.
    return pid if not cmdline or str(run_dir.name).encode() in cmdline else None


def status(run_dir: Path) -> RunStatus:
    spec = read_spec(run_dir)
    pid = runner_pid(run_dir)
    builder = TraceBuilder(spec)
    builder.feed(read_events(run_dir))
    t = builder.snapshot(pid, len(checkpoints.complete(run_dir)))
    return RunStatus(
        spec.id,
        t.state,
        t.method,
        t.base_model,
        spec.created,
        t.step,
        t.total,
        t.loss,
        t.val_loss,
        t.eta_s,
        pid,
        t.message or t.advice,
        t.checkpoints,
    )


def tail(
    run_dir: Path,
    post: Callable[[RunTrace], object],
    cancelled: Callable[[], bool],
    poll: float = 0.5,
) -> None:
    """Read the run's events as they are written and ``post`` its trace whenever it changes,
    until its runner has ended or ``cancelled()`` says to stop. Runs in a worker thread."""
    builder = TraceBuilder(read_spec(run_dir))
    offset, last = 0, None
    while not cancelled():
        # The runner's life first, then its events: a runner found gone has written them all.
        pid = runner_pid(run_dir)
        events, offset = read_from(run_dir, offset)
        builder.feed(events)
        trace = builder.snapshot(pid, len(checkpoints.complete(run_dir)))
        if trace != last:
            post(trace)
            last = trace
        if pid is None:
            return  # ended: nothing more will come (a resume follows the run again)
        time.sleep(poll)


def list_runs(ws: Workspace) -> list[RunStatus]:
    root = runs_dir(ws)
    dirs = (
        sorted((p for p in root.iterdir() if (p / SPEC_FILE).is_file()), key=lambda p: p.name)
        if root.is_dir()
        else []
    )
    return [status(d) for d in dirs]


def find_run(ws: Workspace, run_id: str | None) -> Path:
    """A run by id or unique id prefix; no id: the newest run."""
    root = runs_dir(ws)
    names = (
        sorted(p.name for p in root.iterdir() if (p / SPEC_FILE).is_file()) if root.is_dir() else []
    )
    if not names:
        raise NotFound("this workspace has no runs", "start one with `afina train`")
    if run_id is None:
        return root / names[-1]
    matches = [n for n in names if n == run_id] or [n for n in names if n.startswith(run_id)]
    if len(matches) != 1:
        hint = "ids: " + ", ".join(names[-5:]) if not matches else "matches: " + ", ".join(matches)
        raise NotFound(f"no single run matches {run_id!r}", hint)
    return root / matches[0]


def stop(run_dir: Path, wait: float = 60.0, force: bool = False) -> str:
    """Ask the runner to save and stop; with ``force`` (or after ``wait`` seconds) kill it."""
    pid = runner_pid(run_dir)
    if pid is None:
        return status(run_dir).state
    pgid = os.getpgid(pid)
    os.killpg(pgid, signal.SIGKILL if force else signal.SIGTERM)
    deadline = time.time() + wait
    while runner_pid(run_dir) and time.time() < deadline:
        time.sleep(0.2)
    if runner_pid(run_dir):
        os.killpg(pgid, signal.SIGKILL)
        time.sleep(0.2)
    return status(run_dir).state


def resume(run_dir: Path) -> int:
    st = status(run_dir)
    if st.state in ("running", "starting"):
        raise UsageError(f"run {st.id} is still running (pid {st.pid})", "`afina jobs attach`")
    if st.state == "finished":
        raise UsageError(f"run {st.id} has finished; there is nothing to resume")
    return start(run_dir, resume=True)
