"""`afina demo`: the README's main-job command, on the bundled sample domain."""

from __future__ import annotations

import json
from pathlib import Path

from afina.engine.demo.stages import sample_domain
from afina.tui.cli import main

# No fine-tune, and a model-free embedder for the index: the stages before training, fast.
FAST = ("--steps", "0", "--embedder", "hash:64")


def test_demo_imports_the_sample_domain_and_is_repeatable(tmp_path, capsys):
    assert main(["demo", str(tmp_path / "d"), *FAST, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    stage, curate, index, train, evaluate = result["stages"]
    assert train["summary"].startswith("skipped") and evaluate["summary"].startswith("skipped")
    assert (stage["stage"], curate["stage"], index["stage"]) == ("import", "curate", "index")
    # every train pair, and the company's documents in chunks
    assert index["pairs"] == curate["splits"]["train"] and index["chunks"] >= 12
    statuses = {f["status"] for f in stage["files"]}
    assert statuses <= {"imported", "unchanged"}, statuses
    importers = {f["importer"] for f in stage["files"]}
    assert importers == {"whatsapp", "slack"}
    counts = stage["workspace"]
    manifest = json.loads((sample_domain() / "manifest.json").read_text())["counts"]
    whatsapp = [f for f in stage["files"] if f["importer"] == "whatsapp"]
    # One conversation per distinct chat export; every Slack message is a turn or a skip.
    assert sum(f["conversations"] for f in whatsapp) == manifest["whatsapp_chats"]
    [slack] = [f for f in stage["files"] if f["importer"] == "slack"]
    assert slack["turns"] + slack["skipped"] == manifest["slack_messages"]
    # Exports shared twice (same bytes) are recognised, not imported again.
    assert sum(f["status"] == "unchanged" for f in stage["files"]) >= 1

    assert main(["demo", str(tmp_path / "d"), *FAST, "--json"]) == 0
    again = json.loads(capsys.readouterr().out)["stages"]
    assert again[0]["workspace"] == counts
    assert again[1]["extracted"] == 0  # every pair was there already


def test_demo_exports_a_scrubbed_split_dataset(tmp_path, capsys):
    assert main(["demo", str(tmp_path / "d"), *FAST, "--json"]) == 0
    curate = json.loads(capsys.readouterr().out)["stages"][1]
    assert curate["removed"]["trivial"] > 0 and curate["accepted"] > 300
    # Questions worded differently that share one answer stay, and the summary counts them.
    assert curate["paraphrase_groups"] > 50 and curate["paraphrase_pairs"] > 100
    assert f"kept {curate['paraphrase_groups']} paraphrase groups" in curate["summary"]
    assert set(curate["splits"]) == {"train", "validation", "test"}
    exported = "\n".join(Path(p).read_text(encoding="utf-8") for p in curate["exported"])
    rows = [json.loads(line) for line in exported.splitlines() if line]
    # The split's leakage fix rejects evaluation pairs whose near duplicate (whole text) is in
    # train: kept paraphrases that share a long answer across splits can be such pairs.
    assert len(rows) == curate["accepted"] - curate["leaks_fixed"]
    # Every planted e-mail, phone, CPF, card and CEP of the sample domain is gone...
    planted = json.loads((sample_domain() / "pii.json").read_text(encoding="utf-8"))
    kinds = {"email", "phone", "cpf", "card"}
    leaked = [p["value"] for p in planted if p["kind"] in kinds and p["value"] in exported]
    assert not leaked
    # ...but the company's own contacts, which the assistant must learn, are kept.
    assert "(48) 3000-5821" in exported


def test_demo_fine_tunes_in_a_background_job_and_reports_the_losses(tmp_path, capsys, tiny_model):
    args = ["demo", str(tmp_path / "d"), "--steps", "4", "--base-model", str(tiny_model)]
    args += ["--embedder", "hash:64", "--questions", "3", "--json"]
    assert main(args) == 0
    stages = json.loads(capsys.readouterr().out)["stages"]
    train, evaluate = stages[3], stages[4]
    assert train["stage"] == "train" and train["steps"] == 4
    assert len(train["train_losses"]) == 4
    # an evaluation before training, then every steps // 2 = 2 steps
    assert len(train["validation_losses"]) == 3
    assert "validation loss" in train["summary"]
    # validation questions answered before and after, beside the team's own answer
    assert len(train["samples"]) == 2
    for sample in train["samples"]:
        assert set(sample) == {"question", "reference", "base", "tuned"}
        assert sample["question"] and sample["reference"]
    run = tmp_path / "d" / "runs" / train["run"]
    assert (run / "final" / "adapter_model.safetensors").is_file()

    # the held-out questions, answered by the five assistants, in a report under the run
    assert evaluate["stage"] == "evaluate" and evaluate["run"] == train["run"]
    assert set(evaluate["means"]) == {"base", "few-shot", "rag", "ft", "ft+rag"}
    assert {g["metric"] for g in evaluate["goals"]} == {"rouge_l", "token_f1"}
    report = json.loads(Path(evaluate["report_json"]).read_text(encoding="utf-8"))
    assert report["examples"]["n"] == 3 and report["run"] == train["run"]
    assert Path(evaluate["report"]).parent.parent == run / "eval"
