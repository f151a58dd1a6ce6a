"""What discovery found under a path: one row per candidate, its importer or why none."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.text import Text
from textual.widgets import DataTable

from afina.engine.ingest.discover import Candidate
from afina.tui.display import shown_path, size_text


class CandidateTable(DataTable[Text | str]):
    """Rows are keyed by the candidate's index in the scan, so a row finds its candidate."""

    def __init__(self, root: Path, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._root = root
        self.candidates: list[Candidate] = []

    def on_mount(self) -> None:
        self.add_columns("file", "size", "importer", "confidence", "status")

    def reset(self) -> None:
        self.candidates = []
        self.clear()

    def extend(self, found: Sequence[Candidate]) -> None:
        for cand in found:
            index = len(self.candidates)
            self.candidates.append(cand)
            if cand.importer is not None:
                importer, status = Text(cand.importer.name, style="green"), Text("ready")
            else:
                importer, status = Text("-", style="dim"), Text(cand.reason or "", style="yellow")
            self.add_row(
                shown_path(cand.display, self._root),
                size_text(cand.item.size),
                importer,
                f"{cand.confidence:.2f}",
                status,
                key=str(index),
            )

    def current(self) -> tuple[int, Candidate] | None:
        """The highlighted candidate and its index, if any."""
        if not self.candidates or self.cursor_row < 0:
            return None
        index = min(self.cursor_row, len(self.candidates) - 1)
        return index, self.candidates[index]

    @property
    def importable(self) -> list[Candidate]:
        return [c for c in self.candidates if c.importer is not None]
