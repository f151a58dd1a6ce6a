"""Messages the Train screen's workers post to it.

Like the rest of the TUI, workers never touch widgets: they read runs and events in their own
thread and post one of these. A run's progress replaces an older progress of the same run
still waiting in the queue: each one holds the whole trace, so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.message import Message

from afina.engine.plugins import Plugin
from afina.engine.training.jobs import RunStatus
from afina.engine.training.trace import RunTrace


class RunsListed(Message):
    """The workspace's runs, oldest first."""

    def __init__(self, runs: Sequence[RunStatus]) -> None:
        super().__init__()
        self.runs = list(runs)


class RunProgress(Message):
    """The followed run as of its newest events."""

    def __init__(self, trace: RunTrace) -> None:
        super().__init__()
        self.trace = trace

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RunProgress) and message.trace.run_id == self.trace.run_id


class MethodLoaded(Message):
    """A training method's plugin (its declared options) and the values the form starts
    from: the defaults under the workspace's [train.options.<method>]."""

    def __init__(self, plugin: type[Plugin], values: dict[str, Any]) -> None:
        super().__init__()
        self.plugin = plugin
        self.values = values


class PreflightReady(Message):
    """What ``preflight.measure`` found for the form's settings."""

    def __init__(self, report: dict[str, Any]) -> None:
        super().__init__()
        self.report = report


class RunChanged(Message):
    """A run was started, stopped or resumed; ``note`` says what happened. ``follow``: the run
    to show now (a new or resumed one)."""

    def __init__(self, run_id: str, note: str, follow: bool = False) -> None:
        super().__init__()
        self.run_id = run_id
        self.note = note
        self.follow = follow
