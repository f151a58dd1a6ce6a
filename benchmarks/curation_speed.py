"""Curation speed: PII scan throughput, and review-queue page time at 100k pairs.

    .venv/bin/python benchmarks/curation_speed.py [--messages N] [--pairs N]

Baselines in the same run: the PII scan against a plain regex word split of the same texts
(the least work any scan must do), and page times at 100k pairs against the same queries
at 1k pairs. Nothing here is a test; no timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import random
import re
import tempfile
import time
from pathlib import Path

from afina.engine.curation.pii import scan
from afina.engine.store import Store
from afina.engine.store.pairs import Change
from afina.engine.types import Conversation, PairDraft, PairFilter, Turn

WORDS = tuple(
    " ".join(
        [
            "oi boa tarde minha internet caiu de novo quanto custa o plano 300 mega fatura venceu",
            "hello my router keeps blinking red can you check the installation date please thanks",
        ]
    ).split()
)
PII = [
    "maria.souza@example.com",
    "(48) 99123-4567",
    "529.982.247-25",
    "4111 1111 1111 1111",
    "+44 20 7946 0958",
    "11.222.333/0001-81",
    "187.45.10.22",
]


def messages(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        words = rng.choices(WORDS, k=rng.randint(4, 40))
        if rng.random() < 0.1:
            words.insert(rng.randrange(len(words)), rng.choice(PII))
        out.append(" ".join(words))
    return out


def timed(fn, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def pii_rows(n: int) -> list[str]:
    texts = messages(n)
    word = re.compile(r"\w+")
    base = timed(lambda: [word.findall(t) for t in texts])
    full = timed(lambda: [scan(t) for t in texts], repeat=2)
    found = sum(len(scan(t)) for t in texts[:5000])
    return [
        f"| PII scan (all default detectors) | {n:,} messages | {full:.2f} s | "
        f"{n / full:,.0f} msg/s | {full / base:.1f}x a regex word split ({base:.2f} s) |",
        f"| (findings in the first 5,000) | | | {found} | |",
    ]


def store_with(path: Path, n: int) -> Store:
    store = Store(path)
    with store.transaction():
        w = store.begin_source("/bench", "sha", "bench", 1)
        w.add_conversation(Conversation("c", None, "$", [Turn("a", "q", "1"), Turn("b", "r", "2")]))
        w.finish()
        texts = messages(n, seed=2)
        store.add_pairs([PairDraft(1, t, t[::-1], (), None, (i,)) for i, t in enumerate(texts)])
    store.review([Change(i, "status", "accepted") for i in range(1, n, 3)], "bench")
    return store


def page_times(store: Store, n: int) -> dict[str, float]:
    pending = PairFilter(status="pending")
    return {
        "first page (pending, 200)": timed(lambda: store.pairs(pending, 200, 0)),
        "middle page": timed(lambda: store.pairs(pending, 200, n // 3)),
        "count (pending)": timed(lambda: store.count_pairs(pending)),
        "search page": timed(lambda: store.pairs(PairFilter(search="fatura"), 200, 0)),
        "accept or reject one pair": timed(lambda: _toggle(store)),
    }


_flip = iter(["accepted", "rejected"] * 100)


def _toggle(store: Store) -> None:
    store.review([Change(2, "status", next(_flip))], "bench")


def queue_rows(n: int) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        small = page_times(store_with(Path(tmp) / "small.db", 1000), 1000)
        start = time.perf_counter()
        big_store = store_with(Path(tmp) / "big.db", n)
        build = time.perf_counter() - start
        big = page_times(big_store, n)
    rows = [f"| build a store of {n:,} pairs | | {build:.1f} s | | |"]
    for name, t in big.items():
        rows.append(
            f"| review queue: {name} | {n:,} pairs | {t * 1000:.1f} ms | | "
            f"{t / small[name]:.1f}x the same at 1,000 pairs ({small[name] * 1000:.1f} ms) |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--pairs", type=int, default=100_000)
    args = parser.parse_args()
    print("| What | Size | Time | Rate | Against the baseline |")
    print("| --- | --- | --- | --- | --- |")
    for row in [*pii_rows(args.messages), *queue_rows(args.pairs)]:
        print(row, flush=True)


if __name__ == "__main__":
    main()
