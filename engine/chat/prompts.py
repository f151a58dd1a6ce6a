"""The prompt each kind of assistant builds for a question: the chat messages sent to the
model. Pure functions over retrieved hits, so every assistant's prompt is tested as text.

- base: the question alone (the template's default system prompt, as in training).
- few-shot: k retrieved train pairs as earlier user/assistant turns, then the question: the
  prompt-engineering level, no weights changed.
- rag: the retrieved pairs and document chunks as reference material in a system message,
  then the question; the sources are returned beside the answer.
- ft: like base, on the tuned model.
- ft+rag: like rag, on the tuned model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from afina.engine.errors import UsageError
from afina.engine.training.data import Messages

KINDS = ("base", "few-shot", "rag", "ft", "ft+rag")
RETRIEVES = {"few-shot", "rag", "ft+rag"}
TUNED = {"ft", "ft+rag"}

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


def _check(kind: str) -> None:
    if kind not in KINDS:
        raise UsageError(f"no assistant kind {kind!r}", f"kinds: {', '.join(KINDS)}")


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


def build_messages(kind: str, question: str, sources: Sequence[Source] = ()) -> Messages:
    """The messages an assistant of ``kind`` sends for ``question`` with ``sources``."""
    _check(kind)
    user = {"role": "user", "content": question}
    if kind not in RETRIEVES or not sources:
        return [user]
    if kind == "few-shot":
        shots: Messages = []
        for s in sources:
            if s.payload.get("kind") != "pair":
                continue  # document chunks are not examples of answers
            shots.append({"role": "user", "content": str(s.payload.get("prompt", ""))})
            shots.append({"role": "assistant", "content": str(s.payload.get("response", ""))})
        return [*shots, user]
    system = f"{RAG_SYSTEM}\n\nReference material:\n\n{reference_block(sources)}"
    return [{"role": "system", "content": system}, user]


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
