"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from ssh_support import sshd  # noqa: F401  (the real-sshd fixture of the remote tests)
from support import CHATLOGS


@pytest.fixture
def chatlogs() -> Path:
    if not CHATLOGS.is_dir():
        pytest.skip(f"real chat logs not found at {CHATLOGS}")
    return CHATLOGS


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random Llama with SmolLM2's tokenizer (converts the embedded model once)."""
    pytest.importorskip("transformers")
    from training_support import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="session")
def curated_template(tmp_path_factory: pytest.TempPathFactory):
    from training_support import build_curated_workspace

    return build_curated_workspace(tmp_path_factory.mktemp("curated") / "ws")


@pytest.fixture
def curated_ws(curated_template, tmp_path: Path):
    """A workspace with the sample domain imported, curated, split: ready to train."""
    from training_support import copy_workspace

    return copy_workspace(curated_template, tmp_path / "ws")


@pytest.fixture
def tuned_ws(curated_ws, tiny_model):
    """A curated workspace with a finished tiny run and a hash-embedder index: (ws, run_dir)."""
    import threading

    from training_support import quick_settings

    from afina.engine.rag.workspace_index import build_workspace_index
    from afina.engine.training import jobs
    from afina.engine.training.objectives import train

    run_dir, spec = jobs.create_run(curated_ws, quick_settings(curated_ws, tiny_model))
    train(spec, run_dir, None, threading.Event(), False)
    build_workspace_index(curated_ws, options={"embedder": "hash:64"})
    return curated_ws, run_dir


@pytest.fixture(scope="session")
def chatty_model(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model with its weights redrawn wider (seeded): it answers with varied words,
    where the stock tiny model repeats a newline that strips to an empty answer, so a test
    comparing answers would compare empty strings."""
    torch = pytest.importorskip("torch")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(str(tiny_model)).eval()
    draw = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for w in model.parameters():
            if w.dim() > 1:
                w.normal_(0.0, 0.2, generator=draw)
    folder = tmp_path_factory.mktemp("chatty") / "model"
    model.save_pretrained(str(folder))
    AutoTokenizer.from_pretrained(str(tiny_model)).save_pretrained(str(folder))
    return folder
