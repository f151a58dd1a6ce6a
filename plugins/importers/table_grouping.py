"""Rows of a table grouped into conversations, streamed.

Grouping needs to know when a conversation has ended, so a table with a conversation column
is read twice: a first pass notes the last row of each conversation (memory grows with the
number of conversations, not rows), the second emits each conversation as soon as it and
all that started before it are complete. A table whose conversations are contiguous never
holds more than one conversation in memory; one without a conversation column is a single
conversation whose turns are streamed.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import chain

from afina.engine.errors import ParseError
from afina.engine.ingest.textio import TextStats
from afina.engine.types import Conversation, ImportItem, Turn
from afina.plugins.importers.table_columns import Columns, build_turn, field_value, scalar
from afina.plugins.importers.table_rows import Tally

# Rows as ``(place, record or error)``; called once per pass, the tally only on the last.
RowsFn = Callable[[TextStats, Tally | None], Iterator[tuple[str, object]]]


def read_table(rows: RowsFn, cols: Columns, stats: TextStats, tally: Tally) -> Iterator[ImportItem]:
    """Conversations from ``(place, record or error)`` rows; ``rows`` can be read again."""
    if cols.conversation is None:
        yield from _single_conversation(rows(stats, tally), cols, tally)
    else:
        yield from _grouped(rows, cols.conversation, cols, stats, tally)


def table_records(
    rows: Iterable[tuple[str, object]], tally: Tally | None
) -> Iterator[tuple[str, Mapping[str, object]]]:
    """The rows that are records; the others are tallied (when a tally is given)."""
    for place, record in rows:
        if isinstance(record, Mapping):
            yield place, record
        elif tally is not None:
            tally.add(_problem(record), place)


def _problem(record: object) -> str:
    if isinstance(record, ParseError):
        return "invalid JSON line"
    if isinstance(record, csv.Error):
        return f"unreadable CSV row ({record})"
    return "not a JSON object"


def _single_conversation(
    rows: Iterable[tuple[str, object]], cols: Columns, tally: Tally
) -> Iterator[ImportItem]:
    """The whole file as one conversation, its turns streamed (memory stays flat)."""
    turns = (
        t
        for place, record in table_records(rows, tally)
        if (t := build_turn(record, cols, place, tally)) is not None
    )
    first = next(turns, None)
    if first is not None:
        yield Conversation(key="", title=None, place=first.place, turns=chain([first], turns))
        for _ in turns:  # a consumer that stopped early still gets the counts right
            pass


def _grouped(
    rows: RowsFn, column: str, cols: Columns, stats: TextStats, tally: Tally
) -> Iterator[ImportItem]:
    last: dict[str, int] = {}
    for index, (_, record) in enumerate(table_records(rows(TextStats(), None), None)):
        last[scalar(field_value(record, column))] = index

    buffers: dict[str, list[Turn]] = {}
    first_place: dict[str, str] = {}
    order: deque[str] = deque()
    complete: set[str] = set()
    for index, (place, record) in enumerate(table_records(rows(stats, tally), tally)):
        cid = scalar(field_value(record, column))
        if cid not in first_place:
            first_place[cid] = place
            buffers[cid] = []
            order.append(cid)
        turn = build_turn(record, cols, place, tally)
        if turn is not None and cid in buffers:
            buffers[cid].append(turn)
        if last.get(cid) == index:
            complete.add(cid)
        while order and order[0] in complete:
            yield from _emit(order.popleft(), buffers, first_place)
    while order:  # the file changed between the passes: flush what is left
        yield from _emit(order.popleft(), buffers, first_place)


def _emit(
    cid: str, buffers: dict[str, list[Turn]], first_place: dict[str, str]
) -> Iterator[ImportItem]:
    turns = buffers.pop(cid, [])
    if turns:
        yield Conversation(key=cid, title=None, place=first_place[cid], turns=turns)
