"""Fault injection for the reliability tests: ``AFINA_FAULT=<point>:<step>`` makes the runner
fail at that point the way real hardware would, so the tests can prove what survives.

Points: ``kill-at-checkpoint`` (SIGKILL with the checkpoint's files written but unmarked),
``disk-full-at-checkpoint`` (ENOSPC while saving), ``oom-at-step`` (out of memory in a step).
Unset in normal use; nothing here runs unless a test asks for it.
"""

from __future__ import annotations

import errno
import os
import signal

ENV = "AFINA_FAULT"


def maybe_fail(point: str, step: int) -> None:
    if os.environ.get(ENV) != f"{point}:{step}":
        return
    if point == "kill-at-checkpoint":
        os.kill(os.getpid(), signal.SIGKILL)
    if point == "disk-full-at-checkpoint":
        raise OSError(errno.ENOSPC, "No space left on device (injected)")
    if point == "oom-at-step":
        raise MemoryError("injected: out of memory")
