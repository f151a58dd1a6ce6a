"""Assistants: named ways to answer (base, few-shot, rag, ft, ft+rag) over one loaded model.

A tuned run is loaded once: its adapter answers for ft and ft+rag, and the same weights with
the adapter switched off answer for base, few-shot and rag, so comparing five assistants
costs one model in memory. Retrieval goes through the workspace's index.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from afina.engine.chat.generate import Assistant, load_run
from afina.engine.chat.prompts import RETRIEVES, TUNED, build_messages
from afina.engine.errors import UsageError
from afina.engine.rag.context import Source, sources_from_hits
from afina.engine.training.spec import read_spec
from afina.engine.types import Messages
from afina.engine.workspace import Workspace


@dataclass(frozen=True)
class Answer:
    kind: str
    question: str
    text: str
    sources: list[Source]
    messages: Messages
    seconds: float
    first_token_s: float | None = None  # until the first piece of text; None: no text at all
    tokens: int = 0  # new tokens generated, the end-of-turn token included

    def to_json(self) -> dict[str, Any]:
        return {
            "assistant": self.kind,
            "question": self.question,
            "answer": self.text,
            "sources": [
                {"key": s.key, "score": round(s.score, 4), "text": s.text} for s in self.sources
            ],
            "seconds": round(self.seconds, 3),
            "first_token_s": None if self.first_token_s is None else round(self.first_token_s, 3),
            "tokens": self.tokens,
        }


@dataclass
class Assistants:
    """The models and the index that answer for every kind, loaded on first use."""

    ws: Workspace
    run_dir: Path | None = None  # a finished run: needed by ft and ft+rag
    index: str = "default"
    k: int = 3
    embedder: Any = None  # tests inject a model-free embedder
    # The system prompt every kind answers with; None: the run's (what it trained with), or
    # without a run the workspace's.
    system: str | None = None
    _model: Assistant | None = field(default=None, repr=False)
    _base: Assistant | None = field(default=None, repr=False)  # beside a full fine-tune
    _retriever: Any = field(default=None, repr=False)

    def model_for(self, kind: str) -> Assistant:
        """The loaded model that answers for ``kind``: one object for every kind, except
        beside a full fine-tune, where the base kinds get the base model of their own."""
        if kind in TUNED and self.run_dir is None:
            raise UsageError(f"assistant {kind!r} needs a finished run", "give --run ID")
        if self._model is None:
            if self.run_dir is not None:
                self._model = load_run(self.run_dir)
            else:
                self._model = base_assistant(self.ws.config.train.base_model)
        if kind not in TUNED and self.run_dir is not None and not self._model.adapter:
            # A full fine-tune has no base model inside it to switch back to: the base kinds
            # load the run's base model beside it.
            if self._base is None:
                self._base = base_assistant(read_spec(self.run_dir).settings.base_model)
            return self._base
        return self._model

    def sources(self, question: str) -> list[Source]:
        if self._retriever is None:
            from afina.engine.rag.workspace_index import open_index

            self._retriever = open_index(self.ws, self.index, embedder=self.embedder)
        # One more than asked: a stored copy of the question itself is left out.
        hits = self._retriever.query(question, self.k + 1)
        return sources_from_hits(hits, exclude_prompt=question)[: self.k]

    def messages_for(self, kind: str, question: str) -> tuple[Messages, list[Source]]:
        """The prompt ``kind`` sends for ``question``, and the sources retrieved for it."""
        build_messages(kind, question)  # an unknown kind fails before anything loads
        sources = self.sources(question) if kind in RETRIEVES else []
        return build_messages(kind, question, sources, self.system_prompt()), sources

    def system_prompt(self) -> str:
        if self.system is None:
            if self.run_dir is not None:
                self.system = read_spec(self.run_dir).system_prompt
            else:
                from afina.engine.rag.system_prompt import system_prompt_for

                self.system = system_prompt_for(self.ws)
        return self.system

    def answer(
        self,
        kind: str,
        question: str,
        max_new_tokens: int = 128,
        on_text: Callable[[str], None] | None = None,
    ) -> Answer:
        """``kind``'s answer to ``question``; ``on_text`` gets each piece of text as it is
        decoded (leading blank space left out, so the pieces add up to the answer's text)."""
        messages, sources = self.messages_for(kind, question)
        model = self.model_for(kind)
        started = time.perf_counter()
        first: float | None = None
        pieces: list[str] = []
        with model.stream(messages, max_new_tokens, base=kind not in TUNED) as stream:
            for piece in stream:
                if not pieces:
                    piece = piece.lstrip()
                    if not piece:
                        continue
                    first = time.perf_counter() - started
                pieces.append(piece)
                if on_text is not None:
                    on_text(piece)
        text = "".join(pieces).strip()
        seconds = time.perf_counter() - started
        return Answer(kind, question, text, sources, messages, seconds, first, stream.tokens)


def base_assistant(base_model: str) -> Assistant:
    from afina.engine.models import load_causal_lm, load_tokenizer, quiet_transformers

    quiet_transformers()
    model = load_causal_lm(base_model)
    model.eval()
    return Assistant(model, load_tokenizer(base_model), adapter=False)
