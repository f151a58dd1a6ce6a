"""The CLI and the TUI do the same thing: each action runs through the CLI on one workspace
and through the TUI on an identical copy (same files, same afina.toml with a pii_allow
entry), and what they stored is compared.

The TUI has screens for import, extract and launching a run; curate, split, export, index
build and eval have no screen yet, so on the TUI's copy those steps run through the CLI,
which checks that the TUI's extraction leads to the same curated pairs and the same export.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input
from textual.worker import WorkerCancelled, WorkerFailed

from afina.engine.training import jobs
from afina.engine.training.spec import read_spec
from afina.engine.types import PairFilter
from afina.engine.workspace import Workspace, init_workspace, open_workspace
from afina.tui.app import AfinaApp
from afina.tui.cli import main
from afina.tui.screens.curate_screen import CurateScreen
from afina.tui.screens.import_screen import ImportScreen
from afina.tui.screens.train_screen import FOLLOW_GROUP, TrainScreen

SIZE = (120, 40)
BUSINESS = "Lumiar Fibra"
BUSINESS_PHONE = "(48) 3000-5821"

# A customer writing from an unsaved number who says who he is, and the business answering
# with its own name and phone, which the allow list keeps.
INTRODUCED = """\
12/03/2024, 10:01 - +55 48 99360-5246: boa tarde!!
12/03/2024, 10:01 - +55 48 99360-5246: aqui é Alexandre Becker
quanto custa o plano de 300 mega?
12/03/2024, 10:03 - Lumiar Fibra: Boa tarde, Alexandre! O Lumiar 300 sai por R$ 99,90/mês.
12/03/2024, 10:05 - +55 48 99360-5246: e a instalação? meu email é ale.becker@example.com
12/03/2024, 10:06 - Lumiar Fibra: Alexandre, a instalação é grátis. Dúvidas: (48) 3000-5821.
"""
# A saved contact: the display name is the customer's name.
SAVED = """\
14/03/2024, 09:12 - Aline Souza: oi, minha internet caiu
14/03/2024, 09:13 - Lumiar Fibra: Oi Aline! Já reiniciou o roteador? Qualquer coisa, (48) 3000-5821.
14/03/2024, 09:20 - Aline Souza: reiniciei e voltou, obrigada
14/03/2024, 09:21 - Lumiar Fibra: Que bom, Aline! A Lumiar Fibra agradece.
14/03/2024, 09:30 - Aline Souza: o wifi fica lento à noite, é normal?
14/03/2024, 09:31 - Lumiar Fibra: Pode ser interferência: troque o canal do wifi para 36.
"""


# Questions with roles (ShareGPT), one asked twice for the dedupe to find.
FAQ = (
    ("How do I reset my router?", "Hold the reset button for ten seconds, then wait."),
    ("How do I reset my router?", "Hold the reset button for ten seconds, then wait."),
    ("Which plans do you have?", "Lumiar 300 and Lumiar 600; both include installation."),
    ("Is installation free?", "Yes, with a twelve-month contract."),
    ("My wifi is slow at night", "Try another wifi channel, 36 or 40 work well in flats."),
    ("Can I pay by pix?", "Yes: the pix key is on the invoice, and it clears the same day."),
)


def faq() -> list[dict[str, Any]]:
    return [
        {
            "id": f"faq{i}",
            "conversations": [{"from": "human", "value": q}, {"from": "gpt", "value": a}],
        }
        for i, (q, a) in enumerate(FAQ)
    ]


@pytest.fixture
def twins(tmp_path: Path) -> tuple[Workspace, Workspace]:
    """Two identical workspaces holding chat files not yet imported: (for the CLI, for the TUI)."""
    template, _ = init_workspace(tmp_path / "template")
    toml = template.root / "afina.toml"
    allow = f'pii_allow = ["{BUSINESS}", "{BUSINESS_PHONE}"]'
    toml.write_text(toml.read_text("utf-8").replace("pii_allow = []", allow), "utf-8")
    chats = template.root / "chats"
    chats.mkdir()
    (chats / "Conversa do WhatsApp com +55 48 99360-5246.txt").write_text(INTRODUCED, "utf-8")
    (chats / "Conversa do WhatsApp com Aline Souza.txt").write_text(SAVED, "utf-8")
    (chats / "faq.json").write_text(json.dumps(faq()), "utf-8")
    made = []
    for name in ("by-cli", "by-tui"):
        shutil.copytree(template.root, tmp_path / name)
        made.append(open_workspace(tmp_path / name))
    assert made[0].config.curate.pii_allow == (BUSINESS, BUSINESS_PHONE)
    return made[0], made[1]


def cli(ws: Workspace, capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code = main(["-w", str(ws.root), *args, "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


async def settle(pilot: Pilot[None]) -> None:
    """Wait for afina's workers (not DirectoryTree's loader, nor a run's follower) to end."""
    for _ in range(6):
        for worker in [
            w for w in pilot.app.workers if not w.group.startswith("_") and w.group != FOLLOW_GROUP
        ]:
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await worker.wait()
        await pilot.pause()


