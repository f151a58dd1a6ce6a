"""The prompt each kind of assistant builds for a question: the chat messages sent to the
model. Pure functions over retrieved sources, so every assistant's prompt is tested as text.

Every kind starts from the same system prompt (the domain's, as the fine-tune trained with;
``rag.system_prompt``), so what differs between them is the method alone:

- base: the system prompt and the question.
- few-shot: k retrieved train pairs as earlier user/assistant turns, then the question: the
  prompt-engineering level, no weights changed.
- rag: the retrieved pairs and document chunks as reference material after the system
  prompt (``rag.context``, shared with training), then the question; the sources are
  returned beside the answer.
- ft: like base, on the tuned model.
- ft+rag: like rag, on the tuned model.
"""

from __future__ import annotations

from collections.abc import Sequence

from afina.engine.errors import UsageError
from afina.engine.rag.context import Source, context_message
from afina.engine.types import Messages

KINDS = ("base", "few-shot", "rag", "ft", "ft+rag")
RETRIEVES = {"few-shot", "rag", "ft+rag"}
TUNED = {"ft", "ft+rag"}


def _check(kind: str) -> None:
    if kind not in KINDS:
        raise UsageError(f"no assistant kind {kind!r}", f"kinds: {', '.join(KINDS)}")


def build_messages(
    kind: str, question: str, sources: Sequence[Source] = (), system: str = ""
) -> Messages:
    """The messages an assistant of ``kind`` sends for ``question`` with ``sources``, after
    the ``system`` prompt (none: the chat template's default)."""
    _check(kind)
    user = {"role": "user", "content": question}
    head: Messages = [{"role": "system", "content": system}] if system.strip() else []
    if kind not in RETRIEVES or not sources:
        return [*head, user]
    if kind == "few-shot":
        shots: Messages = [*head]
        for s in sources:
            if s.payload.get("kind") != "pair":
                continue  # document chunks are not examples of answers
            shots.append({"role": "user", "content": str(s.payload.get("prompt", ""))})
            shots.append({"role": "assistant", "content": str(s.payload.get("response", ""))})
        return [*shots, user]
    return [context_message(sources, system), user]
