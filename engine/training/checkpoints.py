"""Checkpoints that are complete or absent, never half-written.

The trainer writes each checkpoint into ``staging/``; only once it is whole does it get a
marker file (fsynced) and a rename into ``checkpoints/``, which is atomic on one filesystem.
A kill mid-write leaves a folder in staging that the next start throws away.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from afina.engine.training.faults import maybe_fail

STAGING = "staging"
CHECKPOINTS = "checkpoints"
MARKER = "afina-complete.json"
FINAL = "final"  # runs/<id>/final: the run's result (adapter or model, tokenizer ...)
_NAME = re.compile(r"^checkpoint-(\d+)$")


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as f:
                os.fsync(f.fileno())
    _fsync_dir(folder)


def promote(run_dir: Path, step: int) -> Path | None:
    """Move staging/checkpoint-<step> into checkpoints/ once its files are on disk."""
    src = run_dir / STAGING / f"checkpoint-{step}"
    if not src.is_dir():
        return None
    _fsync_tree(src)
    maybe_fail("disk-full-at-checkpoint", step)
    maybe_fail("kill-at-checkpoint", step)
    marker = src / MARKER
    marker.write_text(json.dumps({"step": step, "time": time.time()}))
    with marker.open("rb") as f:
        os.fsync(f.fileno())
    dest_root = run_dir / CHECKPOINTS
    dest_root.mkdir(exist_ok=True)
    dest = dest_root / src.name
    if dest.exists():  # the same step saved again after a resume: the new one replaces it
        _remove(dest)
    os.replace(src, dest)
    _fsync_dir(dest_root)
    return dest


def complete(run_dir: Path) -> list[tuple[int, Path]]:
    """Complete checkpoints, oldest first."""
    root = run_dir / CHECKPOINTS
    found = []
    for p in root.iterdir() if root.is_dir() else ():
        m = _NAME.match(p.name)
        if m and (p / MARKER).is_file():
            found.append((int(m.group(1)), p))
    return sorted(found)


def latest(run_dir: Path) -> Path | None:
    done = complete(run_dir)
    return done[-1][1] if done else None


def rotate(run_dir: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` complete checkpoints."""
    done = complete(run_dir)
    gone = [p for _, p in done[: max(0, len(done) - max(1, keep))]]
    for p in gone:
        _remove(p)
    return gone


def _remove(folder: Path) -> None:
    # The marker goes first: a kill during the removal leaves an incomplete folder that no
    # resume will pick, rather than a "complete" one with files missing.
    (folder / MARKER).unlink(missing_ok=True)
    shutil.rmtree(folder, ignore_errors=True)


def clear_staging(run_dir: Path) -> None:
    shutil.rmtree(run_dir / STAGING, ignore_errors=True)
    for p in (
        (run_dir / CHECKPOINTS).glob("checkpoint-*") if (run_dir / CHECKPOINTS).is_dir() else ()
    ):
        if not (p / MARKER).is_file():
            shutil.rmtree(p, ignore_errors=True)


def write_final(run_dir: Path, write: Callable[[Path], None]) -> Path:
    """The run's result, written like a checkpoint: ``write`` fills a temporary folder, which
    then replaces ``final/``, so a reader never finds it half-written."""
    final = run_dir / FINAL
    tmp = run_dir / (FINAL + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    write(tmp)
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    return final
