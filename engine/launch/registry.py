"""Launchers by name (``train.launcher``), and which one started a given run.

A new launcher is a module with a ``Launcher`` subclass and one line in ``LAUNCHERS``.
"""

from __future__ import annotations

import json
from pathlib import Path

from afina.engine.errors import UsageError
from afina.engine.launch.accelerate_launch import AccelerateLauncher
from afina.engine.launch.base import Launcher
from afina.engine.launch.local import LocalLauncher
from afina.engine.paths import write_atomic

LAUNCHERS: dict[str, type[Launcher]] = {
    LocalLauncher.name: LocalLauncher,
    AccelerateLauncher.name: AccelerateLauncher,
}
LAUNCH_FILE = "launch.json"
DEFAULT = LocalLauncher.name


def launcher_names() -> list[str]:
    return sorted(LAUNCHERS)


def get_launcher(name: str) -> Launcher:
    try:
        return LAUNCHERS[name]()
    except KeyError:
        raise UsageError(
            f"train.launcher = {name!r}: no such launcher",
            "known launchers: " + ", ".join(launcher_names()),
        ) from None


def record_launcher(run_dir: Path, launcher: Launcher) -> None:
    """Say in the run folder which launcher started the run, so that its status, stop and
    resume ask the same one."""
    write_atomic(run_dir / LAUNCH_FILE, json.dumps({"launcher": launcher.name}) + "\n")


def recorded_launcher(run_dir: Path) -> str | None:
    try:
        name = json.loads((run_dir / LAUNCH_FILE).read_text(encoding="utf-8"))["launcher"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return str(name)


def launcher_for(run_dir: Path) -> Launcher:
    """The launcher that started this run. A run never started, or started before runs
    recorded it, is asked locally: its runner writes its own pid file either way."""
    return get_launcher(recorded_launcher(run_dir) or DEFAULT)
