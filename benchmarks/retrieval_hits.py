"""Retrieval hit@1 and hit@k by language for each retrieval mode (dense, lexical, hybrid), on
the sample domain built the way `afina demo` builds it (or on a workspace of your own).

    .venv/bin/python benchmarks/retrieval_hits.py [--workspace DIR] [--examples FILE]
        [--embedder NAME] [--k 3] [--tune-embedder] [--open-time N] [--json]

Without ``--workspace`` the sample domain is imported and curated into a throwaway workspace
(the demo's import and curate stages) and indexed with its documents (the demo's index stage).
A question is a hit at k when one of its first k sources holds all its curated facts; see
``afina.engine.eval.retrieval_hits``. Nothing is generated, so a run takes seconds plus the
embedder's load.

``--tune-embedder`` also fine-tunes the embedder on the workspace's own accepted train pairs
(sentence-transformers, MultipleNegativesRankingLoss, question -> answer; ``--tune-epochs``,
``--tune-lr``), builds a
second index with it and measures that the same way. ``--open-time N`` times building the BM25
statistics of N synthetic entries (what opening an index of that size costs a lexical or
hybrid query). Nothing here is a test; no number is asserted.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MODES = ("dense", "lexical", "hybrid")


def sample_workspace(folder: Path, embedder: str | None) -> Any:
    from afina.engine.demo.stages import STAGES, DemoOptions
    from afina.engine.ingest.run import Progress
    from afina.engine.workspace import init_workspace

    ws, _ = init_workspace(folder)
    opts = DemoOptions(steps=0, embedder=embedder)
    for name, stage, _size, _unit in STAGES:
        if name in ("import", "curate", "index"):
            stage(ws, Progress(), opts)
    return ws


def tune_embedder(
    ws: Any, base: str, out: Path, epochs: int = 1, lr: float = 2e-5
) -> tuple[str, float]:
    """The embedder fine-tuned on the workspace's accepted train pairs (question -> answer,
    in-batch negatives); returns its folder and the seconds it took."""
    from sentence_transformers import InputExample, SentenceTransformer, losses
    from torch.utils.data import DataLoader

    from afina.engine.rag.embed import model_location
    from afina.engine.rag.workspace_index import pair_entries

    started = time.perf_counter()
    model = SentenceTransformer(model_location(base), device="cpu")
    pairs = [(e.payload["prompt"], e.payload["response"]) for e in pair_entries(ws)]
    examples = [InputExample(texts=[q, a]) for q, a in pairs]
    loader = DataLoader(examples, shuffle=True, batch_size=32)  # type: ignore[arg-type]
    loss = losses.MultipleNegativesRankingLoss(model)
    model.fit(
        train_objectives=[(loader, loss)],
        epochs=epochs,
        optimizer_params={"lr": lr},
        # fit() warms up over 10,000 steps by default: on a few dozen steps the learning rate
        # would never leave zero (measured: rankings unchanged)
        warmup_steps=max(1, len(loader) * epochs // 10),
        show_progress_bar=False,
    )
    model.save(str(out))
    return str(out), time.perf_counter() - started


def open_time(n: int) -> float:
    """Seconds to build BM25 statistics over ``n`` synthetic support texts."""
    from afina.engine.rag.lexical import BM25

    rng = random.Random(0)
    # accented words in every text, as in Portuguese chats (folding them is part of the cost)
    vocab = [f"palavra{i}" for i in range(3000)] + ["serviço", "não", "fatura", "mbps", "ação"]
    texts = [" ".join(rng.choices(vocab, k=40)) + " não" for _ in range(n)]
    started = time.perf_counter()
    BM25(texts)
    return time.perf_counter() - started


def table(results: list[dict[str, Any]]) -> str:
    k = results[0]["k"]
    langs = sorted({lang for r in results for lang in r["by_lang"]})
    head = ["mode", "embedder"]
    for lang in ["all", *langs]:
        head += [f"{lang} hit@1", f"{lang} hit@{k}"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        cells = [r["mode"], r["embedder"]]
        for e in [r["overall"], *[r["by_lang"][lang] for lang in langs]]:
            cells += [f"{e['hit_at_1']:.3f}", f"{e['hit_at_k']:.3f}"]
        lines.append("| " + " | ".join(cells) + " |")
    n = ", ".join(f"{lang} {results[0]['by_lang'][lang]['n']}" for lang in langs)
    return "\n".join(lines) + f"\n\nquestions: {results[0]['overall']['n']} ({n})\n"


def main(argv: list[str] | None = None) -> int:
    from afina.engine.demo.stages import sample_domain
    from afina.engine.eval.examples import read_examples
    from afina.engine.eval.retrieval_hits import measure_index
    from afina.engine.rag.workspace_index import build_workspace_index, index_info
    from afina.engine.workspace import open_workspace

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--workspace", type=Path, help="an afina workspace with a built index")
    p.add_argument("--examples", type=Path, help="held-out questions with facts")
    p.add_argument("--embedder", default=None, help="embedder of the index built here")
    p.add_argument("--k", type=int, default=3)
    p.add_argument("--tune-embedder", action="store_true")
    p.add_argument("--tune-epochs", type=int, default=1)
    p.add_argument("--tune-lr", type=float, default=2e-5)
    p.add_argument("--open-time", type=int, default=0, metavar="N")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)

    examples = read_examples(args.examples or sample_domain() / "heldout.jsonl")
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        if args.workspace:
            ws = open_workspace(args.workspace)
        else:
            ws = sample_workspace(Path(tmp) / "ws", args.embedder)
        setup_s = time.perf_counter() - started
        results = [measure_index(ws, examples, k=args.k, mode=m) for m in MODES]
        extra: dict[str, Any] = {"setup_seconds": round(setup_s, 1)}
        if args.tune_embedder:
            base = results[0]["embedder"]
            folder, secs = tune_embedder(
                ws, base, Path(tmp) / "tuned-embedder", args.tune_epochs, args.tune_lr
            )
            extra["tune_seconds"] = round(secs, 1)
            docs = ((index_info(ws).get("inputs") or {}).get("docs") or {}).get("folder")
            build_workspace_index(
                ws, "tuned", docs=Path(docs) if docs else None, options={"embedder": folder}
            )
            for m in MODES:
                r = measure_index(ws, examples, index="tuned", k=args.k, mode=m)
                r["embedder"] = f"{base} tuned ({args.tune_epochs} ep, lr {args.tune_lr:g})"
                results.append(r)
        if args.open_time:
            extra["bm25_open_seconds"] = {args.open_time: round(open_time(args.open_time), 3)}
    if args.json:
        print(json.dumps({"results": results, **extra}, indent=2))
    else:
        print(table(results))
        print(json.dumps(extra))
    return 0


if __name__ == "__main__":
    sys.exit(main())
