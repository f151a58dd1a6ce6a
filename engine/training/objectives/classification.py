"""Sequence classification: a labelled file (CSV, TSV or JSONL) copied into the run, a
classification head (and LoRA below it) trained on it, and accuracy with macro precision,
recall and F1 on a held-out share of each label's rows.

It composes the recipe's steps where they fit (Setup, training arguments, the callback, the
"ready" event, end metrics); the data, the model and the metrics come from
afina.engine.training.classify.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from afina.engine.errors import InputRefused, UsageError
from afina.engine.training import checkpoints, recipe
from afina.engine.training.classify import (
    LABELS_FILE,
    ClassifyCollator,
    ClassifyMethod,
    Scorer,
    data_path,
    encode_rows,
)
from afina.engine.training.contract import SEQ_CLASSIFICATION
from afina.engine.training.data import pad_id
from afina.engine.training.labelled import read_labelled, split_rows
from afina.engine.training.objectives import Objective

if TYPE_CHECKING:
    from afina.engine.config import TrainSettings
    from afina.engine.training.events import EventLog
    from afina.engine.training.spec import RunSpec
    from afina.engine.workspace import Workspace


class Classification(Objective):
    name = "classification"
    task = SEQ_CLASSIFICATION
    description = "a classifier over labelled text (intent, topic, sentiment)"
    chat_model = False

    def prepare_data(
        self,
        ws: Workspace,
        settings: TrainSettings,
        options: dict[str, Any],
        data_dir: Path,
        allow: tuple[str, ...],
        system_prompt: str = "",
    ) -> int:
        """The labelled file, copied into the run so the run reproduces itself; the option
        then points at the copy."""
        raw = str(options.get("data") or "")
        if not raw:
            raise UsageError(
                "seq-classification needs a labelled file",
                "--option data=labels.csv (text and label columns; CSV, TSV or JSONL)",
            )
        src = Path(raw).expanduser()
        src = src if src.is_absolute() else ws.root / src
        if not src.is_file():
            raise UsageError(f"{src}: no such labelled file")
        data_dir.mkdir(parents=True)
        shutil.copyfile(src, data_dir / src.name)
        options["data"] = f"{data_dir.name}/{src.name}"
        with src.open("rb") as f:
            return sum(1 for line in f if line.strip())

    def run(
        self,
        spec: RunSpec,
        run_dir: Path,
        log: EventLog | None,
        stop: threading.Event,
        resume: bool,
    ) -> dict[str, Any]:
        """Train a classifier as the spec says; returns the final metrics (accuracy,
        precision, recall, F1 on the held-out rows)."""
        import torch
        from transformers import Trainer, set_seed

        from afina.engine.models import load_tokenizer
        from afina.engine.training.callbacks import AfinaCallback
        from afina.engine.training.hardware import detect

        s = spec.settings
        set_seed(s.seed)
        method, options = recipe.load_method(spec)
        if not isinstance(method, ClassifyMethod):
            raise UsageError(f"method {method.name!r} does not say how to load a classifier")
        hw = detect()
        method.check(hw, options)
        source = data_path(spec, run_dir, str(options["data"]))
        rows = read_labelled(source, str(options["text_column"]), str(options["label_column"]))
        labels = sorted({r.label for r in rows})
        if len(labels) < 2:
            raise InputRefused(
                str(source), None, f"only one label ({labels[0]!r}); a classifier needs two or more"
            )
        label_ids = {name: i for i, name in enumerate(labels)}
        train_rows, val_rows = split_rows(rows, float(options["validation_share"]), s.seed)
        tokenizer = load_tokenizer(s.base_model)
        train, train_report = encode_rows(tokenizer, train_rows, label_ids, s.max_length)
        validation, val_report = encode_rows(tokenizer, val_rows, label_ids, s.max_length)

        model = method.load_classifier(s.base_model, options, labels, torch.float32)
        # The head reads the last token that is not padding; SmolLM2 pads with its end-of-turn
        # token, so the model must know which id that is (attention masks keep pads unseen).
        model.config.pad_token_id = pad_id(tokenizer)
        model.config.use_cache = False
        model, choices = recipe.prepare_model(model, hw, spec, method, options)
        st = recipe.Setup(
            spec,
            run_dir,
            hw,
            choices,
            method,
            options,
            tokenizer,
            model,
            train,
            validation if len(validation) else None,
        )

        checkpoints.clear_staging(run_dir)
        start_from = checkpoints.latest(run_dir) if resume else None
        if log is not None:
            log.emit(
                "ready",
                **recipe.ready_event(
                    st,
                    start_from,
                    labels=labels,
                    data_file=str(source),
                    data={"train": train_report, "validation": val_report},
                ),
            )

        args = recipe.training_arguments(st)
        args.prediction_loss_only = False  # the metrics need the logits
        scorer = Scorer(labels)
        callback = AfinaCallback(run_dir, log, stop, s.keep_checkpoints, s.early_stopping_patience)
        trainer = recipe.quiet(
            Trainer(
                model=model,
                args=args,
                train_dataset=train,
                eval_dataset=st.validation,
                data_collator=ClassifyCollator(pad_id(tokenizer)),
                compute_metrics=scorer,
                callbacks=[callback],
            )
        )
        result = trainer.train(resume_from_checkpoint=str(start_from) if start_from else None)
        metrics: dict[str, Any] = dict(result.metrics)
        step = trainer.state.global_step
        if st.validation is not None and not stop.is_set():
            last = next((h for h in reversed(trainer.state.log_history) if "eval_loss" in h), None)
            if scorer.last is None or last is None or last.get("step") != step:
                last = trainer.evaluate()  # the last step had no evaluation of its own
            metrics["eval_loss"] = last["eval_loss"]
            metrics.update(scorer.last or {})
        metrics.update(labels=labels, **recipe.end_metrics(trainer, st, callback, stop))
        if not stop.is_set() and trainer.is_world_process_zero():
            metrics["final"] = str(save_final(trainer.model, tokenizer, run_dir, labels, spec))
        return metrics


def save_final(
    model: Any, tokenizer: Any, run_dir: Path, labels: Sequence[str], spec: RunSpec
) -> Path:
    """The adapter (with the head), the tokenizer and the label names, as the run's final
    folder (afina.engine.training.classify.load_final reads it back)."""
    info = {
        "task": SEQ_CLASSIFICATION,
        "labels": list(labels),
        "base_model": spec.settings.base_model,
        "text_column": spec.method_options.get("text_column", "text"),
        "label_column": spec.method_options.get("label_column", "label"),
    }

    def write(folder: Path) -> None:
        model.save_pretrained(str(folder), safe_serialization=True)
        tokenizer.save_pretrained(str(folder))
        (folder / LABELS_FILE).write_text(json.dumps(info, indent=2, ensure_ascii=False))

    return checkpoints.write_final(run_dir, write)


OBJECTIVE = Classification()
