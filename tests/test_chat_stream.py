"""Streaming generation: pieces as they are decoded, one generation at a time on a shared
model, early close, errors from the generation thread, and the base model behind an adapter."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from afina.engine.chat.generate import Assistant

torch = pytest.importorskip("torch")
MESSAGES = [{"role": "user", "content": "qual o horário de atendimento da loja?"}]


def generator_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "afina-generate"]


def within(seconds: float, fn: Callable[[], Any]) -> Any:
    """fn's result, or a failure instead of a hung test when it does not return in time."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as e:
            box["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"still running after {seconds} s"
    if "error" in box:
        raise box["error"]
    return box["value"]


def chatty(chatty_model: Any) -> tuple[Any, Any]:
    """The chatty tiny model (see conftest) and its tokenizer, freshly loaded."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(str(chatty_model)).eval()
    return model, AutoTokenizer.from_pretrained(str(chatty_model))


@pytest.fixture
def assistant(chatty_model: Any) -> Assistant:
    model, tok = chatty(chatty_model)
    return Assistant(model, tok, adapter=False)


def test_the_repetition_penalty_spares_the_prompt(assistant: Assistant) -> None:
    """A RAG answer must be free to copy the prices and names of its reference material:
    only tokens the answer itself has produced are penalized."""
    (processor,) = assistant.generate_kwargs(8, 1.2, prompt_length=3)["logits_processor"]
    ids = torch.tensor([[5, 6, 7, 8, 9]])  # three prompt tokens, then two generated
    scores = torch.full((1, 16), 2.0)
    out = processor(ids, scores.clone())
    assert out[0, 5:8].tolist() == [2.0, 2.0, 2.0]  # in the prompt only: untouched
    assert out[0, 8:10].tolist() == pytest.approx([2.0 / 1.2] * 2)  # generated: penalized
    assert "logits_processor" not in assistant.generate_kwargs(8, 1.0, prompt_length=3)


def test_the_repetition_penalty_spares_the_digits_of_numbers(assistant: Assistant) -> None:
    """A phone number repeats its digits; a loop repeats words: only words are penalized."""
    tok = assistant.tokenizer
    (processor,) = assistant.generate_kwargs(8, 1.2, prompt_length=0)["logits_processor"]
    number = tok("(41) 3022-5180", add_special_tokens=False)["input_ids"]
    words = tok(" que que", add_special_tokens=False)["input_ids"]
    ids = torch.tensor([number + words])
    scores = torch.full((1, len(tok)), 2.0)
    out = processor(ids, scores)
    assert out[0, number].tolist() == [2.0] * len(number)
    assert out[0, words].tolist() == pytest.approx([2.0 / 1.2] * len(words))


@pytest.fixture
def slow_steps(assistant: Assistant) -> Iterator[None]:
    """Each forward pass takes at least 5 ms: a long answer is still running when a test
    acts on it, whatever the machine's speed."""
    handle = assistant.model.register_forward_pre_hook(lambda *_: time.sleep(0.005))
    yield
    handle.remove()


def test_pieces_join_to_the_text_that_generate_decodes(assistant: Assistant) -> None:
    enc = assistant.encode(MESSAGES)
    with torch.inference_mode():
        width = enc["input_ids"].shape[1]
        out = assistant.model.generate(**enc, **assistant.generate_kwargs(16, 1.2, width))
    new = out[0][enc["input_ids"].shape[1] :]
    expected = assistant.tokenizer.decode(new, skip_special_tokens=True)

    stream = assistant.stream(MESSAGES, 16)
    pieces = list(stream)
    assert len(pieces) > 3 and all(pieces)  # streamed word by word, no empty pieces
    assert "".join(pieces) == expected and len(expected.split()) > 3
    assert assistant.reply(MESSAGES, 16) == expected.strip()
    assert stream.tokens == len(new)
    assert stream.first_token_s is not None and stream.first_token_s > 0
    assert not assistant.lock.locked() and not generator_threads()


def test_closing_early_ends_the_thread_and_frees_the_model(
    assistant: Assistant, slow_steps: None
) -> None:
    before = assistant.reply(MESSAGES, 8)
    stream = assistant.stream(MESSAGES, 900)
    try:
        assert next(stream) and assistant.lock.locked()  # the generation holds the model
        within(10, stream.close)
    finally:
        stream.close()  # a failed assertion above must not leave a generation running
    assert not generator_threads()
    assert not assistant.lock.locked()
    assert 0 < stream.tokens < 900  # stopped, not run to its end
    with pytest.raises(StopIteration):
        next(stream)
    # The model is free: the next generation runs, and gives the same greedy answer as before.
    assert within(60, lambda: assistant.reply(MESSAGES, 8)) == before


def test_a_stream_dropped_by_a_break_still_releases_the_model(
    assistant: Assistant, slow_steps: None
) -> None:
    def consume_two() -> int:
        with assistant.stream(MESSAGES, 900) as stream:
            for n, _ in enumerate(stream, 1):
                if n == 2:
                    break
        return stream.tokens

    assert within(30, consume_two) < 900
    assert not assistant.lock.locked() and not generator_threads()


def test_an_error_in_generate_reaches_the_consumer(assistant: Assistant) -> None:
    before = assistant.reply(MESSAGES, 16)
    calls = {"n": 0}

    def fail_on_third_step(*_: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("the accelerator fell over")

    handle = assistant.model.register_forward_pre_hook(fail_on_third_step)
    try:
        stream = assistant.stream(MESSAGES, 50)
        with pytest.raises(RuntimeError, match="the accelerator fell over"):
            within(30, lambda: list(stream))
    finally:
        handle.remove()
    assert not assistant.lock.locked() and not generator_threads()
    assert assistant.reply(MESSAGES, 16) == before  # and the model answers again afterwards


def test_generations_on_one_model_take_turns(assistant: Assistant, slow_steps: None) -> None:
    busy, most = [0], [0]

    def enter(*_: Any) -> None:
        busy[0] += 1
        most[0] = max(most[0], busy[0])

    def leave(*_: Any) -> None:
        busy[0] -= 1

    alone = assistant.reply(MESSAGES, 12)
    assert alone
    hooks = [
        assistant.model.register_forward_pre_hook(enter),
        assistant.model.register_forward_hook(leave),
    ]
    try:
        results: list[str] = []
        threads = [
            threading.Thread(target=lambda: results.append(assistant.reply(MESSAGES, 12)))
            for _ in range(3)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        for h in hooks:
            h.remove()
    assert most[0] == 1  # never two forward passes at once
    assert results == [alone] * 3


def test_base_streams_the_base_model_behind_the_adapter(chatty_model: Any) -> None:
    peft = pytest.importorskip("peft")
    plain, tok = chatty(chatty_model)
    wrapped, _ = chatty(chatty_model)
    torch.manual_seed(0)
    # Random (not zero) LoRA weights: the adapter changes the answer from the first token.
    config = peft.LoraConfig(r=8, lora_alpha=64, target_modules=["q_proj", "v_proj"])
    config.init_lora_weights = False
    tuned = Assistant(peft.get_peft_model(wrapped, config).eval(), tok, adapter=True)

    base_text = Assistant(plain, tok, adapter=False).reply(MESSAGES, 12)
    tuned_text = tuned.reply(MESSAGES, 12)
    assert base_text and tuned_text and tuned_text != base_text
    assert "".join(tuned.stream(MESSAGES, 12, base=True)).strip() == base_text
    assert tuned.reply(MESSAGES, 12, base=True) == base_text
    assert tuned.reply(MESSAGES, 12) == tuned_text  # the adapter is back on afterwards
