"""The runner under ``accelerate launch``: several processes (one per GPU by accelerate's own
default, or as a config file says), each training a shard; the lead one writes the events.

The processes share one process group, so stopping and liveness work as for a local run.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import replace
from pathlib import Path

from afina.engine.config import TrainSettings
from afina.engine.errors import UsageError
from afina.engine.launch.local import RUNNER_MODULE, LocalLauncher

CONFIG_STEM = "accelerate"


class AccelerateLauncher(LocalLauncher):
    name = "accelerate"
    description = "`accelerate launch` on this machine: one process per GPU, or as its config says"

    def carry(self, settings: TrainSettings, source: Path, run_dir: Path) -> TrainSettings:
        if not settings.accelerate_config:
            return settings
        src = Path(settings.accelerate_config).expanduser()
        src = src if src.is_absolute() else source / src
        if not src.is_file():
            raise UsageError(
                f"train.accelerate_config = {settings.accelerate_config!r}: no such file",
                "write one with `accelerate config --config_file FILE`, or leave it empty "
                "for one process per GPU",
            )
        name = CONFIG_STEM + (src.suffix or ".yaml")
        shutil.copyfile(src, run_dir / name)
        return replace(settings, accelerate_config=name)

    def command(self, run_dir: Path) -> list[str]:
        cmd = [sys.executable, "-m", "accelerate.commands.launch"]
        # carry() put the workspace's config file (if any) into the run under this stem.
        configs = sorted(run_dir.glob(CONFIG_STEM + ".*"))
        if configs:
            cmd += ["--config_file", str(configs[0])]
        return [*cmd, "-m", RUNNER_MODULE, str(run_dir)]
