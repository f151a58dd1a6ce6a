"""The training recipe's steps: setup, model preparation, training arguments, trainer, the
"ready" event, end metrics, save.

Objectives (afina.engine.training.objectives) compose them: causal-LM SFT uses them all,
classification the ones that fit. Every method (lora, ia3, full ...) goes through the same
steps; a method only loads and wraps the model. Settings the hardware decides ("auto") are
resolved here and reported.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from afina.engine.errors import UsageError
from afina.engine.plugins import load_plugin
from afina.engine.training import checkpoints
from afina.engine.training.batching import Collator, ExampleDataset
from afina.engine.training.checkpoints import FINAL, write_final
from afina.engine.training.contract import SAME_POSITIONS, TrainMethod, trainable_parameters
from afina.engine.training.data import (
    TokenReport,
    encode_all,
    load_replay,
    mix_replay,
    pad_id,
    read_messages,
)
from afina.engine.training.hardware import Choices, Hardware, choose, detect
from afina.engine.training.spec import RunSpec


@dataclass
class Setup:
    spec: RunSpec
    run_dir: Path
    hw: Hardware
    choices: Choices
    method: TrainMethod
    options: dict[str, Any]
    tokenizer: Any
    model: Any
    train: ExampleDataset
    validation: ExampleDataset | None
    reports: dict[str, TokenReport] = field(default_factory=dict)

    @property
    def steps_per_epoch(self) -> int:
        s = self.spec.settings
        return max(1, math.ceil(len(self.train) / (s.batch_size * s.grad_accum)))

    @property
    def total_steps(self) -> int:
        s = self.spec.settings
        return s.max_steps if s.max_steps > 0 else math.ceil(self.steps_per_epoch * s.epochs)


def load_method(spec: RunSpec) -> tuple[TrainMethod, dict[str, Any]]:
    cls = load_plugin("trainer", spec.settings.method)
    method = cls()
    assert isinstance(method, TrainMethod)
    return method, method.resolve_options(spec.method_options)


def setup(spec: RunSpec, run_dir: Path, say: Callable[[str], None] | None = None) -> Setup:
    import torch

    from afina.engine.models import load_tokenizer

    s = spec.settings
    torch.manual_seed(s.seed)
    method, options = load_method(spec)
    hw = detect()
    method.check(hw, options)
    tokenizer = load_tokenizer(s.base_model)
    train_msgs = read_messages(run_dir / spec.train_file)
    if s.replay_data and s.replay_fraction:
        replay = load_replay(s.replay_data, run_dir)
        train_msgs = mix_replay(train_msgs, replay, s.replay_fraction, s.seed)
    train, train_report = encode_all(tokenizer, train_msgs, s.max_length)
    if not train:
        raise UsageError(
            "no training example fits",
            f"{train_report.examples} pairs, dropped: {dict(train_report.dropped)}",
        )
    reports = {"train": train_report}
    validation = None
    val_path = run_dir / spec.validation_file
    if val_path.is_file():
        val, reports["validation"] = encode_all(tokenizer, read_messages(val_path), s.max_length)
        validation = ExampleDataset(val) if val else None
    model, choices = prepare_model(
        method.load(s.base_model, options, torch.float32), hw, spec, method, options
    )
    if say:
        say(f"{hw.device}: {choices.why}")
    return Setup(
        spec,
        run_dir,
        hw,
        choices,
        method,
        options,
        tokenizer,
        model,
        ExampleDataset(train),
        validation,
        reports,
    )


def prepare_model(
    model: Any, hw: Hardware, spec: RunSpec, method: TrainMethod, options: dict[str, Any]
) -> tuple[Any, Choices]:
    """Settings the hardware decides, applied; then the method's wrapping (an adapter)."""
    s = spec.settings
    params = sum(p.numel() for p in model.parameters())
    choices = choose(hw, s.precision, s.gradient_checkpointing, params)
    if choices.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    return method.wrap(model, options), choices


