"""The training methods (lora, qlora, ia3, prompt-tuning, prefix-tuning, full,
seq-classification) on a tiny model: what trains, that the loss goes down through the real
recipe, that the result loads back, and that the fast answer-only loss is the standard one
wherever a method claims it."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

pytest.importorskip("peft")

from training_support import quick_settings

from afina.engine.errors import AfinaError, InputRefused, UsageError
from afina.engine.plugins import list_plugins, load_plugin
from afina.engine.training import classify, jobs, labelled, recipe
from afina.engine.training.contract import (
    ADAPTER,
    NEEDS_CUDA,
    SAME_POSITIONS,
    SEQ_CLASSIFICATION,
    TrainMethod,
    trainable_parameters,
)
from afina.engine.training.hardware import Hardware, detect
from afina.engine.training.objectives import train

CAUSAL = ["lora", "ia3", "prompt-tuning", "prefix-tuning", "full"]
ADAPTER_MARKS = ("lora_", "ia3_", "prompt_encoder")
# A learning rate per method at which ten steps on one batch clearly lower the loss.
RATES = {"lora": 1e-2, "ia3": 2e-1, "prompt-tuning": 2e-1, "prefix-tuning": 5e-2, "full": 1e-3}
CHATS = [
    [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
    for q, a in [
        ("Do you open on Sundays?", "Yes, from 8 to 12."),
        ("Where is my order?", "Send us the order number and we will track it."),
        ("Is the bread vegan?", "Most of it is; ask us about the rest."),
        ("Can I pay by card?", "Yes, every card works."),
    ]
]
CHATS[1].insert(0, {"role": "system", "content": "You answer for a bakery."})


@pytest.fixture(scope="module")
def lively_model(tiny_model, tmp_path_factory) -> Path:
    """The tiny model with embeddings 4x larger. At the usual initial scale its logits are
    nearly flat whatever the hidden state, so an adapter inside the layers could hardly move
    the loss in ten steps; here every method can show that it learns."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = tmp_path_factory.mktemp("lively") / "model"
    model = AutoModelForCausalLM.from_pretrained(str(tiny_model))
    with torch.no_grad():
        model.get_input_embeddings().weight.mul_(4.0)  # tied: the output layer too
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(str(tiny_model)).save_pretrained(folder)
    return folder


def method(name: str) -> TrainMethod:
    m = load_plugin("trainer", name)()
    assert isinstance(m, TrainMethod)
    return m


def build(name: str, base: Path, **options):
    import torch

    m = method(name)
    opts = m.resolve_options(options)
    return m.wrap(m.load(str(base), opts, torch.float32), opts)


def batch(model_dir: Path):
    from afina.engine.models import load_tokenizer
    from afina.engine.training.batching import collate
    from afina.engine.training.data import encode

    tok = load_tokenizer(str(model_dir))
    examples = [encode(tok, chat, 256)[0] for chat in CHATS]
    return collate(
        [{"input_ids": e.input_ids, "labels": e.labels} for e in examples if e],
        tok.pad_token_id,
    )


def test_all_methods_are_registered_with_sound_flags():
    names = {p.name for p in list_plugins("trainer")}
    assert {*CAUSAL, "lora", "qlora", "seq-classification"} <= names
    for name in ("lora", "qlora", "ia3", "prompt-tuning", "prefix-tuning", "seq-classification"):
        assert ADAPTER in method(name).capabilities
    assert ADAPTER not in method("full").capabilities
    assert NEEDS_CUDA in method("qlora").capabilities
    # Virtual tokens shift positions; the prefix enters through PEFT's forward. Neither can
    # take the fast loss, which calls the decoder directly.
    for name in ("prompt-tuning", "prefix-tuning"):
        assert SAME_POSITIONS not in method(name).capabilities
    assert method("seq-classification").task == SEQ_CLASSIFICATION


