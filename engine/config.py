"""afina.toml: typed, validated workspace settings. An unknown key is an error that names it."""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from afina.engine.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class WorkspaceSettings:
    name: str = "my-assistant"


@dataclass(frozen=True)
class ImportSettings:
    max_zip_member_mib: int = 2048
    # Per-importer option defaults, e.g. {"whatsapp": {"date_order": "dmy"}}; checked against
    # each importer's declared options when it runs.
    options: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class CurateSettings:
    # Values the personal-data scrubber leaves alone: the business's own phone, e-mail...
    pii_allow: tuple[str, ...] = ()
    # Options per cleaning rule, e.g. {"language": {"allowed": ["pt", "en"]}}; checked
    # against the rules' declared options when curation runs.
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    workspace: WorkspaceSettings = field(default_factory=WorkspaceSettings)
    import_: ImportSettings = field(default_factory=ImportSettings)
    curate: CurateSettings = field(default_factory=CurateSettings)


# TOML names that are Python keywords get a trailing underscore in the dataclasses.
_TOML_NAME = {"import_": "import"}

DEFAULT_TOML = """\
# afina workspace settings. Every key is checked: a key afina does not know is an error.

[workspace]
# A name for the assistant this workspace builds; the TUI shows it.
name = "my-assistant"

[import]
# Largest file accepted inside a zip archive, in MiB. A bigger member, or one that expands
# more than 200x its compressed size, is refused as a possible zip bomb.
max_zip_member_mib = 2048

# Default options per importer (`afina plugins --verbose` lists each importer's options);
# `afina import --option KEY=VALUE` overrides them for one run. For example:
# [import.options.whatsapp]
# date_order = "dmy"
# [import.options.csv]
# text = "message"
# speaker = "author"

[curate]
# Values the personal-data scrubber leaves alone, such as the business's own phone number
# and e-mail, which the assistant should learn: ["(48) 3000-5821", "support@example.com"].
pii_allow = []

# Options for the cleaning rules `afina curate` runs, one table per rule (normalize,
# placeholders, urls, templates, trivial, length, language); `enabled = false` turns one off:
# [curate.rules.language]
# allowed = ["pt", "en"]
# [curate.rules.urls]
# mode = "replace"
"""


def parse_config(text: str, origin: str = "afina.toml") -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{origin}: not valid TOML: {e}") from e
    return _build(Config, data, origin, "")


def load_config(path: Path) -> Config:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read ({e.strerror})") from e
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text") from e
    return parse_config(text, str(path))


def _build(cls: type, table: Any, origin: str, prefix: str) -> Any:
    if not isinstance(table, dict):
        raise ConfigError(f"{origin}: [{prefix}] must be a table")
    hints = get_type_hints(cls)
    by_toml = {_TOML_NAME.get(f.name, f.name): f for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, raw in table.items():
        dotted = f"{prefix}.{key}" if prefix else key
        if key not in by_toml:
            known = ", ".join(sorted(by_toml))
            raise ConfigError(f"{origin}: unknown key '{dotted}'", f"known here: {known}")
        f = by_toml[key]
        values[f.name] = _value(hints[f.name], raw, origin, dotted)
    return cls(**values)


_EXPECTED: dict[Any, type | tuple[type, ...]] = {
    str: str,
    int: int,
    float: (int, float),
    bool: bool,
}
_KIND = {str: "text", int: "a whole number", float: "a number", bool: "true or false"}


def _value(hint: Any, raw: Any, origin: str, dotted: str) -> Any:
    if dataclasses.is_dataclass(hint):
        return _build(hint, raw, origin, dotted)  # type: ignore[arg-type]
    origin_type = getattr(hint, "__origin__", hint)
    if origin_type is tuple:
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            raise ConfigError(f"{origin}: '{dotted}' must be a list of text values")
        return tuple(raw)
    if origin_type is dict:
        if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
            raise ConfigError(f"{origin}: '{dotted}' must hold one table per name")
        return raw
    expected = _EXPECTED[origin_type]
    # bool is an int in Python, but `true` is not a valid size in a config file.
    if not isinstance(raw, expected) or (origin_type is not bool and isinstance(raw, bool)):
        raise ConfigError(f"{origin}: '{dotted}' must be {_KIND[origin_type]}, got {raw!r}")
    if isinstance(raw, (int, float)) and raw < 0:
        raise ConfigError(f"{origin}: '{dotted}' must not be negative, got {raw}")
    return raw
