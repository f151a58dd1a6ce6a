"""Where a training run executes: a launcher starts its runner, says whether it lives, stops
it and reads its events. Local process and `accelerate launch` today; an SSH launcher (a GPU
box) is one more module and one line in ``registry.LAUNCHERS``.

Light on purpose: the CLI imports this at start-up, and the runner imports ``pidfile``.
"""

from afina.engine.launch.base import Launcher
from afina.engine.launch.registry import get_launcher, launcher_for, launcher_names

__all__ = ["Launcher", "get_launcher", "launcher_for", "launcher_names"]
