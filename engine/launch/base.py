"""The launcher contract: start a run's runner, tell whether it lives, stop it, read its events.

A launcher knows only the run folder. Everything a run needs is inside that folder (its spec,
its data, a launcher's own config file), so the same folder can run here or on another
machine, and any process can ask a launcher about a run another process started.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

from afina.engine.config import TrainSettings

# The runner's events, one JSON object a line (their meaning is afina.engine.training.events').
EVENTS_FILE = "events.jsonl"


class Launcher(ABC):
    name: ClassVar[str]
    description: ClassVar[str]

    def record(self) -> dict[str, Any]:
        """What launch.json keeps beside the launcher's name so :meth:`rebuild` can make the
        same launcher again for the run (a remote one: its host). Never a secret."""
        return {}

    @classmethod
    def rebuild(cls, record: dict[str, Any], run_dir: Path) -> Launcher:
        """The launcher that started ``run_dir``, from what :meth:`record` kept."""
        return cls()

    def pull(self, run_dir: Path, names: list[str]) -> list[str]:
        """Bring ``names`` (files or folders of the run) into ``run_dir`` from where the run
        executes; returns those brought. A run on this machine is already here."""
        return []

    def carry(self, settings: TrainSettings, source: Path, run_dir: Path) -> TrainSettings:
        """Copy into ``run_dir`` the files this launcher will need from outside it (paths in
        ``settings`` are relative to ``source``, the workspace); returns the settings naming
        the copies relative to the run folder. Called once, when the run is made."""
        return settings

    @abstractmethod
    def start(self, run_dir: Path, resume: bool = False) -> int | str:
        """Start the run's runner detached and return at once; returns a handle (a pid)."""

    @abstractmethod
    def alive(self, run_dir: Path) -> int | None:
        """The runner's pid while it lives, else None."""

    @abstractmethod
    def stop(self, run_dir: Path, wait: float = 60.0, force: bool = False) -> None:
        """Ask the runner to save and stop; with ``force`` (or after ``wait`` seconds) end it."""

    @abstractmethod
    def follow(self, run_dir: Path, offset: int) -> tuple[bytes, int]:
        """The complete lines of the run's events.jsonl after byte ``offset``, and the offset
        to read from next time. A launcher only carries the bytes (a remote one over its
        link); what the lines mean is the training floor's business."""
