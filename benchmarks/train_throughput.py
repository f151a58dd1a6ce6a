"""Training throughput: afina's trainer against the tutorial recipe and TRL's SFTTrainer.

    .venv/bin/python benchmarks/train_throughput.py [--steps N] [--variants abcd]
        [--base-model NAME] [--json] [--out FILE]

The same conversations (the sample domain's curated pairs, as `afina train` exports them, or
a messages JSONL file given with --data), the same base model (the embedded SmolLM2-135M-Instruct
by default), LoRA r=8 on q_proj and v_proj, batch 4, max length 512, in four setups:

  a  the tutorial recipe: transformers' Trainer + peft, each chat-templated conversation
     tokenized with padding="max_length", labels = input_ids with padding masked (loss on all
     tokens), TrainingArguments' defaults;
  b  TRL's SFTTrainer with SFTConfig's defaults (messages dataset);
  c  TRL's SFTTrainer as a careful CPU user sets it up: bf16 and gradient checkpointing off,
     loss on the answer only (where TRL can do that with this model's chat template);
  d  afina's trainer with its own defaults (engine.training.recipe: setup + make_trainer).

Each runs in a fresh Python process (this script again, with --child), so its peak memory is
its own. Step 1 is warm-up: steps 2..N are timed, from the end of step 1 to the end of step N,
by a TrainerCallback. Real tokens are the attention mask's ones in the batches of those steps,
counted by the same wrapper around each trainer's data collator. MFU counts 4 x parameters
(forward 2, backward 2: LoRA computes no gradient for the frozen weights) per real token,
against the best fp32 matmul rate measured on this machine in the same run. Nothing here is a
test; no timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

BATCH = 4
MAX_LENGTH = 512
LORA_R = 8
LORA_ALPHA = 16  # afina's defaults; alpha and dropout do not change the work
LORA_DROPOUT = 0.05
LORA_TARGETS = ["q_proj", "v_proj"]
DEFAULT_BASE = "smollm2-135m-instruct"
VARIANTS = {
    "a": "tutorial: Trainer + peft, padding to max_length",
    "b": "TRL SFTTrainer, SFTConfig defaults",
    "c": "TRL SFTTrainer, set up for a CPU",
    "d": "afina",
}
PACKAGES = ("torch", "transformers", "peft", "trl", "accelerate", "datasets")


# ---------------------------------------------------------------------------------------------
# The child: one variant, or the matmul peak, in a fresh process.


def rss_mib(field: str = "VmHWM") -> float:
    """This process's peak (VmHWM) or current (VmRSS) resident memory. Not ru_maxrss, which
    Linux carries over from the parent through vfork and exec (see RESULTS.md, Dedupe)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def matmul_flops(size: int, repeat: int = 10) -> dict[str, Any]:
    """The best rate of one fp32 ``size`` x ``size`` matmul (2 n^3 flops) on the device the
    trainers use."""
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)

    def sync() -> None:
        if device == "cuda":
            torch.cuda.synchronize()

    for _ in range(2):
        torch.matmul(a, b)
    sync()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        torch.matmul(a, b)
        sync()
        best = min(best, time.perf_counter() - start)
    return {
        "flops": 2 * size**3 / best,
        "size": size,
        "device": device,
        "threads": torch.get_num_threads(),
    }


class CountingCollator:
    """Wraps a trainer's collator: the real (attention-mask) tokens and the token slots, padding
    included, of each batch, in the order the batches are made. Batches are made in training
    order (a prefetching loader makes one early, never out of order), so batch i is step i + 1's
    when there is no gradient accumulation."""

    def __init__(self, inner: Callable[[Any], dict[str, Any]]) -> None:
        self.inner = inner
        self.real: list[int] = []
        self.slots: list[int] = []
        self.loss: list[int] = []  # tokens with a label (the loss is on them)

    def __call__(self, features: Any) -> dict[str, Any]:
        batch = self.inner(features)
        mask = batch.get("attention_mask")
        if mask is None:  # padding-free batches carry no mask: every token is real
            n = int(batch["input_ids"].numel())
            self.real.append(n)
            self.slots.append(n)
        else:
            self.real.append(int(mask.sum()))
            self.slots.append(int(mask.numel()))
        labels = batch.get("labels")
        self.loss.append(int((labels != -100).sum()) if labels is not None else 0)
        return batch


