"""A customer writing from a number not saved in the phone is named by what they write."""

from __future__ import annotations

from pathlib import Path

import pytest

from afina.engine.curation.extract import ExtractOptions
from afina.engine.curation.extract_run import extract_to_store
from afina.engine.ingest.discover import Sniffer
from afina.engine.ingest.run import import_candidates
from afina.engine.types import PairFilter
from afina.engine.workspace import init_workspace

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
