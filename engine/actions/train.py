"""Train: a run folder made from the workspace's ``[train]`` settings (with the caller's
overrides over them) and its runner started detached; stopping and resuming a run.

The settings are read here, from afina.toml, and the overrides are ``KEY=VALUE`` strings as
a person types them (``afina train --set``, the Train screen's form), so the CLI and the TUI
parse and check them the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from afina.engine.config import TrainSettings
from afina.engine.training import jobs
from afina.engine.training.spec import RunSpec, apply_overrides
from afina.engine.workspace import Workspace


@dataclass(frozen=True)
class TrainRequest:
    """``overrides``: ``KEY=VALUE`` over the workspace's [train] settings (later ones win);
    ``method_options``: the method's options over afina.toml's [train.options.<method>]."""

    overrides: tuple[str, ...] = ()
    method_options: Mapping[str, Any] = field(default_factory=dict)


def train_settings(ws: Workspace, request: TrainRequest) -> TrainSettings:
    """The workspace's [train] settings with the request's overrides; a bad one is named."""
    return apply_overrides(ws.config.train, list(request.overrides))


def create_run(
    ws: Workspace, request: TrainRequest, root: Path | None = None
) -> tuple[Path, RunSpec]:
    """A run folder with its spec and its data, not started. ``root``: where to make it
    instead of runs/ (a preflight's scratch folder)."""
    settings = train_settings(ws, request)
    return jobs.create_run(ws, settings, dict(request.method_options), root=root)


@dataclass(frozen=True)
class Started:
    run_dir: Path
    spec: RunSpec
    pid: int | str  # the launcher's handle


def start_training(ws: Workspace, request: TrainRequest = TrainRequest()) -> Started:
    """Make a run and start its runner detached; it goes on when the caller ends."""
    run_dir, spec = create_run(ws, request)
    return Started(run_dir, spec, jobs.start(run_dir))


def stop_run(ws: Workspace, run_id: str | None = None, now: bool = False) -> tuple[Path, str]:
    """Ask a run (the newest without ``run_id``) to save a checkpoint and stop; ``now`` kills
    it at once. Returns the run folder and its state after."""
    run_dir = jobs.find_run(ws, run_id)
    return run_dir, jobs.stop(run_dir, force=now)


def resume_run(ws: Workspace, run_id: str | None = None) -> tuple[Path, int | str]:
    """Go on with a stopped, failed or interrupted run from its newest complete checkpoint;
    returns the run folder and the new runner's pid."""
    run_dir = jobs.find_run(ws, run_id)
    return run_dir, jobs.resume(run_dir)
