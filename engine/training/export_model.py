"""A run's result as a standalone model: a merged Hugging Face folder plus an Ollama Modelfile.

The adapter in ``runs/<id>/final`` (or a chosen checkpoint) is loaded onto the base model the
run trained, merged into its weights (``merge_and_unload``) and saved as safetensors with the
tokenizer and the generation config. A full fine-tune is saved as it is. The Modelfile's
template, default system prompt and stop tokens come from the tokenizer the run trained
with (see :mod:`afina.engine.training.ollama_template`).

The folder is written beside its destination and renamed into place, so a failed export
leaves nothing half-written; an existing folder is replaced only if it is empty or an
earlier afina export.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from afina.engine.errors import AfinaError, NotFound, UsageError
from afina.engine.training import checkpoints
from afina.engine.training.checkpoints import FINAL
from afina.engine.training.ollama_template import ChatFormat, derive
from afina.engine.training.runner import METRICS_FILE
from afina.engine.training.spec import RunSpec, read_spec

MARKER = "afina-export.json"
MODELFILE = "Modelfile"
DTYPES = ("float32", "bfloat16", "float16")
_PROMPT_LEARNING = {"PROMPT_TUNING", "PREFIX_TUNING", "P_TUNING", "MULTITASK_PROMPT_TUNING"}


@dataclass(frozen=True)
class ExportResult:
    out: Path
    run_id: str
    base_model: str
    method: str
    source: str  # "final" or "checkpoint-N"
    merged: bool  # an adapter merged into the base (False: a full fine-tune saved as is)
    dtype: str
    stop_tokens: tuple[str, ...]
    system: str | None  # the Modelfile's SYSTEM (the template's default), if any
    metrics: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["out"] = str(self.out)
        data["modelfile"] = str(self.out / MODELFILE)
        data["stop_tokens"] = list(self.stop_tokens)
        return data


def export_model(
    run_dir: Path,
    out: Path,
    checkpoint: int | None = None,
    dtype: str = "float32",
    say: Callable[[str], None] | None = None,
) -> ExportResult:
    """Merge the run's adapter (or a checkpoint's) into its base and write ``out``."""
    say = say or (lambda _msg: None)
    if dtype not in DTYPES:
        raise UsageError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    spec = read_spec(run_dir)
    src = source_folder(run_dir, checkpoint)
    out = out.expanduser().resolve()
    check_target(out)
    tokenizer = _tokenizer(run_dir, src, spec)
    chat = derive(tokenizer)  # before any heavy work: an untranslatable template fails fast
    stops = _stop_tokens(tokenizer)
    merged = _is_adapter(src)
    model = _load_merged(spec, src, say) if merged else _load_full(src, say)
    import torch

    model = model.to(getattr(torch, dtype))
    metrics = _metrics_summary(run_dir)
    result = ExportResult(
        out,
        spec.id,
        spec.settings.base_model,
        spec.settings.method,
        src.name,
        merged,
        dtype,
        tuple(tok for _, tok in stops),
        chat.default_system,
        metrics,
    )
    tmp = out.parent / f".{out.name}.afina-tmp"
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        say(f"saving the model to {out}")
        model.save_pretrained(str(tmp), safe_serialization=True)
        tokenizer.save_pretrained(str(tmp))
        _save_generation_config(model, tmp, [i for i, _ in stops])
        (tmp / MODELFILE).write_text(modelfile(result, chat), encoding="utf-8")
        marker = {
            "afina_export": 1,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            **result.to_json(),
        }
        (tmp / MARKER).write_text(json.dumps(marker, indent=2, default=str), encoding="utf-8")
        _replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


def source_folder(run_dir: Path, checkpoint: int | None) -> Path:
    """``final/``, or the complete checkpoint of step ``checkpoint``."""
    if checkpoint is not None:
        done = dict(checkpoints.complete(run_dir))
        if checkpoint not in done:
            steps = ", ".join(str(s) for s in done) or "none"
            raise NotFound(
                f"run {run_dir.name} has no complete checkpoint {checkpoint}",
                f"complete checkpoints: {steps}",
            )
        return done[checkpoint]
    final = run_dir / FINAL
    if not final.is_dir():
        steps = ", ".join(str(s) for s, _ in checkpoints.complete(run_dir))
        raise NotFound(
            f"run {run_dir.name} has no final model (it has not finished)",
            f"export a checkpoint with --checkpoint N (complete: {steps})"
            if steps
            else "`afina jobs` shows its state; `afina jobs resume` goes on with it",
        )
    return final


def check_target(out: Path) -> None:
    """Refuse a destination that holds anything but an earlier afina export."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise UsageError(f"{out} exists and is not a folder", "give a new folder to export to")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise UsageError(
            f"{out} is not empty and is not an earlier afina export; not overwriting it",
            "give a new or empty folder",
        )