@pytest.mark.parametrize("name", CAUSAL)
def test_trainable_parameters(name, tiny_model):
    model = build(name, tiny_model)
    trainable, total = trainable_parameters(model)
    if name == "full":
        assert trainable == total
        return
    assert 0 < trainable < 0.01 * total, (trainable, total)
    for pname, p in model.named_parameters():
        if p.requires_grad:
            assert any(mark in pname for mark in ADAPTER_MARKS), pname
    if name == "prompt-tuning":
        assert trainable == 20 * 64  # 20 virtual tokens of the hidden size


def _perturb(model) -> None:
    """Random adapter weights: a fresh LoRA or IA3 adapter is the identity, which would make
    any two losses agree."""
    import torch

    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            if p.requires_grad:
                p.add_(torch.randn(p.shape, generator=g) * 0.05)


@pytest.mark.parametrize("name", ["lora", "ia3", "full", "prefix-tuning"])
def test_fast_answer_loss_matches_the_standard_loss(name, tiny_model):
    from afina.engine.training.answer_loss import answer_loss

    model = build(name, tiny_model)
    _perturb(model)
    model.eval()
    inputs = batch(tiny_model)
    standard = model(**inputs).loss
    fast = answer_loss(model, inputs)
    assert standard.requires_grad
    if SAME_POSITIONS in method(name).capabilities:
        assert float(fast.detach()) == pytest.approx(float(standard.detach()), rel=1e-5)
        assert fast.requires_grad
    else:
        # Why prefix-tuning goes without the flag: the fast path calls the decoder directly,
        # so the prefix (PEFT feeds it in its own forward) never reaches that loss.
        assert not fast.requires_grad


def _short_run(ws, tiny_model, name: str, **options):
    settings = quick_settings(
        ws,
        tiny_model,
        method=name,
        max_steps=10,
        eval_every=0,
        checkpoint_every=0,
        learning_rate=RATES[name],
        lr_scheduler="constant",
        warmup_ratio=0.0,
    )
    run_dir, spec = jobs.create_run(ws, settings, options)
    # One short batch, the same every step: a few seconds of training, and a loss that falls.
    (run_dir / spec.train_file).write_text(
        "".join(json.dumps({"messages": c}) + "\n" for c in CHATS)
    )
    (run_dir / spec.validation_file).unlink()  # no evaluation: only the training curve
    metrics = train(spec, run_dir, None, threading.Event(), False)
    return run_dir, metrics


def _loss(model, inputs) -> float:
    import torch

    model.eval()
    with torch.no_grad():
        return float(model(**inputs).loss)


@pytest.mark.slow
@pytest.mark.parametrize("name", CAUSAL)
def test_training_lowers_the_loss_and_the_result_loads_back(name, curated_ws, lively_model):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    run_dir, metrics = _short_run(curated_ws, lively_model, name)
    losses = metrics["train_losses"]
    assert metrics["steps"] == 10 and len(losses) == 10
    assert losses[-1] < losses[0] - 0.1 and max(losses[1:]) < losses[0], losses
    final = Path(metrics["final"])
    assert final == run_dir / recipe.FINAL and final.is_dir()
    inputs = batch(lively_model)
    base = AutoModelForCausalLM.from_pretrained(str(lively_model))
    before = _loss(base, inputs)
    if ADAPTER in method(name).capabilities:
        assert (final / "adapter_config.json").is_file()
        tuned = PeftModel.from_pretrained(base, str(final))
    else:
        tuned = AutoModelForCausalLM.from_pretrained(str(final))
    assert (final / "tokenizer_config.json").is_file()
    assert _loss(tuned, inputs) < before  # what was learned came back with the folder


def test_ia3_named_targets_need_feedforward_modules():
    m = method("ia3")
    opts = m.resolve_options({"target_modules": "k_proj,v_proj"})
    with pytest.raises(UsageError, match="feedforward_modules"):
        m.check(detect(), opts)
    m.check(
        detect(),
        m.resolve_options({"target_modules": "k_proj,v_proj", "feedforward_modules": "none"}),
    )


