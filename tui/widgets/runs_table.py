"""The workspace's training runs, newest first: state, progress, losses, checkpoints (the
run view shows the chosen one's model and the rest).

Rows are keyed by run id. The followed run's row is redrawn from its live trace between
listings, so it moves with the run without reading every run's events again.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from afina.engine.training.jobs import RunStatus
from afina.engine.training.trace import RunTrace
from afina.tui.widgets.printable import PrintableTable

STATE_STYLE = {
    "starting": "cyan",
    "running": "bold cyan",
    "finished": "green",
    "failed": "red",
    "stopped": "yellow",
    "interrupted": "yellow",
}
COLUMNS = (
    ("run", "run"),
    ("state", "state"),
    ("method", "method"),
    ("step", "step"),
    ("loss", "loss"),
    ("val", "val"),
    ("ckpt", "ckpt"),
)


def loss_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def state_text(state: str) -> Text:
    return Text(state, style=STATE_STYLE.get(state, ""))


def step_text(step: int, total: int) -> str:
    return f"{step}/{total}" if total else str(step)


class RunsTable(PrintableTable[Text | str]):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.run_ids: list[str] = []

    def on_mount(self) -> None:
        for label, key in COLUMNS:
            self.add_column(label, key=key)

    def show(self, runs: Sequence[RunStatus], keep: str | None) -> None:
        """List ``runs`` newest first, the cursor on ``keep`` if it is among them."""
        ordered = sorted(runs, key=lambda r: r.id, reverse=True)
        ids = [r.id for r in ordered]
        if ids != self.run_ids:
            self.clear()
            for r in ordered:
                self.add_row(*self._cells(r), key=r.id)
            self.run_ids = ids
        else:
            for r in ordered:
                for (_, key), value in zip(COLUMNS, self._cells(r), strict=True):
                    self.update_cell(r.id, key, value)
        if keep in ids:
            self.move_cursor(row=ids.index(keep), animate=False)

    def _cells(self, r: RunStatus) -> tuple[Text | str, ...]:
        return (
            r.id,
            state_text(r.state),
            r.method,
            step_text(r.step, r.total),
            loss_text(r.loss),
            loss_text(r.val_loss),
            str(r.checkpoints),
        )

    def update_trace(self, t: RunTrace) -> None:
        """Redraw the row of a followed run from its newest events."""
        if t.run_id not in self.run_ids:
            return
        cells: dict[str, Text | str] = {
            "state": state_text(t.state),
            "step": step_text(t.step, t.total),
            "loss": loss_text(t.loss),
            "val": loss_text(t.val_loss),
            "ckpt": str(t.checkpoints),
        }
        for key, value in cells.items():
            self.update_cell(t.run_id, key, value)

    def highlighted(self) -> str | None:
        if not self.run_ids or self.cursor_row < 0:
            return None
        return self.run_ids[min(self.cursor_row, len(self.run_ids) - 1)]

    def select(self, run_id: str) -> None:
        if run_id in self.run_ids:
            self.move_cursor(row=self.run_ids.index(run_id), animate=False)
