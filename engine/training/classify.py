"""Sequence classification's pieces: a classification head (and LoRA on the layers below it)
trained on labelled text — intent, topic, sentiment — with accuracy and macro precision,
recall and F1 on a held-out share.

Here: the method base, the data's encoding and collation, the metrics, and loading a trained
classifier back. The run itself is the classification objective
(afina.engine.training.objectives.classification), which composes these with the recipe's
steps; what differs from chat pairs is the data (a labelled CSV, TSV or JSONL), the model
(AutoModelForSequenceClassification) and the metrics.

A method for this task subclasses :class:`ClassifyMethod`: the model it loads must know the
labels, which only the data tells, so the engine calls ``load_classifier`` with them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from afina.engine.errors import UsageError
from afina.engine.plugins import Option
from afina.engine.training.batching import ExampleDataset
from afina.engine.training.contract import SEQ_CLASSIFICATION, TrainMethod
from afina.engine.training.data import Example, pad_id
from afina.engine.training.hardware import Hardware
from afina.engine.training.labelled import Row
from afina.engine.training.spec import RunSpec

LABELS_FILE = "labels.json"  # in the final folder: the label names, in the head's order

CLASSIFY_OPTIONS: tuple[Option, ...] = (
    Option(
        "data",
        "str",
        "",
        "the labelled text: a CSV, TSV or JSONL file, relative to the workspace",
    ),
    Option("text_column", "str", "text", "the column (or JSON key) holding the text"),
    Option("label_column", "str", "label", "the column (or JSON key) holding the label"),
    Option(
        "validation_share",
        "float",
        0.2,
        "share of each label's rows held out to measure accuracy, precision, recall and F1",
    ),
)


class ClassifyMethod(TrainMethod):
    """A method that trains a sequence classifier (task SEQ_CLASSIFICATION)."""

    task: ClassVar[str] = SEQ_CLASSIFICATION

    def check(self, hw: Hardware, options: Mapping[str, Any]) -> None:
        if not str(options.get("data", "")).strip():
            raise UsageError(
                f"{self.name} needs a labelled file: option 'data' is empty",
                f"`afina train --method {self.name} --option data=labels.csv` (a CSV, TSV or "
                "JSONL with text and label columns)",
            )
        share = float(options.get("validation_share", 0.2))
        if not 0 <= share < 1:
            raise UsageError(f"{self.name}: validation_share must be in [0, 1), got {share}")

    def load(self, base: str | None, options: Mapping[str, Any], dtype: Any) -> Any:
        raise UsageError(
            f"{self.name} trains a classifier: its model is loaded with the labels the data "
            "holds (afina.engine.training.classify), not as a causal language model"
        )

    def load_classifier(
        self, base: str | None, options: Mapping[str, Any], labels: Sequence[str], dtype: Any
    ) -> Any:
        from transformers import AutoModelForSequenceClassification

        from afina.engine.models import ModelMissing, resolve

        where = resolve(base)
        try:
            return AutoModelForSequenceClassification.from_pretrained(
                where,
                num_labels=len(labels),
                id2label=dict(enumerate(labels)),
                label2id={name: i for i, name in enumerate(labels)},
                dtype=dtype,
            )
        except OSError as e:
            raise ModelMissing(
                f"cannot load the base model {where!r}: {str(e).splitlines()[0][:200]}",
                "`afina models` lists the models that load on this machine",
            ) from e


# --- data -----------------------------------------------------------------------------------


def encode_rows(
    tokenizer: Any, rows: Sequence[Row], label_ids: Mapping[str, int], max_length: int
) -> tuple[ExampleDataset, dict[str, Any]]:
    """Token ids cut to max_length (the start of a text is kept), the label as a one-element
    ``labels`` list, and a report of what was cut."""
    texts = [r.text for r in rows]
    encoded = tokenizer(texts, add_special_tokens=True)["input_ids"] if texts else []
    examples = []
    trimmed = 0
    for r, ids in zip(rows, encoded, strict=True):
        trimmed += len(ids) > max_length
        examples.append(Example(list(ids[:max_length]), [label_ids[r.label]]))
    report = {
        "examples": len(rows),
        "kept": len(examples),
        "trimmed": trimmed,
        "per_label": dict(sorted(Counter(r.label for r in rows).items())),
        "tokens": sum(len(e.input_ids) for e in examples),
        "longest": max((len(e.input_ids) for e in examples), default=0),
    }
    return ExampleDataset(examples), report


class ClassifyCollator:
    """Right-padded ids with an attention mask; ``labels`` a (batch,) tensor of class ids."""

    def __init__(self, pad_id: int) -> None:
        self.pad_id = pad_id

    def __call__(self, features: Sequence[dict[str, list[int]]]) -> dict[str, Any]:
        import torch

        width = max(len(f["input_ids"]) for f in features)
        ids = torch.full((len(features), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(features), width), dtype=torch.long)
        for row, f in enumerate(features):
            n = len(f["input_ids"])
            ids[row, :n] = torch.tensor(f["input_ids"])
            mask[row, :n] = 1
        labels = torch.tensor([f["labels"][0] for f in features], dtype=torch.long)
        return {"input_ids": ids, "attention_mask": mask, "labels": labels}


# --- metrics --------------------------------------------------------------------------------


def classification_metrics(
    predicted: Sequence[int], actual: Sequence[int], labels: Sequence[str]
) -> dict[str, Any]:
    """Accuracy, and precision, recall and F1 per label and macro-averaged over the labels
    that occur in ``actual`` or ``predicted`` (scikit-learn's convention; a label never
    predicted has precision 0)."""
    import numpy as np

    n = len(labels)
    pred = np.asarray(predicted, dtype=np.int64).reshape(-1)
    true = np.asarray(actual, dtype=np.int64).reshape(-1)
    confusion = np.zeros((n, n), dtype=np.int64)
    np.add.at(confusion, (true, pred), 1)
    hits = np.diag(confusion).astype(float)
    said = confusion.sum(axis=0).astype(float)  # predicted as each label
    real = confusion.sum(axis=1).astype(float)  # truly each label
    precision = np.divide(hits, said, out=np.zeros(n), where=said > 0)
    recall = np.divide(hits, real, out=np.zeros(n), where=real > 0)
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros(n), where=total > 0)
    seen = (said + real) > 0
    macro = (lambda v: float(v[seen].mean())) if seen.any() else (lambda v: 0.0)
    return {
        "accuracy": float(hits.sum() / len(true)) if len(true) else 0.0,
        "precision": macro(precision),
        "recall": macro(recall),
        "f1": macro(f1),
        "per_label": {
            name: {
                "precision": round(float(precision[i]), 4),
                "recall": round(float(recall[i]), 4),
                "f1": round(float(f1[i]), 4),
                "support": int(real[i]),
            }
            for i, name in enumerate(labels)
        },
        "confusion": confusion.tolist(),  # rows: the true label; columns: the predicted one
    }


class Scorer:
    """Trainer's compute_metrics: logs the scalar metrics, keeps the last full report."""

    SCALARS = ("accuracy", "precision", "recall", "f1")

    def __init__(self, labels: Sequence[str]) -> None:
        self.labels = list(labels)
        self.last: dict[str, Any] | None = None

    def __call__(self, prediction: Any) -> dict[str, float]:
        logits = prediction.predictions
        if isinstance(logits, (tuple, list)):
            logits = logits[0]
        self.last = classification_metrics(logits.argmax(-1), prediction.label_ids, self.labels)
        return {k: round(self.last[k], 5) for k in self.SCALARS}


# --- the run --------------------------------------------------------------------------------


def data_path(spec: RunSpec, run_dir: Path, raw: str) -> Path:
    """The labelled file: absolute, or relative to the run folder (where the run was made
    with a copy of it)."""
    path = Path(raw).expanduser()
    return path if path.is_absolute() else run_dir / path


def load_final(final: Path) -> tuple[Any, Any, list[str]]:
    """A trained classifier back from its final folder: (model, tokenizer, labels)."""
    import torch
    from peft import PeftModel
    from transformers import AutoTokenizer

    info = json.loads((final / LABELS_FILE).read_text(encoding="utf-8"))
    labels = list(info["labels"])
    tokenizer = AutoTokenizer.from_pretrained(str(final))
    base = ClassifyMethod().load_classifier(info["base_model"], {}, labels, torch.float32)
    base.config.pad_token_id = pad_id(tokenizer)
    model = PeftModel.from_pretrained(base, str(final))
    model.eval()
    return model, tokenizer, labels
