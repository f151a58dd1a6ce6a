"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
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
