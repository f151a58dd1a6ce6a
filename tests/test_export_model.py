"""`afina export-model`: a run's adapter merged into its base, saved with an Ollama Modelfile
whose template renders what the training chat template rendered."""

from __future__ import annotations

import copy
import json
import re
import shutil
import threading
from pathlib import Path

import pytest

pytest.importorskip("peft")

from afina.engine.errors import AfinaError
from afina.engine.training import jobs
from afina.engine.training import ollama_template as ot
from afina.engine.training.export_model import MARKER, MODELFILE, export_model

CONVERSATIONS = [
    [{"role": "user", "content": "How do I reset my password?"}],
    [
        {"role": "system", "content": "You are the support desk of ACME."},
        {"role": "user", "content": "Where is my order?"},
    ],
    [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "The app\ncrashes  on start."},
    ],
    [
        {"role": "system", "content": "Answer in one line."},
        {"role": "user", "content": "q1"},
        {"role": "assistant", "content": "a1"},
        {"role": "user", "content": "q2 ✓"},
        {"role": "assistant", "content": "a2"},
        {"role": "user", "content": "q3"},
    ],
]


@pytest.fixture(scope="module")
def trained(curated_template, tiny_model, tmp_path_factory):
    """One short LoRA run on the tiny model, shared by the tests here."""
    from training_support import copy_workspace, quick_settings

    from afina.engine.training.objectives import train

    ws = copy_workspace(curated_template, tmp_path_factory.mktemp("export") / "ws")
    settings = quick_settings(ws, tiny_model, max_steps=2, eval_every=0, checkpoint_every=1)
    run_dir, spec = jobs.create_run(ws, settings)
    metrics = train(spec, run_dir, None, threading.Event(), False)
    (run_dir / "metrics.json").write_text(json.dumps(metrics, default=str))
    return ws, run_dir, spec


@pytest.fixture(scope="module")
def exported(trained, tmp_path_factory):
    _, run_dir, _ = trained
    out = tmp_path_factory.mktemp("exports") / "model"
    return out, export_model(run_dir, out)


@pytest.fixture(scope="module")
def tok(tiny_model):
    """SmolLM2's tokenizer and chat template (the tiny model carries them)."""
    return _tokenizer(tiny_model)


def _tokenizer(folder: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(folder))


def _modelfile_value(text: str, command: str) -> str:
    """A triple-quoted value, read the way Ollama's parser reads it."""
    m = re.search(rf'^{command} """(.*?)"""$', text, re.S | re.M)
    assert m, f"no {command} in the Modelfile"
    return m.group(1)


@pytest.mark.parametrize("messages", CONVERSATIONS)
def test_go_template_renders_the_chat_template(tok, messages):
    fmt = ot.derive(tok)
    want = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    got = ot.render_go(fmt.go_template(), ot.ollama_messages(messages, fmt.default_system))
    assert got == want


def test_smollm2_pieces(tok):
    fmt = ot.derive(tok)
    assert fmt.role_wrap == ("<|im_start|>", "\n")
    assert fmt.footer == "<|im_end|>\n"
    assert fmt.generation == "<|im_start|>assistant\n"
    assert fmt.begin == ""
    assert fmt.default_system and "SmolLM" in fmt.default_system
    assert fmt.go_template() == (
        "{{ range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}"
        "<|im_start|>assistant\n"
    )


OTHER_TEMPLATES = {
    "zephyr": (
        "{% for m in messages %}{{ '<|' + m['role'] + '|>\n' + m['content'] + '</s>\n' }}"
        "{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}"
    ),
    "llama3-like": (
        "{{ bos_token }}{% for m in messages %}{{ '<|start_header_id|>' + m['role'] + "
        "'<|end_header_id|>\n\n' + m['content'] + '<|eot_id|>' }}{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}"
        "{% endif %}"
    ),
    "named-roles": (
        "{% for m in messages %}{% if m['role'] == 'user' %}{{ '### Q: ' }}"
        "{% elif m['role'] == 'system' %}{{ '{{SYS}} ' }}{% else %}{{ '### A: ' }}{% endif %}"
        "{{ m['content'] + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '### A: ' }}"
        "{% endif %}"
    ),
}


