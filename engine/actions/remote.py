"""GPU boxes over SSH: add one (verifying its host key), examine it, install afina there.

The CLI verbs `afina remote add|list|remove|doctor|setup` call these; the question "trust this
host key?" is the caller's ``confirm`` (a prompt, ``--accept-new``, or a refusal), so the
engine never reads a terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from afina.engine.errors import UsageError
from afina.engine.launch.remote.doctor import DoctorReport, examine, python_kind
from afina.engine.launch.remote.hosts import get_host, known_hosts_file, save_host
from afina.engine.launch.remote.setup import (
    install_beside,
    install_venv,
    installed_version,
    local_wheel,
    prepare_model,
)
from afina.engine.launch.remote.ssh import (
    SSH,
    Host,
    HostKeyError,
    RemoteError,
    ScannedKey,
    accept_host_key,
    scan_host_key,
)
from afina.engine.workspace import Workspace

Say = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def local_version() -> str:
    try:
        return version("afina")
    except PackageNotFoundError:  # running from a bare checkout on sys.path
        return "unknown"


def link(ws: Workspace, host: Host) -> SSH:
    return SSH(host, known_hosts_file(ws.root))


@dataclass(frozen=True)
class AddResult:
    host: Host
    fingerprints: tuple[str, ...] = ()  # shown and accepted now; empty when already trusted


def add_host(
    ws: Workspace,
    name: str,
    destination: str,
    confirm: Callable[[ScannedKey], bool],
    workdir: str | None = None,
    python: str | None = None,
) -> AddResult:
    """Save host ``name`` once it answers with a host key the person trusts. An unknown key is
    shown to ``confirm``; a changed key is refused (the HostKeyError goes up as it is)."""
    if not name or not name.replace("-", "").replace("_", "").isalnum():
        raise UsageError(f"{name!r} is not a host name", "use letters, digits, - and _")
    host = Host(name, destination)
    host = replace(host, workdir=workdir or host.workdir, python=python or host.python)
    ssh = link(ws, host)
    accepted: tuple[str, ...] = ()
    try:
        try:
            ssh.run(["true"])
        except HostKeyError as e:
            if "not known" not in e.message:
                raise
            key = scan_host_key(host)
            if not confirm(key):
                raise UsageError(
                    f"{name}: host key of {destination} not accepted; nothing saved"
                ) from None
            accept_host_key(key, known_hosts_file(ws.root))
            accepted = key.fingerprints
            ssh.run(["true"])  # the login itself, now that the key is known
    finally:
        ssh.close()
    save_host(ws.root, host)
    return AddResult(host, accepted)


def doctor(ws: Workspace, name: str) -> DoctorReport:
    """What host ``name`` offers and lacks for training, each lack with its fix."""
    ssh = link(ws, get_host(ws.root, name))
    try:
        return examine(ssh, local_version())
    finally:
        ssh.close()


@dataclass
class SetupResult:
    host: Host
    python: str
    version: str
    venv: bool
    model_at: str | None = None
    steps: list[str] = field(default_factory=list)


def setup(
    ws: Workspace,
    name: str,
    *,
    python: str | None = None,
    venv: bool = True,
    wheel: Path | None = None,
    model: bool = False,
    say: Say = _quiet,
) -> SetupResult:
    """Install this afina on host ``name`` (a venv in its workdir, or ``venv=False``: beside
    a Python that already has torch) and point the saved host at the new interpreter."""
    host = get_host(ws.root, name)
    base = python or host.python
    if python is None and python_kind(host) != "the host's configured Python":
        if not venv:
            # afina's own wrapper or venv as the base would wrap itself
            raise UsageError(
                f"{name}: which Python has torch there?",
                f"name it: `afina remote setup {name} --no-venv --python PATH`",
            )
        base = "python3"
    if wheel is not None and not wheel.is_file():
        raise UsageError(f"{wheel}: no such wheel")
    built = wheel or local_wheel(say)
    ssh = link(ws, host)
    try:
        installer = install_venv if venv else install_beside
        new_python = installer(ssh, base, built, say)
        got = installed_version(ssh, new_python)
        want = local_version()
        if got is None or (wheel is None and got != want):
            raise RemoteError(f"{name}: afina there reports {got or 'nothing'} after setup")
        saved = replace(host, python=new_python)
        save_host(ws.root, saved)
        model_at = None
        if model:
            model_at = prepare_model(ssh, new_python, ws.config.train.base_model, say)
    finally:
        ssh.close()
    return SetupResult(saved, new_python, got, venv, model_at)
