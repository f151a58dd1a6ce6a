"""A real sshd on 127.0.0.1 for the remote tests: a throwaway host key and user key, and an
ssh_config (named by AFINA_SSH_CONFIG) whose alias points afina at it. Nothing touches the
person's own ~/.ssh."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SSHD = "/usr/sbin/sshd"
ALIAS = "gpubox"

needs_sshd = pytest.mark.skipif(
    not (os.path.exists(SSHD) and shutil.which("ssh") and os.geteuid() == 0),
    reason="needs openssh-server (scripts/test.sh installs it) and root",
)


@dataclass
class SSHServer:
    folder: Path
    port: int
    host_key: Path
    user_key: Path
    config: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)
        argv = [
            SSHD, "-D", "-e", "-f", "/dev/null", "-h", str(self.host_key), "-p", str(self.port),
            "-o", "ListenAddress=127.0.0.1",
            "-o", f"AuthorizedKeysFile={self.folder / 'authorized_keys'}",
            "-o", "PasswordAuthentication=no",
            "-o", "KbdInteractiveAuthentication=no",
            "-o", "PermitRootLogin=prohibit-password",
            "-o", "StrictModes=no",
            "-o", f"PidFile={self.folder / 'sshd.pid'}",
        ]  # fmt: skip
        log = (self.folder / "sshd.log").open("ab")
        self.proc = subprocess.Popen(argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError((self.folder / "sshd.log").read_text())

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def new_host_key(self) -> None:
        """Give the server a different host key (a reinstalled box, or a man in the middle)."""
        self.stop()
        self.host_key.unlink()
        self.host_key.with_suffix(".pub").unlink()
        _keygen(self.host_key)
        self.start()


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def sshd(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SSHServer]:
    folder = tmp_path_factory.mktemp("sshd")
    host_key, user_key = folder / "host_key", folder / "user_key"
    _keygen(host_key)
    _keygen(user_key)
    (folder / "authorized_keys").write_text(user_key.with_suffix(".pub").read_text())
    port = _free_port()
    config = folder / "ssh_config"
    config.write_text(
        f"Host {ALIAS}\n  HostName 127.0.0.1\n  Port {port}\n  User root\n"
        f"  IdentityFile {user_key}\n  IdentitiesOnly yes\n"
        f"Host downbox\n  HostName 127.0.0.1\n  Port {_free_port()}\n  User root\n"
        f"  IdentityFile {user_key}\n  IdentitiesOnly yes\n"
    )
    server = SSHServer(folder, port, host_key, user_key, config)
    server.start()
    monkeypatch.setenv("AFINA_SSH_CONFIG", str(config))
    try:
        yield server
    finally:
        server.stop()
