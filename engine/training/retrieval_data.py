"""Training prompts with retrieved pairs in them, so that a fine-tune learns to use context.

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


def add_retrieved_context(
    ws: Workspace,
    train_file: Path,
    share: float,
    k: int,
    index: str,
    seed: int,
    embedder: Any = None,
) -> int:
    """Rewrite ``train_file`` with retrieved context in a ``share`` of its prompts; returns
    how many prompts got it. Pairs with a system message of their own are left as they are."""
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
        if msgs[0]["role"] == "system" or len(msgs) < 2:
            continue
        question = msgs[-2]["content"]
        hits = retriever.query(question, k + 1)
        sources = sources_from_hits(hits, exclude_prompt=question)[:k]
        if not sources:
            continue
        conversations[i] = [context_message(sources), *msgs]
        changed += 1
    tmp = train_file.with_name(train_file.name + ".tmp")
    tmp.write_text(
        "".join(json.dumps({"messages": m}, ensure_ascii=False) + "\n" for m in conversations),
        encoding="utf-8",
    )
    tmp.replace(train_file)
    return changed
