"""What a GPU box offers afina, seen over the link: its system, Python, afina, GPUs, what torch
makes of them, free disk and memory, and each problem with its fix.

Every probe is an argument list run through :class:`SSH`; the Python probe is one snippet
passed as a single argument to ``python -c``, so nothing the person typed is pasted into a
remote shell line.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from afina.engine.launch.remote.ssh import SSH, Host

# What afina itself needs there (pyproject's requires-python).
MIN_PYTHON = (3, 10)
# Below this much free disk in the workdir, a run (checkpoints, the venv) will not fit.
MIN_DISK_BYTES = 2 * 1024**3
# Below this much available memory, even the small models swap or get killed.
LOW_MEMORY_BYTES = 2 * 1024**3
# The shell's exit code for "command not found".
NOT_FOUND = 127

# Runs with the host's python: reports as JSON on its last line. Written for old Pythons too
# (no walrus, no f-string = specifiers), so an old interpreter still says its version.
PROBE = r"""
import json, platform, sys
r = {"python": platform.python_version(), "executable": sys.executable}
try:
    from importlib.metadata import version
    r["afina"] = version("afina")
    import afina.engine
    r["afina_at"] = afina.engine.__file__
except Exception as e:
    r["afina"] = None
    r["afina_error"] = "%s: %s" % (type(e).__name__, e)
try:
    import torch
    cuda = bool(torch.cuda.is_available())
    t = {"version": torch.__version__, "cuda": cuda, "devices": 0, "bf16": False, "names": []}
    if cuda:
        t["devices"] = torch.cuda.device_count()
        t["bf16"] = bool(torch.cuda.is_bf16_supported())
        t["names"] = [torch.cuda.get_device_name(i) for i in range(t["devices"])]
    r["torch"] = t
except Exception as e:
    r["torch"] = None
    r["torch_error"] = "%s: %s" % (type(e).__name__, e)