@pytest.mark.parametrize("name", sorted(OTHER_TEMPLATES))
def test_other_template_shapes_translate(tok, name):
    tok = copy.deepcopy(tok)
    tok.chat_template = OTHER_TEMPLATES[name]
    fmt = ot.derive(tok)
    assert fmt.default_system is None
    for messages in CONVERSATIONS:
        want = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        assert ot.render_go(fmt.go_template(), ot.ollama_messages(messages, None)) == want


@pytest.mark.parametrize(
    ("template", "why"),
    [
        (  # trims content: a Go template cannot
            "{% for m in messages %}{{ '<|' + m['role'] + '|>\n' + m['content'] | trim "
            "+ '</s>\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}"
            "{% endif %}",
            "derived template renders",
        ),
        (  # no system role
            "{% if messages[0]['role'] == 'system' %}{{ raise_exception('no system') }}"
            "{% endif %}{% for m in messages %}{{ m['role'] + ': ' + m['content'] + '\n' }}"
            "{% endfor %}",
            "refuses a probe",
        ),
        (  # the last turn ends differently from the others
            "{% for m in messages %}{{ m['role'] + ': ' + m['content'] }}"
            "{% if not loop.last %}{{ '\n' }}{% endif %}{% endfor %}",
            "footer",
        ),
    ],
)
def test_untranslatable_template_is_refused(tok, template, why):
    tok = copy.deepcopy(tok)
    tok.chat_template = template
    with pytest.raises(ot.TemplateUntranslatable, match=why):
        ot.derive(tok)


def test_merged_model_gives_the_adapters_logits(trained, exported, tok):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from afina.engine.models import load_causal_lm

    _, run_dir, spec = trained
    out, result = exported
    assert result.merged and result.source == "final" and result.method == "lora"
    for name in ("model.safetensors", "config.json", "tokenizer.json", "generation_config.json"):
        assert (out / name).is_file(), name
    assert not (out / "adapter_config.json").exists()
    assert not list(out.parent.glob(".model.afina-*"))  # no temporary folder left
    merged = AutoModelForCausalLM.from_pretrained(str(out)).eval()
    base = load_causal_lm(spec.settings.base_model).eval()
    with torch.no_grad():
        ids = tok.apply_chat_template(
            CONVERSATIONS[2], add_generation_prompt=True, return_tensors="pt", return_dict=True
        )["input_ids"]
        plain = base(ids).logits
        adapted = PeftModel.from_pretrained(base, str(run_dir / "final")).eval()(ids).logits
        got = merged(ids).logits
    assert not torch.allclose(plain, adapted, atol=1e-5)  # the adapter changed something
    assert torch.allclose(got, adapted, atol=1e-4)
    gen = json.loads((out / "generation_config.json").read_text())
    eos = gen["eos_token_id"]
    assert tok.convert_tokens_to_ids("<|im_end|>") in (eos if isinstance(eos, list) else [eos])


def test_modelfile(trained, exported):
    _, _, spec = trained
    out, result = exported
    text = (out / MODELFILE).read_text()
    assert text.startswith(f"# Ollama Modelfile written by afina for run {spec.id}\n")
    assert f"base model: {spec.settings.base_model}; method: lora; from: final" in text
    assert "\nFROM .\n" in text
    assert 'PARAMETER stop "<|im_end|>"' in text.splitlines()
    system = _modelfile_value(text, "SYSTEM")
    assert system == result.system and "SmolLM" in system
    template = _modelfile_value(text, "TEMPLATE")
    assert "<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n" in template
    tok = _tokenizer(out)
    for messages in CONVERSATIONS:
        want = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        assert ot.render_go(template, ot.ollama_messages(messages, system)) == want
    info = json.loads((out / MARKER).read_text())
    assert info["run_id"] == spec.id and info["method"] == "lora"
    assert info["metrics"]["steps"] == 2 and "train_loss" in info["metrics"]
    assert "train_losses" not in info["metrics"]