def sources(ws: Workspace) -> list[tuple[str, str, int, int, int]]:
    with ws.open_store() as store:
        return [
            (
                str(Path(s.path).relative_to(ws.root)),
                s.importer,
                s.conversations,
                s.turns,
                s.skipped,
            )
            for s in store.sources()
        ]


def pairs(ws: Workspace) -> list[tuple[Any, ...]]:
    with ws.open_store() as store:
        rows = store.pairs(PairFilter(), limit=10**9)
    return [(p.id, p.prompt, p.response, p.context, p.system, p.status, p.split) for p in rows]


def run_settings(run_dir: Path) -> tuple[Any, ...]:
    spec = read_spec(run_dir)
    return spec.settings, spec.method_options, spec.examples, spec.train_file


def run_data(ws: Workspace, run_dir: Path) -> dict[str, str]:
    """The run's data files; the card names the sources by path, here relative to ``ws``."""
    return {
        p.name: p.read_text("utf-8").replace(str(ws.root), "<ws>")
        for p in sorted((run_dir / "data").iterdir())
    }


async def test_every_action_gives_the_same_result_from_the_cli_and_the_tui(
    twins: tuple[Workspace, Workspace],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    by_cli, by_tui = twins
    # Starting the runner is jobs.start's business (tests/test_training_jobs.py); here the run
    # folders the two front ends make are compared, so no runner process is started.
    started: list[Path] = []

    def start(run_dir: Path, resume: bool = False) -> int:
        started.append(run_dir)
        return 4242

    monkeypatch.setattr(jobs, "start", start)

    # -- the CLI --------------------------------------------------------------------------
    cli(by_cli, capsys, "import", str(by_cli.root / "chats"))
    extracted = cli(by_cli, capsys, "pairs", "extract")
    assert extracted["added"] == len(FAQ) + 2 + 3  # the two WhatsApp chats: 2 and 3

    # -- the TUI, up to what it has screens for ------------------------------------------
    monkeypatch.chdir(by_tui.root)
    app = AfinaApp(by_tui)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("i")
        assert isinstance(app.screen, ImportScreen)
        await pilot.press(*"chats", "enter")
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert sources(by_tui) == sources(by_cli)

        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CurateScreen)
        await pilot.press("x")
        await settle(pilot)
    assert pairs(by_tui) == pairs(by_cli)

    # What extraction stored keeps the business and scrubs the customers, on both sides.
    text = "\n".join(f"{p[1]}\n{p[2]}" for p in pairs(by_tui))
    assert BUSINESS in text and BUSINESS_PHONE in text
    assert "Alexandre" not in text and "Aline" not in text and "ale.becker" not in text
    assert "<NAME_1>" in text and "<EMAIL_1>" in text

    # -- curate, split, export: no TUI screen yet; the TUI's pairs through the same verbs --
    reports = []
    for ws in (by_cli, by_tui):
        curated = cli(ws, capsys, "curate", "--accept-passing")
        split = cli(ws, capsys, "split", "--seed", "3")
        cli(ws, capsys, "export", "messages", str(ws.root / "exports" / "all.jsonl"))
        reports.append((curated, split))
    assert reports[0] == reports[1]
    assert reports[0][0]["duplicates"] == {"exact": 1} and reports[0][0]["accepted"] > 0
    assert pairs(by_tui) == pairs(by_cli)
    assert {p[5] for p in pairs(by_cli)} == {"accepted", "rejected"}
    exports = [(ws.root / "exports" / "all.jsonl").read_text("utf-8") for ws in twins]
    assert exports[0] == exports[1] and BUSINESS in exports[0] and "Alexandre" not in exports[0]

    # -- train: the same run folder from `afina train` and the Train screen's launch ------
    cli(by_cli, capsys, "train", "--set", "max_steps=5", "--set", "epochs=1")
    app = AfinaApp(by_tui)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TrainScreen)
        form = screen.query_one("#train-form")
        form.query_one("#form-max_steps", Input).value = "5"
        form.query_one("#form-epochs", Input).value = "1"
        await pilot.press("l")
        await settle(pilot)
    assert [p.parent.parent for p in started] == [by_cli.root, by_tui.root]
    cli_run, tui_run = started
    assert run_settings(tui_run) == run_settings(cli_run)
    assert run_settings(cli_run)[0].max_steps == 5
    assert run_data(by_tui, tui_run) == run_data(by_cli, cli_run)
    assert BUSINESS in run_data(by_cli, cli_run)["pairs.train.jsonl"]