print(json.dumps(r))
"""


@dataclass(frozen=True)
class Problem:
    """Something missing or wrong there, what to do about it, and whether it stops training."""

    text: str
    fix: str
    blocking: bool = True


@dataclass(frozen=True)
class GPU:
    name: str
    memory: str
    driver: str


@dataclass
class DoctorReport:
    host: Host
    system: str = ""
    python_path: str = ""
    python_kind: str = ""
    python_version: str | None = None
    afina_version: str | None = None
    afina_at: str | None = None  # where it imports from there
    local_version: str = ""
    gpus: list[GPU] = field(default_factory=list)
    gpu_note: str = ""
    torch: dict[str, Any] | None = None
    torch_error: str | None = None
    disk_free: int | None = None
    disk_path: str = ""
    mem_total: int | None = None
    mem_available: int | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return not any(p.blocking for p in self.problems)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["usable"] = self.usable
        return data


def python_kind(host: Host) -> str:
    """Which interpreter ``host.python`` is: the venv ``afina remote setup`` made, its wrapper
    around an existing Python (``--no-venv``), or one the person named."""
    workdir = host.workdir.rstrip("/")
    if host.python.endswith(f"{workdir}/venv/bin/python"):
        return "the venv made by `afina remote setup`"
    if host.python.endswith(f"{workdir}/bin/python"):
        return "afina's wrapper around an existing Python (`afina remote setup --no-venv`)"
    return "the host's configured Python"


def examine(ssh: SSH, local_version: str) -> DoctorReport:
    """Probe the host behind ``ssh``. ssh's own failures (down, key refused) raise; what is
    missing there becomes a :class:`Problem` in the report."""
    host = ssh.host
    report = DoctorReport(host, python_path=host.python, python_kind=python_kind(host))
    report.local_version = local_version
    report.system = ssh.check(["uname", "-srm"], "uname").decode("utf-8", "replace").strip()
    _python(ssh, report)
    _gpus(ssh, report)
    _disk(ssh, report)
    _memory(ssh, report)
    return report


def _python(ssh: SSH, report: DoctorReport) -> None:
    host = ssh.host
    setup = f"afina remote setup {host.name}"
    done = ssh.run([host.python, "-c", PROBE], timeout=180)
    lines = done.stdout.decode("utf-8", "replace").strip().splitlines()
    if done.returncode == NOT_FOUND or not lines:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        report.problems.append(
            Problem(
                f"no Python at `{host.python}` there ({said[-1] if said else 'no output'})",
                "install Python 3.10 or newer there, or name one: "
                f"`afina remote add {host.name} {host.destination} --python PATH`",
            )
        )
        return
    try:
        facts = json.loads(lines[-1])
    except ValueError:
        report.problems.append(
            Problem(f"`{host.python}` there did not answer the probe: {lines[-1][:200]}", "")
        )
        return
    report.python_version = facts.get("python")
    version = tuple(int(p) for p in str(report.python_version).split(".")[:2] if p.isdigit())
    if version < MIN_PYTHON:
        report.problems.append(
            Problem(
                f"Python {report.python_version} there is older than afina needs (3.10)",
                f"name a newer one: `afina remote setup {host.name} --python PATH`",
            )
        )
    report.afina_version = facts.get("afina")
    report.afina_at = facts.get("afina_at")
    if report.afina_version is None:
        report.problems.append(Problem("afina is not installed there", f"run `{setup}`"))
    elif report.afina_version != report.local_version:
        report.problems.append(
            Problem(
                f"afina {report.afina_version} there, {report.local_version} here",
                f"run `{setup}` to install this version there",
            )
        )
    report.torch = facts.get("torch")
    report.torch_error = facts.get("torch_error")
    if report.torch is None:
        report.problems.append(
            Problem(f"torch is not usable there ({report.torch_error})", f"run `{setup}`")
        )


def _gpus(ssh: SSH, report: DoctorReport) -> None:
    query = ["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"]
    done = ssh.run(query)
    if done.returncode == NOT_FOUND:
        report.gpu_note = "no NVIDIA GPU found (no nvidia-smi); training runs on the CPU"
    elif done.returncode != 0:
        said = (done.stderr or done.stdout).decode("utf-8", "replace").strip().splitlines()
        report.gpu_note = f"nvidia-smi failed: {said[-1] if said else done.returncode}"
        report.problems.append(
            Problem(
                report.gpu_note,
                "the NVIDIA driver there is not working; ask whoever runs the box",
                blocking=False,
            )
        )
    else:
        for line in done.stdout.decode("utf-8", "replace").splitlines():
            parts = [p.strip() for p in line.split(",")]
            if len(parts) == 3:
                report.gpus.append(GPU(*parts))
        if not report.gpus:
            report.gpu_note = "nvidia-smi lists no GPU"
    torch = report.torch
    if report.gpus and torch is not None and not torch.get("cuda"):
        report.problems.append(
            Problem(
                f"torch {torch.get('version')} there cannot use the GPU (a CPU build, or a "
                "driver too old for its CUDA)",
                f"run `afina remote setup {ssh.host.name}` to install the CUDA build",
                blocking=False,
            )
        )


def _disk(ssh: SSH, report: DoctorReport) -> None:
    # The workdir may not exist before setup; then its filesystem is most likely the home's.
    for where in (ssh.host.workdir, "."):
        done = ssh.run(["df", "-Pk", where])
        rows = done.stdout.decode("utf-8", "replace").strip().splitlines()
        if done.returncode == 0 and len(rows) >= 2:
            fields = rows[-1].split()
            if len(fields) >= 4 and fields[3].isdigit():
                report.disk_free = int(fields[3]) * 1024
                report.disk_path = where
                break
    if report.disk_free is not None and report.disk_free < MIN_DISK_BYTES:
        report.problems.append(
            Problem(
                f"only {report.disk_free / 1024**3:.1f} GiB free in {report.disk_path} there",
                "free some space there, or choose another folder: "
                f"`afina remote add {ssh.host.name} {ssh.host.destination} --workdir PATH`",
            )
        )


def _memory(ssh: SSH, report: DoctorReport) -> None:
    done = ssh.run(["cat", "/proc/meminfo"])
    if done.returncode != 0:
        return  # not Linux; the report leaves memory out rather than guessing
    values: dict[str, int] = {}
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[key.strip()] = int(parts[0]) * 1024
    report.mem_total = values.get("MemTotal")
    report.mem_available = values.get("MemAvailable", values.get("MemFree"))
    if report.mem_available is not None and report.mem_available < LOW_MEMORY_BYTES:
        report.problems.append(
            Problem(
                f"only {report.mem_available / 1024**3:.1f} GiB of memory available there",
                "a small model and batch size, or stop what else runs there",
                blocking=False,
            )
        )
