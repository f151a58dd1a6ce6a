"""The demo's training stage: a short LoRA fine-tune of the embedded model on the sample
domain, as a real background job that the demo follows (and that survives the demo)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afina.engine.errors import AfinaError
from afina.engine.ingest.run import Progress
from afina.engine.training import jobs
from afina.engine.workspace import Workspace


@dataclass(frozen=True)
class DemoOptions:
    # Optimizer steps of the demo's fine-tune; None: what `afina train` recommends for the
    # data (capped at DEMO_MAX_STEPS to keep the demo's time); 0 skips training.
    steps: int | None = None
    base_model: str | None = None  # None: the workspace's (the embedded SmolLM2)
    # `afina train --set` values over the recommended ones (none: the demo shows the defaults)
    overrides: tuple[str, ...] = ()
    samples: int = 2  # validation questions answered by the base and the tuned model
    questions: int = 20  # held-out questions evaluated, spread over the file; 0: all 79
    assistants: tuple[str, ...] = ("base", "few-shot", "rag", "ft", "ft+rag")
    max_new_tokens: int = 64  # the held-out references are one or two sentences
    embedder: str | None = None  # the index's embedder; None: the embedded MiniLM


def quick_options(base_model: str | None = None, embedder: str | None = None) -> DemoOptions:
    """`afina demo --quick`: the whole path in about 3 minutes on a 2-core CPU (what CI runs),
    with a shorter fine-tune and fewer questions and assistants. Thirty steps at the
    recommended rate with retrieved pairs in half the prompts barely move the bare fine-tune,
    so the quick path trains faster and without them: it checks the path, not the defaults."""
    return DemoOptions(
        steps=30,
        overrides=("learning_rate=2e-3", "retrieval_share=0"),
        base_model=base_model,
        samples=0,
        questions=12,
        assistants=("base", "rag", "ft"),
        max_new_tokens=40,
        embedder=embedder,
    )


# The demo trains with `afina train`'s recommended settings (engine.training.recommend), so
# what it shows is what a user gets; only the step count is capped, to keep the whole demo
# near 15 minutes on a 2-core CPU. With retrieved pairs in half the prompts a step costs
# about twice what it did: the recommended 110 steps and 24 questions took 19 minutes, 80
# steps and 20 questions 11 (benchmarks/RESULTS.md, "Defaults that find the best assistant").
DEMO_MAX_STEPS = 80


def demo_run(ws: Workspace, opts: DemoOptions) -> Any:
    """The recommended settings for the workspace's data, with evaluations at the start, the
    middle and the end."""
    from afina.engine.actions.train import TrainRequest, plan

    overrides = [f"base_model={opts.base_model}"] if opts.base_model else []
    chosen = plan(ws, TrainRequest((*overrides, *opts.overrides)))
    steps = (
        opts.steps
        if opts.steps is not None
        else min(chosen.settings.max_steps or DEMO_MAX_STEPS, DEMO_MAX_STEPS)
    )
    every = max(1, steps // 2)
    settings = dataclasses.replace(
        chosen.settings, max_steps=steps, eval_every=every, checkpoint_every=every
    )
    return settings, chosen.method_options


def train_and_follow(
    ws: Workspace, opts: DemoOptions, progress: Progress, allow: tuple[str, ...]
) -> tuple[str, dict[str, Any]]:
    settings, options = demo_run(ws, opts)
    run_dir, spec = jobs.create_run(ws, settings, options, allow=allow)
    jobs.start(run_dir)
    done = 0
    final: dict[str, Any] | None = None
    evals: list[float] = []
    losses: list[float] = []
    for e in jobs.follow(run_dir, poll=0.3):
        if e is None:
            if jobs.runner_pid(run_dir) is None:
                break
            continue
        if e["type"] == "step":
            progress.on_bytes(int(e["step"]) - done)
            done = int(e["step"])
            losses.append(float(e["loss"]))
        elif e["type"] == "eval":
            evals.append(float(e["loss"]))
        elif e["type"] in ("finished", "failed", "stopped"):
            final = e
    if final is None or final["type"] == "failed":
        why = final.get("message") if final else "the runner ended without a word"
        raise AfinaError(
            f"the demo's training run {spec.id} failed: {why}",
            (final or {}).get("hint") or f"see {run_dir / jobs.LOG_FILE}",
        )
    summary = (
        f"{done} steps of {spec.settings.method} on {spec.settings.base_model} "
        f"({spec.examples} pairs): validation loss {evals[0]:.3f} → {evals[-1]:.3f}; "
        f"run {spec.id}, adapter in runs/{spec.id}/final"
        if evals
        else f"{done} steps; run {spec.id}, adapter in runs/{spec.id}/final"
    )
    samples = before_and_after(run_dir, opts.samples)
    return summary, {
        "samples": samples,
        "run": spec.id,
        "steps": done,
        "train_losses": losses,
        "validation_losses": evals,
        "final": final.get("final"),
    }


def before_and_after(run_dir: Path, count: int) -> list[dict[str, str]]:
    """Validation questions the run never trained on, answered by the base model and by the
    tuned one, beside the answer the support team gave."""
    from afina.engine.chat.generate import load_run
    from afina.engine.training.data import read_messages

    path = run_dir / "data" / "pairs.validation.jsonl"
    if not count or not path.is_file():
        return []
    questions = read_messages(path)[:count]
    assistant = load_run(run_dir)
    out = []
    for messages in questions:
        prompt = messages[:-1]
        before = assistant.reply(prompt, max_new_tokens=80, base=True)
        out.append(
            {
                "question": prompt[-1]["content"],
                "reference": messages[-1]["content"],
                "base": before,
                "tuned": assistant.reply(prompt, max_new_tokens=80),
            }
        )
    return out
