"""Helpers for training tests: a tiny random model with SmolLM2's tokenizer, and a curated
workspace built from the sample domain (import and curate stages of the demo)."""

from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path
from typing import Any

from afina.engine.workspace import Workspace, init_workspace


def build_tiny_model(folder: Path, seed: int = 0) -> Path:
    """A 2-layer Llama, hidden size 64, with the embedded model's real tokenizer and template."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from afina.engine.models import load_tokenizer

    tok = load_tokenizer(None)
    config = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        tie_word_embeddings=True,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.generation_config.eos_token_id = tok.eos_token_id
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def build_curated_workspace(folder: Path) -> Workspace:
    from afina.engine.demo.stages import STAGES, DemoOptions
    from afina.engine.ingest.run import Progress

    ws, _ = init_workspace(folder)
    for name, stage, _size, _unit in STAGES:
        if name in ("import", "curate"):
            stage(ws, Progress(), DemoOptions(steps=0))
    return ws


def copy_workspace(src: Workspace, dest: Path) -> Workspace:
    from afina.engine.workspace import open_workspace

    shutil.copytree(src.root, dest)
    return open_workspace(dest)


def quick_settings(ws: Workspace, model: Path, **changes: Any) -> Any:
    """Settings for a run of a few seconds on the tiny model."""
    base = dict(
        base_model=str(model),
        max_steps=6,
        eval_every=3,
        checkpoint_every=3,
        batch_size=4,
        max_length=256,
        learning_rate=1e-3,
    )
    base.update(changes)
    return dataclasses.replace(ws.config.train, **base)


def wait_for_end(run_dir: Path, timeout: float = 180.0) -> None:
    from afina.engine.training.jobs import runner_pid

    deadline = time.time() + timeout
    while runner_pid(run_dir) is not None:
        if time.time() > deadline:
            raise TimeoutError(f"run {run_dir.name} still running after {timeout} s")
        time.sleep(0.2)
