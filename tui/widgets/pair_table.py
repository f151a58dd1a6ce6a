"""Curate's queue: one row per loaded pair, and the counts and title that go with it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.text import Text
from textual.widgets.data_table import ColumnKey

from afina.engine.types import PAIR_STATUSES, PairFilter, PairRow
from afina.tui.filters import describe, matches
from afina.tui.widgets.pair_view import STATUS_STYLE
from afina.tui.widgets.printable import PrintableTable


def cells(p: PairRow) -> tuple[str | Text, ...]:
    """A pair's row: id, status, tags, the start of its prompt on one line."""
    return (
        str(p.id),
        Text(p.status, style=STATUS_STYLE.get(p.status, "")),
        ",".join(p.tags),
        p.prompt.replace("\n", " ")[:60],
    )


def counts_text(counts: Mapping[str, int]) -> Text:
    """The workspace's pairs by status and by split, for the bar above the queue."""
    c = counts
    return Text.assemble(
        ("pending ", "dim"),
        (str(c.get("pending", 0)), "yellow"),
        ("  accepted ", "dim"),
        (str(c.get("accepted", 0)), "green"),
        ("  rejected ", "dim"),
        (str(c.get("rejected", 0)), "red"),
        ("   │   train ", "dim"),
        str(c.get("train", 0)),
        ("  validation ", "dim"),
        str(c.get("validation", 0)),
        ("  test ", "dim"),
        str(c.get("test", 0)),
    )


def queue_title(where: PairFilter, loaded: int, more: bool, total: int) -> str:
    """ "Pairs · pending · tag:x · search “y” · 200+ of 1234": the filter and how much shows."""
    status = where.status or "all"
    search = f" · search “{where.search}”" if where.search else ""
    narrow = describe(where)
    narrow = f" · {narrow}" if narrow else ""
    return f"Pairs · {status}{narrow}{search} · {loaded}{'+' if more else ''} of {total}"


class PairTable(PrintableTable[Text | str]):
    """The loaded pairs of the queue, in order; rows are keyed by the pair's id."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.pairs: list[PairRow] = []
        self._columns: list[ColumnKey] = []

    def on_mount(self) -> None:
        # The status column is as wide as the longest status from the start: sized by the
        # first page, it would depend on whether a review landed before or after that page.
        self._columns = [
            self.add_column("id"),
            self.add_column("status", width=max(len(s) for s in PAIR_STATUSES)),
            self.add_column("tags"),
            self.add_column("prompt"),
        ]

    @property
    def ids(self) -> list[int]:
        return [p.id for p in self.pairs]

    def reset(self) -> None:
        self.pairs = []
        self.clear()

    def extend(self, rows: Sequence[PairRow]) -> None:
        self.pairs.extend(rows)
        for p in rows:
            self.add_row(*cells(p), key=str(p.id))

    def select(self, pair_id: int) -> bool:
        """Move the cursor to a loaded pair; False when it is not loaded."""
        ids = self.ids
        if pair_id in ids:
            self.move_cursor(row=ids.index(pair_id))
        return pair_id in ids

    def place(self, pair_id: int | None, row: int) -> int | None:
        """Put the cursor on ``pair_id`` if loaded, else on ``row`` (or the nearest row there
        is); the pair now under it, None when the queue is empty."""
        ids = self.ids
        if not ids:
            return None
        if pair_id not in ids:
            pair_id = ids[min(max(row, 0), len(ids) - 1)]
        self.move_cursor(row=ids.index(pair_id), animate=False)
        return pair_id

    def following(self, pair_id: int) -> int | None:
        """The loaded pair after ``pair_id``, if there is one."""
        ids = self.ids
        i = ids.index(pair_id) + 1 if pair_id in ids else len(ids)
        return ids[i] if i < len(ids) else None

    def redraw(self, fresh: PairRow, where: PairFilter) -> bool:
        """Show a loaded pair as stored now, or take it out if ``where`` no longer takes it.

        True when its row left the queue; a pair not loaded here is left alone.
        """
        ids = self.ids
        if fresh.id not in ids:
            return False
        i = ids.index(fresh.id)
        if matches(fresh, where):
            self.pairs[i] = fresh
            for column, value in zip(self._columns, cells(fresh), strict=True):
                self.update_cell(str(fresh.id), column, value, update_width=True)
            return False
        del self.pairs[i]
        self.remove_row(str(fresh.id))
        return True
