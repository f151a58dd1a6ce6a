"""What the machine can do, and the training settings that suit it.

On a CPU, bf16 autocast only pays where the cores have AMX tiles; elsewhere it is emulated and
slower than fp32, and gradient checkpointing trades a second forward pass for memory a small
model does not need. TRL's defaults (bf16 on, checkpointing on) measured ~18x slower here.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from afina.engine.errors import ConfigError


@dataclass(frozen=True)
class Hardware:
    device: str  # "cuda" or "cpu"
    name: str
    cores: int
    memory_gib: float  # GPU memory on CUDA, RAM otherwise
    bf16: bool  # fast bf16 (CUDA compute >= 8.0, or AMX on a CPU)
    fp16: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _ram_gib() -> float:
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        return round(pages / 2**30, 1)
    except (ValueError, OSError):
        return 0.0


def detect() -> Hardware:
    import torch

    cores = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        return Hardware(
            "cuda",
            props.name,
            cores,
            round(props.total_memory / 2**30, 1),
            bf16=torch.cuda.is_bf16_supported(),
            fp16=True,
        )
    flags = _cpu_flags()
    return Hardware("cpu", "CPU", cores, _ram_gib(), bf16="amx_bf16" in flags, fp16=False)


@dataclass(frozen=True)
class Choices:
    precision: str  # fp32, bf16, fp16
    gradient_checkpointing: bool
    why: str


def choose(hw: Hardware, precision: str, checkpointing: str, params: int) -> Choices:
    """Resolve "auto" settings for this hardware; an explicit setting the hardware cannot do
    is an error, not a silent downgrade."""
    reasons = []
    if precision == "auto":
        precision = "bf16" if hw.bf16 else ("fp16" if hw.device == "cuda" else "fp32")
        reasons.append(
            f"{precision}: "
            + (
                "fast on this hardware"
                if precision != "fp32"
                else "this CPU has no AMX, so bf16 would be emulated and slower"
            )
        )
    elif precision not in ("fp32", "bf16", "fp16"):
        raise ConfigError(f"train.precision must be auto, fp32, bf16 or fp16, got {precision!r}")
    elif precision == "fp16" and hw.device != "cuda":
        raise ConfigError("train.precision = 'fp16' needs a CUDA GPU", "use 'auto' or 'fp32'")
    if checkpointing == "auto":
        # weights, gradients and Adam moments in fp32 take ~16 bytes a parameter; activations
        # at the default batch fit beside them unless that alone nears the memory.
        need_gib = params * 16 / 2**30
        use = need_gib > 0.5 * hw.memory_gib if hw.memory_gib else False
        reasons.append(
            "gradient checkpointing " + ("on: memory is tight" if use else "off: memory suffices")
        )
    elif checkpointing in ("on", "off"):
        use = checkpointing == "on"
    else:
        raise ConfigError(
            f"train.gradient_checkpointing must be auto, on or off, got {checkpointing!r}"
        )
    return Choices(precision, use, "; ".join(reasons))
