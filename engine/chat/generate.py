"""Load a tuned run (its base model with the adapter, or the full fine-tuned model) and answer
chat messages through the same chat template training used."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afina.engine.errors import NotFound
from afina.engine.training.data import Messages, stop_token_ids
from afina.engine.training.spec import read_spec


@dataclass
class Assistant:
    model: Any
    tokenizer: Any
    adapter: bool  # the base model can be had back with base() while the adapter is loaded

    def reply(
        self, messages: Messages, max_new_tokens: int = 128, repetition_penalty: float = 1.2
    ) -> str:
        """A greedy answer (the same every time), stopped at the end-of-turn token. Small
        models decoded greedily fall into loops; a mild repetition penalty keeps them out."""
        import torch

        tok = self.tokenizer
        enc = tok.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        with torch.inference_mode():
            out = self.model.generate(
                **enc,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                repetition_penalty=repetition_penalty,
                eos_token_id=sorted(stop_token_ids(tok)),
                pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id,
            )
        new = out[0][enc["input_ids"].shape[1] :]
        return str(tok.decode(new, skip_special_tokens=True)).strip()

    @contextmanager
    def base(self) -> Iterator[None]:
        """The base model's behaviour, for a before/after comparison on one loaded model."""
        with self.model.disable_adapter() if self.adapter else nullcontext():
            yield


def load_run(run_dir: Path) -> Assistant:
    """The run's final result: the adapter over its base model, or a full model."""
    from transformers import AutoTokenizer

    from afina.engine.models import load_causal_lm, quiet_transformers

    quiet_transformers()
    final = run_dir / "final"
    if not (final / "config.json").is_file() and not (final / "adapter_config.json").is_file():
        raise NotFound(f"run {run_dir.name} has no final result", "it has not finished")
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
