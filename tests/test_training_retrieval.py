"""train.retrieval_share: a share of training prompts carries retrieved pairs, as ft+rag's
prompts do, never the pair's own answer."""

from __future__ import annotations

import dataclasses

import pytest

from afina.engine.errors import ConfigError
from afina.engine.rag.context import PAIRS_INTRO
from afina.engine.rag.workspace_index import build_workspace_index
from afina.engine.training import jobs
from afina.engine.training.data import read_messages
from afina.engine.training.retrieval_data import add_retrieved_context


@pytest.fixture
def indexed_ws(curated_ws):
    build_workspace_index(curated_ws, options={"embedder": "hash:64"})
    return curated_ws


def test_a_share_of_prompts_gets_retrieved_pairs_but_never_its_own(indexed_ws):
    settings = dataclasses.replace(
        indexed_ws.config.train, retrieval_share=0.5, retrieval_k=2, seed=7
    )
    run_dir, spec = jobs.create_run(indexed_ws, settings)
    bare_dir, _ = jobs.create_run(indexed_ws, indexed_ws.config.train)
    with_context = read_messages(run_dir / "data" / "pairs.train.jsonl")
    bare = read_messages(bare_dir / "data" / "pairs.train.jsonl")
    assert len(with_context) == len(bare) == spec.examples
    changed = [(a, b) for a, b in zip(with_context, bare, strict=True) if a != b]
    # about half, by the seed; each gains one system message and is otherwise the same
    assert 0.35 * len(bare) < len(changed) < 0.65 * len(bare)
    for got, plain in changed:
        # the domain's system prompt, then the retrieved pairs, then the same turns
        assert plain[0] == {"role": "system", "content": spec.system_prompt}
        assert got[1:] == plain[1:] and got[0]["role"] == "system"
        system = got[0]["content"]
        assert system.startswith(spec.system_prompt + "\n\n" + PAIRS_INTRO)
        assert system.count("\nQ: ") <= 2  # k = 2
        assert f"Q: {plain[-2]['content']}\nA:" not in system  # the pair's own answer
    # fewer than k only where stored copies of the same question were left out
    assert sum(got[0]["content"].count("\nQ: ") == 2 for got, _ in changed) > 0.9 * len(changed)
    # the validation split is left bare, and the run records the setting
    assert read_messages(run_dir / "data" / "pairs.validation.jsonl") == read_messages(
        bare_dir / "data" / "pairs.validation.jsonl"
    )
    assert "retrieval_share = 0.5" in (run_dir / "spec.toml").read_text(encoding="utf-8")


def test_the_same_seed_picks_the_same_prompts(indexed_ws, tmp_path):
    settings = dataclasses.replace(indexed_ws.config.train, retrieval_share=0.3)
    run_dir, _ = jobs.create_run(indexed_ws, settings)
    bare_dir, _ = jobs.create_run(indexed_ws, indexed_ws.config.train)
    path = tmp_path / "train.jsonl"
    path.write_text((bare_dir / "data" / "pairs.train.jsonl").read_text(encoding="utf-8"))
    system = read_messages(path)[0][0]["content"]
    assert add_retrieved_context(indexed_ws, path, 0.3, 3, "default", settings.seed, None, system)
    assert path.read_text() == (run_dir / "data" / "pairs.train.jsonl").read_text()


def test_a_share_outside_zero_to_one_is_refused(indexed_ws, tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match="retrieval_share must be in"):
        add_retrieved_context(indexed_ws, path, 1.5, 3, "default", 0)
    assert add_retrieved_context(indexed_ws, path, 0.0, 3, "default", 0) == 0