def _is_adapter(src: Path) -> bool:
    if (src / "adapter_config.json").is_file():
        try:
            config = json.loads((src / "adapter_config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise AfinaError(f"{src}/adapter_config.json: cannot read ({e})") from e
        kind = str(config.get("peft_type", ""))
        if kind in _PROMPT_LEARNING:
            raise UsageError(
                f"a {kind.lower().replace('_', '-')} adapter has no weights to merge into "
                "the model",
                f"use the adapter folder {src} with PEFT on its base model",
            )
        if config.get("task_type") not in (None, "CAUSAL_LM"):
            raise UsageError(
                f"{src} holds a {config.get('task_type')} adapter; export-model writes chat "
                "models (causal LMs)"
            )
        return True
    if (src / "config.json").is_file():
        config = json.loads((src / "config.json").read_text(encoding="utf-8"))
        archs = config.get("architectures") or []
        if any(not str(a).endswith("ForCausalLM") for a in archs):
            raise UsageError(
                f"{src} holds a {', '.join(archs)}; export-model writes chat models (causal LMs)"
            )
        return False
    raise AfinaError(
        f"{src} holds neither an adapter (adapter_config.json) nor a model (config.json)"
    )


def _tokenizer(run_dir: Path, src: Path, spec: RunSpec) -> Any:
    """The tokenizer the run trained with: saved beside the result, else the base's."""
    from transformers import AutoTokenizer

    from afina.engine.models import load_tokenizer

    for folder in (src, run_dir / FINAL):
        if (folder / "tokenizer_config.json").is_file():
            return AutoTokenizer.from_pretrained(str(folder))
    return load_tokenizer(spec.settings.base_model)


def _stop_tokens(tokenizer: Any) -> list[tuple[int, str]]:
    from afina.engine.training.data import stop_token_ids

    ids = sorted(stop_token_ids(tokenizer))
    if not ids:
        raise AfinaError(
            "the tokenizer has no end-of-turn or end-of-sequence token to stop generation on"
        )
    return [(i, str(tokenizer.convert_ids_to_tokens(i))) for i in ids]


def _load_merged(spec: RunSpec, src: Path, say: Callable[[str], None]) -> Any:
    from peft import PeftModel

    from afina.engine.models import load_causal_lm

    say(f"loading the base model {spec.settings.base_model}")
    base = load_causal_lm(spec.settings.base_model)
    say(f"merging the adapter from {src.name}")
    model = PeftModel.from_pretrained(base, str(src))
    try:
        return model.merge_and_unload()
    except (AttributeError, NotImplementedError, ValueError) as e:
        raise UsageError(
            f"this adapter cannot be merged into the model: {e}",
            f"use the adapter folder {src} with PEFT on its base model",
        ) from e


def _load_full(src: Path, say: Callable[[str], None]) -> Any:
    import torch
    from transformers import AutoModelForCausalLM

    say(f"loading the fine-tuned model from {src.name}")
    return AutoModelForCausalLM.from_pretrained(str(src), dtype=torch.float32)


def _save_generation_config(model: Any, folder: Path, stop_ids: list[int]) -> None:
    """The model's generation config, stopping on every token the Modelfile stops on."""
    from transformers import GenerationConfig

    path = folder / "generation_config.json"
    gc = (
        GenerationConfig.from_pretrained(str(folder))
        if path.is_file()
        else GenerationConfig.from_model_config(model.config)
    )
    eos = gc.eos_token_id
    have = [eos] if isinstance(eos, int) else list(eos or [])
    wanted = have + [i for i in stop_ids if i not in have]
    gc.eos_token_id = wanted[0] if len(wanted) == 1 else wanted
    gc.save_pretrained(str(folder))


def _metrics_summary(run_dir: Path) -> dict[str, Any]:
    try:
        metrics = json.loads((run_dir / METRICS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(metrics, dict):
        return {}
    return {k: v for k, v in metrics.items() if not isinstance(v, (list, dict))}


def _replace(tmp: Path, out: Path) -> None:
    """Put ``tmp`` where ``out`` is: an empty folder is replaced by the rename itself; an
    earlier export is moved aside first and removed after."""
    if out.is_dir() and any(out.iterdir()):
        old = out.parent / f".{out.name}.afina-old"
        shutil.rmtree(old, ignore_errors=True)
        os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)


def _quote(text: str, what: str) -> str:
    if '"""' in text:
        raise AfinaError(f'the {what} contains """, which a Modelfile cannot quote')
    return f'"""{text}"""'


def modelfile(result: ExportResult, chat: ChatFormat) -> str:
    """An Ollama Modelfile for the folder it sits in."""
    lines = [
        f"# Ollama Modelfile written by afina for run {result.run_id}",
        f"# base model: {result.base_model}; method: {result.method}; from: {result.source}"
        + (" (merged)" if result.merged else ""),
        "# The template renders what the model's chat template rendered in training.",
        "# Import with: ollama create NAME -f Modelfile",
        "FROM .",
        f"TEMPLATE {_quote(chat.go_template(), 'chat template')}",
    ]
    if chat.default_system:
        lines.append(f"SYSTEM {_quote(chat.default_system, 'default system prompt')}")
    for token in result.stop_tokens:
        if '"' in token or "\n" in token or "\r" in token:
            raise AfinaError(f"the stop token {token!r} cannot be written in a Modelfile")
        lines.append(f'PARAMETER stop "{token}"')
    return "\n".join(lines) + "\n"
