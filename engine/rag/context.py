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

# What the small model is told about the reference material. The earlier numbered "[1] Q: ...
# A: ..." block after a paragraph of rules made a 135M model copy the scaffolding ("A:",
# "[4] Q: ...") into its answers and run on to the token limit (issue 14); plain Q/A lines
# after one sentence, as the hand-written baseline sends them, read as answers to
# reuse. Not measured alone: it changed together with the other defaults (RESULTS.md).
PAIRS_INTRO = "Use these reference answers from our knowledge base:"
DOCS_INTRO = "And these passages from our documents:"
# The system prompt when the workspace gives none (prompts built outside a workspace).
RAG_SYSTEM = "You answer questions for this business's customers, in the customer's language."


@dataclass(frozen=True)
class Source:
    """A retrieved pair or document chunk an answer was given with."""

    key: str
    score: float
    text: str
    payload: dict[str, Any]


def reference_block(sources: Sequence[Source]) -> str:
    """Retrieved material as the model reads it: pairs as Q/A lines, then document passages."""
    pairs = [s for s in sources if s.payload.get("kind") == "pair"]
    docs = [s for s in sources if s.payload.get("kind") != "pair"]
    parts = []
    if pairs:
        lines = [
            f"Q: {str(s.payload.get('prompt', '')).strip()}\n"
            f"A: {str(s.payload.get('response', '')).strip()}"
            for s in pairs
        ]
        parts.append(PAIRS_INTRO + "\n" + "\n\n".join(lines))
    if docs:
        intro = DOCS_INTRO if pairs else DOCS_INTRO.replace("And these", "Use these")
        parts.append(intro + "\n" + "\n\n".join(s.text.strip() for s in docs))
    return "\n\n".join(parts)


def context_message(sources: Sequence[Source], system: str = "") -> dict[str, str]:
    """The system message: the domain's system prompt, then ``sources`` as reference."""
    head = system.strip() or RAG_SYSTEM
    return {"role": "system", "content": f"{head}\n\n{reference_block(sources)}"}


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
