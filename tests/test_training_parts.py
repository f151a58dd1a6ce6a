"""The training engine's parts, without training: encoding, batching, advice, events,
checkpoints, hardware choices, specs and failure messages."""

from __future__ import annotations

import errno
import json
from collections import Counter

import pytest

from afina.engine.config import TrainSettings
from afina.engine.errors import ConfigError, UsageError
from afina.engine.training import checkpoints
from afina.engine.training.advice import read_curves
from afina.engine.training.batching import LengthGroupedOrder, collate, padding_share
from afina.engine.training.data import IGNORE, encode, encode_all, mix_replay, read_messages
from afina.engine.training.events import EventLog, last_start_offset, read_events, read_from
from afina.engine.training.hardware import Hardware, choose
from afina.engine.training.runner import explain
from afina.engine.training.spec import RunSpec, apply_overrides, read_spec

CPU = Hardware("cpu", "CPU", 2, 24.0, bf16=False, fp16=False)


@pytest.fixture(scope="module")
def tokenizer():
    pytest.importorskip("transformers")
    from afina.engine.models import load_tokenizer

    return load_tokenizer(None)


def _chat(*texts: str) -> list[dict[str, str]]:
    roles = ["user", "assistant"] * len(texts)
    return [{"role": r, "content": t} for r, t in zip(roles, texts, strict=False)]


def test_loss_falls_on_the_last_answer_and_its_end_of_turn_token_only(tokenizer):
    ex, what = encode(tokenizer, _chat("hi", "old answer", "when do you open?", "At nine."), 512)
    assert what == "kept" and ex is not None
    carried = [t for t, lab in zip(ex.input_ids, ex.labels, strict=True) if lab != IGNORE]
    assert tokenizer.decode(carried) == "At nine.<|im_end|>"
    assert carried == ex.labels[-len(carried) :]  # nothing after the end-of-turn token


def test_long_pairs_lose_earlier_context_first_then_are_dropped(tokenizer):
    long = "word " * 200
    ex, what = encode(tokenizer, _chat(long, long, "short question", "short answer"), 256)
    assert what == "trimmed" and ex is not None and len(ex.input_ids) <= 256
    assert "word" not in tokenizer.decode(ex.input_ids)
    ex, what = encode(tokenizer, _chat("q", long * 2), 256)
    assert ex is None and "longer than max_length" in what
    examples, report = encode_all(tokenizer, [_chat("q", "a"), _chat("q", long * 2)], 256)
    assert (report.kept, sum(report.dropped.values()), len(examples)) == (1, 1, 1)
    assert report.loss_tokens == examples[0].loss_tokens > 0


