"""Training prompts as the assistants send them: the domain's system prompt on every one, and
retrieved pairs in a share of them, so that a fine-tune learns to use context.

A model fine-tuned on bare questions never saw reference material in its prompt, and at
FT+RAG time it ignores what retrieval hands it (measured: FT+RAG no better than FT). With
``train.retrieval_share = p``, a share ``p`` of the training pairs (chosen by the run's seed)
get the same system message the rag and ft+rag assistants send: the top-k pairs retrieved
for the question from the workspace index, leaving out the pair itself, exactly as the
assistants leave a question's own stored answer out. The rest stay bare, so the fine-tune
still answers without context (the ft assistant).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from afina.engine.errors import ConfigError
from afina.engine.rag.context import context_message, sources_from_hits
from afina.engine.training.data import read_messages
from afina.engine.workspace import Workspace

SPARE = 4  # hits beyond k asked for, so that k pairs remain once document chunks are left out


def add_retrieved_context(
    ws: Workspace,
    train_file: Path,
    share: float,
    k: int,
    index: str,
    seed: int,
    embedder: Any = None,
    system: str = "",
) -> int:
    """Rewrite ``train_file`` with retrieved context in a ``share`` of its prompts, after the
    domain's ``system`` prompt; returns how many prompts got it. Pairs with a system message
    of their own (other than ``system`` alone) are left as they are."""
    if not 0.0 <= share <= 1.0:
        raise ConfigError(f"train.retrieval_share must be in [0, 1], got {share}")
    if share == 0.0:
        return 0
    if k < 1:
        raise ConfigError(f"train.retrieval_k must be at least 1, got {k}")
    from afina.engine.rag.workspace_index import open_index

    retriever = open_index(ws, index, embedder=embedder)
    conversations = read_messages(train_file)
    rng = random.Random(seed)
    chosen = [i for i in range(len(conversations)) if rng.random() < share]
    changed = 0
    for i in chosen:
        msgs = conversations[i]
        if system and msgs and msgs[0] == {"role": "system", "content": system}:
            msgs = msgs[1:]  # the domain's prompt alone: the context message carries it
        if len(msgs) < 2 or msgs[0]["role"] == "system":
            continue
        question = msgs[-2]["content"]
        # Pairs only: a document chunk is several times a pair's length, and the first demo
        # run with chunks in its training prompts (k = 2) needed 9 GB of memory and far longer
        # steps on a shared CPU; what the fine-tune learns from pairs carries over.
        hits = [
            h for h in retriever.query(question, k + 1 + SPARE) if h.payload.get("kind") == "pair"
        ]
        sources = sources_from_hits(hits, exclude_prompt=question)[:k]
        if not sources:
            continue
        conversations[i] = [context_message(sources, system), *msgs]
        changed += 1
    _rewrite(train_file, conversations)
    return changed


def add_system(path: Path, system: str) -> None:
    """Start every conversation of ``path`` that has no system message with ``system``, as
    every assistant's prompt starts (a missing file, an empty split, is left alone)."""
    if not path.is_file():
        return
    conversations = read_messages(path)
    _rewrite(
        path,
        [
            m if m and m[0]["role"] == "system" else [{"role": "system", "content": system}, *m]
            for m in conversations
        ],
    )


def _rewrite(path: Path, conversations: list[Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(
        "".join(json.dumps({"messages": m}, ensure_ascii=False) + "\n" for m in conversations),
        encoding="utf-8",
    )
    tmp.replace(path)
