"""The trainer's hooks into afina: events, checkpoints made atomic, early stopping, a stop
request, and curve advice after each evaluation."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from afina.engine.training import checkpoints
from afina.engine.training.advice import read_curves
from afina.engine.training.events import EventLog, loss_curves, read_events
from afina.engine.training.faults import maybe_fail


def peak_memory_mib() -> float:
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


class AfinaCallback(TrainerCallback):
    def __init__(
        self,
        run_dir: Path,
        log: EventLog | None,
        stop: threading.Event,
        keep: int,
        patience: int,
        total_tokens_hint: int = 0,
    ) -> None:
        self.run_dir = run_dir
        self.log = log
        self.stop = stop
        self.keep = keep
        self.patience = patience
        self.train_losses: list[float] = []
        self.val_losses: list[float] = []
        self.best: float | None = None
        self.since_best = 0
        self._last: tuple[float, int] | None = None  # (time, tokens) at the previous step event
        self._t0 = time.time()
        self._step0 = 0
        self.stopped_early = False
        # After a resume the curves continue from the events already written, up to the
        # checkpoint resumed from (steps after it are trained again and logged again).
        resumed_at = 0
        history = read_events(run_dir)
        for e in history:
            if e["type"] == "checkpoint":
                resumed_at = max(resumed_at, int(e["step"]))
        train, val = loss_curves(history)
        self.train_losses = [loss for step, loss in train if step <= resumed_at]
        for step, loss in val:
            if step <= resumed_at:
                self._seen_eval(loss)

    def _seen_eval(self, loss: float) -> None:
        self.val_losses.append(loss)
        if self.best is None or loss < self.best:
            self.best, self.since_best = loss, 0
        else:
            self.since_best += 1

    def _emit(self, type: str, durable: bool = False, **data: Any) -> None:
        if self.log is not None:
            self.log.emit(type, durable, **data)

    def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        self._t0 = time.time()
        self._step0 = state.global_step
        self._last = (self._t0, int(state.num_input_tokens_seen or 0))

    def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        maybe_fail("oom-at-step", state.global_step)
        if self.stop.is_set():  # `afina jobs stop`: save where we are, then end
            control.should_save = True
            control.should_training_stop = True

    def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kw: Any) -> None:
        logs = logs or {}
        if "loss" in logs:
            now = time.time()
            tokens = int(state.num_input_tokens_seen or 0)
            t_prev, tok_prev = self._last or (now, tokens)
            self._last = (now, tokens)
            done = state.global_step - self._step0
            per_step = (now - self._t0) / done if done else None
            self.train_losses.append(float(logs["loss"]))
            self._emit(
                "step",
                step=state.global_step,
                total=state.max_steps,
                epoch=round(float(state.epoch or 0), 4),
                loss=round(float(logs["loss"]), 5),
                lr=logs.get("learning_rate"),
                grad_norm=_num(logs.get("grad_norm")),
                tokens=tokens,
                tokens_per_s=round((tokens - tok_prev) / (now - t_prev), 1)
                if now > t_prev
                else None,
                s_per_step=round(per_step, 3) if per_step else None,
                eta_s=round(per_step * (state.max_steps - state.global_step)) if per_step else None,
                peak_mib=peak_memory_mib(),
            )
        if "eval_loss" in logs:
            loss = float(logs["eval_loss"])
            self._seen_eval(loss)
            self._emit("eval", step=state.global_step, loss=round(loss, 5), best=self.best)
            advice = read_curves(self.train_losses, self.val_losses)
            self._emit(
                "advice", step=state.global_step, verdict=advice.verdict, message=advice.message
            )
            if self.patience and self.since_best >= self.patience:
                self.stopped_early = True
                control.should_training_stop = True
                control.should_save = True
                self._emit(
                    "advice",
                    step=state.global_step,
                    verdict="early-stop",
                    message=f"Stopping early: no better validation loss in {self.patience} "
                    f"evaluations (best {self.best:.4f}).",
                )

    def on_save(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        _barrier()  # every process has written its part (RNG states) before the rename
        if state.is_world_process_zero:
            dest = checkpoints.promote(self.run_dir, state.global_step)
            if dest is not None:
                checkpoints.rotate(self.run_dir, self.keep)
                self._emit("checkpoint", durable=True, step=state.global_step, path=str(dest))
        _barrier()


def _barrier() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def _num(value: Any) -> float | None:
    try:
        return round(float(value), 5)
    except (TypeError, ValueError):
        return None