def test_read_messages_names_the_line_of_a_bad_record(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(
        '{"messages": [{"role": "user", "content": "q"}, '
        '{"role": "assistant", "content": "a"}]}\n{"text": 1}\n'
    )
    with pytest.raises(Exception, match=r"d.jsonl: line 2: expected"):
        read_messages(path)


def test_replay_makes_up_the_asked_fraction_of_training():
    train = [_chat("q", str(i)) for i in range(90)]
    general = [_chat("g", str(i)) for i in range(5)]
    mixed = mix_replay(train, general, 0.1, seed=1)
    assert len(mixed) == 100 and sum(m[0]["content"] == "g" for m in mixed) == 10
    assert mix_replay(train, general, 0.0, 1) == train
    with pytest.raises(ConfigError):
        mix_replay(train, general, 1.0, 1)


def test_length_grouped_order_is_a_seeded_permutation_with_little_padding():
    lengths = [(i * 37) % 300 + 5 for i in range(500)]
    order = LengthGroupedOrder(lengths, 4, seed=3)
    first = list(order)
    assert sorted(first) == list(range(500))
    assert first == list(LengthGroupedOrder(lengths, 4, seed=3))  # same seed, same epoch
    order.set_epoch(1)
    assert list(order) != first
    assert max(lengths[i] for i in first[:4]) == max(lengths)  # the longest batch first
    shuffled = list(range(500))
    assert padding_share(lengths, first, 4) < padding_share(lengths, shuffled, 4) / 5


def test_collate_marks_padding_by_mask_and_label_not_by_token_id():
    pytest.importorskip("torch")
    batch = collate(
        [{"input_ids": [5, 2], "labels": [IGNORE, 2]}, {"input_ids": [7], "labels": [7]}], pad_id=2
    )
    assert batch["input_ids"].tolist() == [[5, 2], [7, 2]]
    assert batch["attention_mask"].tolist() == [[1, 1], [1, 0]]  # the real 2 is kept
    assert batch["labels"].tolist() == [[IGNORE, 2], [7, IGNORE]]


@pytest.mark.parametrize(
    ("train", "val", "verdict"),
    [
        ([3.0, 2.5, 2.0, 1.5, 1.2, 1.0], [2.0, 1.6], "learning"),
        ([2.0, 1.5, 1.0, 0.6, 0.3, 0.1], [1.2, 1.0, 1.1, 1.3], "overfitting"),
        ([4.0, 4.0, 4.01, 3.99, 4.0, 4.0], [4.0, 4.0, 4.0], "flat"),
        ([0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [0.6, 0.6, 0.6], "converged"),
        ([3.0, 2.0], [2.0], "too-early"),
    ],
)
def test_curves_are_read_aloud(train, val, verdict):
    advice = read_curves(train, val)
    assert advice.verdict == verdict
    assert advice.message


def test_events_survive_a_torn_last_line_and_are_read_from_an_offset(tmp_path):
    log = EventLog(tmp_path)
    log.emit("started", durable=True, pid=1)
    log.emit("step", step=1, loss=2.0)
    log.close()
    with (tmp_path / "events.jsonl").open("a") as f:
        f.write('{"type": "step", "st')  # a kill in the middle of a write
    events, offset = read_from(tmp_path, 0)
    assert [e["type"] for e in events] == ["started", "step"]
    with (tmp_path / "events.jsonl").open("a") as f:
        f.write('ep": 2}\n{"type": "started", "pid": 2}\n')
    more, _ = read_from(tmp_path, offset)
    assert [e.get("step") for e in more] == [2, None]
    assert read_events(tmp_path)[-1]["pid"] == 2
    assert (
        (tmp_path / "events.jsonl")
        .read_bytes()[last_start_offset(tmp_path) :]
        .startswith(b'{"type": "started", "pid": 2}')
    )


def test_only_marked_checkpoints_count_and_rotation_keeps_the_newest(tmp_path):
    for step in (2, 4, 6):
        folder = tmp_path / checkpoints.STAGING / f"checkpoint-{step}"
        folder.mkdir(parents=True)
        (folder / "adapter.safetensors").write_bytes(b"x")
        assert checkpoints.promote(tmp_path, step) is not None
    half = tmp_path / checkpoints.STAGING / "checkpoint-8"
    half.mkdir()  # a kill before the marker: never picked
    assert [s for s, _ in checkpoints.complete(tmp_path)] == [2, 4, 6]
    checkpoints.rotate(tmp_path, keep=2)
    assert [s for s, _ in checkpoints.complete(tmp_path)] == [4, 6]
    assert checkpoints.latest(tmp_path).name == "checkpoint-6"
    checkpoints.clear_staging(tmp_path)
    assert not half.exists()


def test_auto_settings_follow_the_hardware():
    cpu = choose(CPU, "auto", "auto", params=135_000_000)
    assert (cpu.precision, cpu.gradient_checkpointing) == ("fp32", False)
    assert "AMX" in cpu.why
    amx = choose(Hardware("cpu", "CPU", 2, 24.0, bf16=True, fp16=False), "auto", "auto", 1000)
    assert amx.precision == "bf16"
    gpu = Hardware("cuda", "GPU", 8, 16.0, bf16=True, fp16=True)
    assert choose(gpu, "auto", "auto", params=7_000_000_000).gradient_checkpointing
    with pytest.raises(ConfigError, match="needs a CUDA GPU"):
        choose(CPU, "fp16", "auto", 1000)


def test_a_spec_round_trips_and_overrides_are_typed(tmp_path):
    settings = apply_overrides(TrainSettings(), ["learning_rate=1e-3", "max-steps=7", "method=ia3"])
    assert (settings.learning_rate, settings.max_steps, settings.method) == (1e-3, 7, "ia3")
    spec = RunSpec("r1", "2026-01-01T00:00:00", settings, {"r": 4}, examples=9)
    (tmp_path / "spec.toml").write_text(spec.to_toml())
    assert read_spec(tmp_path) == spec
    with pytest.raises(UsageError, match="must be a whole number"):
        apply_overrides(TrainSettings(), ["batch_size=big"])


def test_failures_are_explained_with_what_to_try():
    oom, hint = explain(MemoryError())
    assert oom.startswith("out of memory") and "batch_size" in hint
    full, hint = explain(OSError(errno.ENOSPC, "No space left on device"))
    assert "disk is full" in full and "resume" in hint
    torch = pytest.importorskip("torch")
    oom, _ = explain(torch.OutOfMemoryError("CUDA out of memory"))
    assert oom.startswith("out of memory")
    assert json.dumps(Counter(a=1))  # event payloads with counters serialise


def test_the_length_rule_counts_the_base_models_tokens(tokenizer):
    from afina.engine.curation.clean import Pipeline
    from afina.engine.curation.clean_rules import approx_tokens
    from afina.engine.curation.filter_rules import Length
    from afina.engine.models import token_counter

    count = token_counter(None)
    assert count is not None
    text = "Retornando: Segunda a sexta, das 9h às 18h; sábado, das 9h às 13h."
    assert count(text) == len(tokenizer.encode(text, add_special_tokens=False))
    assert count(text) != approx_tokens(text)  # the real count, not the estimate
    pipeline = Pipeline.from_config({"length": {"max_response_tokens": count(text) - 1}}, count)
    (length,) = [r for r in pipeline.rules if isinstance(r, Length)]
    assert length.count_tokens is count
    assert token_counter("/no/such/model") is None  # curation goes on with the estimate


def test_preflight_in_a_child_process_reports_or_explains(curated_ws, tiny_model, tmp_path):
    from training_support import quick_settings

    from afina.engine.errors import AfinaError
    from afina.engine.training.jobs import create_run
    from afina.engine.training.preflight import measure_apart

    run_dir, _ = create_run(curated_ws, quick_settings(curated_ws, tiny_model), root=tmp_path)
    report = measure_apart(run_dir, steps=2)
    assert report["template"]["ok"] and report["seconds_per_step"] > 0
    assert report["data"]["train"]["kept"] > 100
    assert any(carries for _, carries in report["loss_view"])
    bad, _ = create_run(curated_ws, quick_settings(curated_ws, tmp_path / "nope"), root=tmp_path)
    with pytest.raises(AfinaError, match=r"preflight failed: .*nope"):
        measure_apart(bad, steps=2)
    with pytest.raises(AfinaError, match="cancelled"):
        measure_apart(run_dir, cancelled=lambda: True)


def test_replay_data_joins_the_training_set_of_a_run(curated_ws, tiny_model, tmp_path):
    from training_support import quick_settings

    from afina.engine.training import recipe
    from afina.engine.training.jobs import create_run

    general = [
        {"instruction": f"Name a colour ({i})", "input": "", "output": "Blue."} for i in range(10)
    ]
    (curated_ws.root / "general.jsonl").write_text("\n".join(json.dumps(g) for g in general))
    plain, _ = create_run(curated_ws, quick_settings(curated_ws, tiny_model), root=tmp_path)
    settings = quick_settings(
        curated_ws, tiny_model, replay_data="general.jsonl", replay_fraction=0.2
    )
    mixed, spec = create_run(curated_ws, settings, root=tmp_path)
    base = recipe.setup(read_spec(plain), plain)
    st = recipe.setup(spec, mixed)
    added = len(st.train) - len(base.train)
    assert added == round(len(base.train) * 0.2 / 0.8)  # a fifth of the result is replay
    texts = [st.tokenizer.decode(ex.input_ids) for ex in st.train.examples]
    assert sum("Name a colour" in t for t in texts) == added
