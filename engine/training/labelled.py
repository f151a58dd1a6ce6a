"""Labelled text for the sequence-classification method: CSV, TSV or JSONL rows of text and
label, read with errors that name the file and the line, and a seeded split that holds out
the same share of every label."""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afina.engine.errors import InputRefused

SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson")


@dataclass(frozen=True)
class Row:
    text: str
    label: str
    line: int


def read_labelled(path: Path, text_column: str, label_column: str) -> list[Row]:
    """Every row of a labelled file; a bad row is an error naming the file and its line."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputRefused(
            str(path), None, f"expected a {', '.join(SUFFIXES)} file of labelled text"
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as e:
        raise InputRefused(
            str(path), None, "no such file", "option 'data' is relative to the workspace"
        ) from e
    except (OSError, UnicodeDecodeError) as e:
        raise InputRefused(str(path), None, f"cannot read it as UTF-8 text ({e})") from e
    if suffix in (".csv", ".tsv"):
        rows = _read_table(path, text, "\t" if suffix == ".tsv" else ",", text_column, label_column)
    else:
        rows = _read_jsonl(path, text, text_column, label_column)
    if not rows:
        raise InputRefused(str(path), None, "no labelled rows")
    return rows


def _row(path: Path, line: int, text: Any, label: Any, text_column: str, label_column: str) -> Row:
    where = f"line {line}"
    if text is None or not str(text).strip():
        raise InputRefused(str(path), where, f"empty or missing {text_column!r}")
    if label is None or isinstance(label, (dict, list)) or not str(label).strip():
        raise InputRefused(
            str(path), where, f"{label_column!r} must be a label (text or a number), got {label!r}"
        )
    return Row(str(text), str(label).strip(), line)


def _read_table(
    path: Path, text: str, delimiter: str, text_column: str, label_column: str
) -> list[Row]:

    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = reader.fieldnames or []
        missing = [c for c in (text_column, label_column) if c not in header]
        if missing:
            raise InputRefused(
                str(path),
                "line 1",
                f"no column {missing[0]!r} (columns: {', '.join(header) or 'none'})",
                "set the method options text_column and label_column",
            )
        out = []
        for record in reader:
            if not any((v or "").strip() for v in record.values() if isinstance(v, str)):
                continue  # a blank line
            out.append(
                _row(
                    path,
                    reader.line_num,
                    record.get(text_column),
                    record.get(label_column),
                    text_column,
                    label_column,
                )
            )
    except csv.Error as e:
        raise InputRefused(str(path), f"line {reader.line_num}", f"not valid CSV ({e})") from e
    return out


def _read_jsonl(path: Path, text: str, text_column: str, label_column: str) -> list[Row]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as e:
            raise InputRefused(str(path), f"line {n}", f"not JSON ({e})") from e
        if not isinstance(record, dict):
            raise InputRefused(
                str(path),
                f"line {n}",
                f"expected an object with {text_column!r} and {label_column!r}",
            )
        out.append(
            _row(
                path,
                n,
                record.get(text_column),
                record.get(label_column),
                text_column,
                label_column,
            )
        )
    return out


def split_rows(rows: Sequence[Row], share: float, seed: int) -> tuple[list[Row], list[Row]]:
    """A seeded split that holds out ``share`` of each label's rows (stratified); a label with
    a single row stays in training, and every label keeps at least one training row."""
    by_label: dict[str, list[Row]] = {}
    for r in rows:
        by_label.setdefault(r.label, []).append(r)
    rng = random.Random(seed)
    train: list[Row] = []
    validation: list[Row] = []
    for label in sorted(by_label):
        group = list(by_label[label])
        rng.shuffle(group)
        n = len(group)
        held = min(max(round(n * share), 1), n - 1) if share > 0 and n >= 2 else 0
        validation += group[:held]
        train += group[held:]
    return train, validation
