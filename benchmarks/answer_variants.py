"""Answer-time variants on a finished run: the repetition penalty, and what the retrieved
context holds, measured without training again.

    .venv/bin/python benchmarks/answer_variants.py --workspace WS --run RUN_ID
        --examples heldout.jsonl [--variant NAME ...] [--assistants base,rag,ft,ft+rag]

A variant is a name of dash-separated parts: ``p1.2`` (penalty 1.2, afina's: digits and the
punctuation of numbers spared), ``plain1.2`` (transformers' penalty on every token, afina's
before), ``pairs`` (retrieved pairs only, no document chunks), ``k2`` (k sources instead of 3).
Every assistant answers the examples as `afina eval` asks it (the run's system prompt, greedy,
96 new tokens, answers tidied of the context's scaffolding), and each variant prints ROUGE-L,
the share of answers holding all of their example's facts, the mean length in words and how
many answers repeat a four-word run (a loop). Examples are JSONL with question, reference and
optionally facts. Nothing here is a test; no number is asserted.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def loops(answer: str) -> bool:
    """Whether a run of four words comes back in the answer."""
    words = answer.split()
    runs = [tuple(words[i : i + 4]) for i in range(len(words) - 3)]
    return len(runs) != len(set(runs))


def parse_variant(name: str) -> dict[str, Any]:
    settings: dict[str, Any] = {"penalty": 1.2, "plain": False, "pairs": False, "k": 3}
    for part in name.split("-"):
        found = re.fullmatch(r"(plain|p|k)(\d+(?:\.\d+)?)", part)
        if part == "pairs":
            settings["pairs"] = True
        elif found and found[1] == "plain":
            settings["penalty"], settings["plain"] = float(found[2]), True
        elif found and found[1] == "p":
            settings["penalty"] = float(found[2])
        elif found and found[1] == "k" and found[2].isdigit():
            settings["k"] = int(found[2])
        else:
            raise SystemExit(f"unknown variant part {part!r} in {name!r}")
    return settings


def sources(team: Any, question: str, k: int, pairs_only: bool) -> list[Any]:
    from afina.engine.rag.context import sources_from_hits

    team.sources(question)  # opens the index
    hits = team._retriever.query(question, k + 1 + (8 if pairs_only else 0))
    found = sources_from_hits(hits, exclude_prompt=question)
    if pairs_only:
        found = [s for s in found if s.payload.get("kind") == "pair"]
    return found[:k]


def answer_all(team: Any, kind: str, examples: list[dict[str, Any]], v: dict[str, Any]) -> list:
    from afina.engine.chat import generate
    from afina.engine.chat.batch import merged, reply_batch
    from afina.engine.chat.prompts import RETRIEVES, TUNED, build_messages

    model = team.model_for(kind)
    system = team.system_prompt()
    conversations = [
        build_messages(
            kind,
            ex["question"],
            sources(team, ex["question"], v["k"], v["pairs"]) if kind in RETRIEVES else [],
            system,
        )
        for ex in examples
    ]
    original = generate.SparingPenalty
    if v["plain"]:
        from transformers import RepetitionPenaltyLogitsProcessor

        def plain(penalty: float, prompt_length: int, _tok: Any) -> Any:
            return RepetitionPenaltyLogitsProcessor(penalty, prompt_ignore_length=prompt_length)

        generate.SparingPenalty = plain  # type: ignore[assignment,misc]
    try:
        if kind in TUNED:
            with merged(model):
                return reply_batch(model, conversations, 96, repetition_penalty=v["penalty"])
        return reply_batch(model, conversations, 96, base=True, repetition_penalty=v["penalty"])
    finally:
        generate.SparingPenalty = original  # type: ignore[misc]


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workspace", type=Path, required=True)
    ap.add_argument("--run", required=True, help="the run's id (a folder under runs/)")
    ap.add_argument("--examples", type=Path, required=True)
    ap.add_argument("--variant", action="append", default=[], help="default: p1.2")
    ap.add_argument("--assistants", default="base,rag,ft,ft+rag")
    ap.add_argument("--out", type=Path, help="write every answer here (JSONL)")
    args = ap.parse_args(argv)

    from afina.engine.chat.assistants import Assistants
    from afina.engine.eval.metrics import rouge_l
    from afina.engine.workspace import open_workspace

    ws = open_workspace(args.workspace)
    team = Assistants(ws, ws.root / "runs" / args.run, k=3)
    examples = [json.loads(x) for x in args.examples.read_text("utf-8").splitlines() if x.strip()]
    rows = []
    for name in args.variant or ["p1.2"]:
        v = parse_variant(name)
        for kind in args.assistants.split(","):
            started = time.perf_counter()
            answers = [g.text for g in answer_all(team, kind, examples, v)]
            scores = [rouge_l(a, ex["reference"]) for a, ex in zip(answers, examples, strict=True)]
            facts = [
                all(_fold(f) in _fold(a) for f in ex.get("facts", []))
                for a, ex in zip(answers, examples, strict=True)
            ]
            row = {
                "variant": name,
                "assistant": kind,
                "rouge_l": round(sum(scores) / len(scores), 3),
                "all_facts": round(sum(facts) / len(facts), 3),
                "words": round(sum(len(a.split()) for a in answers) / len(answers), 1),
                "loops": sum(loops(a) for a in answers),
                "seconds": round(time.perf_counter() - started),
            }
            print(json.dumps(row), flush=True)
            rows.append({**row, "answers": answers})
    if args.out:
        with args.out.open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
