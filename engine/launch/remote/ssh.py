"""The link to a GPU box: the system's own OpenSSH client in subprocesses.

Using the person's ``ssh`` (not a Python SSH library) means their ``~/.ssh/config`` works as
it does in their terminal: aliases, jump hosts, the agent, hardware keys, certificates. Every
call shares one connection (``ControlMaster``), sends keep-alives, never asks for a password
(``BatchMode``) and always checks the host key (``StrictHostKeyChecking=yes``) against the
person's known hosts and afina's own list, the only one afina writes, after the person has
seen the fingerprint (:func:`scan_host_key`). Remote commands are argument lists quoted with
``shlex``, never strings pasted together.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from afina.engine.errors import AfinaError

# Tests (and people with a separate config for afina) point ssh at another config file.
CONFIG_ENV = "AFINA_SSH_CONFIG"
CONNECT_TIMEOUT = 10
# ssh exits 255 for its own failures; anything else is the remote command's exit code.
SSH_FAILED = 255


class RemoteError(AfinaError):
    """A host that cannot be reached or used: one line, and what to do."""

    exit_code = 2


class HostKeyError(RemoteError):
    """A host key that is unknown, or that changed since it was accepted."""


@dataclass(frozen=True)
class Host:
    """A GPU box as the person's ssh knows it.

    ``destination`` is what they would type after ``ssh`` (an alias from ``~/.ssh/config``,
    ``user@host``, ``ssh://user@host:2222``); ``workdir`` is where afina keeps its venv and
    runs there (relative paths are under the remote home); ``python`` runs afina there.
    """

    name: str
    destination: str
    workdir: str = "afina"
    python: str = "python3"

    def __post_init__(self) -> None:
        if not self.destination or self.destination.startswith("-"):
            # an option-looking destination would be read by ssh as an option
            raise RemoteError(f"{self.destination!r} is not an ssh destination")


def control_dir() -> Path:
    """A private folder for connection-sharing sockets. Short, because a socket path is
    limited to about 100 characters, and ssh's %C hash is appended."""
    folder = Path(tempfile.gettempdir()) / f"afina-ssh-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    if folder.stat().st_uid != os.getuid() or folder.stat().st_mode & 0o077:
        raise RemoteError(f"{folder} is not private to you", "remove it; afina makes a new one")
    return folder


def ssh_options(known_hosts: Path) -> list[str]:
    """The options every call uses: verified host keys, no prompts, one shared connection."""
    user_known = Path("~/.ssh/known_hosts").expanduser()
    options = [
        "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=yes",
        "-o", f"UserKnownHostsFile={_ssh_word(user_known)} {_ssh_word(known_hosts)}",
        "-o", "ControlMaster=auto",
        "-o", f"ControlPath={control_dir()}/%C",
        "-o", "ControlPersist=60",
        "-o", "ServerAliveInterval=15",
        "-o", "ServerAliveCountMax=4",
        "-o", f"ConnectTimeout={CONNECT_TIMEOUT}",
    ]  # fmt: skip
    config = os.environ.get(CONFIG_ENV)
    return (["-F", config] if config else []) + options


def _ssh_word(path: Path) -> str:
    # ssh's option parser splits on blanks and understands double quotes, not shell quoting
    text = str(path)
    return f'"{text}"' if any(c.isspace() for c in text) else text


class SSH:
    """Commands and files on one host, through the person's ssh."""

    def __init__(self, host: Host, known_hosts: Path) -> None:
        self.host = host
        self.known_hosts = known_hosts

    def command(self, argv: Sequence[str]) -> list[str]:
        """The local argv that runs ``argv`` on the host (each argument quoted for its shell)."""
        return [
            "ssh",
            *ssh_options(self.known_hosts),
            "--",
            self.host.destination,
            shlex.join(argv),
        ]

    def run(
        self, argv: Sequence[str], *, input: bytes | None = None, timeout: float | None = 120
    ) -> subprocess.CompletedProcess[bytes]:
        """Run ``argv`` there; ssh's own failures become a RemoteError, the command's exit
        code is left to the caller."""
        try:
            done = subprocess.run(
                self.command(argv), input=input, capture_output=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired as e:
            raise RemoteError(
                f"{self.host.name}: no answer in {timeout:.0f} s", "is the host up? try again"
            ) from e
        if done.returncode == SSH_FAILED:
            raise explain(self.host, done.stderr.decode("utf-8", "replace"))
        return done

    def check(self, argv: Sequence[str], what: str, timeout: float | None = 120) -> bytes:
        """Run ``argv`` there and return its output; a failure is one line saying ``what``."""
        done = self.run(argv, timeout=timeout)
        if done.returncode != 0:
            last = (done.stderr or done.stdout).decode("utf-8", "replace").strip().splitlines()
            raise RemoteError(f"{self.host.name}: {what} failed: {last[-1] if last else ''}")
        return done.stdout

    def rsync_args(self) -> list[str]:
        """``-e`` for rsync: the same ssh, the same options."""
        return ["-e", shlex.join(["ssh", *ssh_options(self.known_hosts)])]

    def close(self) -> None:
        """End the shared connection (a later call opens a new one)."""
        subprocess.run(
            ["ssh", *ssh_options(self.known_hosts), "-O", "exit", "--", self.host.destination],
            capture_output=True,
            timeout=CONNECT_TIMEOUT,
            check=False,
        )


def explain(host: Host, stderr: str) -> RemoteError:
    """ssh's own failure as one line with what to do."""
    text = stderr.strip()
    name = host.name
    if "REMOTE HOST IDENTIFICATION HAS CHANGED" in text or "Host key for" in text:
        return HostKeyError(
            f"{name}: THE HOST KEY OF {host.destination} HAS CHANGED since it was accepted; "
            "someone may be intercepting the connection, or the box was reinstalled",
            "ask whoever runs the box for its new fingerprint, then remove the old key "
            f"(ssh-keygen -R HOST) and run `afina remote add {name} {host.destination}` again",
        )
    if "Host key verification failed" in text or "No ED25519 host key is known" in text:
        return HostKeyError(
            f"{name}: the host key of {host.destination} is not known",
            f"run `afina remote add {name} {host.destination}` to see its fingerprint, then "
            "accept it",
        )
    if "Permission denied" in text:
        return RemoteError(
            f"{name}: {host.destination} refused the login ({_last(text)})",
            "afina logs in with your ssh keys and agent, never a password: check that "
            f"`ssh {host.destination} true` works without a prompt",
        )
    if any(s in text for s in ("Could not resolve", "Connection refused", "timed out", "No route")):
        return RemoteError(
            f"{name}: cannot reach {host.destination} ({_last(text)})",
            "is the box up and the address right? `ssh -v` shows where it stops",
        )
    return RemoteError(f"{name}: ssh failed: {_last(text) or 'no message'}")


def _last(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("Warning:")]
    return lines[-1].strip().rstrip(".") if lines else ""


@dataclass(frozen=True)
class ScannedKey:
    """A host key seen for the first time: the known_hosts lines, and their fingerprints."""

    lines: tuple[str, ...]
    fingerprints: tuple[str, ...]


def scan_host_key(host: Host) -> ScannedKey:
    """The host's keys, fetched by the person's own ssh (so jump hosts and aliases work) into
    a throwaway known_hosts file; nothing is trusted until :func:`accept_host_key`."""
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp) / "known_hosts"
        scratch.touch()
        config = os.environ.get(CONFIG_ENV)
        argv = [
            "ssh", *(["-F", config] if config else []),
            "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=accept-new",
            "-o", f"UserKnownHostsFile={_ssh_word(scratch)}",
            "-o", "ControlMaster=no",
            "-o", f"ConnectTimeout={CONNECT_TIMEOUT}",
            "--", host.destination, "true",
        ]  # fmt: skip
        done = subprocess.run(argv, capture_output=True, timeout=60, check=False)
        lines = tuple(ln for ln in scratch.read_text().splitlines() if ln.strip())
        if not lines:
            raise explain(host, done.stderr.decode("utf-8", "replace"))
        prints = subprocess.run(
            ["ssh-keygen", "-l", "-f", str(scratch)], capture_output=True, text=True, check=False
        ).stdout.splitlines()
    return ScannedKey(lines, tuple(p.strip() for p in prints if p.strip()))


def accept_host_key(key: ScannedKey, known_hosts: Path) -> None:
    """Add the scanned key lines to afina's own known_hosts (the person's file is left alone)."""
    known_hosts.parent.mkdir(parents=True, exist_ok=True)
    present = set(known_hosts.read_text().splitlines()) if known_hosts.exists() else set()
    with known_hosts.open("a", encoding="utf-8") as f:
        for line in key.lines:
            if line not in present:
                f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())
    known_hosts.chmod(0o600)