def ready_event(st: Setup, start_from: Path | None, **extra: Any) -> dict[str, Any]:
    """What the "ready" event says: the run as it will go, once model and data are loaded."""
    trainable, total = trainable_parameters(st.model)
    return dict(
        resumed_from=str(start_from) if start_from else None,
        total=st.total_steps,
        steps_per_epoch=st.steps_per_epoch,
        examples=len(st.train),
        validation=len(st.validation) if st.validation else 0,
        processes=int(os.environ.get("WORLD_SIZE", "1")),
        hardware=st.hw.to_json(),
        precision=st.choices.precision,
        gradient_checkpointing=st.choices.gradient_checkpointing,
        why=st.choices.why,
        trainable_params=trainable,
        total_params=total,
        **extra,
    )


def quiet(trainer: Any) -> Any:
    """Progress goes out as events; the trainer's own printing would only clutter the log."""
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    return trainer


def end_metrics(trainer: Any, st: Setup, callback: Any, stop: threading.Event) -> dict[str, Any]:
    from afina.engine.training.callbacks import peak_memory_mib

    return dict(
        steps=trainer.state.global_step,
        total_steps=st.total_steps,
        tokens=int(trainer.state.num_input_tokens_seen or 0),
        peak_mib=peak_memory_mib(),
        stopped=stop.is_set(),
        stopped_early=callback.stopped_early,
        train_losses=callback.train_losses,
        validation_losses=callback.val_losses,
    )


def training_arguments(st: Setup) -> Any:
    from transformers import TrainingArguments

    s = st.spec.settings
    evaluate = bool(s.eval_every and st.validation)
    return TrainingArguments(
        output_dir=str(st.run_dir / checkpoints.STAGING),
        per_device_train_batch_size=s.batch_size,
        per_device_eval_batch_size=s.batch_size,
        gradient_accumulation_steps=s.grad_accum,
        learning_rate=s.learning_rate,
        lr_scheduler_type=s.lr_scheduler,
        warmup_steps=math.ceil(st.total_steps * s.warmup_ratio),
        num_train_epochs=s.epochs,
        max_steps=s.max_steps if s.max_steps > 0 else -1,
        weight_decay=s.weight_decay,
        seed=s.seed,
        data_seed=s.seed,
        eval_strategy="steps" if evaluate else "no",
        eval_steps=s.eval_every or None,
        save_strategy="steps" if s.checkpoint_every else "no",
        save_steps=s.checkpoint_every or 500,
        save_total_limit=None,  # afina rotates complete checkpoints itself
        logging_strategy="steps",
        logging_steps=1,
        report_to="none",
        bf16=st.choices.precision == "bf16",
        fp16=st.choices.precision == "fp16",
        use_cpu=st.hw.device == "cpu",
        remove_unused_columns=False,
        prediction_loss_only=True,
        dataloader_num_workers=0,
        disable_tqdm=True,
        include_num_input_tokens_seen="non_padding",
    )


def make_trainer(st: Setup, callbacks: list[Any]) -> Any:
    from afina.engine.training.answer_loss import AnswerTrainer

    return quiet(
        AnswerTrainer(
            model=st.model,
            args=training_arguments(st),
            train_dataset=st.train,
            eval_dataset=st.validation,
            data_collator=Collator(pad_id(st.tokenizer)),
            callbacks=callbacks,
            fast_loss=SAME_POSITIONS in st.method.capabilities,
            lengths=st.train.lengths(),
        )
    )


def save_final(trainer: Any, st: Setup) -> Path:
    """The trained model (or adapter) and its tokenizer, as the run's final folder."""

    def write(folder: Path) -> None:
        trainer.model.save_pretrained(str(folder), safe_serialization=True)
        st.tokenizer.save_pretrained(str(folder))

    if trainer.is_world_process_zero():
        return write_final(st.run_dir, write)
    return st.run_dir / FINAL
