"""The SSH link against a real sshd on 127.0.0.1: host keys always verified, quoted commands,
and ssh's own failures as one line with what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from ssh_support import ALIAS, SSHServer, needs_sshd

from afina.engine.launch.remote.ssh import (
    SSH,
    Host,
    HostKeyError,
    RemoteError,
    accept_host_key,
    scan_host_key,
)

pytestmark = needs_sshd


def test_an_unknown_host_is_refused_until_its_fingerprint_is_accepted(
    sshd: SSHServer, tmp_path: Path
) -> None:
    known = tmp_path / "known_hosts"
    link = SSH(Host("box", ALIAS), known)
    with pytest.raises(HostKeyError, match="not known"):
        link.run(["true"])
    key = scan_host_key(Host("box", ALIAS))
    assert key.fingerprints and "SHA256:" in key.fingerprints[0]
    assert not known.exists()  # scanning trusts nothing
    accept_host_key(key, known)
    assert link.run(["echo", "hi"]).stdout == b"hi\n"


def test_arguments_reach_the_remote_command_as_they_are(sshd: SSHServer, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    accept_host_key(scan_host_key(Host("box", ALIAS)), known)
    link = SSH(Host("box", ALIAS), known)
    tricky = "a b; touch /tmp/afina-pwned $(id) `id` 'q' \"d\""
    assert link.run(["printf", "%s", tricky]).stdout.decode() == tricky
    assert not Path("/tmp/afina-pwned").exists()


def test_a_changed_host_key_is_refused_loudly(sshd: SSHServer, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    accept_host_key(scan_host_key(Host("box", ALIAS)), known)
    link = SSH(Host("box", ALIAS), known)
    link.run(["true"])
    link.close()
    sshd.new_host_key()
    with pytest.raises(HostKeyError, match="HAS CHANGED") as e:
        link.run(["true"])
    assert "ssh-keygen -R" in str(e.value.hint)


def test_a_host_that_is_down_is_one_line(sshd: SSHServer, tmp_path: Path) -> None:
    with pytest.raises(RemoteError, match="cannot reach downbox"):
        scan_host_key(Host("down", "downbox"))


def test_an_option_is_not_a_destination() -> None:
    with pytest.raises(RemoteError):
        Host("x", "-oProxyCommand=touch /tmp/x")
