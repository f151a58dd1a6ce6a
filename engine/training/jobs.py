"""Training runs as jobs: create a run folder, start its runner detached, and read its state.

A run's state comes from its events and whether its runner process is alive, so any process
(the CLI, the TUI, a laptop over SSH) sees the same thing without a server. Where the runner
executes, and how it is found alive or stopped, is its launcher's business
(``afina.engine.launch``); this module never asks which launcher it has.
"""

from __future__ import annotations

import dataclasses
import functools
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from afina.engine.config import TrainSettings
from afina.engine.errors import NotFound, UsageError
from afina.engine.launch.base import EVENTS_FILE, Launcher
from afina.engine.launch.local import LOG_FILE as LOG_FILE  # the runner's output
from afina.engine.launch.registry import (
    get_launcher,
    launcher_for,
    record_launcher,
    recorded_launcher,
)
from afina.engine.launch.remote.ssh import HostKeyError, RemoteError
from afina.engine.paths import write_atomic
from afina.engine.training import checkpoints
from afina.engine.training.events import parse_lines, read_events
from afina.engine.training.spec import SPEC_FILE, RunSpec, read_spec
from afina.engine.training.trace import RunTrace, TraceBuilder
from afina.engine.workspace import Workspace

T = TypeVar("T")
BACKOFF_MAX = 30.0  # seconds between tries to reach a run's host again, at most
RECONNECTING = "reconnecting…"  # a followed run's message while its host is out of reach
# A replay_data value with one of these endings means a file, never a Hugging Face dataset id.
_DATA_SUFFIXES = (".jsonl", ".json")


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
    run never reads the store again; and a copy of every other file the run reads (replay
    data, a launcher's config), named in the spec relative to the run folder so the folder can
    move. ``root``: where to put it instead of runs/ (a dry run's scratch folder)."""
    from afina.engine.plugins import load_plugin
    from afina.engine.training.objectives import objective_of

    options = dict(ws.config.train.options.get(settings.method, {}))
    options.update(method_options or {})
    # Resolved (typed, defaults filled in) before any work, so a typo fails at once and the
    # spec records every option the run used.
    options = load_plugin("trainer", settings.method).resolve_options(options)
    launcher = get_launcher(settings.launcher)
    objective = objective_of(settings.method)
    run_id = new_run_id()
    run_dir = (root or runs_dir(ws)) / run_id
    data = run_dir / "data"
    system = ""
    if objective.chat_model:
        from afina.engine.rag.system_prompt import system_prompt_for

        system = system_prompt_for(ws, allow)
    try:
        examples = objective.prepare_data(ws, settings, options, data, allow, system)
        settings = _carry_replay(ws, settings, data)
        settings = launcher.carry(settings, ws.root, run_dir)
    except BaseException:
        shutil.rmtree(run_dir, ignore_errors=True)  # no half-made run folders
        raise
    spec = RunSpec(
        id=run_id,
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        settings=settings,
        method_options=options,
        examples=examples,
        system_prompt=system,
    )
    # Atomic: a run folder is listed once its spec.toml exists, so a crash here must leave
    # none or a whole one.
    write_atomic(run_dir / SPEC_FILE, spec.to_toml())
    return run_dir, spec


def _carry_replay(ws: Workspace, settings: TrainSettings, data: Path) -> TrainSettings:
    """A replay file, copied into the run as data/replay.<ext>; a dataset id stays an id."""
    raw = settings.replay_data
    if not raw:
        return settings
    src = Path(raw).expanduser()
    src = src if src.is_absolute() else ws.root / src
    if src.is_file():
        data.mkdir(parents=True, exist_ok=True)
        # A fixed name: the file's own could be one of the exported splits'.
        dest = data / ("replay" + (src.suffix or ".jsonl"))
        shutil.copyfile(src, dest)
        return dataclasses.replace(settings, replay_data=dest.relative_to(data.parent).as_posix())
    if settings.replay_fraction and (Path(raw).is_absolute() or src.suffix in _DATA_SUFFIXES):
        raise UsageError(
            f"train.replay_data = {raw!r}: no such file",
            "a messages or Alpaca JSONL file relative to the workspace, or a dataset id",
        )
    return settings


def start(run_dir: Path, resume: bool = False, launcher: Launcher | None = None) -> int | str:
    """Start the runner detached with ``launcher`` (default: the spec's; a resume: the one
    that started it); returns its handle (a pid)."""
    if launcher is None:
        launcher = (
            launcher_for(run_dir)
            if resume and recorded_launcher(run_dir)
            else get_launcher(read_spec(run_dir).settings.launcher)
        )
    record_launcher(run_dir, launcher)
    return launcher.start(run_dir, resume)


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
    return launcher_for(run_dir).alive(run_dir)


def _observe(run_dir: Path) -> tuple[int | None, str]:
    """The runner's pid, after bringing the run's events file up to date (a no-op for a run
    on this machine); a host out of reach is said, not raised, so a list of runs still shows."""
    launcher = launcher_for(run_dir)
    try:
        pid = launcher.alive(run_dir)
        path = run_dir / EVENTS_FILE
        launcher.follow(run_dir, path.stat().st_size if path.exists() else 0)
    except RemoteError as e:
        return None, e.message
    return pid, ""


def status(run_dir: Path) -> RunStatus:
    spec = read_spec(run_dir)
    pid, unreachable = _observe(run_dir)
    builder = TraceBuilder(spec)
    builder.feed(read_events(run_dir))
    t = builder.snapshot(pid, len(checkpoints.complete(run_dir)))
    return RunStatus(
        spec.id,
        "unreachable" if unreachable else t.state,
        t.method,
        t.base_model,
        spec.created,
        t.step,
        t.total,
        t.loss,
        t.val_loss,
        t.eta_s,
        pid,
        unreachable or t.message or t.advice,
        t.checkpoints,
    )


Retry = Callable[[RemoteError, float], object]


def retrying(call: Callable[[], T], on_retry: Retry | None, sleep: float = 1.0) -> T:
    """``call()``, tried again while the run's host is out of reach, after 1, 2, 4 ... up to
    BACKOFF_MAX seconds, telling ``on_retry(error, delay)`` each time; without ``on_retry`` the
    first error is raised. A changed host key is never retried: it is not a dropped link."""
    while True:
        try:
            return call()
        except HostKeyError:
            raise
        except RemoteError as e:
            if on_retry is None:
                raise
            on_retry(e, sleep)
            time.sleep(sleep)
            sleep = min(sleep * 2, BACKOFF_MAX)


def follow(
    run_dir: Path, offset: int = 0, poll: float = 0.5, on_retry: Retry | None = None
) -> Iterator[dict[str, Any] | None]:
    """The run's events as they are written, for ever, carried by the launcher that started
    it (so a run elsewhere streams the same way); yields None on each idle poll so callers can
    check whether the runner still lives (a final event may be an older start's). A dropped
    link to a remote run is retried through ``on_retry`` (see :func:`retrying`) and the
    events are caught up from ``offset``: the run goes on without us."""
    launcher = launcher_for(run_dir)
    while True:
        chunk, offset = retrying(functools.partial(launcher.follow, run_dir, offset), on_retry)
        events = parse_lines(chunk)
        yield from events
        if not events:
            yield None
            time.sleep(poll)


def tail(
    run_dir: Path,
    post: Callable[[RunTrace], object],
    cancelled: Callable[[], bool],
    poll: float = 0.5,
) -> None:
    """Read the run's events as they are written and ``post`` its trace whenever it changes,
    until its runner has ended or ``cancelled()`` says to stop. Runs in a worker thread."""
    builder = TraceBuilder(read_spec(run_dir))
    launcher = launcher_for(run_dir)
    offset, last, delay = 0, None, 1.0
    while not cancelled():
        # The runner's life first, then its events: a runner found gone has written them all.
        try:
            pid = launcher.alive(run_dir)
            chunk, offset = launcher.follow(run_dir, offset)
        except HostKeyError:
            raise
        except RemoteError as e:
            # The link dropped; the run goes on there. Say so rather than freeze, and try
            # again from the same offset.
            seen = last or builder.snapshot(None, 0)
            note = dataclasses.replace(seen, message=f"{RECONNECTING} ({e.message})")
            if note != last:
                post(note)
                last = note
            time.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX)
            continue
        delay = 1.0
        builder.feed(parse_lines(chunk))
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
    """Ask the runner to save and stop; with ``force`` (or after ``wait`` seconds) kill it.
    Returns the run's state after."""
    launcher_for(run_dir).stop(run_dir, wait, force)
    return status(run_dir).state


def pull(run_dir: Path, with_checkpoints: bool = False) -> list[str]:
    """Bring a run's results from where it ran into its folder here (adapter, metrics, events,
    log; its checkpoints too with ``with_checkpoints``), each file checked by hash and put in
    place whole; returns what was brought (nothing for a run on this machine)."""
    from afina.engine.training.runner import METRICS_FILE

    launcher = launcher_for(run_dir)
    pid = launcher.alive(run_dir)
    if pid is not None:
        raise UsageError(
            f"run {run_dir.name} is still running (pid {pid})",
            f"wait for it (`afina jobs attach {run_dir.name}` pulls when it ends) or stop it",
        )
    names = [checkpoints.FINAL, METRICS_FILE, EVENTS_FILE, LOG_FILE]
    if with_checkpoints:
        names.append(checkpoints.CHECKPOINTS)
    return launcher.pull(run_dir, names)


def resume(run_dir: Path) -> int | str:
    st = status(run_dir)
    if st.state in ("running", "starting"):
        raise UsageError(f"run {st.id} is still running (pid {st.pid})", "`afina jobs attach`")
    if st.state == "finished":
        raise UsageError(f"run {st.id} has finished; there is nothing to resume")
    return start(run_dir, resume=True)
