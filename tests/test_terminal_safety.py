"""Text from imported files is shown on the terminal, never obeyed: escape sequences planted
in a file name, a sender's name or a message reach neither stdout nor stderr as controls."""

from __future__ import annotations

import html
import io
import json
from pathlib import Path
from typing import Any

import pytest

from afina.engine.config import TrainSettings
from afina.engine.text import printable
from afina.engine.training import jobs
from afina.engine.training.spec import RunSpec
from afina.tui.cli import main
from afina.tui.cli.output import SafeConsole, json_text

CLEAR = "\x1b[2J"
CLIPBOARD = "\x1b]52;c;ZXZpbA==\x07"  # OSC 52: put "evil" on the clipboard
C1_CSI = "\x9b2J"
RLO = "\u202e"
CONTROLS = ("\x1b", "\x07", "\x9b", RLO)

CHAT = "\n".join(
    [
        f"[1/22/20, 9:15:01 AM] Ana{CLIPBOARD}: Qual o horário da loja?{CLEAR}",
        f"[1/22/20, 9:16:00 AM] Loja Sol: Das 9h às 18h, de segunda a sábado.{CLIPBOARD}",
        f"[1/22/20, 9:17:00 AM] Ana{CLIPBOARD}: E aos domingos?{RLO}gpj.exe",
        f"[1/22/20, 9:18:00 AM] Loja Sol: Fechamos aos domingos.{C1_CSI}",
    ]
)


def afina(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def assert_shown_not_obeyed(text: str) -> None:
    for control in CONTROLS:
        assert control not in text, (control, text)


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "w"]) == 0
    root = tmp_path / "w"
    monkeypatch.chdir(root)
    (root / f"chat{CLEAR}{CLIPBOARD}.txt").write_text(CHAT + "\n", encoding="utf-8")
    return root


def test_printable_replaces_each_control_with_a_visible_one() -> None:
    assert printable("plain text, acentuação\tand\nlines\r\n") == (
        "plain text, acentuação\tand\nlines\r\n"
    )
    assert printable(CLEAR) == "\u241b[2J"  # ␛[2J: drawn, not run
    assert printable(CLIPBOARD) == "\u241b]52;c;ZXZpbA==\u2407"
    assert printable(f"{C1_CSI}\x7f\x00") == "\ufffd2J\u2421\u2400"
    assert printable(f"fatura{RLO}fdp.exe") == "fatura\ufffdfdp.exe"
    assert printable("ok\rspoof") == "ok\nspoof"  # a lone CR would overwrite the line
    text = f"a{CLEAR}b{CLIPBOARD}c{C1_CSI}"
    assert len(printable(text)) == len(text)  # one for one: rich spans stay in place


def test_import_summary_sources_conversations_and_pairs_show_no_controls(ws, capsys) -> None:
    code, shown = afina(capsys, "import", ".")
    assert code == 0
    assert_shown_not_obeyed(shown)
    assert "\u241b[2J" in shown  # the file name is there, its escape made visible

    for args in (
        ("sources",),
        ("conversations",),
        ("show", "1"),
        ("pairs", "extract"),
        ("pairs", "list"),
        ("pairs", "show", "1"),
        ("stats",),
    ):
        code, shown = afina(capsys, *args)
        assert code == 0, (args, shown)
        assert_shown_not_obeyed(shown)
    code, shown = afina(capsys, "show", "1")
    assert "Ana\u241b]52;c;ZXZpbA==\u2407" in shown and "horário da loja?\u241b[2J" in shown


def test_json_output_escapes_every_control_and_reads_back_unchanged(ws, capsys) -> None:
    afina(capsys, "import", ".")
    code, shown = afina(capsys, "show", "1", "--json")
    assert code == 0
    assert_shown_not_obeyed(shown)
    turns = json.loads(shown)["turns"]
    assert any(CLEAR in t["text"] for t in turns)  # the value itself is kept
    value = {"text": f"x{C1_CSI}{RLO}{CLEAR}\x7f"}
    assert json.loads(json_text(value)) == value
    assert_shown_not_obeyed(json_text(value))


def test_an_error_naming_planted_text_is_one_clean_line(ws, capsys) -> None:
    code, shown = afina(capsys, "import", f"missing{CLEAR}{CLIPBOARD}.txt")
    assert code != 0
    assert_shown_not_obeyed(shown)


def test_jobs_logs_shows_the_runner_log_without_its_controls(ws, capsys) -> None:
    run_dir = ws / "runs" / "20250101-100000-aaaa"
    run_dir.mkdir(parents=True)
    spec = RunSpec(
        id=run_dir.name,
        created="2025-01-01T10:00:00+00:00",
        settings=TrainSettings(),
        method_options={},
        examples=1,
    )
    (run_dir / "spec.toml").write_text(spec.to_toml(), encoding="utf-8")
    (run_dir / jobs.LOG_FILE).write_text(f"ValueError: bad turn {CLEAR}{CLIPBOARD}\n")
    code, shown = afina(capsys, "jobs", "logs", run_dir.name)
    assert code == 0
    assert_shown_not_obeyed(shown)
    assert "bad turn \u241b[2J" in shown


def test_the_console_keeps_its_own_styles_on_a_terminal() -> None:
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO()
    console = SafeConsole(file=buffer, force_terminal=True, color_system="standard", width=80)
    table = Table("name")
    table.add_row(f"Ana{CLIPBOARD}")
    table.add_row(Text(f"built{CLEAR}", style="red"))  # a Text skips render_str
    console.print("[bold]bold[/]", table, markup=True)
    written = buffer.getvalue()
    assert "\x1b[1m" in written and "\x1b[31m" in written  # rich's own escapes pass
    assert "\x1b]52" not in written and "\x1b[2J" not in written and "\x07" not in written
    assert "Ana\u241b]52;c;ZXZpbA==\u2407" in written and "built\u241b[2J" in written


def screen_text(app: Any) -> str:
    """Every piece of text on the screen, as the terminal would be sent it."""
    svg = app.export_screenshot()
    return html.unescape(svg).replace("\xa0", " ")


async def test_the_ui_draws_planted_controls_as_text(ws: Path) -> None:
    from textual.widgets import DataTable

    from afina.engine.workspace import open_workspace
    from afina.tui.app import AfinaApp
    from afina.tui.widgets.candidate_table import CandidateTable

    assert main(["import", ".", "--json"]) == 0
    app = AfinaApp(open_workspace(ws))
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(20):  # the sources, then the first conversation's turns, load in workers
            await pilot.pause(0.05)
        screen = app.screen
        sources = screen.query_one("#sources", DataTable)
        assert "chat\u241b[2J" in str(sources.get_row_at(0)[5])
        home = screen_text(app)
        # A sender, in the turns pane (rich drops the BEL itself; the ESC it would keep).
        assert "Ana\u241b]52;c;ZXZpbA==" in home
        assert_shown_not_obeyed(home)

        await pilot.press("i")  # Import: the file tree, a scan, the candidates, the preview
        await pilot.press(*".", "enter")
        for _ in range(20):
            await pilot.pause(0.05)
        table = app.screen.query_one(CandidateTable)
        files = [str(table.get_row_at(i)[4]) for i in range(table.row_count)]
        assert any("\u241b[2J" in f for f in files), files
        imported = screen_text(app)
        assert "chat\u241b[2J" in imported
        assert_shown_not_obeyed(imported)
