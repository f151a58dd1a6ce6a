"""The GPU boxes a workspace knows: ``.afina/remotes.json`` (names, ssh destinations, remote
folders and interpreters; never a password or a key), and afina's own known_hosts beside it.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from afina.engine.errors import NotFound, UsageError
from afina.engine.launch.remote.ssh import Host
from afina.engine.paths import write_atomic

HOSTS_FILE = "remotes.json"
KNOWN_HOSTS = "known_hosts"


def state_dir(workspace_root: Path) -> Path:
    return workspace_root / ".afina"


def known_hosts_file(workspace_root: Path) -> Path:
    """The host keys the person accepted through ``afina remote add`` for this workspace."""
    return state_dir(workspace_root) / KNOWN_HOSTS


def load_hosts(workspace_root: Path) -> dict[str, Host]:
    path = state_dir(workspace_root) / HOSTS_FILE
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {name: Host(**fields) for name, fields in raw.items()}
    except (ValueError, TypeError) as e:
        raise UsageError(
            f"{path}: not a hosts file afina wrote ({e})", "remove it and add the hosts again"
        ) from e


def save_host(workspace_root: Path, host: Host) -> None:
    hosts = load_hosts(workspace_root)
    hosts[host.name] = host
    text = json.dumps({n: asdict(h) for n, h in sorted(hosts.items())}, indent=2) + "\n"
    write_atomic(state_dir(workspace_root) / HOSTS_FILE, text)


def remove_host(workspace_root: Path, name: str) -> Host:
    hosts = load_hosts(workspace_root)
    host = get_host(workspace_root, name)
    del hosts[name]
    text = json.dumps({n: asdict(h) for n, h in sorted(hosts.items())}, indent=2) + "\n"
    write_atomic(state_dir(workspace_root) / HOSTS_FILE, text)
    return host


def get_host(workspace_root: Path, name: str) -> Host:
    hosts = load_hosts(workspace_root)
    if name not in hosts:
        known = ", ".join(sorted(hosts)) or "none yet"
        raise NotFound(
            f"no remote host named {name!r} (known: {known})",
            f"add it with `afina remote add {name} DESTINATION`",
        )
    return hosts[name]
