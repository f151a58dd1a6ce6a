"""Retrieved material as prompt context: the sources an answer is given with, and the system
message that hands them to the model.

Both the rag and ft+rag assistants (``chat``) and training with retrieved context
(``training.retrieval_data``) send this same message, so it lives here, below both: a model
fine-tuned with context in its prompts then sees at answer time exactly what it learned on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

RAG_SYSTEM = (
    "You answer questions for this business's customers. Use the reference material below "
    "when it answers the question; do not invent prices, hours or other facts that it does "
    "not contain. Answer in the customer's language."
)


@dataclass(frozen=True)
class Source:
    """A retrieved pair or document chunk an answer was given with."""

    key: str
    score: float
    text: str
    payload: dict[str, Any]


def reference_block(sources: Sequence[Source]) -> str:
    """Retrieved material, numbered so an answer (or a person) can point at it."""
    parts = []
    for n, s in enumerate(sources, 1):
        if s.payload.get("kind") == "pair":
            body = f"Q: {s.payload.get('prompt', '')}\nA: {s.payload.get('response', '')}"
        else:
            body = s.text
        parts.append(f"[{n}] {body.strip()}")
    return "\n\n".join(parts)


def context_message(sources: Sequence[Source]) -> dict[str, str]:
    """The system message that gives the model ``sources`` as reference material."""
    return {
        "role": "system",
        "content": f"{RAG_SYSTEM}\n\nReference material:\n\n{reference_block(sources)}",
    }


def sources_from_hits(hits: Sequence[Any], exclude_prompt: str | None = None) -> list[Source]:
    """Retriever hits as sources; a hit whose prompt is the question itself is left out, so
    an evaluation question never gets its own reference answer handed to it."""
    out = []
    for h in hits:
        payload = dict(h.payload)
        if (
            exclude_prompt is not None
            and payload.get("prompt", "").strip() == exclude_prompt.strip()
        ):
            continue
        out.append(Source(h.key, float(h.score), h.text, payload))
    return out
