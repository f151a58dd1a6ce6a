"""``runs/<id>/events.jsonl``: the run's typed events, one JSON object a line, flushed.

Anyone can follow a run by reading the file: the CLI, the TUI, or a laptop over SSH. A line
cut short by a kill is skipped by readers, never fatal.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from afina.engine.launch.base import EVENTS_FILE
from afina.engine.launch.local import complete_lines

TYPES = (
    "started",
    "ready",
    "step",
    "eval",
    "checkpoint",
    "advice",
    "heartbeat",
    "finished",
    "failed",
    "stopped",
)
FINAL = ("finished", "failed", "stopped")


class EventLog:
    """Appends events; safe to call from the trainer and the heartbeat thread at once."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / EVENTS_FILE
        self._lock = threading.Lock()
        self._file = self.path.open("a", encoding="utf-8")

    def emit(self, type: str, durable: bool = False, **data: Any) -> dict[str, Any]:
        event = {"type": type, "time": round(time.time(), 3), **data}
        line = json.dumps(event, ensure_ascii=False, default=str)
        with self._lock:
            if not self._file.closed:
                self._file.write(line + "\n")
                self._file.flush()
                if durable:  # the events a resume or a person relies on survive a power cut
                    os.fsync(self._file.fileno())
        return event

    def close(self) -> None:
        with self._lock:
            self._file.close()


def read_events(run_dir: Path) -> list[dict[str, Any]]:
    events, _ = read_from(run_dir, 0)
    return events


def read_from(run_dir: Path, offset: int) -> tuple[list[dict[str, Any]], int]:
    """Complete events after byte ``offset``, and the offset to read from next time."""
    data, offset = complete_lines(run_dir / EVENTS_FILE, offset)
    return parse_lines(data), offset


def parse_lines(data: bytes) -> list[dict[str, Any]]:
    """The events in complete lines of events.jsonl, as a launcher carries them."""
    events = []
    for raw in data.splitlines():
        try:
            event = json.loads(raw)
        except ValueError:
            continue  # a line torn by a kill
        if isinstance(event, dict) and "type" in event:
            events.append(event)
    return events


def last_start_offset(run_dir: Path) -> int:
    """Byte offset of the newest "started" event: where following the current attempt begins."""
    path = run_dir / EVENTS_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return 0
    at = data.rfind(b'{"type": "started"')
    return max(at, 0)


class Heartbeat:
    """A daemon thread that says the runner is alive while a long step or save runs."""

    def __init__(self, log: EventLog, every: float = 10.0) -> None:
        self.log = log
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="afina-heartbeat")
        self.state: dict[str, Any] = {}

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.log.emit("heartbeat", pid=os.getpid(), **self.state)

    def stop(self) -> None:
        self._stop.set()


def loss_curves(
    events: list[dict[str, Any]],
) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    """(step, loss) of training and of validation; a step logged again after a resume keeps
    its newest value."""
    train: dict[int, float] = {}
    val: dict[int, float] = {}
    for e in events:
        if e["type"] == "step" and "loss" in e:
            train[int(e["step"])] = float(e["loss"])
        elif e["type"] == "eval" and "loss" in e:
            val[int(e["step"])] = float(e["loss"])
    return sorted(train.items()), sorted(val.items())
