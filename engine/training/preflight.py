"""`afina train --dry-run`: what a run would do and cost, measured, before it starts.

Token counts and what is trimmed or dropped, steps per epoch, seconds per step and peak
memory over a few real steps, an estimate of the whole run, a check that every answer ends
with the token generation stops on, and a view of which tokens carry loss.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path
from typing import Any

from afina.engine.training import recipe
from afina.engine.training.batching import LengthGroupedOrder, padding_share
from afina.engine.training.data import IGNORE, stop_token_ids
from afina.engine.training.spec import RunSpec


def loss_view(tokenizer: Any, input_ids: list[int], labels: list[int]) -> list[tuple[str, bool]]:
    """The example as consecutive (text, carries loss) segments."""
    segments: list[tuple[str, bool]] = []
    start = 0
    for i in range(1, len(input_ids) + 1):
        if i == len(input_ids) or (labels[i] != IGNORE) != (labels[start] != IGNORE):
            text = tokenizer.decode(input_ids[start:i], skip_special_tokens=False)
            segments.append((text, labels[start] != IGNORE))
            start = i
    return segments


def template_check(tokenizer: Any, model: Any) -> dict[str, Any]:
    """The token each answer ends with must be one generation stops on, or the tuned model
    will run on past its answer."""
    gen = getattr(model, "generation_config", None)
    eos = getattr(gen, "eos_token_id", None)
    gen_stops = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
    ends = stop_token_ids(tokenizer)
    ok = bool(gen_stops & ends)
    return {
        "answer_end_tokens": sorted(tokenizer.convert_ids_to_tokens(sorted(ends))),
        "generation_stops_on": sorted(
            tokenizer.convert_ids_to_tokens(sorted(t for t in gen_stops if t is not None))
        ),
        "ok": ok,
    }


class _Timer:
    def __init__(self) -> None:
        self.times: list[float] = []

    def on_step_end(self, *args: Any, **kw: Any) -> None:
        self.times.append(time.perf_counter())


def measure(spec: RunSpec, run_dir: Path, steps: int = 3) -> dict[str, Any]:
    """What a dry run of the spec reports, measured by its method's objective."""
    from afina.engine.training.objectives import objective_of

    return objective_of(spec.settings.method).measure(spec, run_dir, steps)


def measure_answers(spec: RunSpec, run_dir: Path, steps: int = 3) -> dict[str, Any]:
    """Everything above, for SFT on answers, from a few real training steps in a scratch
    folder."""
    from transformers import TrainerCallback
    from transformers.utils import logging as hf_logging

    from afina.engine.training.callbacks import peak_memory_mib

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    s = spec.settings
    st = recipe.setup(spec, run_dir)
    example = st.train.examples[0]
    order = list(LengthGroupedOrder(st.train.lengths(), s.batch_size, s.seed))
    timer = _Timer()

    class TimerCallback(TrainerCallback):
        def on_step_end(self, *a: Any, **kw: Any) -> None:
            timer.on_step_end()

    with tempfile.TemporaryDirectory(prefix="afina-preflight-") as scratch:
        probe = dataclasses.replace(
            st,
            spec=dataclasses.replace(
                spec,
                settings=dataclasses.replace(
                    s, max_steps=steps + 1, eval_every=0, checkpoint_every=0, warmup_ratio=0.0
                ),
            ),
            run_dir=Path(scratch),
        )
        import torch

        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
        started = time.perf_counter()
        recipe.make_trainer(probe, [TimerCallback()]).train()
    # The first step pays for warm-up (allocations, kernels); the rest is the steady rate.
    marks = [started, *timer.times]
    per_step = (
        (marks[-1] - marks[1]) / max(1, len(marks) - 2) if len(marks) > 2 else marks[-1] - marks[0]
    )
    total = st.total_steps
    gpu_peak = None
    if torch.cuda.is_available():
        gpu_peak = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    return {
        "base_model": s.base_model,
        "method": s.method,
        "options": st.options,
        "hardware": st.hw.to_json(),
        "precision": st.choices.precision,
        "gradient_checkpointing": st.choices.gradient_checkpointing,
        "why": st.choices.why,
        "data": {k: r.to_json() for k, r in st.reports.items()},
        "padding_share": round(padding_share(st.train.lengths(), order, s.batch_size), 4),
        "steps_per_epoch": st.steps_per_epoch,
        "total_steps": total,
        "seconds_per_step": round(per_step, 3),
        "estimated_seconds": round(per_step * total),
        "peak_rss_mib": peak_memory_mib(),
        "peak_gpu_mib": gpu_peak,
        "template": template_check(st.tokenizer, st.model),
        "loss_view": loss_view(st.tokenizer, example.input_ids, example.labels),
    }


# How much of the child's stderr is kept for the message when it fails: the end says why.
STDERR_TAIL = 64 * 1024


def run_polled(
    cmd: list[str], cancelled: Any = lambda: False, poll: float = 0.2
) -> tuple[int, str, str]:
    """Run ``cmd`` to its end, asking ``cancelled()`` every ``poll`` seconds (true: kill it and
    raise), and return its exit code, its stdout and the last ``STDERR_TAIL`` bytes of its
    stderr. Both go to temporary files, not pipes: a pipe nobody reads while polling fills at
    64 KiB, and a child that warns that much (transformers does) would wait on it for ever."""
    import subprocess

    from afina.engine.errors import AfinaError

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        try:
            while proc.poll() is None:
                if cancelled():
                    raise AfinaError("preflight cancelled")
                time.sleep(poll)
        finally:
            if proc.poll() is None:  # cancelled, or the caller was interrupted
                proc.kill()
                proc.wait()
        out.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        size = err.seek(0, 2)
        err.seek(max(0, size - STDERR_TAIL))
        stderr = err.read().decode("utf-8", "replace")
    return proc.returncode, stdout, stderr


def measure_apart(run_dir: Path, cancelled: Any = lambda: False, steps: int = 3) -> dict[str, Any]:
    """``measure`` in a child process: the caller (the TUI) never loads torch, and can give up
    at any moment by killing the child. ``cancelled`` is polled while it runs."""
    import json
    import sys

    from afina.engine.errors import AfinaError

    cmd = [sys.executable, "-m", "afina.engine.training.preflight", str(run_dir), str(steps)]
    code, out, err = run_polled(cmd, cancelled)
    try:
        result = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
    except ValueError:
        result = {}
    if not isinstance(result, dict):
        result = {}
    if code == 0 and "error" not in result:
        return result
    last = err.strip().splitlines()[-1] if err.strip() else f"exit code {code}"
    raise AfinaError(f"preflight failed: {result.get('error') or last}", result.get("hint"))


def _main(argv: list[str]) -> int:
    import json

    from afina.engine.errors import AfinaError
    from afina.engine.training.spec import read_spec

    run_dir = Path(argv[0])
    try:
        report = measure(read_spec(run_dir), run_dir, int(argv[1]) if len(argv) > 1 else 3)
    except AfinaError as e:
        print(json.dumps({"error": e.message, "hint": e.hint}))
        return 2
    print(json.dumps(report, default=str))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(_main(sys.argv[1:]))
