"""Load a tuned run (its base model with the adapter, or the full fine-tuned model) and answer
chat messages through the same chat template training used, streamed as text is decoded.

One loaded model serves several assistants (the tuned run, and its base with the adapter
switched off), and switching the adapter off is a change to the shared model, not to a
thread: so every generation on an :class:`Assistant` holds its lock from start to end, and a
base-model generation switches the adapter off inside that lock.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Generator, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from afina.engine.chat.penalty import SparingPenalty
from afina.engine.errors import NotFound
from afina.engine.rag.context import AnswerGuard
from afina.engine.training.data import pad_id, stop_token_ids
from afina.engine.training.spec import read_spec
from afina.engine.types import Messages

# Greedy decoding of a small model falls into loops without a repetition penalty (chat.penalty
# spares the digits of prices and phone numbers). Measured on two domains: 1.1 or 1.0 scored
# the fine-tunes a little higher but made the base model loop in Portuguese ("E que? E que?"
# in 3 of 60 answers at 1.1; a four-word run repeated in 10 of 20 at 1.0), never at 1.2
# (benchmarks/RESULTS.md, issue 14, "Second pass").
REPETITION_PENALTY = 1.2


@dataclass
class Assistant:
    model: Any
    tokenizer: Any
    adapter: bool  # the base model can be had back with base() while the adapter is loaded
    # Held by each generation from its first step to its last; others wait their turn.
    lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    def reply(
        self,
        messages: Messages,
        max_new_tokens: int = 128,
        repetition_penalty: float = REPETITION_PENALTY,
        *,
        base: bool = False,
    ) -> str:
        """A greedy answer (the same every time), stopped at the end-of-turn token. Small
        models decoded greedily fall into loops; a mild repetition penalty keeps them out."""
        with self.stream(messages, max_new_tokens, repetition_penalty, base=base) as pieces:
            return "".join(pieces).strip()

    def stream(
        self,
        messages: Messages,
        max_new_tokens: int = 128,
        repetition_penalty: float = REPETITION_PENALTY,
        *,
        base: bool = False,
    ) -> TextStream:
        """The answer ``reply`` gives, as text pieces while they are decoded.

        ``base=True`` answers with the adapter switched off for the whole generation. The
        generation starts on the first ``next()``; closing the stream early (``close()``,
        leaving a ``with`` block, or ``break`` and dropping it) stops it within one token.
        """
        return TextStream(self, messages, max_new_tokens, repetition_penalty, base)

    def generate_kwargs(
        self, max_new_tokens: int, repetition_penalty: float, prompt_length: int
    ) -> dict[str, Any]:
        """The decoding settings every answer uses: greedy, stopped at any end-of-turn token.

        The repetition penalty weighs on the answer's own tokens only (the first
        ``prompt_length`` tokens of each row, padding included, are left out), and never on
        the tokens numbers are made of (``chat.penalty``). transformers' default also
        penalizes the prompt's tokens, which keeps a RAG answer from copying the prices and
        names of its reference material, and any answer from repeating the words of the
        question."""
        from transformers import LogitsProcessorList

        tok = self.tokenizer
        kwargs: dict[str, Any] = {
            "max_new_tokens": max_new_tokens,
            "do_sample": False,
            "eos_token_id": sorted(stop_token_ids(tok)),
            "pad_token_id": pad_id(tok),
        }
        if repetition_penalty != 1.0:
            penalty = SparingPenalty(float(repetition_penalty), prompt_length, tok)
            kwargs["logits_processor"] = LogitsProcessorList([penalty])
        return kwargs

    def encode(self, messages: Messages) -> Any:
        """The prompt for ``messages`` through the chat template, ready for ``generate``."""
        return self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )

    @contextmanager
    def base(self) -> Iterator[None]:
        """The base model's behaviour, for a before/after comparison on one loaded model.

        Not serialized by itself: prefer ``stream(..., base=True)`` where another thread may
        generate on the same model at the same time."""
        with self.model.disable_adapter() if self.adapter else nullcontext():
            yield


class TextStream(Iterator[str]):
    """The text pieces of one generation, in order, as the model decodes them.

    Pieces come from transformers' ``TextIteratorStreamer`` (the prompt and special tokens
    left out; text is held back until a word is complete), without the reference block's
    scaffolding: a leading "A:" is left out, and the answer ends where a new "Q:" line would
    start (``rag.context.AnswerGuard``), which also stops the generation. The generation runs
    in a thread; an exception there is raised here, at the end of the stream. ``tokens``
    counts the new tokens generated so far (the end-of-turn token included) and
    ``first_token_s`` is the time from the first ``next()`` to the first new token; both are
    final once the stream has ended.
    """

    def __init__(
        self,
        assistant: Assistant,
        messages: Messages,
        max_new_tokens: int,
        repetition_penalty: float,
        base: bool,
    ) -> None:
        self.tokens = 0
        self.first_token_s: float | None = None
        self._pieces = self._run(assistant, messages, max_new_tokens, repetition_penalty, base)

    def __next__(self) -> str:
        return next(self._pieces)

    def close(self) -> None:
        """Stop the generation (if it still runs) and wait for its thread to let go."""
        self._pieces.close()

    def __enter__(self) -> TextStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(
        self,
        assistant: Assistant,
        messages: Messages,
        max_new_tokens: int,
        repetition_penalty: float,
        base: bool,
    ) -> Generator[str, None, None]:
        import torch
        from transformers import StoppingCriteriaList, TextIteratorStreamer

        # No queue timeout: the worker always ends the stream, whatever happens to it.
        text = TextIteratorStreamer(assistant.tokenizer, skip_prompt=True, skip_special_tokens=True)
        started = time.perf_counter()
        tap = _TokenTap(text, self, started)
        cancel = threading.Event()
        failure: list[BaseException] = []
        stop = StoppingCriteriaList([_cancel_criterion()(cancel)])

        def work() -> None:
            try:
                with assistant.lock:
                    if cancel.is_set():  # closed while it waited for the model
                        return
                    # Encoded under the lock too: a fast tokenizer used from two threads at
                    # once can fail ("Already borrowed"), and the streamer decodes with it.
                    enc = assistant.encode(messages)
                    width = int(enc["input_ids"].shape[1])
                    kwargs = assistant.generate_kwargs(max_new_tokens, repetition_penalty, width)
                    kwargs["stopping_criteria"] = stop
                    # inference_mode is per thread: it has to be entered here, not by the caller.
                    with assistant.base() if base else nullcontext(), torch.inference_mode():
                        assistant.model.generate(**enc, **kwargs, streamer=tap)
            except BaseException as e:  # handed to the consumer, who re-raises it
                failure.append(e)
            finally:
                # generate ends the stream itself when it finishes; after a failure (or a
                # cancel before the start) nobody has, and the consumer would wait forever.
                text.on_finalized_text("", stream_end=True)

        thread = threading.Thread(target=work, name="afina-generate", daemon=True)
        thread.start()
        guard = AnswerGuard()
        try:
            for piece in text:
                shown = guard.feed(piece)
                if shown:
                    yield shown
                if guard.done:  # leaving the loop cancels the generation
                    break
            rest = guard.finish()
            if rest:
                yield rest
        finally:
            cancel.set()
            thread.join()
        if failure:
            raise failure[0]


class _TokenTap:
    """Between ``generate`` and the text streamer: counts the new tokens and notes when the
    first one came, which the text pieces (held back to word ends) cannot tell."""

    def __init__(self, inner: Any, stream: TextStream, started: float) -> None:
        self.inner = inner
        self.stream = stream
        self.started = started
        self.prompt_seen = False

    def put(self, value: Any) -> None:
        if self.prompt_seen:  # generate hands over the prompt first, then one token a step
            if self.stream.first_token_s is None:
                self.stream.first_token_s = time.perf_counter() - self.started
            self.stream.tokens += int(value.numel())
        self.prompt_seen = True
        self.inner.put(value)

    def end(self) -> None:
        self.inner.end()


@functools.cache
def _cancel_criterion() -> Any:
    """A StoppingCriteria class that ends generation once its event is set (made on first use:
    transformers is imported only when something generates)."""
    import torch
    from transformers import StoppingCriteria

    class StopWhenCancelled(StoppingCriteria):
        def __init__(self, cancel: threading.Event) -> None:
            self.cancel = cancel

        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            stop = self.cancel.is_set()
            return torch.full(
                (input_ids.shape[0],), stop, dtype=torch.bool, device=input_ids.device
            )

    return StopWhenCancelled


def has_final(run_dir: Path) -> bool:
    """Whether the run saved its result: an adapter, or a full model."""
    final = run_dir / "final"
    return (final / "config.json").is_file() or (final / "adapter_config.json").is_file()


def _check_chat_model(run_dir: Path) -> None:
    """Refuse a run whose objective does not make a model that answers (a classifier)."""
    from afina.engine.errors import UsageError
    from afina.engine.training.objectives import objective_of

    method = read_spec(run_dir).settings.method
    objective = objective_of(method)
    if not objective.chat_model:
        raise UsageError(
            f"run {run_dir.name} trained a {objective.name} model ({method}), not one that chats",
            "choose a run of a chat method (lora, ia3, full ...): `afina jobs` lists them",
        )


def load_run(run_dir: Path) -> Assistant:
    """The run's final result: the adapter over its base model, or a full model."""
    from transformers import AutoTokenizer

    from afina.engine.models import load_causal_lm, quiet_transformers

    quiet_transformers()
    final = run_dir / "final"
    if not has_final(run_dir):
        raise NotFound(f"run {run_dir.name} has no final result", "it has not finished")
    _check_chat_model(run_dir)
    tokenizer = AutoTokenizer.from_pretrained(str(final))  # saved with the run: its template
    if (final / "adapter_config.json").is_file():
        from peft import PeftModel

        base = load_causal_lm(read_spec(run_dir).settings.base_model)
        model = PeftModel.from_pretrained(base, str(final))
        adapter = True
    else:
        model, adapter = load_causal_lm(str(final)), False
    model.eval()
    return Assistant(model, tokenizer, adapter)
