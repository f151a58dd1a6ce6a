"""Files between a run folder here and its twin on the box.

rsync (``--checksum``: what is already there by hash is not sent again) through the same ssh
and options as every other call; where rsync is missing on either side, a tar stream over the
same link. Every argument is its own list item. What comes back is checked against the hashes
the box computed and put in place only whole: into a temporary folder inside the run folder
first, then renamed over the old copy.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import shutil
import subprocess
import tarfile
from collections.abc import Sequence
from pathlib import Path

from afina.engine.launch.remote.ssh import SSH, RemoteError

TIMEOUT = 3600.0  # a big data set or adapter on a slow link


def file_hashes(run_dir: Path, names: Sequence[str]) -> dict[str, str]:
    """sha256 of every plain file under each of ``names`` (files or folders) in ``run_dir``,
    keyed by its path relative to it."""
    found: dict[str, str] = {}
    for name in names:
        top = run_dir / name
        files = [top] if top.is_file() else sorted(top.rglob("*")) if top.is_dir() else []
        for path in files:
            if path.is_file() and not path.is_symlink():
                digest = hashlib.sha256()
                with path.open("rb") as f:
                    while block := f.read(1 << 20):
                        digest.update(block)
                found[path.relative_to(run_dir).as_posix()] = digest.hexdigest()
    return found


def _has_rsync(ssh: SSH) -> bool:
    if shutil.which("rsync") is None or "://" in ssh.host.destination:
        return False  # rsync's HOST:PATH has no room for an ssh:// URL's port
    return ssh.run(["sh", "-c", "command -v rsync"], timeout=60).returncode == 0


def _rsync(ssh: SSH, sources: list[str], dest: str, what: str) -> None:
    # -s: the remote paths reach the remote rsync as they are, never split by its shell
    argv = ["rsync", "-a", "--checksum", "-s", *ssh.rsync_args(), "--", *sources, dest]
    try:
        done = subprocess.run(argv, capture_output=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired as e:
        raise RemoteError(f"{ssh.host.name}: {what}: no progress in {TIMEOUT:.0f} s") from e
    if done.returncode != 0:
        raise _failed(ssh, what, done.stderr)


def _failed(ssh: SSH, what: str, stderr: bytes) -> RemoteError:
    lines = [ln for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    # rsync ends with its own summary ("rsync error: ... (code 11)"); the cause is above it
    cause = [ln for ln in lines if not ln.startswith("rsync error:")] or lines
    return RemoteError(
        f"{ssh.host.name}: {what} failed: {cause[-1].strip() if cause else 'no message'}",
        f"`afina remote doctor {ssh.host.name}` shows the box's free disk and what is missing",
    )


def push(ssh: SSH, run_dir: Path, remote: str, names: Sequence[str]) -> None:
    """Send ``names`` (files and folders of the run) into ``remote`` on the box."""
    ssh.check(["mkdir", "-p", "--", remote], "making the run folder")
    what = "sending the run"
    if _has_rsync(ssh):
        _rsync(ssh, [str(run_dir / n) for n in names], f"{ssh.host.destination}:{remote}/", what)
        return
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name in names:
            tar.add(run_dir / name, arcname=name)
    done = ssh.run(["tar", "x", "-f", "-", "-C", remote], input=buffer.getvalue(), timeout=TIMEOUT)
    if done.returncode != 0:
        raise _failed(ssh, what, done.stderr)


def pull(
    ssh: SSH, run_dir: Path, remote: str, names: Sequence[str], hashes: dict[str, str]
) -> list[str]:
    """Fetch ``names`` from ``remote`` into ``run_dir``, each checked against ``hashes`` (the
    box's sha256 of every file) before it replaces the local copy; returns the names fetched
    (those the box has)."""
    present = [n for n in names if any(k == n or k.startswith(n + "/") for k in hashes)]
    if not present:
        return []
    staging = run_dir / f".pull-{secrets.token_hex(4)}"
    staging.mkdir()
    try:
        what = "fetching the run"
        if _has_rsync(ssh):
            sources = [f"{ssh.host.destination}:{remote}/{n}" for n in present]
            _rsync(ssh, sources, f"{staging}/", what)
        else:
            done = ssh.run(["tar", "c", "-f", "-", "-C", remote, "--", *present], timeout=TIMEOUT)
            if done.returncode != 0:
                raise _failed(ssh, what, done.stderr)
            _untar(done.stdout, staging)
        got = file_hashes(staging, present)
        wrong = sorted(k for k, h in hashes.items() if got.get(k) != h)
        if wrong:
            raise RemoteError(
                f"{ssh.host.name}: {wrong[0]} arrived different from the box's copy "
                f"(sha256 mismatch{f', and {len(wrong) - 1} more' if len(wrong) > 1 else ''})",
                "nothing was replaced; pull again",
            )
        for name in present:
            dest, old = run_dir / name, staging / f".old-{name}"
            if dest.exists():
                os.replace(dest, old)
            os.replace(staging / name, dest)
        return present
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _untar(data: bytes, into: Path) -> None:
    """Only plain files and folders, each inside ``into``: the stream came from another box."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
        for member in tar.getmembers():
            target = (into / member.name).resolve()
            if not (member.isfile() or member.isdir()) or not target.is_relative_to(into.resolve()):
                raise RemoteError(f"refused {member.name!r} from the box: not a plain run file")
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            if source is not None:
                target.write_bytes(source.read())
