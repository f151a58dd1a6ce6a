"""Recommended training settings: chosen for what the person left out, never over what they set,
each with its reason; and `afina train` uses them."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from afina.engine.actions import train
from afina.engine.config import TrainSettings, parse_config
from afina.engine.training import recommend as rec
from afina.engine.training.recommend import DataShape, recommend

SMALL = DataShape(train_pairs=300, params=135_000_000, device="cpu", has_index=True)


def test_a_small_model_on_small_data_gets_adapters_everywhere_and_five_passes():
    out = recommend(TrainSettings(), {}, set(), set(), SMALL)
    s = out.settings
    assert (s.learning_rate, s.batch_size) == (1e-3, 8)
    assert s.max_steps == 190  # ceil(300 / 8) = 38 steps a pass, five passes
    assert (s.retrieval_share, s.retrieval_k) == (0.5, 2)
    assert out.method_options == {"r": 16, "alpha": 32, "target_modules": "all-linear"}
    assert any(r.startswith("max_steps = 190: 5.0 passes over 300") for r in out.reasons)


def test_what_the_person_set_is_kept_and_said_to_be_theirs():
    settings = TrainSettings(learning_rate=5e-4, epochs=2)
    out = recommend(settings, {"r": 4}, {"learning_rate", "epochs"}, {"r"}, SMALL)
    assert out.settings.learning_rate == 5e-4
    assert out.settings.max_steps == 0 and out.settings.epochs == 2  # their epochs decide
    assert out.method_options["r"] == 4 and out.method_options["alpha"] == 32
    assert "learning_rate = 0.0005 (set by you; recommended 0.001)" in out.reasons


@pytest.mark.parametrize(
    ("params", "rate"), [(135e6, 1e-3), (1.7e9, 5e-4), (7e9, 2e-4), (70e9, 1e-4)]
)
def test_larger_models_take_smaller_rates(params, rate):
    assert rec.learning_rate("lora", int(params)) == rate
    assert rec.learning_rate("qlora", int(params)) == rate
    assert rec.learning_rate("ia3", int(params)) is None  # no rule: its setting stands


def test_steps_fall_to_one_pass_on_large_data_and_are_capped_per_device():
    assert rec.steps(20, 8, "cpu") == (rec.MIN_STEPS, rec.MIN_STEPS / 3)
    assert rec.steps(600, 8, "cpu") == (375, 5.0)  # five passes up to 600 pairs
    assert rec.steps(1000, 8, "cpu")[0] == 375
    assert rec.steps(6000, 8, "cuda") == (750, 1.0)
    assert rec.steps(60000, 8, "cpu")[0] == rec.MAX_STEPS["cpu"]


def test_no_index_means_no_retrieval_training_and_a_reason_to_build_one():
    shape = DataShape(300, 135_000_000, "cpu", has_index=False)
    out = recommend(TrainSettings(), {}, set(), set(), shape)
    assert out.settings.retrieval_share == 0.0
    assert any("afina index build" in r for r in out.reasons)


def test_other_methods_keep_their_options():
    out = recommend(TrainSettings(method="ia3"), {"x": 1}, set(), set(), SMALL)
    assert out.method_options == {"x": 1}
    assert out.settings.learning_rate == TrainSettings().learning_rate


def test_the_params_estimate_is_near_the_real_count():
    smol = SimpleNamespace(
        hidden_size=576, num_hidden_layers=30, intermediate_size=1536, vocab_size=49152
    )
    assert 120e6 < rec.estimate_params(smol) < 160e6  # SmolLM2-135M


def test_afina_toml_keys_are_the_ones_it_sets():
    config = parse_config("[train]\nlearning_rate = 5e-4\nseed = 3\n")
    assert config.train_keys == {"learning_rate", "seed"}
    with pytest.raises(Exception, match="unknown key 'train_keys'"):
        parse_config("train_keys = 1\n")


def test_the_train_action_plans_from_the_workspace(curated_ws, monkeypatch):
    monkeypatch.setattr(train, "model_params", lambda name: 135_000_000)
    chosen = train.plan(curated_ws, train.TrainRequest(("batch_size=4",)))
    assert chosen.settings.batch_size == 4
    assert chosen.settings.learning_rate == 1e-3
    assert chosen.method_options["target_modules"] == "all-linear"
    assert any("no index" in r for r in chosen.reasons)  # the fixture built none


def test_the_dry_run_says_what_it_chose_and_where_the_prompt_came_from(
    curated_ws, tiny_model, monkeypatch
):
    from click.testing import CliRunner

    from afina.tui.cli import cli

    monkeypatch.chdir(curated_ws.root)
    args = ["train", "--dry-run", "--set", f"base_model={tiny_model}", "--set", "max_length=128"]
    result = CliRunner().invoke(cli, [*args, "--set", "batch_size=4"])
    assert result.exit_code == 0, result.output
    # every recommended value with its reason; the person's own value said to be theirs
    assert "learning_rate = 0.001:" in result.output
    assert "batch_size = 4 (set by you; recommended 8)" in result.output
    assert "target_modules = 'all-linear'" in result.output
    # the sample workspace names nobody: a nameless prompt, and where to set the name
    assert "this business's customer support assistant" in result.output
    assert "set [workspace] name in afina.toml" in result.output
    as_json = CliRunner().invoke(cli, [*args, "--json"])
    report = json.loads(as_json.output)
    assert report["system_prompt_why"].startswith("suggested: nothing names the business")
    assert any(line.startswith("max_steps = ") for line in report["chosen"])
