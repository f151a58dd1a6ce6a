"""How far a fine-tune could go on the demo's held-out questions: ceilings from copying.

    .venv/bin/python benchmarks/demo_ceiling.py WORKSPACE [--examples FILE] [--k 1,3,5,10]
        [--embedder NAME] [--answers ANSWERS.jsonl] [--json]

The sample domain's held-out references are rendered from the same fact table as the chats,
so most of them sit nearly word for word among the training answers. A fine-tune that only
ever answers with one of its training answers can therefore score at most what the best of
those answers scores. This script measures, on WORKSPACE's exported train split
(``exports/pairs.train.jsonl``, as ``afina demo`` leaves it) and the held-out questions:

  oracle        the best training answer for each question (ROUGE-L, token F1): an upper
                bound for a model that recalls training answers perfectly;
  copy@1        the answer of the training question nearest to the held-out question under
                the embedder (cosine): what a model that maps an unseen wording to a seen
                question as well as the embedder does, then recites, would score;
  best of k     the best answer among the k nearest training questions: what a reader that
                always picks the right one of k retrieved pairs could reach.

Each is given overall and per first tag (the language, in the sample domain's file). With
``--answers`` (an ``answers.jsonl`` that ``afina eval`` wrote under a run), each assistant's
mean scores on the same questions are printed beside them. Nothing is trained or generated
here; the embedder is afina's default (the embedded MiniLM) unless ``--embedder`` names
another.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from statistics import fmean
from typing import Any

from afina.engine.eval.examples import read_examples
from afina.engine.eval.metrics import rouge_l, token_f1
from afina.engine.rag.embed import load_embedder

HERE = Path(__file__).resolve().parent
DEFAULT_EXAMPLES = HERE.parent / "datasets" / "sample_domain" / "heldout.jsonl"
Metric = Callable[[str, str], float]
METRICS: dict[str, Metric] = {"rouge_l": rouge_l, "token_f1": token_f1}


def train_pairs(workspace: Path) -> tuple[list[str], list[str]]:
    """The last user turn and the answer of every exported train pair."""
    path = workspace / "exports" / "pairs.train.jsonl"
    if not path.is_file():
        raise SystemExit(
            f"{path}: no train split exported here (run `afina demo` or `afina export`)"
        )
    pairs = read_examples(path)
    return [p.question for p in pairs], [p.reference for p in pairs]


def group(tags: Sequence[str]) -> str:
    """The example's first tag (its language, in the sample domain's file)."""
    return tags[0] if tags else "untagged"


def best(candidates: Sequence[str], reference: str, metric: Metric) -> float:
    return max(metric(c, reference) for c in candidates)


def ceilings(
    questions: list[str], answers: list[str], examples: list[Any], ks: list[int], embedder: Any
) -> list[dict[str, Any]]:
    """One row per held-out example: its language and each ceiling's scores."""
    import numpy as np

    asked = embedder.encode(questions)
    held = embedder.encode([e.question for e in examples])
    order = np.argsort(-(held @ asked.T), axis=1)
    rows = []
    for example, ranked in zip(examples, order, strict=True):
        row: dict[str, Any] = {"id": example.id, "lang": group(example.tags)}
        for name, metric in METRICS.items():
            row[f"oracle.{name}"] = best(answers, example.reference, metric)
            for k in ks:
                picked = [answers[i] for i in ranked[:k]]
                label = "copy@1" if k == 1 else f"best of {k}"
                row[f"{label}.{name}"] = best(picked, example.reference, metric)
        rows.append(row)
    return rows


def assistant_rows(path: Path) -> list[dict[str, Any]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        scores = r.get("scores") or {}
        row = {"id": r["example"], "lang": group(r.get("tags") or ())}
        row.update({f"{r['assistant']}.{n}": scores[n] for n in METRICS if n in scores})
        rows.append(row)
    return rows


def summarize(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Mean of each column, overall ("all") and per language."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups["all"].append(row)
        groups[row["lang"]].append(row)
    out: dict[str, dict[str, float]] = {}
    for group, members in groups.items():
        columns = dict.fromkeys(c for m in members for c in m if "." in c)  # first-seen order
        out[group] = {c: round(fmean(m[c] for m in members if c in m), 3) for c in columns}
    return out


def table(summary: dict[str, dict[str, float]], n: dict[str, int]) -> str:
    groups = ["all", *sorted(g for g in summary if g != "all")]
    columns = list(dict.fromkeys(c.rsplit(".", 1)[0] for c in summary["all"]))
    head = "| | " + " | ".join(f"{g} ({n[g]}) ROUGE-L / F1" for g in groups) + " |"
    lines = [head, "|" + " --- |" * (len(groups) + 1)]
    for c in columns:
        cells = [
            f"{summary[g].get(c + '.rouge_l', float('nan')):.3f} / "
            f"{summary[g].get(c + '.token_f1', float('nan')):.3f}"
            for g in groups
        ]
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workspace", type=Path)
    ap.add_argument("--examples", type=Path, default=DEFAULT_EXAMPLES)
    ap.add_argument("--k", default="1,3,5,10", help="how many nearest training questions")
    ap.add_argument("--embedder", default=None, help="default: afina's (the embedded MiniLM)")
    ap.add_argument("--answers", type=Path, help="an answers.jsonl from `afina eval`")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    ks = sorted({int(k) for k in args.k.split(",")})
    examples = read_examples(args.examples)
    questions, answers = train_pairs(args.workspace)
    rows = ceilings(questions, answers, examples, ks, load_embedder(args.embedder))
    if args.answers:
        by_id = {r["id"]: r for r in rows}
        for extra in assistant_rows(args.answers):
            if extra["id"] in by_id:
                by_id[extra["id"]].update(extra)
    summary = summarize(rows)
    n = defaultdict(int)
    for r in rows:
        n["all"] += 1
        n[r["lang"]] += 1
    if args.json:
        json.dump(
            {"train_pairs": len(answers), "examples": n, "means": summary}, sys.stdout, indent=2
        )
        print()
    else:
        print(f"{len(answers)} train pairs, {len(rows)} held-out questions")
        print(table(summary, n))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
