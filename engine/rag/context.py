"""Retrieved material as prompt context: the sources an answer is given with, and the system
message that hands them to the model.

Both the rag and ft+rag assistants (``chat``) and training with retrieved context
(``training.retrieval_data``) send this same message, so it lives here, below both: a model
fine-tuned with context in its prompts then sees at answer time exactly what it learned on.
"""

from __future__ import annotations

import re
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


# The reference block's scaffolding in an answer: a small model answering with Q/A lines in
# its prompt starts with their "A:" label (16 of 60 base-model RAG answers on the clinic
# domain) or, its answer given, goes on with a made-up next "Q: ..." (9 of 60), which a
# customer must never see and which cost the answer its precision.
_LABEL = re.compile(r"^\s*A:[ \t]*")
_NEXT_QUESTION = re.compile(r"\n\s*Q:")


def tidy_answer(text: str) -> str:
    """``text`` without a leading "A:" label and without what follows a new "Q:" line."""
    body = _LABEL.sub("", text, count=1)
    found = _NEXT_QUESTION.search(body)
    return (body[: found.start()] if found else body).strip()


class AnswerGuard:
    """``tidy_answer`` for an answer that arrives in pieces: ``feed`` returns the text that
    can be shown now, holding back what may still turn out to be scaffolding (a first "A",
    a last line that may start "Q:"); ``done`` once the answer has ended at a new "Q:" line,
    when the caller stops generating. ``finish`` returns what was held back at the end."""

    def __init__(self) -> None:
        self.raw = ""
        self.sent = 0
        self.done = False

    def feed(self, piece: str) -> str:
        if self.done:
            return ""
        self.raw += piece
        if self.raw.lstrip() in ("", "A"):
            return ""
        body = _LABEL.sub("", self.raw, count=1)
        found = _NEXT_QUESTION.search(body)
        if found:
            self.done = True
            return self._emit(body[: found.start()])
        line_start = body.rfind("\n")
        if line_start >= 0 and body[line_start + 1 :].strip() in ("", "Q"):
            return self._emit(body[:line_start])
        return self._emit(body)

    def finish(self) -> str:
        if self.done:
            return ""
        return self._emit(_LABEL.sub("", self.raw, count=1))

    def _emit(self, upto: str) -> str:
        upto = upto.rstrip()  # blank space waits for the text after it
        shown = upto[self.sent :]
        self.sent = max(self.sent, len(upto))
        return shown