def test_qlora_refuses_a_machine_without_cuda_clearly(curated_ws, tiny_model):
    m = method("qlora")
    opts = m.resolve_options({})
    cpu = Hardware("cpu", "CPU", 2, 8.0, False, False)
    with pytest.raises(UsageError, match="qlora needs a CUDA GPU and bitsandbytes") as e:
        m.check(cpu, opts)
    assert "method = 'lora'" in (e.value.hint or "")
    import importlib.util

    if importlib.util.find_spec("bitsandbytes") is None:
        gpu = Hardware("cuda", "GPU", 8, 80.0, True, True)
        with pytest.raises(UsageError, match="bitsandbytes is not installed"):
            m.check(gpu, opts)
    if detect().device != "cuda":  # and a run says so before loading anything
        run_dir, spec = jobs.create_run(
            curated_ws, quick_settings(curated_ws, tiny_model, method="qlora")
        )
        with pytest.raises(UsageError, match="qlora needs a CUDA GPU"):
            train(spec, run_dir, None, threading.Event(), False)


# --- seq-classification ---------------------------------------------------------------------

POSITIVE = ["great service, thank you", "I love this bakery", "wonderful bread, very happy"]
NEGATIVE = ["my order never arrived", "terrible, cold and late", "I want a refund now"]


def labelled_jsonl(path: Path, n: int = 8) -> Path:
    lines = []
    for i in range(n):
        lines.append(json.dumps({"text": f"{POSITIVE[i % 3]} ({i})", "label": "good"}))
        lines.append(json.dumps({"text": f"{NEGATIVE[i % 3]} ({i})", "label": "bad"}))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.slow
def test_seq_classification_trains_reports_metrics_and_loads_back(curated_ws, tiny_model):
    import torch

    from afina.engine.training.events import EventLog, read_events

    labelled_jsonl(curated_ws.root / "labels.jsonl")
    settings = quick_settings(
        curated_ws,
        tiny_model,
        method="seq-classification",
        max_steps=8,
        eval_every=4,
        checkpoint_every=4,
        learning_rate=1e-2,
        batch_size=4,
    )
    run_dir, spec = jobs.create_run(curated_ws, settings, {"data": "labels.jsonl"})
    log = EventLog(run_dir)
    try:
        metrics = train(spec, run_dir, log, threading.Event(), False)
    finally:
        log.close()
    for key in ("accuracy", "precision", "recall", "f1"):
        assert 0.0 <= metrics[key] <= 1.0, (key, metrics[key])
    assert metrics["labels"] == ["bad", "good"]
    assert metrics["steps"] == 8 and metrics["eval_loss"] > 0
    assert sum(sum(row) for row in metrics["confusion"]) == 4  # 20 % of each label's 8 rows
    events = read_events(run_dir)
    ready = next(e for e in events if e["type"] == "ready")
    assert ready["examples"] == 12 and ready["validation"] == 4
    assert ready["data"]["train"]["per_label"] == {"bad": 6, "good": 6}
    assert [e["step"] for e in events if e["type"] == "eval"] == [4, 8]
    assert [e["step"] for e in events if e["type"] == "checkpoint"] == [4, 8]
    model, tokenizer, labels = classify.load_final(Path(metrics["final"]))
    assert labels == ["bad", "good"]
    head = [n for n, _ in model.named_parameters() if "score" in n]
    assert head, "the trained head is part of the saved adapter"
    enc = tokenizer(["I love this bakery", "terrible and late"], return_tensors="pt", padding=True)
    with torch.no_grad():
        logits = model(**enc).logits
    assert logits.shape == (2, 2)


def test_seq_classification_trainable_head(tiny_model):
    import torch

    m = method("seq-classification")
    assert isinstance(m, classify.ClassifyMethod)
    opts = m.resolve_options({"data": "x.csv"})
    model = m.wrap(m.load_classifier(str(tiny_model), opts, ["a", "b", "c"], torch.float32), opts)
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    assert any("score" in n for n in names) and any("lora_" in n for n in names)
    trainable, total = trainable_parameters(model)
    assert trainable < 0.01 * total


def test_seq_classification_needs_its_data_option():
    m = method("seq-classification")
    with pytest.raises(UsageError, match="option 'data'"):
        m.check(detect(), m.resolve_options({}))