def test_reexport_replaces_an_earlier_export(trained, exported, tmp_path):
    _, run_dir, _ = trained
    out = tmp_path / "model"
    shutil.copytree(exported[0], out)
    (out / "stale.txt").write_text("from before")
    result = export_model(run_dir, out, checkpoint=1)
    assert result.source == "checkpoint-1"
    assert not (out / "stale.txt").exists()
    assert json.loads((out / MARKER).read_text())["source"] == "checkpoint-1"


def test_refuses_a_foreign_folder(trained, tmp_path):
    _, run_dir, _ = trained
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(AfinaError, match="not empty and is not an earlier afina export"):
        export_model(run_dir, out)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert not list(tmp_path.glob(".precious*"))


def test_missing_checkpoint_and_unfinished_run(trained, tmp_path):
    _, run_dir, _ = trained
    with pytest.raises(AfinaError, match="no complete checkpoint 3") as e:
        export_model(run_dir, tmp_path / "x", checkpoint=3)
    assert "1, 2" in (e.value.hint or "")
    unfinished = tmp_path / "unfinished"
    shutil.copytree(run_dir, unfinished, ignore=shutil.ignore_patterns("final", "checkpoints"))
    with pytest.raises(AfinaError, match="has no final model"):
        export_model(unfinished, tmp_path / "y")


@pytest.mark.parametrize(
    ("adapter", "why"),
    [
        ({"peft_type": "PROMPT_TUNING", "task_type": "CAUSAL_LM"}, "no weights to merge"),
        ({"peft_type": "LORA", "task_type": "SEQ_CLS"}, "writes chat models"),
    ],
)
def test_unmergeable_adapters_are_refused(trained, tmp_path, adapter, why):
    _, run_dir, _ = trained
    other = tmp_path / "run"
    shutil.copytree(run_dir, other, ignore=shutil.ignore_patterns("checkpoints"))
    (other / "final" / "adapter_config.json").write_text(json.dumps(adapter))
    with pytest.raises(AfinaError, match=why):
        export_model(other, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_full_fine_tune_is_saved_as_is(trained, tiny_model, tmp_path):
    import torch
    from transformers import AutoModelForCausalLM

    _, run_dir, _ = trained
    full = tmp_path / "full-run"
    shutil.copytree(run_dir, full, ignore=shutil.ignore_patterns("final", "checkpoints"))
    shutil.copytree(tiny_model, full / "final")  # a full model where the adapter would be
    result = export_model(full, tmp_path / "out")
    assert not result.merged
    ids = torch.tensor([[1, 2, 3, 4]])
    with torch.no_grad():
        want = AutoModelForCausalLM.from_pretrained(str(tiny_model))(ids).logits
        got = AutoModelForCausalLM.from_pretrained(str(tmp_path / "out"))(ids).logits
    assert torch.equal(want, got)
    assert (tmp_path / "out" / MODELFILE).is_file()


def test_cli_export_and_missing_run(trained, tmp_path, capsys):
    from afina.tui.cli import cli, main
    from afina.tui.cli.model_cmds import export_model_cmd

    cli.add_command(export_model_cmd)
    ws, _, spec = trained
    code = main(["-w", str(ws.root), "export-model", "no-such-run", str(tmp_path / "a")])
    assert code == 2
    assert "no single run matches 'no-such-run'" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()

    prefix = spec.id[:-2]
    args = ["-w", str(ws.root), "export-model", prefix, str(tmp_path / "b"), "--json"]
    code = main([*args, "--checkpoint", "1", "--dtype", "bfloat16"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["run_id"] == spec.id and data["source"] == "checkpoint-1"
    assert data["dtype"] == "bfloat16" and data["stop_tokens"] == ["<|im_end|>"]
    assert Path(data["modelfile"]).is_file()
