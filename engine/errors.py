"""Every failure a person can see is an AfinaError: one line, and a hint where it helps."""

from __future__ import annotations


class AfinaError(Exception):
    """A user-facing failure: the CLI prints ``message`` and ``hint``, exits with ``exit_code``."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class ConfigError(AfinaError):
    """afina.toml is missing a value, has a wrong one or has a key afina does not know."""

    exit_code = 2


class InvalidSetting(ConfigError):
    """A setting with a value outside what it allows. ``key`` is its dotted name (train.epochs);
    a caller that knows where the value came from (afina.toml, a spec file, a --set) says so
    with :meth:`at`."""

    def __init__(
        self, key: str, problem: str, hint: str | None = None, where: str | None = None
    ) -> None:
        said = f"'{key}' {problem}"
        super().__init__(f"{where}: {said}" if where else said, hint)
        self.key = key
        self.problem = problem

    def at(self, where: str) -> InvalidSetting:
        """The same failure, said to come from ``where``."""
        return InvalidSetting(self.key, self.problem, self.hint, where)


class WorkspaceError(AfinaError):
    """No workspace where one was expected, or one that cannot be opened."""

    exit_code = 2


class InputRefused(AfinaError):
    """An input cannot be imported; the message names the file, the place and what was expected."""

    exit_code = 2

    def __init__(self, path: str, place: str | None, problem: str, hint: str | None = None) -> None:
        where = f"{path}: {place}" if place else path
        super().__init__(f"{where}: {problem}", hint)
        self.path = path
        self.place = place
        self.problem = problem


class ParseError(AfinaError):
    """A file an importer recognised but cannot read: the place, and what was expected.

    Importers do not know the display path of what they read; the import run adds it and
    turns this into :class:`InputRefused`.
    """

    exit_code = 2

    def __init__(self, place: str, problem: str) -> None:
        super().__init__(f"{place}: {problem}")
        self.place = place
        self.problem = problem


class PluginError(AfinaError):
    """A plugin name that is not installed, or a plugin that fails to load."""

    exit_code = 2


class NotFound(AfinaError):
    """An id (source, conversation, run) that the workspace does not have."""

    exit_code = 2


class UsageError(AfinaError):
    """A command asked for something it cannot do as given (a missing target, a bad value)."""

    exit_code = 2


class WorkspaceBusy(WorkspaceError):
    """Another afina process held the workspace database for longer than a command waits;
    the message says what it is doing where that process left a note (an import does)."""


class WorkspaceDamaged(WorkspaceError):
    """The workspace database is corrupt (a disk or copy went wrong); the hint says how to
    recover what it still holds."""
