"""What discovery found under a path: one row per candidate, its importer or why none."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.text import Text

from afina.engine.ingest.discover import Candidate
from afina.tui.display import shown_path, size_text
from afina.tui.widgets.printable import PrintableTable

STATUS_WIDTH = 36


class CandidateTable(PrintableTable[Text | str]):
    """Rows are keyed by the candidate's index in the scan, so a row finds its candidate."""

    def __init__(self, root: Path, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._root = root
        self._scanned: Path | None = None
        self.candidates: list[Candidate] = []

    def on_mount(self) -> None:
        # The file goes last: a long path must not push the verdict off the screen.
        self.add_columns("importer", "confidence", "status", "size", "file")

    def reset(self, scanned: Path | None = None) -> None:
        """Empty the table; paths under ``scanned`` (a folder) are shown relative to it."""
        self.candidates = []
        self._scanned = scanned if scanned is not None and scanned.is_dir() else None
        self.clear()

    def extend(self, found: Sequence[Candidate]) -> None:
        for cand in found:
            index = len(self.candidates)
            self.candidates.append(cand)
            if cand.importer is not None:
                importer, status = Text(cand.importer.name, style="green"), Text("ready")
            else:
                # The full reason shows in the preview pane; the row keeps the file in view.
                reason = cand.reason or ""
                short = reason if len(reason) <= STATUS_WIDTH else reason[: STATUS_WIDTH - 1] + "…"
                importer, status = Text("-", style="dim"), Text(short, style="yellow")
            self.add_row(
                importer,
                f"{cand.confidence:.2f}",
                status,
                size_text(cand.item.size),
                shown_path(cand.display, self._scanned or self._root),
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
