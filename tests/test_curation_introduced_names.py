"""A customer writing from a number not saved in the phone is named by what they write."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from afina.engine.curation.extract import ExtractOptions
from afina.engine.curation.extract_run import extract_to_store
from afina.engine.ingest.discover import Sniffer
from afina.engine.ingest.run import import_candidates
from afina.engine.store.pairs import Change
from afina.engine.types import PairFilter
from afina.engine.workspace import init_workspace
from afina.tui.cli import main

CHAT = """\
12/03/2024, 10:01 - +55 48 99360-5246: boa tarde!!
12/03/2024, 10:01 - +55 48 99360-5246: aqui é Alexandre Becker
quanto custa o plano de 300 mega?
12/03/2024, 10:03 - Lumiar Fibra: Boa tarde, Alexandre! O Lumiar 300 sai por R$ 99,90/mês.
12/03/2024, 10:05 - +55 48 99360-5246: e a instalação? o alexandre aqui vai estar em casa
12/03/2024, 10:06 - Lumiar Fibra: Alexandre, a instalação é grátis com fidelidade.
"""


def test_self_introduced_name_is_scrubbed_everywhere_in_the_chat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFINA_CACHE_DIR", str(tmp_path / "cache"))
    ws, _ = init_workspace(tmp_path / "ws")
    path = ws.root / "Conversa do WhatsApp com +55 48 99360-5246.txt"
    path.write_text(CHAT, encoding="utf-8")
    with ws.open_store() as store:
        import_candidates(store, Sniffer().candidates([path]))
        options = ExtractOptions(assistant_speakers=("Lumiar Fibra",))
        report = extract_to_store(store, options, allow=["Lumiar Fibra"])
        pairs = list(store.pairs(PairFilter()))
    text = "\n".join(f"{p.prompt}\n{p.response}" for p in pairs)
    assert len(pairs) == 2 and report.pii["name"] == 4
    assert "alexandre" not in text.casefold() and "Becker" not in text
    assert "aqui é <NAME_1>" in text and "Boa tarde, <NAME_1>!" in text
    assert "o <NAME_1> aqui" in text  # lower case too, as for display names
    assert "+55 48 99360-5246" not in text


def test_a_name_an_edit_brings_back_is_scrubbed_at_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An edit is scrubbed as extraction was: a customer's name typed back into an answer in
    review is stored and exported as its placeholder, and the business's allow-listed name
    stays. A value written into the store some other way is still caught by the export's last
    scan."""
    monkeypatch.setenv("AFINA_CACHE_DIR", str(tmp_path / "cache"))
    ws, _ = init_workspace(tmp_path / "ws")
    toml = ws.root / "afina.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace("pii_allow = []", 'pii_allow = ["Lumiar Fibra"]'),
        encoding="utf-8",
    )
    (ws.root / "Conversa do WhatsApp com +55 48 99360-5246.txt").write_text(CHAT, "utf-8")

    def cli(*args: str) -> dict[str, Any]:
        code = main(["-w", str(ws.root), *args, "--json"])
        out = capsys.readouterr().out
        assert code == 0, out
        return dict(json.loads(out))

    cli("import", str(ws.root))
    assert cli("pairs", "extract", "--assistant", "Lumiar Fibra")["added"] == 2
    cli("pairs", "accept", "--status", "pending")
    edited = "Alexandre, a Lumiar Fibra instala na quinta."
    assert cli("pairs", "edit", "1", "--response", edited)["placeholders"] == ["<NAME_1>"]
    with ws.open_store() as store:  # as an older afina's edit, or extraction with --no-scrub
        store.review([Change(2, "response", "Alexandre Becker, ligue amanhã.")], "edit")
    out = ws.root / "exports" / "train.jsonl"
    result = cli("export", "messages", str(out))
    exported = out.read_text(encoding="utf-8")
    assert "Alexandre" not in exported and "<NAME_1>, a Lumiar Fibra instala" in exported
    assert "<NAME_1>, ligue amanhã." in exported
    assert result["pii_replaced_at_export"] == 1
    # The placeholder is the one extraction gave the name, not a new number.
    assert "<NAME_2>" not in exported
