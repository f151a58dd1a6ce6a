"""The questions an evaluation asks: a run's test split, or a file of held-out questions.

Two line formats are read, so that any export of afina (or a hand-written file) serves:

- ``{"id", "question", "reference", "facts"?, "lang"?, "tags"?}``: held-out questions, the
  sample domain's ``heldout.jsonl`` among them; curated ``facts`` are preferred to facts
  extracted from the reference;
- ``{"messages": [...]}``: a chat whose last turn is the reference answer and whose last user
  turn is the question (what ``afina export --format messages`` writes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from afina.engine.errors import NotFound, ParseError, UsageError


@dataclass(frozen=True)
class EvalExample:
    id: str
    question: str
    reference: str
    facts: tuple[str, ...] = ()
    tags: tuple[str, ...] = field(default=())
    lang: str = ""  # the question's language, where the file says it (also the first tag)


def _from_record(d: Any, fallback_id: str) -> EvalExample | None:
    if not isinstance(d, dict):
        raise ValueError("expected a JSON object")
    tags = [str(t) for t in d.get("tags") or ()]
    if d.get("lang"):
        tags.insert(0, str(d["lang"]))
    if "messages" in d:
        msgs = d["messages"]
        if not isinstance(msgs, list) or not msgs or not isinstance(msgs[-1], dict):
            raise ValueError("messages must be a non-empty list of turns")
        if msgs[-1].get("role") != "assistant":
            raise ValueError("the last turn must be the assistant's answer")
        users = [m for m in msgs[:-1] if isinstance(m, dict) and m.get("role") == "user"]
        if not users:
            return None
        question, reference = str(users[-1].get("content", "")), str(msgs[-1].get("content", ""))
    elif "question" in d and "reference" in d:
        question, reference = str(d["question"]), str(d["reference"])
    else:
        raise ValueError('a line needs "question" and "reference", or "messages"')
    if not question.strip() or not reference.strip():
        return None
    facts = tuple(str(f) for f in d.get("facts") or ())
    return EvalExample(
        str(d.get("id") or fallback_id),
        question,
        reference,
        facts,
        tuple(tags),
        str(d.get("lang") or ""),
    )


def read_examples(path: Path, limit: int | None = None) -> list[EvalExample]:
    """Examples from a JSON Lines file; a bad line fails naming the file and line, and lines
    with an empty question or answer are left out."""
    if not path.is_file():
        raise NotFound(f"no examples file at {path}")
    out: list[EvalExample] = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                ex = _from_record(json.loads(line), f"{path.stem}:{n}")
            except ValueError as e:  # json.JSONDecodeError is a ValueError
                raise ParseError(f"{path}:{n}", str(e)) from e
            if ex is not None:
                out.append(ex)
            if limit is not None and len(out) >= limit:
                break
    if not out:
        raise UsageError(f"{path} holds no questions with answers to evaluate on")
    return out


def run_test_split(run_dir: Path) -> Path:
    """The test split frozen with the run when it was created."""
    path = run_dir / "data" / "pairs.test.jsonl"
    if not path.is_file() or not path.read_text(encoding="utf-8").strip():
        raise UsageError(
            f"run {run_dir.name} has no test split to evaluate on",
            "pass --examples FILE with held-out questions",
        )
    return path
