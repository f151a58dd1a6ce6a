"""Plugin discovery through entry points: list names without importing, load one by name.

Built-in plugins register through the same entry-point groups as third-party ones, so a
plugin someone else publishes is a first-class citizen. A plugin that fails to import is
reported and skipped, never fatal for the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any, ClassVar, Literal

from afina.engine.errors import PluginError

KINDS: dict[str, str] = {
    "importer": "afina.importers",
    "trainer": "afina.trainers",
    "retriever": "afina.retrievers",
    "evaluator": "afina.evaluators",
}

OptionType = Literal["str", "int", "float", "bool", "choice"]


@dataclass(frozen=True)
class Option:
    """An option a plugin declares, so a UI can draw a form without knowing the plugin."""

    name: str
    type: OptionType
    default: Any
    help: str
    choices: tuple[str, ...] = field(default=())

    def parse(self, raw: Any) -> Any:
        """Turn a raw value (a CLI string or a TOML value) into this option's type."""
        try:
            if self.type == "bool":
                if isinstance(raw, bool):
                    return raw
                low = str(raw).strip().lower()
                if low in ("1", "true", "yes", "on"):
                    return True
                if low in ("0", "false", "no", "off"):
                    return False
                raise ValueError(raw)
            if self.type == "int":
                return int(raw)
            if self.type == "float":
                return float(raw)
            value = str(raw)
        except (TypeError, ValueError) as e:
            raise PluginError(f"option {self.name!r} expects a {self.type}, got {raw!r}") from e
        if self.type == "choice" and value not in self.choices:
            raise PluginError(
                f"option {self.name!r} must be one of {', '.join(self.choices)}; got {value!r}"
            )
        return value


class Plugin:
    """What every plugin declares. Subclassed by each kind's contract (e.g. ``Importer``)."""

    kind: ClassVar[str] = ""
    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    options: ClassVar[tuple[Option, ...]] = ()
    capabilities: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def resolve_options(cls, given: dict[str, Any] | None) -> dict[str, Any]:
        """Defaults overlaid with ``given``; an unknown name is an error listing the known ones."""
        given = dict(given or {})
        known = {o.name: o for o in cls.options}
        unknown = sorted(set(given) - set(known))
        if unknown:
            names = ", ".join(known) or "none"
            raise PluginError(
                f"{cls.kind} {cls.name!r} has no option {unknown[0]!r}", f"its options: {names}"
            )
        return {n: (o.parse(given[n]) if n in given else o.default) for n, o in known.items()}


@dataclass(frozen=True)
class PluginInfo:
    kind: str
    name: str
    target: str  # "module:attr", from the entry point, known without importing
    distribution: str | None


def _group(kind: str) -> list[EntryPoint]:
    if kind not in KINDS:
        raise PluginError(f"unknown plugin kind {kind!r}", f"kinds: {', '.join(KINDS)}")
    eps = entry_points(group=KINDS[kind])
    seen: dict[str, EntryPoint] = {}
    for ep in eps:
        seen.setdefault(ep.name, ep)  # the first distribution on sys.path wins a duplicate name
    return sorted(seen.values(), key=lambda e: e.name)


def list_plugins(kind: str) -> list[PluginInfo]:
    """Installed plugins of a kind, by name, without importing any of them."""
    return [
        PluginInfo(kind, ep.name, ep.value, ep.dist.name if ep.dist else None)
        for ep in _group(kind)
    ]


def load_plugin(kind: str, name: str) -> type[Plugin]:
    """The plugin class registered under ``name``; an unknown name lists the installed ones."""
    eps = {ep.name: ep for ep in _group(kind)}
    if name not in eps:
        raise PluginError(
            f"no {kind} named {name!r}", f"installed: {', '.join(sorted(eps)) or 'none'}"
        )
    try:
        cls = eps[name].load()
    except Exception as e:  # a broken plugin must not take the program down
        raise PluginError(f"{kind} {name!r} failed to load: {type(e).__name__}: {e}") from e
    if not (isinstance(cls, type) and issubclass(cls, Plugin)) or cls.kind != kind:
        raise PluginError(f"{kind} {name!r} ({eps[name].value}) is not an afina {kind} plugin")
    return cls


def load_all(kind: str) -> tuple[list[type[Plugin]], list[str]]:
    """Every plugin of a kind that loads, and one line for each that does not."""
    loaded: list[type[Plugin]] = []
    problems: list[str] = []
    for info in list_plugins(kind):
        try:
            loaded.append(load_plugin(kind, info.name))
        except PluginError as e:
            problems.append(str(e))
    return loaded, problems
