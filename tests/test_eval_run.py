"""Evaluation runs: batched answers, reference log-likelihoods, examples files, the leakage
check, the saved report, and `afina eval` / `afina evals` / `afina report`."""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import replace

import pytest

from afina.engine.chat.batch import merged, reference_nlls, reply_batch
from afina.engine.chat.generate import Assistant, load_run
from afina.engine.errors import ParseError, UsageError
from afina.engine.eval import saved
from afina.engine.eval.examples import EvalExample, read_examples
from afina.engine.eval.leakage import find_leaks
from afina.engine.eval.run import EvalOptions, check_assistants, evaluate
from afina.tui.cli import main

QUESTIONS = [
    [{"role": "user", "content": "qual o horário de atendimento da loja?"}],
    [{"role": "user", "content": "How much is the 600 plan?"}],
    [{"role": "user", "content": "oi"}],
]


@pytest.fixture
def adapted(chatty_model):
    """A chatty model under a random LoRA adapter, so that the adapter changes the answers."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    base = AutoModelForCausalLM.from_pretrained(str(chatty_model)).eval()
    config = LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    model = get_peft_model(base, config).eval()
    return Assistant(model, AutoTokenizer.from_pretrained(str(chatty_model)), adapter=True)


def test_batched_answers_match_one_by_one_answers(adapted):
    batched = reply_batch(adapted, QUESTIONS, 12, batch_size=2)
    single = [adapted.reply(q, 12) for q in QUESTIONS]
    assert all(single) and len(set(single)) == 3  # real, different answers
    assert [g.text for g in batched] == single  # the caller's order, despite length sorting
    assert all(0 < g.tokens <= 12 and g.seconds > 0 for g in batched)
    base = [adapted.reply(q, 12, base=True) for q in QUESTIONS]
    assert base != single  # the adapter matters...
    assert [g.text for g in reply_batch(adapted, QUESTIONS, 12, base=True)] == base
    with merged(adapted):  # ...and merged into the weights it answers the same
        assert [g.text for g in reply_batch(adapted, QUESTIONS, 12)] == single
    assert [adapted.reply(q, 12, base=True) for q in QUESTIONS] == base


def test_reference_nlls_are_the_training_loss_of_the_answer(tuned_ws):
    import torch

    from afina.engine.training.data import encode

    _, run_dir = tuned_ws
    model = load_run(run_dir)
    items = [(QUESTIONS[0], "Das 9h às 18h."), (QUESTIONS[1], "R$ 129,90 a month, 600 Mbps.")]
    nlls = reference_nlls(model, items, batch_size=2)
    for (messages, answer), got in zip(items, nlls, strict=True):
        ex, _ = encode(model.tokenizer, [*messages, {"role": "assistant", "content": answer}], 512)
        assert ex is not None and len(got) == ex.loss_tokens
        with torch.inference_mode():
            loss = model.model(
                input_ids=torch.tensor([ex.input_ids]), labels=torch.tensor([ex.labels])
            ).loss
        assert math.isclose(sum(got) / len(got), float(loss), rel_tol=1e-4)


def test_examples_read_both_formats_and_name_a_bad_line(tmp_path):
    path = tmp_path / "ex.jsonl"
    path.write_text(
        json.dumps({"id": "q1", "question": "Q?", "reference": "A.", "facts": ["A"], "lang": "en"})
        + "\n\n"
        + json.dumps(
            {
                "messages": [
                    {"role": "user", "content": "first"},
                    {"role": "assistant", "content": "x"},
                    {"role": "user", "content": "second?"},
                    {"role": "assistant", "content": "answer"},
                ]
            }
        )
        + "\n"
        + json.dumps({"question": " ", "reference": "empty question: left out"})
        + "\n",
        encoding="utf-8",
    )
    got = read_examples(path)
    assert got == [
        EvalExample("q1", "Q?", "A.", ("A",), ("en",), "en"),
        EvalExample("ex:3", "second?", "answer"),
    ]
    assert read_examples(path, limit=1) == got[:1]
    path.write_text('{"question": "Q?", "reference": "A."}\n{"prompt": 1}\n', encoding="utf-8")
    with pytest.raises(ParseError, match=r"ex\.jsonl:2"):
        read_examples(path)


def test_leakage_flags_near_verbatim_references_only():
    train = [
        ("t1", "The Lumiar 600 plan costs R$ 129,90 a month and has 600 Mbps."),
        ("t2", "Our store opens at nine."),
    ]
    examples = [
        ("copied", "The Lumiar 600 plan costs R$ 129,90 a month and has 600 Mbps."),
        ("paraphrase", "For 600 Mbps you pay R$ 129,90 monthly on the Lumiar 600."),
        ("short", "Our store opens at nine."),
    ]
    leaks = find_leaks(examples, [("train", train)])
    assert [(x.example, x.key, round(x.similarity, 2)) for x in leaks] == [
        ("copied", "t1", 1.0),
        ("short", "t2", 1.0),
    ]


def test_assistant_names_are_checked():
    with pytest.raises(UsageError, match="no assistant 'gpt'"):
        check_assistants(["base", "gpt"], True)
    with pytest.raises(UsageError, match="need a finished run"):
        check_assistants(["base", "ft"], False)


def test_evaluation_ranks_every_assistant_and_saves_its_report(tuned_ws):
    ws, run_dir = tuned_ws
    examples = read_examples(run_dir / "data" / "pairs.test.jsonl", limit=4)
    # facts and a language on two questions: the report's retrieval hit@k counts those two
    examples = [
        replace(ex, facts=(ex.reference.split()[0],), lang="pt") if n < 2 else ex
        for n, ex in enumerate(examples)
    ]
    options = EvalOptions(max_new_tokens=6, batch_size=3, n_boot=200, examples_from="test")
    seen: list[int] = []
    result = evaluate(ws, examples, options, run_dir=run_dir, advance=seen.append)
    assert sum(seen) == 4 * 5
    report = result.report
    assert list(report["assistants"]) == ["base", "few-shot", "rag", "ft", "ft+rag"]
    for entry in report["assistants"].values():
        assert entry["n"] == 4
        assert {"rouge_l", "token_f1", "bleu", "perplexity", "latency_s"} <= set(entry["metrics"])
    assert report["baseline"] == "base" and report["target"] == "ft"
    assert {g["metric"] for g in report["goals"]} == {"rouge_l", "token_f1"}
    probe = report["forgetting"]
    assert probe["texts"] == 20 and probe["before"] > 1 and probe["after"] > 1
    assert report["leakage"]["against"] == ["train", "index"]
    assert report["leakage"]["checked"] == 4
    assert result.folder.parent == run_dir / "eval"
    on_disk = saved.latest(ws, run_dir.name)
    assert on_disk is not None and on_disk.report()["run"] == run_dir.name
    answers = on_disk.answers()
    assert len(answers) == 20 and {a["assistant"] for a in answers} == set(report["assistants"])
    rag = next(a for a in answers if a["assistant"] == "rag")
    assert len(rag["sources"]) == 3 and "rouge_l" in rag["scores"]
    md = (result.folder / saved.REPORT_MD).read_text(encoding="utf-8")
    assert "## Forgetting probe" in md and "## Leakage check" in md and "## ft+rag" in md
    hits = report["retrieval"]
    assert hits["assistants"] == ["few-shot", "rag", "ft+rag"] and hits["k"] == 3
    assert hits["overall"]["n"] == 2 and list(hits["by_lang"]) == ["pt"]
    assert 0 <= hits["overall"]["hits_at_1"] <= hits["overall"]["hits_at_k"] <= 2
    assert "## Retrieval" in md and "hit@3" in md


def test_eval_cli_writes_a_report_that_evals_and_report_find(tuned_ws, capsys):
    ws, run_dir = tuned_ws
    w = ["-w", str(ws.root)]
    args = [*w, "eval", "--run", run_dir.name, "--assistants", "base,ft", "--limit", "3"]
    assert main([*args, "--max-tokens", "4", "--no-forgetting", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert list(printed["report"]["assistants"]) == ["base", "ft"]
    assert "forgetting" not in printed["report"]
    assert main([*w, "evals", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(e["run"], e["assistants"], e["examples"]) for e in listed] == [
        (run_dir.name, ["base", "ft"], 3)
    ]
    assert main([*w, "report"]) == 0
    assert capsys.readouterr().out.startswith(f"# afina evaluation of {run_dir.name}")
    assert main([*w, "eval", "--assistants", "ft,nope"]) == 2
    capsys.readouterr()
    # by default every assistant answers; the retrieving ones only when there is an index
    shutil.rmtree(ws.root / "indexes")
    assert main([*w, "eval", "--limit", "2", "--max-tokens", "3", "--no-forgetting", "--json"]) == 0
    captured = capsys.readouterr()
    assert list(json.loads(captured.out)["report"]["assistants"]) == ["base", "ft"]
    assert "No index 'default'" in captured.err
