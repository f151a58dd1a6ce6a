"""`afina demo`: the README's main-job command, on the bundled sample domain."""

from __future__ import annotations

import json

from afina.engine.demo import sample_domain
from afina.tui.cli import main


def test_demo_imports_the_sample_domain_and_is_repeatable(tmp_path, capsys):
    assert main(["demo", str(tmp_path / "d"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    [stage] = result["stages"]
    assert stage["stage"] == "import"
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

    assert main(["demo", str(tmp_path / "d"), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)["stages"][0]
    assert again["workspace"] == counts
