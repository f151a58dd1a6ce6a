"""The training process: ``python -m afina.engine.training.runner runs/<id> [--resume]``.

Started detached by a launcher (``afina.engine.launch``), with the run folder as its working
folder; it outlives the terminal, the TUI and the SSH link. It reads only the run folder's spec
and data (relative paths are the run folder's, so the folder can move to another machine),
and tells the world what it does through ``events.jsonl``. Every way it can end is an event:
finished, stopped, or failed with what happened and what to try; the last good checkpoint
stays.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

from afina.engine.errors import AfinaError
from afina.engine.launch.pidfile import write_pid
from afina.engine.paths import write_atomic
from afina.engine.training.events import EventLog, Heartbeat
from afina.engine.training.spec import read_spec

METRICS_FILE = "metrics.json"


def _rank() -> int:
    return int(os.environ.get("RANK", os.environ.get("LOCAL_RANK", "0")) or 0)


def explain(exc: BaseException) -> tuple[str, str | None]:
    """A failure in words a person can act on: what happened, what to try."""
    if isinstance(exc, AfinaError):
        return exc.message, exc.hint
    name = type(exc).__name__
    text = str(exc).splitlines()[0][:300] if str(exc) else name
    if isinstance(exc, MemoryError) or "OutOfMemoryError" in name or "out of memory" in text:
        return (
            f"out of memory: {text}",
            "lower train.batch_size or train.max_length, or set "
            "train.gradient_checkpointing = 'on'; then `afina jobs resume`",
        )
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return (
            f"the disk is full: {text}",
            "free some space (old runs' checkpoints, ~/.cache) and `afina jobs resume`; "
            "the last complete checkpoint is intact",
        )
    return f"{name}: {text}", "the traceback is in the run's runner.log"


def _write_metrics(run_dir: Path, metrics: dict[str, Any]) -> None:
    write_atomic(run_dir / METRICS_FILE, json.dumps(metrics, indent=2, default=str))


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m afina.engine.training.runner RUN_DIR [--resume]", file=sys.stderr)
        return 2
    run_dir = Path(argv[0]).resolve()
    resume = "--resume" in argv[1:]
    lead = _rank() == 0
    log = EventLog(run_dir) if lead else None
    if lead:
        write_pid(run_dir, os.getpid())
    stop = threading.Event()
    # `afina jobs stop` sends SIGTERM: finish the step, save a checkpoint, end as "stopped".
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if log:
        log.emit("started", durable=True, pid=os.getpid(), resume=resume)
    heartbeat = Heartbeat(log) if log else None
    if heartbeat:
        heartbeat.start()
    try:
        from afina.engine.training.objectives import train

        metrics = train(read_spec(run_dir), run_dir, log, stop, resume)
        if lead:
            _write_metrics(run_dir, metrics)
        if log:
            summary = {k: v for k, v in metrics.items() if not isinstance(v, list)}
            log.emit("stopped" if stop.is_set() else "finished", durable=True, **summary)
        return 0
    except BaseException as exc:  # every ending is an event, even a KeyboardInterrupt
        traceback.print_exc()
        message, hint = explain(exc)
        if log:
            # A full disk may refuse even this line; runner.log has the traceback then.
            with contextlib.suppress(OSError):
                log.emit("failed", durable=True, message=message, hint=hint)
        return 1
    finally:
        if heartbeat:
            heartbeat.stop()
        if log:
            log.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