@pytest.mark.parametrize(
    ("name", "content", "where"),
    [
        ("bad.jsonl", '{"text": "ok", "label": "a"}\n\n{"text": "no label"}\n', "line 3"),
        ("bad.jsonl", '{"text": "ok", "label": "a"}\n{not json\n', "line 2"),
        ("bad.jsonl", '["text", "label"]\n', "line 1"),
        ("bad.csv", "text,label\nhello,a\n,b\n", "line 3"),
        ("bad.csv", "message,label\nhello,a\n", "no column 'text'"),
        ("bad.txt", "hello\n", "expected a .csv"),
    ],
)
def test_bad_labelled_files_name_the_file_and_line(tmp_path, name, content, where):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InputRefused) as e:
        labelled.read_labelled(path, "text", "label")
    assert str(path) in str(e.value) and where in str(e.value)


def test_reading_csv_and_jsonl(tmp_path):
    csv_file = tmp_path / "l.csv"
    csv_file.write_text('text,label\n"hello, there",greet\n\nbye,leave\n"two\nlines",greet\n')
    rows = labelled.read_labelled(csv_file, "text", "label")
    assert [(r.text, r.label, r.line) for r in rows] == [
        ("hello, there", "greet", 2),
        ("bye", "leave", 4),
        ("two\nlines", "greet", 6),
    ]
    js = tmp_path / "l.jsonl"
    js.write_text('{"t": "x", "y": 1}\n{"t": "z", "y": 0}\n')
    assert [(r.text, r.label) for r in labelled.read_labelled(js, "t", "y")] == [
        ("x", "1"),
        ("z", "0"),
    ]


def test_one_label_is_refused(curated_ws, tiny_model):
    (curated_ws.root / "one.jsonl").write_text('{"text": "a", "label": "x"}\n' * 3)
    settings = quick_settings(curated_ws, tiny_model, method="seq-classification")
    run_dir, spec = jobs.create_run(curated_ws, settings, {"data": "one.jsonl"})
    with pytest.raises(AfinaError, match="only one label"):
        train(spec, run_dir, None, threading.Event(), False)


def test_split_is_seeded_and_stratified():
    rows = [labelled.Row(f"t{i}", "a" if i < 10 else "b", i) for i in range(15)]
    rows.append(labelled.Row("lonely", "c", 99))
    train, val = labelled.split_rows(rows, 0.2, seed=7)
    assert labelled.split_rows(rows, 0.2, seed=7) == (train, val)
    assert sorted(r.label for r in val) == ["a", "a", "b"]
    assert len(train) + len(val) == 16 and any(r.label == "c" for r in train)
    assert labelled.split_rows(rows, 0.0, seed=7)[1] == []


def test_metrics_match_scikit_learn():
    sk = pytest.importorskip("sklearn.metrics")
    actual = [0, 0, 1, 1, 2, 2, 2, 0]
    predicted = [0, 1, 1, 1, 2, 0, 0, 0]
    got = classify.classification_metrics(predicted, actual, ["a", "b", "c", "unused"])
    assert got["accuracy"] == pytest.approx(sk.accuracy_score(actual, predicted))
    for key, fn in (
        ("precision", sk.precision_score),
        ("recall", sk.recall_score),
        ("f1", sk.f1_score),
    ):
        assert got[key] == pytest.approx(fn(actual, predicted, average="macro", zero_division=0))
    assert got["per_label"]["unused"]["support"] == 0


def test_prompt_learning_options(tiny_model):
    import torch

    from afina.engine.models import load_tokenizer

    model = build("prompt-tuning", tiny_model, num_virtual_tokens=6, init_text="bakery help")
    ids = load_tokenizer(str(tiny_model))("bakery help", add_special_tokens=False)["input_ids"]
    start = model.prompt_encoder["default"].embedding.weight
    words = model.get_input_embeddings().weight[ids]
    # The text's token embeddings, repeated to fill the virtual tokens.
    assert torch.equal(start[: len(ids)], words)
    assert start.shape[0] == 6
    plain, _ = trainable_parameters(build("prefix-tuning", tiny_model, num_virtual_tokens=4))
    projected, _ = trainable_parameters(
        build("prefix-tuning", tiny_model, num_virtual_tokens=4, projection=True)
    )
    assert projected > plain > 0
