"""A training run folded from its events: its state, numbers and curves.

One set of rules for everyone who reads a run: ``jobs.status`` folds the whole file at once,
and ``jobs.tail`` (the Train screen's follow worker) feeds a :class:`TraceBuilder` each batch
of new events and posts an immutable :class:`RunTrace`. Each trace holds everything seen so
far (the curves included), so a newer one may replace an older one still queued without
losing a point.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from afina.engine.training.events import FINAL
from afina.engine.training.spec import RunSpec

LIVE = ("starting", "running")

Point = tuple[int, float]


@dataclass(frozen=True)
class RunTrace:
    run_id: str
    method: str
    base_model: str
    state: str  # starting, running, finished, failed, stopped, interrupted (as jobs.status)
    step: int = 0
    total: int = 0
    loss: float | None = None
    val_loss: float | None = None
    best_val: float | None = None
    lr: float | None = None
    tokens_per_s: float | None = None
    s_per_step: float | None = None
    eta_s: float | None = None
    peak_mib: float | None = None
    device: str = ""  # "cpu · fp32", from the ready event
    checkpoints: int = 0  # complete checkpoints on disk
    last_checkpoint: int | None = None  # the step of the newest checkpoint event
    verdict: str = ""  # the newest advice
    advice: str = ""
    message: str = ""  # the final event's message (and hint)
    train: tuple[Point, ...] = field(default=())
    val: tuple[Point, ...] = field(default=())

    @property
    def live(self) -> bool:
        return self.state in LIVE


class TraceBuilder:
    """Folds events into a run's state; lives in the worker thread that tails the file."""

    def __init__(self, spec: RunSpec) -> None:
        self.spec = spec
        self.values: dict[str, Any] = {}
        self.train: list[Point] = []
        self.val: list[Point] = []
        self.ready = False
        self.last: str | None = None  # the newest event type other than heartbeat
        self.final_message = ""

    def feed(self, events: list[dict[str, Any]]) -> None:
        for e in events:
            self._one(e)

    def _one(self, e: dict[str, Any]) -> None:
        t = e.get("type")
        v = self.values
        if t != "heartbeat":
            self.last = str(t)
        if t == "started":
            self.ready = False
        elif t == "ready":
            self.ready = True
            v["total"] = int(e.get("total") or v.get("total", 0))
            hw = e.get("hardware") or {}
            device = hw.get("device", "") if isinstance(hw, dict) else ""
            v["device"] = " · ".join(str(x) for x in (device, e.get("precision")) if x)
        elif t == "step":
            step = int(e.get("step", 0))
            # A resumed run repeats the steps after its checkpoint: its new points replace them.
            _cut(self.train, step)
            _cut(self.val, step)
            if e.get("loss") is not None:
                self.train.append((step, float(e["loss"])))
            v.update(step=step, total=int(e.get("total") or v.get("total", 0)))
            for key in ("loss", "lr", "tokens_per_s", "s_per_step", "eta_s", "peak_mib"):
                v[key] = e.get(key)
        elif t == "eval" and e.get("loss") is not None:
            step = int(e.get("step", 0))
            _cut(self.val, step)
            self.val.append((step, float(e["loss"])))
            v["val_loss"] = float(e["loss"])
            v["best_val"] = e.get("best")
        elif t == "advice":
            v["verdict"] = str(e.get("verdict", ""))
            v["advice"] = str(e.get("message", ""))
        elif t == "checkpoint":
            v["last_checkpoint"] = int(e.get("step", 0))
        elif t in FINAL:
            message = str(e.get("message") or "")
            if e.get("hint"):
                message += f" ({e['hint']})"
            self.final_message = message

    def state(self, pid: int | None) -> str:
        """The runner's life first, then the last event."""
        if pid:
            return "running" if self.ready else "starting"
        if self.last in FINAL:
            return str(self.last)
        return "interrupted"

    def snapshot(self, pid: int | None, checkpoints: int) -> RunTrace:
        s = self.spec.settings
        state = self.state(pid)
        v = {k: val for k, val in self.values.items() if val is not None}
        if state != "running":
            v.pop("eta_s", None)
        return RunTrace(
            run_id=self.spec.id,
            method=s.method,
            base_model=s.base_model,
            state=state,
            checkpoints=checkpoints,
            message=self.final_message if state not in LIVE else "",
            train=tuple(self.train),
            val=tuple(self.val),
            **v,
        )


def _cut(points: list[Point], step: int) -> None:
    while points and points[-1][0] >= step:
        points.pop()
