"""Training examples: chat messages through the model's own chat template, with loss on the
final assistant turn only, and a report of what was trimmed or dropped and why.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from afina.engine.errors import AfinaError, ConfigError
from afina.engine.types import Messages

IGNORE = -100  # label of a token that carries no loss


@dataclass(frozen=True)
class Example:
    input_ids: list[int]
    labels: list[int]

    @property
    def loss_tokens(self) -> int:
        return sum(1 for t in self.labels if t != IGNORE)


@dataclass
class TokenReport:
    examples: int = 0
    kept: int = 0
    context_trimmed: int = 0  # earlier turns left out so the pair fits max_length
    dropped: Counter[str] = field(default_factory=Counter)
    tokens: int = 0
    loss_tokens: int = 0
    longest: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "kept": self.kept,
            "context_trimmed": self.context_trimmed,
            "dropped": dict(self.dropped),
            "tokens": self.tokens,
            "loss_tokens": self.loss_tokens,
            "longest": self.longest,
        }


def read_messages(path: Path) -> list[Messages]:
    """A messages JSONL file (afina's export, or OpenAI's fine-tuning format)."""
    out: list[Messages] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise AfinaError(f"{path}: cannot read ({e.strerror})") from e
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as e:
            raise AfinaError(f"{path}: line {n}: not JSON ({e})") from e
        messages = _messages(record)
        if messages is None:
            raise AfinaError(
                f"{path}: line {n}: expected {{'messages': [...]}} or an instruction/output record"
            )
        out.append(messages)
    return out


def _messages(record: Any) -> Messages | None:
    if not isinstance(record, dict):
        return None
    if isinstance(record.get("messages"), list):
        msgs = [
            {"role": str(m.get("role")), "content": str(m.get("content", ""))}
            for m in record["messages"]
            if isinstance(m, dict)
        ]
        return msgs if msgs and msgs[-1]["role"] == "assistant" else None
    if "instruction" in record and "output" in record:  # Alpaca, for replay data
        prompt = str(record["instruction"])
        if record.get("input"):
            prompt += "\n\n" + str(record["input"])
        return [
            {"role": "user", "content": prompt},
            {"role": "assistant", "content": str(record["output"])},
        ]
    return None


def encode(tokenizer: Any, messages: Messages, max_length: int) -> tuple[Example | None, str]:
    """One conversation as token ids and labels. Returns (example, what happened): "kept",
    "trimmed" (earlier context left out to fit), or why it was dropped."""
    trimmed = False
    msgs = list(messages)
    while True:
        prefix = _ids(tokenizer, msgs[:-1], generation_prompt=True)
        full = _ids(tokenizer, msgs, generation_prompt=False)
        if full[: len(prefix)] != prefix:
            return None, "the chat template renders the prompt differently with the answer"
        answer = full[len(prefix) :]
        end = _answer_end(tokenizer, answer)
        if end is None:
            return None, "the assistant turn does not end with the end-of-turn token"
        ids = full[: len(prefix) + end]
        if len(ids) <= max_length:
            break
        first = 1 if msgs[0]["role"] == "system" else 0
        if len(msgs) - first <= 2:  # only the prompt and the answer are left
            return None, f"prompt and answer are longer than max_length ({max_length} tokens)"
        msgs = msgs[:first] + msgs[first + 1 :]
        while len(msgs) - first > 2 and msgs[first]["role"] != "user":
            msgs = msgs[:first] + msgs[first + 1 :]  # context starts with a user turn
        trimmed = True
    labels = [IGNORE] * len(prefix) + ids[len(prefix) :]
    return Example(ids, labels), ("trimmed" if trimmed else "kept")


def _ids(tokenizer: Any, msgs: Messages, generation_prompt: bool) -> list[int]:
    out = tokenizer.apply_chat_template(
        msgs, tokenize=True, add_generation_prompt=generation_prompt, return_dict=False
    )
    if isinstance(out, dict) or hasattr(out, "keys"):
        out = out["input_ids"]
    return list(out)


def _answer_end(tokenizer: Any, answer: Sequence[int]) -> int | None:
    """Length of the answer up to and including its end-of-turn token, the one generation
    stops on; what the template adds after it (a newline) carries no loss."""
    stop = stop_token_ids(tokenizer)
    for i, t in enumerate(answer):
        if t in stop:
            return i + 1 if i > 0 else None
    return None


def pad_id(tokenizer: Any) -> int:
    """The id batches are padded with: the tokenizer's pad token, else its end of sequence
    (SmolLM2 and many chat models have no pad token; masks keep the pads unseen). Id 0 is a
    real id, so the test is against None."""
    pad = tokenizer.pad_token_id
    return int(pad if pad is not None else tokenizer.eos_token_id)


def stop_token_ids(tokenizer: Any) -> set[int]:
    ids = {tokenizer.eos_token_id} if tokenizer.eos_token_id is not None else set()
    for tok in ("<|im_end|>", "<|eot_id|>", "<end_of_turn>", "<|end|>"):
        tid = tokenizer.convert_tokens_to_ids(tok)
        if isinstance(tid, int) and tid != tokenizer.unk_token_id and tid >= 0:
            ids.add(tid)
    return ids


def encode_all(
    tokenizer: Any, conversations: Iterable[Messages], max_length: int
) -> tuple[list[Example], TokenReport]:
    report = TokenReport()
    out = []
    for msgs in conversations:
        report.examples += 1
        ex, what = encode(tokenizer, msgs, max_length)
        if ex is None:
            report.dropped[what] += 1
            continue
        if not ex.loss_tokens:
            report.dropped["empty answer"] += 1
            continue
        report.kept += 1
        report.context_trimmed += what == "trimmed"
        report.tokens += len(ex.input_ids)
        report.loss_tokens += ex.loss_tokens
        report.longest = max(report.longest, len(ex.input_ids))
        out.append(ex)
    return out, report


def mix_replay(
    train: list[Messages], replay: list[Messages], fraction: float, seed: int
) -> list[Messages]:
    """Add general instruction examples so they make up ``fraction`` of the result."""
    if not 0 <= fraction < 1:
        raise ConfigError(f"train.replay_fraction must be in [0, 1), got {fraction}")
    if not fraction or not replay:
        return train
    want = round(len(train) * fraction / (1 - fraction))
    rng = random.Random(seed)
    picked = [replay[rng.randrange(len(replay))] for _ in range(want)]
    return train + picked


def load_replay(source: str, root: Path) -> list[Messages]:
    """A file (messages or Alpaca JSONL), or a Hugging Face dataset id with such columns."""
    path = (root / source).expanduser()
    if path.is_file():
        return read_messages(path)
    try:
        import datasets

        rows = datasets.load_dataset(source, split="train")
    except Exception as e:  # any failure to fetch is the user's to fix; say which and why
        raise ConfigError(
            f"train.replay_data = {source!r}: not a file here and not a loadable dataset ({e})",
            "give a messages or Alpaca JSONL file, or a dataset id already in the cache",
        ) from e
    out = [m for m in (_messages(dict(r)) for r in rows) if m]
    if not out:
        raise ConfigError(f"train.replay_data = {source!r}: no messages or instruction rows")
    return out
