"""The per-file result of an import, as the Import screen shows it after the run."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.text import Text

from afina.engine.ingest.run import FileSummary, totals
from afina.tui.display import counted, shown_path
from afina.tui.widgets.printable import PrintableTable

STATUS_STYLE = {
    "imported": "green",
    "unchanged": "dim",
    "skipped": "yellow",
    "refused": "red",
    "stopped": "yellow",
}


def totals_line(summaries: Sequence[FileSummary], counts: dict[str, int]) -> str:
    t = totals(summaries)
    return (
        f"{t['imported']} imported, {t['unchanged']} unchanged, "
        f"{t['skipped']} skipped, {t['refused']} refused"
        + (f", {t['stopped']} stopped" if t["stopped"] else "")
        + f"; +{counted(t['conversations'], 'conversation')}, +{counted(t['turns'], 'turn')}."
        f"  Workspace now: {counted(counts['sources'], 'source')}, "
        f"{counted(counts['conversations'], 'conversation')}, {counted(counts['turns'], 'turn')}."
    )


def _why(s: FileSummary) -> str:
    """The reason, or for an import with skips its first note, so nothing is left out silently."""
    if s.reason:
        return s.reason
    if s.notes and (s.skipped or s.repaired):
        place, why = s.notes[0]
        return f"{place}: {why}" + (f" (+{len(s.notes) - 1} more)" if len(s.notes) > 1 else "")
    return ""


class SummaryTable(PrintableTable[Text | str]):
    """One row per file: status, importer, what it added, and why when it was not imported."""

    def __init__(self, root: Path, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._root = root

    def on_mount(self) -> None:
        self.add_columns("status", "importer", "conv.", "turns", "dup.", "skipped", "file", "why")

    def show(self, summaries: Sequence[FileSummary]) -> None:
        self.clear()
        for s in summaries:
            self.add_row(
                Text(s.status, style=STATUS_STYLE[s.status]),
                s.importer or "-",
                str(s.conversations),
                str(s.turns),
                str(s.duplicates),
                str(s.skipped),
                shown_path(s.path, self._root),
                _why(s),
            )
