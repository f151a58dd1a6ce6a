"""A workspace folder: afina.toml, .afina/afina.db, runs/, indexes/, exports/."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from afina.engine.config import DEFAULT_TOML, Config, WorkspaceSettings, load_config
from afina.engine.errors import WorkspaceError
from afina.engine.paths import write_atomic
from afina.engine.store import Store

CONFIG_NAME = "afina.toml"
STATE_DIR = ".afina"
SUBDIRS = ("runs", "indexes", "exports")


@dataclass(frozen=True)
class Workspace:
    root: Path
    config: Config

    @property
    def db_path(self) -> Path:
        return self.root / STATE_DIR / "afina.db"

    @property
    def log_dir(self) -> Path:
        return self.root / STATE_DIR / "logs"

    def open_store(self) -> Store:
        return Store(self.db_path)

    def scrub_allow(self, extra: Iterable[str] = ()) -> tuple[str, ...]:
        """The values the personal-data scrubber leaves alone: afina.toml's ``[curate]
        pii_allow``, the business's ``[workspace] name``, then ``extra``, each once. Every path
        that scrubs (extraction, edits, export, a run's data) asks here, so none can forget the
        workspace's own values."""
        name = self.config.workspace.name.strip()
        return tuple(
            dict.fromkeys((*self.config.curate.pii_allow, *([name] if name else []), *extra))
        )


def init_workspace(root: Path, name: str = "") -> tuple[Workspace, bool]:
    """Make (or complete) a workspace at ``root``; returns it and whether it was new.
    ``name``, the business the assistant answers for, goes into a new afina.toml's
    ``[workspace] name``; an existing afina.toml is never rewritten."""
    root = root.expanduser().resolve()
    if root.exists() and not root.is_dir():
        raise WorkspaceError(f"{root} exists and is not a folder")
    config_path = root / CONFIG_NAME
    created = not config_path.exists()
    name = " ".join(name.split())
    if name and not created:
        raise WorkspaceError(
            f"{root} is already a workspace; its name is [workspace] name in {config_path}"
        )
    try:
        for sub in (STATE_DIR, *SUBDIRS):
            (root / sub).mkdir(parents=True, exist_ok=True)
        if created:
            write_atomic(config_path, default_toml(name))
    except OSError as e:
        raise WorkspaceError(f"cannot make a workspace at {root}: {e.strerror}") from e
    ws = Workspace(root, load_config(config_path))
    ws.open_store().close()  # creates and migrates the database now, not on first use
    return ws, created


def default_toml(name: str = "") -> str:
    """A new afina.toml, with ``name`` as the workspace's name when one is given."""
    if not name:
        return DEFAULT_TOML
    default = f'name = "{WorkspaceSettings().name}"'
    # A JSON string is a valid TOML basic string (same escapes), accents kept as they are.
    return DEFAULT_TOML.replace(default, f"name = {json.dumps(name, ensure_ascii=False)}", 1)


def find_workspace(start: Path | None = None) -> Workspace:
    """The workspace holding ``start`` (default: the current folder), searching upward."""
    here = (start or Path.cwd()).expanduser().resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file() and (folder / STATE_DIR).is_dir():
            return Workspace(folder, load_config(folder / CONFIG_NAME))
    raise WorkspaceError(
        f"no afina workspace at {here} or above it",
        "run `afina init` to make one, or pass --workspace DIR",
    )


def open_workspace(path: Path) -> Workspace:
    """The workspace at exactly ``path`` (for --workspace)."""
    root = path.expanduser().resolve()
    if not (root / CONFIG_NAME).is_file():
        raise WorkspaceError(
            f"{root} is not an afina workspace (no {CONFIG_NAME})", "run `afina init DIR`"
        )
    return Workspace(root, load_config(root / CONFIG_NAME))
