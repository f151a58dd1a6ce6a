"""Launchers by name (``train.launcher``), and which one started a given run.

A new launcher is a module with a ``Launcher`` subclass and one line in ``LAUNCHERS`` (or in
``REMOTE`` for one that needs a host, chosen with ``afina train --on NAME``, never by the
``train.launcher`` setting).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from afina.engine.errors import UsageError
from afina.engine.launch.accelerate_launch import AccelerateLauncher
from afina.engine.launch.base import Launcher
from afina.engine.launch.local import LocalLauncher
from afina.engine.launch.remote.ssh_launcher import SSHLauncher
from afina.engine.paths import write_atomic

LAUNCHERS: dict[str, type[Launcher]] = {
    LocalLauncher.name: LocalLauncher,
    AccelerateLauncher.name: AccelerateLauncher,
}
# Launchers that need a host to be made: launch.json records it, launcher_for rebuilds them.
REMOTE: dict[str, type[Launcher]] = {SSHLauncher.name: SSHLauncher}
LAUNCH_FILE = "launch.json"
DEFAULT = LocalLauncher.name


def launcher_names() -> list[str]:
    return sorted(LAUNCHERS)


def get_launcher(name: str) -> Launcher:
    if name in REMOTE:
        raise UsageError(
            f"train.launcher = {name!r} needs a host", "train there with `afina train --on NAME`"
        )
    try:
        return LAUNCHERS[name]()
    except KeyError:
        raise UsageError(
            f"train.launcher = {name!r}: no such launcher",
            "known launchers: " + ", ".join(launcher_names()),
        ) from None


def record_launcher(run_dir: Path, launcher: Launcher) -> None:
    """Say in the run folder which launcher started the run (and, for a remote one, its
    host), so that its status, stop and resume ask the same one."""
    record = {"launcher": launcher.name, **launcher.record()}
    write_atomic(run_dir / LAUNCH_FILE, json.dumps(record) + "\n")


def _record(run_dir: Path) -> dict[str, Any]:
    try:
        record = json.loads((run_dir / LAUNCH_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) and "launcher" in record else {}


def recorded_launcher(run_dir: Path) -> str | None:
    name = _record(run_dir).get("launcher")
    return None if name is None else str(name)


def launcher_for(run_dir: Path) -> Launcher:
    """The launcher that started this run. A run never started, or started before runs
    recorded it, is asked locally: its runner writes its own pid file either way."""
    record = _record(run_dir)
    name = str(record.get("launcher") or DEFAULT)
    if name in REMOTE:
        return REMOTE[name].rebuild(record, run_dir)
    return get_launcher(name)
