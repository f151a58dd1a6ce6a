"""`afina remote add|doctor|setup` against a real sshd on 127.0.0.1: host keys shown and
verified, what the box lacks said with its fix, afina installed there at this version."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from ssh_support import ALIAS, SSHServer, needs_sshd

from afina.engine.launch.remote.hosts import load_hosts, save_host
from afina.engine.launch.remote.ssh import Host
from afina.tui.cli import main

pytestmark = needs_sshd


def afina(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "w"]) == 0
    monkeypatch.chdir(tmp_path / "w")
    return tmp_path / "w"


def local_version() -> str:
    from importlib.metadata import version

    return version("afina")


def test_add_shows_the_fingerprint_then_doctor_says_afina_is_missing(
    sshd: SSHServer, ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workdir = str(tmp_path / "box")
    code, out, err = afina(
        capsys, "remote", "add", "gpu", ALIAS, "--accept-new", "--json",
        "--workdir", workdir, "--python", "/usr/bin/python3",
    )  # fmt: skip
    assert code == 0, err
    assert "SHA256:" in err and "--accept-new" in err
    added = json.loads(out)
    assert added["accepted"] and "SHA256:" in added["accepted"][0]
    assert load_hosts(ws) == {"gpu": Host("gpu", ALIAS, workdir, "/usr/bin/python3")}
    assert (ws / ".afina" / "known_hosts").read_text().strip()

    code, out, err = afina(capsys, "remote", "doctor", "gpu", "--json")
    assert code == 2, err
    report = json.loads(out)
    here = subprocess.run(["/usr/bin/python3", "--version"], capture_output=True, text=True)
    assert here.stdout.split()[-1] == report["python_version"]  # the box is this machine
    assert report["afina_version"] is None and report["local_version"] == local_version()
    assert report["gpus"] == [] and "no NVIDIA GPU found" in report["gpu_note"]
    assert report["torch"] is None or report["torch"]["cuda"] is False
    assert report["disk_free"] > 0 and report["mem_total"] > 0
    assert "Linux" in report["system"] and not report["usable"]
    missing = [p for p in report["problems"] if p["text"] == "afina is not installed there"]
    assert missing and missing[0]["blocking"] and "afina remote setup gpu" in missing[0]["fix"]

    code, out, _ = afina(capsys, "remote", "doctor", "gpu")
    assert code == 2
    assert "afina is not installed there: run `afina remote setup gpu`" in out
    assert "no NVIDIA GPU found" in out and "free in" in out


def test_an_unknown_key_is_refused_without_a_terminal(
    sshd: SSHServer, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = afina(capsys, "remote", "add", "gpu", ALIAS)
    assert code == 2
    assert "SHA256:" in err  # the fingerprint is shown to be checked
    assert "no terminal" in err and "--accept-new" in err
    assert load_hosts(ws) == {}
    assert not (ws / ".afina" / "known_hosts").exists()


def test_a_changed_key_is_refused_even_with_accept_new(
    sshd: SSHServer, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert afina(capsys, "remote", "add", "gpu", ALIAS, "--accept-new")[0] == 0
    known = (ws / ".afina" / "known_hosts").read_text()
    sshd.new_host_key()
    code, _, err = afina(capsys, "remote", "add", "gpu2", ALIAS, "--accept-new")
    assert code == 2 and "HAS CHANGED" in err
    assert (ws / ".afina" / "known_hosts").read_text() == known
    assert set(load_hosts(ws)) == {"gpu"}


def test_setup_without_venv_installs_this_version_beside_an_existing_python(
    sshd: SSHServer, ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workdir = tmp_path / "box"
    args = ("remote", "add", "gpu", ALIAS, "--accept-new", "--workdir", str(workdir))
    assert afina(capsys, *args)[0] == 0

    # A Python that is not there: one line, nothing installed, the host unchanged.
    code, _, err = afina(capsys, "remote", "setup", "gpu", "--no-venv", "--python", "/no/python")
    assert code == 2 and "no Python at `/no/python`" in err
    assert not (workdir / "lib").exists() and not (workdir / "bin").exists()

    # pip failing there (a broken wheel): one line, no half-installed library.
    bogus = tmp_path / "afina-0.0.1-py3-none-any.whl"
    bogus.write_bytes(b"not a zip")
    code, _, err = afina(
        capsys, "remote", "setup", "gpu", "--no-venv", "--python", sys.executable,
        "--wheel", str(bogus),
    )  # fmt: skip
    assert code == 2 and "installing afina failed" in err
    assert not (workdir / "lib").exists() and not list(workdir.glob(".lib-*"))
    assert load_hosts(ws)["gpu"].python == "python3"

    # The test's own interpreter has torch and the rest, like a conda image's.
    code, out, err = afina(
        capsys, "remote", "setup", "gpu", "--no-venv", "--python", sys.executable, "--json"
    )
    assert code == 0, err
    result = json.loads(out)
    wrapper = str(workdir.resolve() / "bin" / "python")
    assert result["python"] == wrapper and result["version"] == local_version()
    assert load_hosts(ws)["gpu"].python == wrapper
    assert (workdir / "lib" / "afina" / "engine" / "launch" / "remote" / "setup.py").is_file()
    assert not list(workdir.glob(".lib-*"))  # the install folder was renamed into place

    code, out, err = afina(capsys, "remote", "doctor", "gpu", "--json")
    report = json.loads(out)
    assert report["afina_version"] == local_version()
    # afina is imported from what setup installed, not from this checkout
    assert report["afina_at"].startswith(str(workdir.resolve() / "lib"))
    assert report["torch"] is not None and "wrapper" in report["python_kind"]
    assert code == (0 if report["usable"] else 2)
    assert not [p for p in report["problems"] if "afina" in p["text"]]


def test_a_host_that_is_down_is_one_line(
    sshd: SSHServer, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = afina(capsys, "remote", "add", "down", "downbox", "--accept-new")
    assert code == 2 and "cannot reach downbox" in err
    assert len([ln for ln in err.splitlines() if ln.startswith("error:")]) == 1
    assert load_hosts(ws) == {}

    save_host(ws, Host("down", "downbox"))
    code, out, err = afina(capsys, "remote", "doctor", "down")
    assert code == 2 and "cannot reach downbox" in err and out == ""