def step_timer() -> Any:
    import torch
    from transformers import TrainerCallback

    class StepTimer(TrainerCallback):
        """Wall and CPU time at the end of each optimizer step, and how many batches the
        collator had made by then (to check that batch i was step i + 1's)."""

        def __init__(self) -> None:
            self.wall: dict[int, float] = {}
            self.cpu: dict[int, float] = {}
            self.made: dict[int, int] = {}
            self.counter: CountingCollator | None = None

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            self.wall[state.global_step] = time.perf_counter()
            self.cpu[state.global_step] = time.process_time()
            if self.counter is not None:
                self.made[state.global_step] = len(self.counter.real)

    return StepTimer()


def lora_config() -> Any:
    from peft import LoraConfig, TaskType

    return LoraConfig(
        task_type=TaskType.CAUSAL_LM,
        r=LORA_R,
        lora_alpha=LORA_ALPHA,
        lora_dropout=LORA_DROPOUT,
        target_modules=LORA_TARGETS,
    )


def read_jsonl(path: Path) -> list[list[dict[str, str]]]:
    return [
        json.loads(line)["messages"]
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def trainer_a(base: str, data: Path, steps: int, work: Path, callbacks: list[Any]) -> Any:
    """The tutorial way: chat template to text, pad everything to max_length, loss on all."""
    from peft import get_peft_model
    from transformers import Trainer, TrainingArguments, default_data_collator

    from afina.engine.models import load_causal_lm, load_tokenizer
    from datasets import Dataset

    tok = load_tokenizer(base)
    model = get_peft_model(load_causal_lm(base), lora_config())
    texts = [tok.apply_chat_template(m, tokenize=False) for m in read_jsonl(data)]

    def tokenize(batch: dict[str, list[str]]) -> Any:
        enc = tok(batch["text"], padding="max_length", truncation=True, max_length=MAX_LENGTH)
        enc["labels"] = [
            [t if m else -100 for t, m in zip(ids, mask, strict=True)]
            for ids, mask in zip(enc["input_ids"], enc["attention_mask"], strict=True)
        ]
        return enc

    dataset = Dataset.from_dict({"text": texts}).map(tokenize, batched=True, remove_columns="text")
    args = TrainingArguments(
        output_dir=str(work / "out"),
        per_device_train_batch_size=BATCH,
        max_steps=steps,
        learning_rate=2e-4,
        report_to="none",
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=dataset,
        data_collator=default_data_collator,
        callbacks=callbacks,
    )
    return trainer, {
        "precision": "bf16" if args.bf16 else "fp32",
        "gradient_checkpointing": bool(args.gradient_checkpointing),
        "loss_on": "all tokens",
    }


def sft_config(**kwargs: Any) -> tuple[Any, list[str]]:
    """SFTConfig with ``kwargs``; on a machine without a bf16 GPU SFTConfig's default bf16=True
    refuses to start and says to set use_cpu, which a user then does."""
    from trl import SFTConfig

    try:
        return SFTConfig(**kwargs), []
    except ValueError as e:
        if "use_cpu" not in str(e):
            raise
        first = str(e).split(". ")[0]
        note = f"SFTConfig's defaults refuse to start here ({first!r}): use_cpu=True added"
        return SFTConfig(**kwargs, use_cpu=True), [note]


def assistant_only_unsupported(tokenizer: Any) -> str | None:
    """Why TRL's assistant_only_loss cannot work with this tokenizer's chat template (it needs
    {% generation %} markers, or a training template TRL ships for it), or None if it can."""
    try:
        from trl.chat_template_utils import get_training_chat_template, has_generation_markers
    except ImportError as e:
        return f"this trl has no chat_template_utils ({e})"
    if has_generation_markers(tokenizer.chat_template):
        return None
    try:
        get_training_chat_template(tokenizer)
    except ValueError as e:
        return str(e).split(". ")[0]
    return None


def trainer_sft(
    base: str, data: Path, steps: int, work: Path, callbacks: list[Any], tuned: bool
) -> Any:
    from trl import SFTTrainer

    from afina.engine.models import load_causal_lm, load_tokenizer
    from datasets import Dataset

    conversations = read_jsonl(data)
    common = dict(
        output_dir=str(work / "out"),
        per_device_train_batch_size=BATCH,
        max_steps=steps,
        max_length=MAX_LENGTH,
        report_to="none",
    )
    tokenizer = load_tokenizer(base)
    if tuned:
        tuning = dict(bf16=False, gradient_checkpointing=False)
        why_not = assistant_only_unsupported(tokenizer)
        if why_not is None:
            args, notes = sft_config(**common, **tuning, assistant_only_loss=True)
            rows = [{"messages": m} for m in conversations]
            loss_on = "assistant turns (assistant_only_loss)"
        else:
            # A conversational prompt-completion dataset: TRL puts the loss on the completion
            # (the final answer) with any chat template.
            args, notes = sft_config(**common, **tuning)
            notes.append(
                f"assistant_only_loss=True is refused with this chat template ({why_not!r}); "
                "the loss is on the answer through a prompt-completion dataset instead"
            )
            rows = [{"prompt": m[:-1], "completion": m[-1:]} for m in conversations]
            loss_on = "final answer (prompt-completion dataset)"
    else:
        args, notes = sft_config(**common)
        rows = [{"messages": m} for m in conversations]
        loss_on = "all tokens"
    trainer = SFTTrainer(
        model=load_causal_lm(base),
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
        peft_config=lora_config(),
        callbacks=callbacks,
    )
    info: dict[str, Any] = {
        "precision": "bf16" if args.bf16 else "fp32",
        "gradient_checkpointing": bool(args.gradient_checkpointing),
        "loss_on": loss_on,
        "notes": notes,
    }
    if not tuned:  # nothing set but the common settings: these are SFTConfig's defaults
        info["sft_defaults"] = {
            "bf16": bool(args.bf16),
            "gradient_checkpointing": bool(args.gradient_checkpointing),
        }
    return trainer, info


def trainer_d(base: str, data: Path, steps: int, work: Path, callbacks: list[Any]) -> Any:
    """afina's own trainer, as a run started by `afina train` builds it."""
    from afina.engine.config import TrainSettings
    from afina.engine.training import recipe
    from afina.engine.training.spec import RunSpec

    spec = RunSpec(
        id="bench",
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        settings=TrainSettings(
            base_model=base,
            max_steps=steps,
            batch_size=BATCH,
            max_length=MAX_LENGTH,
            eval_every=0,
            checkpoint_every=0,
        ),
    )
    train_file = work / spec.train_file
    train_file.parent.mkdir(parents=True)
    train_file.write_bytes(data.read_bytes())
    st = recipe.setup(spec, work)
    trainer = recipe.make_trainer(st, callbacks)
    return trainer, {
        "precision": st.choices.precision,
        "gradient_checkpointing": bool(st.choices.gradient_checkpointing),
        "loss_on": "final answer",
        "notes": [f"afina chose: {st.choices.why}"],
    }


def run_child(variant: str, base: str, data: Path, steps: int) -> dict[str, Any]:
    start = time.perf_counter()
    import torch
    import transformers  # noqa: F401  (imports count in the setup time, not the steps)

    rss_imports = rss_mib("VmRSS")
    timer = step_timer()
    with tempfile.TemporaryDirectory(prefix=f"afina-bench-{variant}-") as tmp:
        work = Path(tmp)
        torch.manual_seed(42)
        if variant == "a":
            trainer, info = trainer_a(base, data, steps, work, [timer])
        elif variant in ("b", "c"):
            trainer, info = trainer_sft(base, data, steps, work, [timer], tuned=variant == "c")
        else:
            trainer, info = trainer_d(base, data, steps, work, [timer])
        counter = CountingCollator(trainer.data_collator)
        trainer.data_collator = counter
        timer.counter = counter
        setup_s = time.perf_counter() - start
        trainer.train()
        done = trainer.state.global_step
        targets = sorted(trainer.model.peft_config["default"].target_modules)
        params = sum(p.numel() for n, p in trainer.model.named_parameters() if "lora_" not in n)
    if done < 2 or len(counter.real) < done:
        raise RuntimeError(f"{done} steps trained, {len(counter.real)} batches collated")
    # Step k trained the k-th batch: by its end, k batches were made (k + 1 with prefetching).
    if any(not k <= made <= k + 1 for k, made in timer.made.items()):
        raise RuntimeError(f"batches made by the end of each step: {timer.made}")
    seconds = timer.wall[done] - timer.wall[1]
    real = sum(counter.real[1:done])  # batches 1..done-1 are steps 2..done
    slots = sum(counter.slots[1:done])
    return {
        "variant": variant,
        "name": VARIANTS[variant],
        **info,
        "lora_targets": targets,
        "device": str(trainer.args.device),
        "threads": torch.get_num_threads(),
        "params": params,
        "steps": done,
        "timed_steps": done - 1,
        "seconds": seconds,
        "cpu_s": timer.cpu[done] - timer.cpu[1],
        "s_per_step": seconds / (done - 1),
        "real_tokens": real,
        "token_slots": slots,
        "padding": 1 - real / slots if slots else 0.0,
        "loss_tokens": sum(counter.loss[1:done]),
        "tokens_per_s": real / seconds,
        "peak_rss_mib": rss_mib("VmHWM"),
        "rss_after_imports_mib": rss_imports,
        "setup_s": setup_s,
    }


# ---------------------------------------------------------------------------------------------
# The parent: data, the children, the report.


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def prepare_data(tmp: Path, n: int, data: Path | None) -> tuple[Path, str, int]:
    """The first ``n`` conversations of the training data as messages JSONL, the same file for
    every variant; returns (file, where they came from, how many there were)."""
    if data is not None:
        lines = [x for x in data.read_text(encoding="utf-8").splitlines() if x.strip()]
        source = f"{data} (messages JSONL)"
    else:
        # The tests' helper runs the demo's import and curate stages, and keeps up with them.
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
        from training_support import build_curated_workspace

        from afina.engine.demo.stages import company_contacts
        from afina.engine.training.jobs import create_run

        ws = build_curated_workspace(tmp / "ws")
        run_dir, _ = create_run(ws, ws.config.train, allow=company_contacts(), root=tmp / "runs")
        train = run_dir / "data" / "pairs.train.jsonl"
        lines = [x for x in train.read_text(encoding="utf-8").splitlines() if x.strip()]
        source = (
            "the sample domain's curated pairs (the demo's import and curate stages, by "
            "tests/training_support.py, then jobs.create_run's messages JSONL: the train "
            "split, in its file order)"
        )
    if len(lines) < n:
        raise SystemExit(f"{n} conversations needed ({n // BATCH} steps of {BATCH}), {len(lines)}")
    path = tmp / "bench.jsonl"
    path.write_text("\n".join(lines[:n]) + "\n", encoding="utf-8")
    return path, source, len(lines)


def spawn(args: list[str], tmp: Path, tag: str) -> dict[str, Any]:
    result = tmp / f"result-{tag}.json"
    env = dict(os.environ, TOKENIZERS_PARALLELISM="false", PYTHONUNBUFFERED="1")
    cmd = [sys.executable, str(Path(__file__).resolve()), *args, "--result", str(result)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0 or not result.is_file():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
        return {"error": f"exit {proc.returncode}: " + "\n".join(tail)}
    out: dict[str, Any] = json.loads(result.read_text())
    return out


def package_versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def ram_gib() -> float:
    try:
        return round(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30, 1)
    except (ValueError, OSError):
        return 0.0


def measure(args: argparse.Namespace) -> dict[str, Any]:
    variants = [v for v in args.variants if v in VARIANTS]
    load_before = os.getloadavg()[0]
    started = datetime.now(timezone.utc)
    with tempfile.TemporaryDirectory(prefix="afina-train-bench-") as t:
        tmp = Path(t)
        say("preparing data ...")
        data, source, available = prepare_data(tmp, args.steps * BATCH, args.data)
        common = ["--base-model", args.base_model, "--steps", str(args.steps), "--data", str(data)]
        peaks = []
        say("matmul peak ...")
        peaks.append(
            spawn(["--child", "matmul", "--matmul-size", str(args.matmul_size)], tmp, "m0")
        )
        results = []
        for v in variants:
            say(f"variant {v}: {VARIANTS[v]} ...")
            r = spawn(["--child", v, *common], tmp, v)
            r.setdefault("variant", v)
            r.setdefault("name", VARIANTS[v])
            if "error" in r:
                say(f"variant {v} failed: {r['error']}")
            results.append(r)
        say("matmul peak again ...")
        peaks.append(
            spawn(["--child", "matmul", "--matmul-size", str(args.matmul_size)], tmp, "m1")
        )
    good = [p for p in peaks if "flops" in p]
    if not good:
        raise SystemExit(f"the matmul measurement failed: {peaks}")
    peak = max(p["flops"] for p in good)
    for r in results:
        if "tokens_per_s" in r:
            r["mfu"] = 4 * r["params"] * r["tokens_per_s"] / peak
    return {
        "recorded": started.strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(["benchmarks/train_throughput.py", *sys.argv[1:]]),
        "machine": {
            "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
            "cpu": cpu_name(),
            "ram_gib": ram_gib(),
            "system": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(),
            "load_before": load_before,
            "load_after": os.getloadavg()[0],
        },
        "packages": package_versions(),
        "base_model": args.base_model,
        "data": source,
        "examples": args.steps * BATCH,
        "examples_available": available,
        "batch_size": BATCH,
        "max_length": MAX_LENGTH,
        "steps": args.steps,
        "lora": {
            "r": LORA_R,
            "alpha": LORA_ALPHA,
            "dropout": LORA_DROPOUT,
            "targets": LORA_TARGETS,
        },
        "matmul": {"flops": peak, "runs": peaks},
        "variants": results,
        "ratios": ratios(results),
    }


def ratios(results: Sequence[dict[str, Any]]) -> dict[str, float]:
    by = {r["variant"]: r for r in results if "tokens_per_s" in r}
    out: dict[str, float] = {}
    if "d" not in by:
        return out
    d = by["d"]
    for other in "abc":
        if other in by:
            out[f"d/{other} tokens_per_s"] = d["tokens_per_s"] / by[other]["tokens_per_s"]
            out[f"d/{other} peak_rss"] = d["peak_rss_mib"] / by[other]["peak_rss_mib"]
    return out


def markdown(res: dict[str, Any]) -> str:
    m, p = res["machine"], res["packages"]
    lines = [
        f"Recorded {res['recorded']} with `.venv/bin/python {res['command']}`.",
        "",
        f"- Machine: {m['cpus']} CPUs ({m['cpu']}), {m['ram_gib']} GiB RAM, {m['system']}; "
        f"Python {m['python']}",
        "- Packages: " + ", ".join(f"{k} {v}" for k, v in p.items()),
        f"- 1-minute load average {m['load_before']:.2f} before, {m['load_after']:.2f} after.",
        f"- Base model: `{res['base_model']}`; LoRA r={res['lora']['r']} on "
        f"{', '.join(res['lora']['targets'])} (alpha {res['lora']['alpha']}, dropout "
        f"{res['lora']['dropout']}); batch {res['batch_size']}, max length {res['max_length']}, "
        f"{res['steps']} steps, no gradient accumulation.",
        f"- Data: the first {res['examples']} of {res['examples_available']} conversations of "
        f"{res['data']}; the same file for every variant, one epoch, each trainer in its own "
        "order.",
        f"- fp32 matmul peak: {res['matmul']['flops'] / 1e9:,.1f} GFLOP/s (best single "
        f"{res['matmul']['runs'][0].get('size')}² matmul on "
        f"{res['matmul']['runs'][0].get('device')}, "
        f"{res['matmul']['runs'][0].get('threads')} threads, measured before and after the "
        "variants); MFU = 4 x parameters x real tokens/s / that peak.",
        "- Each variant is a fresh process; step 1 is warm-up, steps 2..N are timed (wall, end of "
        "step 1 to end of step N). Real tokens: attention-mask ones in the timed steps' batches; "
        "padding: the share of token slots that were padding. Peak RSS: the process's VmHWM.",
    ]
    for r in res["variants"]:
        for note in r.get("notes", []):
            lines.append(f"- ({r['variant']}) {note}")
        if "sft_defaults" in r:
            sd = r["sft_defaults"]
            lines.append(
                f"- SFTConfig() defaults on trl {p.get('trl')}: bf16={sd['bf16']}, "
                f"gradient_checkpointing={sd['gradient_checkpointing']} (variant b runs them)."
            )
    lines += [
        "",
        "| Variant | Precision | Grad. ckpt | Loss on | Timed steps | s/step | Real tokens | "
        "Loss tokens | Padding | Real tokens/s | MFU | Peak RSS MiB | CPU s | Setup s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in res["variants"]:
        label = f"{r['variant']}: {r['name']}"
        if "error" in r:
            first = r["error"].splitlines()[-1] if r["error"] else "failed"
            lines.append(f"| {label} | failed: {first[:120]} |" + " |" * 12)
            continue
        lines.append(
            f"| {label} | {r['precision']} | {'on' if r['gradient_checkpointing'] else 'off'} | "
            f"{r['loss_on']} | {r['timed_steps']} | {r['s_per_step']:.2f} | "
            f"{r['real_tokens']:,} | {r['loss_tokens']:,} | {r['padding']:.0%} | "
            f"{r['tokens_per_s']:,.0f} | "
            f"{r['mfu']:.1%} | {r['peak_rss_mib']:,.0f} | {r['cpu_s']:.1f} | {r['setup_s']:.1f} |"
        )
    q = res["ratios"]
    if q:
        lines += [
            "",
            "| afina (d) against | Real tokens/s | Peak RSS | Goal |",
            "| --- | --- | --- | --- |",
        ]
        goals = {
            "a": lambda s, _m: f"≥ 8x tokens/s: {'met' if s >= 8 else 'not met'}",
            "c": lambda s, m: (
                f"≥ 1.3x tokens/s: {'met' if s >= 1.3 else 'not met'}; "
                f"peak RSS ≤ 1.0x: {'met' if m <= 1.0 else 'not met'}"
            ),
        }
        for other in "abc":
            if f"d/{other} tokens_per_s" not in q:
                continue
            s, mem = q[f"d/{other} tokens_per_s"], q[f"d/{other} peak_rss"]
            goal = goals[other](s, mem) if other in goals else ""
            lines.append(f"| {other} | {s:.2f}x | {mem:.2f}x | {goal} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=8, help="optimizer steps a variant (≥ 2)")
    parser.add_argument("--variants", default="abcd", help="which of a, b, c, d to run")
    parser.add_argument("--base-model", default=DEFAULT_BASE, help="embedded name or a folder")
    parser.add_argument("--data", type=Path, help="messages JSONL instead of the sample domain")
    parser.add_argument("--matmul-size", type=int, default=2048, help="n of the n x n matmul")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--out", type=Path, help="append the markdown report to this file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        if args.child == "matmul":
            out = matmul_flops(args.matmul_size)
        else:
            out = run_child(args.child, args.base_model, args.data, args.steps)
        args.result.write_text(json.dumps(out))
        return
    if args.steps < 2:
        parser.error("--steps must be at least 2 (step 1 is warm-up)")
    if not any(v in VARIANTS for v in args.variants):
        parser.error("--variants: give some of a, b, c, d")
    res = measure(args)
    report = markdown(res)
    if args.out:
        with args.out.open("a", encoding="utf-8") as f:
            f.write(report)
    print(json.dumps(res, indent=2) if args.json else report, flush=True)


if __name__ == "__main__":
    main()
