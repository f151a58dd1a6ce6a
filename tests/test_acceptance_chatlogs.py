"""Acceptance: `afina import ../shared/chatlogs` imports every real export there, with a summary.

These files were exported by real tools and written by others (see their SOURCES.md); none
are copied into this repository.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.acceptance

EXPECTED = {
    "chatgpt_export/polylogue_native-conversation-v1_branching.json": "chatgpt",
    "chatgpt_export/looselips_minimal_pii_conversations.json": "chatgpt",
    "chatgpt_export/chatgpt2graph_code_interpreter_conversations.json": "chatgpt",
    "claude_export/chatlore_branching_claude_conversations.json": "claude",
    "sharegpt/fastchat_dummy_conversation.json": "sharegpt",
    "sharegpt/axolotl_conversation.json": "sharegpt",
    "openai_messages_jsonl/openai_cookbook_toy_chat_fine_tuning.jsonl": "openai-jsonl",
    "openai_messages_jsonl/llamafactory_mllm_demo.json": "openai-jsonl",
    "alpaca/axolotl_alpaca.json": "alpaca",
    "alpaca/llamafactory_identity.json": "alpaca",
    "slack/hfaran_testarchive.zip": "slack",
    "whatsapp/chatminer_test_ddmmyy_24hrs.txt": "whatsapp",
    "whatsapp/chatminer_test_mmddyyyy_12hrs.txt": "whatsapp",
    "whatsapp/pustur_example_ios__chat.txt": "whatsapp",
    "whatsapp/moacirmoda_ptbr_chat.txt": "whatsapp",
    "whatsapp/wca_android_it.txt": "whatsapp",
    "telegram/tgparser_personal_chat.json": "telegram",
    "telegram/chatminer_telegram_batch_export.json": "telegram",
    "support_tickets/abcd_sample_customer_support.json": "support-dialogs",
    "ubuntu_dialogue/hf_datasets_ubuntu_dummy_valid.csv": "csv",
    "portuguese/chatterbot_corpus_pt_conversations.yml": "chatterbot-yaml",
    "portuguese/faquad_dev_ptbr_squad_format.json": "squad",
}

# A group chat export holding only join/leave notices: imported, with nothing in it but skips.
ONLY_SYSTEM_LINES = {"whatsapp/moacirmoda_ptbr_chat.txt"}


def afina(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "afina"
    env = {**os.environ, "CI": "true"}
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True, env=env)


def test_import_every_real_export(chatlogs: Path, tmp_path: Path):
    assert afina("init", "ws", cwd=tmp_path).returncode == 0
    ws = tmp_path / "ws"
    first = afina("import", str(chatlogs), "--json", cwd=ws)
    assert "Traceback" not in first.stdout + first.stderr
    result = json.loads(first.stdout)
    files = {
        Path(f["path"].split("!")[0]).relative_to(chatlogs).as_posix(): f for f in result["files"]
    }
    # Every chat export is imported by the importer for its format, with conversations in it.
    for rel, importer in EXPECTED.items():
        f = files.get(rel)
        assert f is not None, f"{rel} was not found by the walk"
        assert (f["importer"], f["status"]) == (importer, "imported"), (rel, f)
        if rel in ONLY_SYSTEM_LINES:
            assert f["conversations"] == 0 and f["skipped"] > 0, (rel, f)
        else:
            assert f["conversations"] > 0 and f["turns"] > 0, (rel, f)
    # The only other file, the folder's notes, is skipped with a reason, not refused.
    others = {rel: f for rel, f in files.items() if rel not in EXPECTED}
    assert set(others) == {"SOURCES.md"}, others
    assert others["SOURCES.md"]["status"] == "skipped" and others["SOURCES.md"]["reason"]
    assert first.returncode == 0

    # A second run changes nothing: each source is recognised by its hash.
    again = json.loads(afina("import", str(chatlogs), "--json", cwd=ws).stdout)
    assert again["workspace"] == result["workspace"]
    assert {f["status"] for f in again["files"] if f["importer"]} == {"unchanged"}

    sources = json.loads(afina("sources", "--json", cwd=ws).stdout)
    assert len(sources) == len(EXPECTED)
    conversations = json.loads(afina("conversations", "--json", "--limit", "100000", cwd=ws).stdout)
    assert len(conversations) == result["workspace"]["conversations"]
    shown = json.loads(afina("show", str(conversations[0]["id"]), "--json", cwd=ws).stdout)
    assert shown["turns"] and all(t["place"] and t["source_path"] for t in shown["turns"])
