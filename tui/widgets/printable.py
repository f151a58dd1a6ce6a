"""Untrusted text drawn in the UI only as text: chat messages, senders and file names come from
files anyone may have written, and Textual passes an ESC in them to the terminal, where
``ESC[2J`` would clear it and OSC 52 write the clipboard. Everything here replaces those
controls with visible stand-ins (``afina.engine.text.printable``), one character for one, so
the styles on a rich Text stay where they were.

Statics are given ``shown(...)`` of what they draw; tables of untrusted cells derive from
``PrintableTable``, which cleans each cell as it is added or changed.
"""

from __future__ import annotations

from typing import TypeVar, cast

from rich.console import Group
from rich.text import Text, TextType
from textual.widgets import DataTable
from textual.widgets.data_table import CellType, ColumnKey, RowKey

from afina.engine.text import printable

T = TypeVar("T")


def shown_text(text: Text) -> Text:
    """``text`` with its controls made visible: a copy where there were any, else itself."""
    plain = text.plain
    clean = printable(plain)
    if clean == plain:
        return text
    copy = text.copy()
    copy.plain = clean  # same length, so every span keeps its place
    return copy


def shown(value: T) -> T:
    """A string, a Text or a Group of them, with every control made visible. Anything else
    (a number, a Table) is returned as it is: build a table's cells with ``printable``."""
    out: object = value
    if isinstance(value, str):
        out = printable(value)
    elif isinstance(value, Text):
        out = shown_text(value)
    elif isinstance(value, Group):
        out = Group(*(shown(part) for part in value.renderables), fit=value.fit)
    return cast(T, out)  # the same kind as given


def _cell(value: T) -> T:
    # DataTable reads a plain string as markup, so "[b]" or "[/]" in a file name or a chat
    # message would restyle or vanish: strings go in as Text, which is never parsed.
    if isinstance(value, str):
        return cast(T, Text(printable(value)))
    return shown(value)


class PrintableTable(DataTable[CellType]):
    """A DataTable whose string and Text cells, and column labels, are shown as they are:
    controls made visible, brackets never read as markup, whoever adds them."""

    def add_column(
        self,
        label: TextType,
        *,
        width: int | None = None,
        key: str | None = None,
        default: CellType | None = None,
    ) -> ColumnKey:
        return super().add_column(_cell(label), width=width, key=key, default=default)

    def add_row(
        self,
        *cells: CellType,
        height: int | None = 1,
        key: str | None = None,
        label: TextType | None = None,
    ) -> RowKey:
        return super().add_row(
            *(_cell(cell) for cell in cells),
            height=height,
            key=key,
            label=_cell(label) if label is not None else None,
        )

    def update_cell(
        self,
        row_key: RowKey | str,
        column_key: ColumnKey | str,
        value: CellType,
        *,
        update_width: bool = False,
    ) -> None:
        super().update_cell(row_key, column_key, _cell(value), update_width=update_width)
