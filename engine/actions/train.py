"""Train: a run folder made from the workspace's ``[train]`` settings (with the caller's
overrides over them) and its runner started detached; stopping and resuming a run.

The settings are read here, from afina.toml, and the overrides are ``KEY=VALUE`` strings as
a person types them (``afina train --set``, the Train screen's form), so the CLI and the TUI
parse and check them the same way.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from afina.engine.config import TrainSettings
from afina.engine.training import jobs
from afina.engine.training.recommend import (
    SMALL_MODEL,
    DataShape,
    Recommended,
    estimate_params,
    recommend,
)
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


def plan(ws: Workspace, request: TrainRequest) -> Recommended:
    """The settings and method options a run of ``request`` would use: what afina.toml and the
    request set, and the recommended value of everything else, each with its reason."""
    settings = train_settings(ws, request)
    given = set(ws.config.train_keys) | {
        item.partition("=")[0].strip().replace("-", "_") for item in request.overrides
    }
    options = dict(ws.config.train.options.get(settings.method, {}))
    options.update(request.method_options)
    return recommend(settings, options, given, set(options), data_shape(ws, settings))


def data_shape(ws: Workspace, settings: TrainSettings) -> DataShape:
    """The numbers the recommendations read: train pairs, model size, device, index."""
    from afina.engine.rag.workspace_index import list_indexes
    from afina.engine.store.pairs import PairFilter

    with ws.open_store() as store:
        pairs = store.count_pairs(PairFilter(status="accepted", split="train"))
    return DataShape(
        train_pairs=pairs,
        params=model_params(settings.base_model),
        device=_device(),
        has_index=settings.retrieval_index in list_indexes(ws),
    )


def model_params(base_model: str) -> int:
    """The base model's size, read from its config.json without loading weights (nor torch:
    the TUI plans runs); a model that cannot be read is taken as a small one (its own load
    fails later, with its reason)."""
    import json

    from afina.engine.errors import AfinaError
    from afina.engine.models import resolve

    try:
        where = Path(resolve(base_model))
        if where.is_dir():
            config: Any = json.loads((where / "config.json").read_text(encoding="utf-8"))
            config = config.get("text_config", config)  # a multimodal model's language part
            return estimate_params(SimpleNamespace(**config))
        from transformers import AutoConfig

        return estimate_params(AutoConfig.from_pretrained(str(where)))
    except (OSError, ValueError, TypeError, AttributeError, AfinaError):
        return SMALL_MODEL


def _device() -> str:
    """Whether an NVIDIA GPU is there, told without importing torch; the runner decides."""
    return "cuda" if Path("/proc/driver/nvidia/version").exists() else "cpu"


def create_run(
    ws: Workspace,
    request: TrainRequest,
    root: Path | None = None,
    chosen: Recommended | None = None,
) -> tuple[Path, RunSpec]:
    """A run folder with its spec and its data, not started, with the recommended value of
    every setting the request and afina.toml leave out (``chosen``: that plan, if the caller
    already made it to show its reasons). ``root``: where to make it instead of runs/ (a
    preflight's scratch folder)."""
    chosen = chosen or plan(ws, request)
    return jobs.create_run(ws, chosen.settings, chosen.method_options, root=root)


@dataclass(frozen=True)
class Started:
    run_dir: Path
    spec: RunSpec
    pid: int | str  # the launcher's handle


def preflight(
    ws: Workspace,
    request: TrainRequest,
    measure: Callable[[RunSpec, Path], dict[str, Any]],
    scratch_prefix: str = "afina-preflight-",
) -> dict[str, Any]:
    """What a run of ``request`` would be, started nowhere: its run folder made in a scratch
    folder, ``measure(spec, run_dir)`` timing a few steps there (in this process for the CLI,
    in a child for the TUI), and the report with the recommended settings' reasons and the
    system prompt with where it came from. The CLI's dry run and the Train screen both show
    this report."""
    import tempfile

    from afina.engine.rag.system_prompt import prompt_source

    chosen = plan(ws, request)
    with tempfile.TemporaryDirectory(prefix=scratch_prefix) as scratch:
        run_dir, spec = create_run(ws, request, Path(scratch), chosen)
        report = measure(spec, run_dir)
    report["chosen"] = list(chosen.reasons)
    report["system_prompt"] = spec.system_prompt
    report["system_prompt_why"] = prompt_source(ws) if spec.system_prompt else ""
    return report


def start_training(
    ws: Workspace, request: TrainRequest = TrainRequest(), on: str | None = None
) -> Started:
    """Make a run and start its runner detached; it goes on when the caller ends. ``on``: the
    name of a GPU box (``afina remote add``) to run it on, over SSH."""
    if on is None:
        run_dir, spec = create_run(ws, request)
        return Started(run_dir, spec, jobs.start(run_dir))
    from afina.engine.launch.remote.hosts import get_host, known_hosts_file
    from afina.engine.launch.remote.ssh_launcher import SSHLauncher

    launcher = SSHLauncher(get_host(ws.root, on), known_hosts_file(ws.root))
    # The box is asked first (up? key? afina?), so a refusal makes no run at all.
    launcher.check_ready()
    run_dir, spec = create_run(ws, request)
    try:
        pid = jobs.start(run_dir, launcher=launcher)
    except BaseException:
        # no half-started run: a run here that never started there would be listed for ever,
        # and its pushed folder there would only take disk
        launcher.discard(run_dir)
        shutil.rmtree(run_dir, ignore_errors=True)
        raise
    return Started(run_dir, spec, pid)


def pull_run(
    ws: Workspace, run_id: str | None = None, with_checkpoints: bool = False
) -> tuple[Path, list[str]]:
    """Bring a remote run's adapter, metrics, events and log (and checkpoints) back into its
    run folder here, verified by hash; returns the run folder and what came back."""
    run_dir = jobs.find_run(ws, run_id)
    return run_dir, jobs.pull(run_dir, with_checkpoints)


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
