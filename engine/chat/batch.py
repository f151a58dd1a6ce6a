"""Many answers at once, for evaluation: batched greedy generation and the log-likelihood of
reference answers.

On a CPU a batch of 8 short prompts costs little more time than one, so the evaluation of
five assistants over the held-out questions fits its budget only when batched. The prompts
are sorted by length first so a batch carries little padding, and the answers are put back in
the caller's order. Padding goes on the left for generation (new tokens follow every prompt
directly) and is marked by the attention mask only: SmolLM2's pad token is its end-of-turn
token, so recognising padding by id would cut real text.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from afina.engine.chat.generate import REPETITION_PENALTY, Assistant
from afina.engine.rag.context import tidy_answer
from afina.engine.training.data import IGNORE, encode, pad_id
from afina.engine.types import Messages


@dataclass(frozen=True)
class Generated:
    text: str
    tokens: int  # new tokens up to and including the end-of-turn token
    seconds: float  # the batch's time shared evenly among its answers


@contextmanager
def merged(assistant: Assistant) -> Iterator[None]:
    """The adapter merged into the base weights while the block runs. Unmerged, every LoRA
    layer adds two small matmuls a token, which on a CPU made batched generation of the
    fine-tune about 4x slower than the base model's (measured on SmolLM2, all-linear r=16).
    Merging changes weights in place, so a caller runs its base-model work before this."""
    model = assistant.model
    if not assistant.adapter or not hasattr(model, "merge_adapter"):
        yield
        return
    with assistant.lock:
        model.merge_adapter()
    try:
        yield
    finally:
        with assistant.lock:
            model.unmerge_adapter()


def _order(lengths: Sequence[int]) -> list[int]:
    return sorted(range(len(lengths)), key=lambda i: (lengths[i], i))


def reply_batch(
    assistant: Assistant,
    conversations: Sequence[Messages],
    max_new_tokens: int = 128,
    *,
    base: bool = False,
    batch_size: int = 8,
    repetition_penalty: float = REPETITION_PENALTY,
    on_batch: Callable[[int], None] | None = None,
) -> list[Generated]:
    """Greedy answers to ``conversations`` (the same as ``Assistant.reply`` gives one by one,
    up to floating-point differences of padded batches). ``on_batch(n)`` after each batch."""
    import torch

    tok = assistant.tokenizer
    prompts = [
        tok.apply_chat_template(m, add_generation_prompt=True, tokenize=False)
        for m in conversations
    ]
    encoded = [tok(p, add_special_tokens=False)["input_ids"] for p in prompts]
    settings = assistant.generate_kwargs(max_new_tokens, repetition_penalty, 0)
    stops, pad = settings["eos_token_id"], settings["pad_token_id"]
    results: list[Generated | None] = [None] * len(conversations)
    order = _order([len(e) for e in encoded])
    ctx = assistant.base if base else nullcontext
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        width = max(len(encoded[i]) for i in chunk)
        ids = torch.full((len(chunk), width), pad, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for row, i in enumerate(chunk):
            n = len(encoded[i])
            ids[row, width - n :] = torch.tensor(encoded[i])
            mask[row, width - n :] = 1
        started = time.perf_counter()
        # The lock: a chat on the same loaded model must not switch the adapter mid-batch.
        with assistant.lock, ctx(), torch.inference_mode():
            out = assistant.model.generate(
                input_ids=ids,
                attention_mask=mask,
                **assistant.generate_kwargs(max_new_tokens, repetition_penalty, width),
            )
        share = (time.perf_counter() - started) / len(chunk)
        for row, i in enumerate(chunk):
            new = out[row, width:].tolist()
            # Finished rows are padded after their end token; the answer ends at the first stop.
            end = next((j + 1 for j, t in enumerate(new) if t in stops), len(new))
            text = tidy_answer(str(tok.decode(new[:end], skip_special_tokens=True)))
            results[i] = Generated(text, end, share)
        if on_batch is not None:
            on_batch(len(chunk))
    return [r for r in results if r is not None]


def reference_nlls(
    assistant: Assistant,
    items: Sequence[tuple[Messages, str]],
    *,
    base: bool = False,
    batch_size: int = 8,
    max_length: int = 1024,
) -> list[list[float]]:
    """Per-token negative log-likelihoods (natural log) of each reference answer after its
    prompt, the tokens scored being the ones training puts loss on (the answer and its
    end-of-turn token). An item too long for ``max_length`` gets an empty list."""
    import torch

    from afina.engine.training.batching import collate

    tok = assistant.tokenizer
    examples = [
        encode(tok, [*messages, {"role": "assistant", "content": reference}], max_length)[0]
        for messages, reference in items
    ]
    pad = pad_id(tok)
    out: list[list[float]] = [[] for _ in items]
    kept = [i for i, e in enumerate(examples) if e is not None]
    order = sorted(kept, key=lambda i: len(examples[i].input_ids))  # type: ignore[union-attr]
    ctx = assistant.base if base else nullcontext
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        feats: list[dict[str, list[int]]] = []
        for i in chunk:
            e = examples[i]
            assert e is not None
            feats.append({"input_ids": e.input_ids, "labels": e.labels})
        batch: dict[str, Any] = collate(feats, pad)
        with assistant.lock, ctx(), torch.inference_mode():
            logits = assistant.model(
                input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
            ).logits.float()
        # Position t predicts token t + 1.
        labels = batch["labels"][:, 1:]
        logp = torch.log_softmax(logits[:, :-1], dim=-1)
        picked = logp.gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
        for row, i in enumerate(chunk):
            keep = labels[row] != IGNORE
            out[i] = (-picked[row][keep]).tolist()
    return out
