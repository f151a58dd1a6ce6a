"""Training objectives: what a run optimizes, looked up by the trainer method's task.

A method (lora, ia3, full, seq-classification ...) says how the model is loaded and wrapped;
its ``task`` names the objective that decides the rest: which data a run folder gets, how the
run trains, and what a dry run measures. Causal-LM SFT on answers and sequence
classification are the first two; preference tuning from votes would be a third.

Adding one is one module in this package that sets ``OBJECTIVE`` to an :class:`Objective`:
the table is found with ``pkgutil.iter_modules`` over the package's own path, so no other
engine module is edited. Modules named with a leading underscore are private helpers.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from afina.engine.errors import UsageError

if TYPE_CHECKING:
    from afina.engine.config import TrainSettings
    from afina.engine.training.events import EventLog
    from afina.engine.training.spec import RunSpec
    from afina.engine.workspace import Workspace


class Objective(ABC):
    """One training objective. Instances are stateless: one per module, shared."""

    name: ClassVar[str]  # a word for people: "sft", "classification"
    task: ClassVar[str]  # the TrainMethod.task it serves: "causal-lm", "seq-classification"
    description: ClassVar[str] = ""
    # Whether the run's final folder is a model that answers prompts, so the chat assistants
    # (and what is built on them: compare, eval) may load it.
    chat_model: ClassVar[bool] = True

    @abstractmethod
    def prepare_data(
        self,
        ws: Workspace,
        settings: TrainSettings,
        options: dict[str, Any],
        data_dir: Path,
        allow: tuple[str, ...],
        system_prompt: str = "",
    ) -> int:
        """Write the run's training data into ``data_dir`` (which does not exist yet), so the
        run never reads the workspace again; returns how many training examples it holds.
        ``options`` are the method's resolved options, and may be rewritten to point into the
        run (they are saved in the spec afterwards). ``allow``: values the personal-data scrub
        keeps, beyond the workspace's own list. ``system_prompt``: the system message every
        prompt starts with (a chat objective's; others ignore it)."""

    @abstractmethod
    def run(
        self,
        spec: RunSpec,
        run_dir: Path,
        log: EventLog | None,
        stop: threading.Event,
        resume: bool,
    ) -> dict[str, Any]:
        """Train as the spec says (from the newest complete checkpoint when resuming), emitting
        events to ``log`` and saving when ``stop`` is set; returns the final metrics."""

    def measure(self, spec: RunSpec, run_dir: Path, steps: int) -> dict[str, Any]:
        """What `afina train --dry-run` reports: a few real steps, timed, on a scratch run."""
        raise UsageError(
            f"a dry run cannot measure {self.name} training yet",
            "start the run and watch it with `afina jobs attach`; `afina jobs stop` ends it",
        )


def objectives() -> dict[str, Objective]:
    """Every objective in this package, by task."""
    found: dict[str, Objective] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        objective = getattr(module, "OBJECTIVE", None)
        if not isinstance(objective, Objective):
            raise TypeError(f"{module.__name__} must set OBJECTIVE to an Objective")
        if objective.task in found:
            other = type(found[objective.task]).__module__
            raise TypeError(f"{module.__name__} and {other} both claim task {objective.task!r}")
        found[objective.task] = objective
    return found


def objective_for(task: str) -> Objective:
    """The objective for a method's task; an unknown task names the known ones."""
    table = objectives()
    if task not in table:
        raise UsageError(
            f"no training objective for the task {task!r}",
            "known tasks: " + ", ".join(sorted(table)),
        )
    return table[task]


def objective_of(method: str) -> Objective:
    """The objective a training method's runs use (by the method's declared task)."""
    from afina.engine.plugins import load_plugin
    from afina.engine.training.contract import CAUSAL_LM

    return objective_for(str(getattr(load_plugin("trainer", method), "task", CAUSAL_LM)))


def train(
    spec: RunSpec, run_dir: Path, log: EventLog | None, stop: threading.Event, resume: bool
) -> dict[str, Any]:
    """Run the spec's training by its method's objective (what the runner calls)."""
    return objective_of(spec.settings.method).run(spec, run_dir, log, stop, resume)
