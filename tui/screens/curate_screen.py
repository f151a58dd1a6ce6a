"""Curate: a keyboard-first review queue over the workspace's pairs.

The queue is read a page at a time with the filter applied in SQL, so 100k pairs open as fast
as ten. Every change (accept, reject, edit, tag, note, undo, redo) is written by a worker
through ``store.review`` and then the queue is read again: the store is the truth, never a
list kept here. Listings carry a request number so a page for an old filter is dropped.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Input, Label, Static
from textual.worker import Worker

from afina.engine.curation.hit_spans import configured_rules
from afina.engine.store.pairs import Change, tags_value
from afina.engine.types import PairFilter, PairRow
from afina.engine.workspace import Workspace
from afina.tui.filters import describe, narrowed
from afina.tui.messages import PairsChanged, PairShown, PairsPage
from afina.tui.screens.base import AfinaScreen
from afina.tui.widgets.ask_input import AskInput
from afina.tui.widgets.pair_table import PairTable, counts_text, queue_title
from afina.tui.widgets.pair_view import PLACEHOLDER_STYLE, STATUS_STYLE, PairView, ResponseEditor
from afina.tui.widgets.turn_view import TurnView

PAGE = 200
PREFETCH = 20  # fetch the next page when the cursor is this close to the last loaded row
TURN_LIMIT = 200
STATUS_CYCLE: tuple[str | None, ...] = (None, "pending", "accepted", "rejected")
EMPTY_HINT = "No pairs yet: run `afina pairs extract` or press x to extract."


class CurateScreen(AfinaScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "set_status('accepted')", "Accept"),
        Binding("r", "set_status('rejected')", "Reject"),
        Binding("u", "undo", "Undo"),
        Binding("U", "redo", "Redo"),
        Binding("e", "edit('response')", "Edit"),
        Binding("E", "edit('prompt')", "Edit prompt", show=False),
        Binding("t", "ask('tag')", "Tag"),
        Binding("n", "ask('note')", "Note"),
        Binding("slash", "ask('search')", "Search"),
        Binding("f", "cycle_filter", "Filter"),
        Binding("F", "ask('narrow')", "Narrow", show=False),
        Binding("g", "ask('goto')", "Go to"),
        Binding("x", "extract", "Extract"),
        Binding("escape", "cancel", "Cancel", show=False),
    ]

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self.ws = ws
        self.title = "afina · Curate"
        self.sub_title = ws.config.workspace.name
        self._filter = PairFilter()
        self._editing = "response"  # the field the editor is open on
        # The cleaning rules as configured: they find in the text what their hits are about.
        self._rules = configured_rules(ws.config.curate.rules)
        self._request = 0  # the listing whose pages are wanted
        self._more = False
        self._loading = False
        self._total = 0
        self._counts: dict[str, int] = {}
        self._pair: PairRow | None = None  # the pair in the pane
        self._pair_id: int | None = None  # the pair asked for (shown once it arrives)
        self._history: list[int] = []  # pairs changed here, newest last: undo goes back to them

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="curate-counts")
        with Horizontal(id="curate-body"):
            with Vertical(id="queue-pane"):
                yield Label("Pairs", id="queue-title", classes="pane-title")
                yield PairTable(id="pairs")
            with Vertical(id="pair-pane"):
                yield PairView(id="pair")
                yield ResponseEditor(id="editor", soft_wrap=True)
                yield TurnView(self.ws.root, id="curate-turns")
        yield AskInput(id="curate-input")
        yield Footer()

    @property
    def _rows(self) -> list[PairRow]:
        """The pairs loaded in the queue, in order."""
        return self.query_one(PairTable).pairs

    def on_mount(self) -> None:
        self.query_one(PairTable).focus()
        self.query_one(PairView).clear("Reading the pairs…")

    def on_screen_resume(self) -> None:
        # Shown again: pairs may have been extracted or reviewed meanwhile (here or by the CLI).
        self.reload(keep=True)

    # -- workers ------------------------------------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="curate-list",
        description="Listing pairs",
    )
    def _load_page(self, request: int, where: PairFilter, offset: int, limit: int = PAGE) -> None:
        with self.ws.open_store() as store:
            rows = store.pairs(where, limit=limit + 1, offset=offset)
            total, counts = store.count_pairs(where), store.pair_counts()
        self.post_message(
            PairsPage(request, offset, rows[:limit], len(rows) <= limit, total, counts)
        )

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="curate-pair",
        description="Reading a pair",
    )
    def _load_pair(self, pair_id: int) -> None:
        with self.ws.open_store() as store:
            pair = store.pair(pair_id)
            hits = store.rule_hits(pair_id)
            conv = store.conversation(pair.conversation_id)
            turns = store.turns(pair.conversation_id, limit=TURN_LIMIT)
            pii = [value for _, value in store.pii_values(pair.conversation_id).values()]
        self.post_message(PairShown(pair, hits, conv, turns, pii))

    # Writes are not exclusive: each asked-for change must be written, none cancelled.
    @work(thread=True, exit_on_error=False, group="curate-write", description="Saving a review")
    def _review(self, changes: list[Change], action: str) -> None:
        with self.ws.open_store() as store:
            n = store.review(changes, action)
            rows = [store.pair(i) for i in dict.fromkeys(c.pair_id for c in changes)]
            counts = store.pair_counts()
        note = f"{action}: {n} change{'s' if n != 1 else ''}"
        self.post_message(PairsChanged(note, rows=rows, counts=counts))

    @work(thread=True, exit_on_error=False, group="curate-write", description="Saving an edit")
    def _edit(self, pair_id: int, field: str, text: str) -> None:
        from afina.engine.actions.curation import PairEdit, edit

        request = PairEdit(pair_id, prompt=text) if field == "prompt" else None
        report = edit(self.ws, request or PairEdit(pair_id, response=text))
        with self.ws.open_store() as store:
            rows, counts = [store.pair(pair_id)], store.pair_counts()
        note = f"edit: {report.changed} change{'s' if report.changed != 1 else ''}"
        if report.placeholders:
            note += f"; personal data replaced by {', '.join(report.placeholders)}"
        self.post_message(PairsChanged(note, rows=rows, counts=counts))

    @work(thread=True, exit_on_error=False, group="curate-write", description="Undo")
    def _undo(self, redo: bool, target: int | None) -> None:
        with self.ws.open_store() as store:
            done = store.redo() if redo else store.undo()
        word = "redo" if redo else "undo"
        note = f"{word}: {done[1]}" if done else f"nothing to {word}"
        self.post_message(PairsChanged(note, target if done else None))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="curate-extract",
        description="Extracting pairs",
    )
    def _extract(self) -> None:
        from afina.engine.actions.curation import extract

        report = extract(self.ws)  # the assistant guessed per source, as `afina pairs extract`
        self.post_message(PairsChanged(f"extracted {report.added} new pairs"))

    def worker_failed(self, worker: Worker[object]) -> None:
        self._loading = False
        if worker.group == "curate-write":
            self.reload(keep=True)  # show what the store holds, not what was hoped for

    # -- listing ------------------------------------------------------------------------

    def reload(self, keep: bool = False) -> None:
        """Read the queue again from the start, keeping the current pair if it still shows.

        ``keep``: read as many rows as are loaded now (one query), so a reviewer deep in the
        queue stays where they are; otherwise one page.
        """
        self._request += 1
        self._loading = True
        limit = max(PAGE, len(self._rows)) if keep else PAGE
        self._load_page(self._request, self._filter, 0, limit)

    def _request_page(self) -> None:
        if self._loading or not self._more:
            return
        self._loading = True
        self._load_page(self._request, self._filter, len(self._rows))

    def on_pairs_page(self, message: PairsPage) -> None:
        if message.request != self._request:
            return  # a listing for a filter (or a state) the person has left
        self._loading = False
        if message.offset and message.offset != len(self._rows):
            # Rows left the queue while this page was read: its offset is off; read it again.
            self._request_page()
            return
        self._more = not message.done
        self._total, self._counts = message.total, message.counts
        table = self.query_one(PairTable)
        row = table.cursor_row
        if message.offset == 0:
            table.reset()
        table.extend(message.rows)
        self._show_counts()
        if message.offset == 0:
            self._place_cursor(row)

    def _place_cursor(self, row: int) -> None:
        self._pair_id = self.query_one(PairTable).place(self._pair_id, row)
        if self._pair_id is None:
            self._pair = None
            self.query_one(TurnView).clear("")
            none = not sum(self._counts.get(s, 0) for s in STATUS_STYLE)
            self.query_one(PairView).clear(EMPTY_HINT if none else "No pairs match the filter.")
            return
        self._load_pair(self._pair_id)  # its state may have changed: read it again

    def _show_counts(self) -> None:
        self.query_one("#curate-counts", Static).update(counts_text(self._counts))
        title = queue_title(self._filter, len(self._rows), self._more, self._total)
        self.query_one("#queue-title", Label).update(title)

    @on(DataTable.RowHighlighted, "#pairs")
    def _pair_highlighted(self, event: DataTable.RowHighlighted) -> None:
        table = event.data_table
        if not table.is_valid_row_index(table.cursor_row) or (
            table.coordinate_to_cell_key(table.cursor_coordinate).row_key != event.row_key
        ):
            return  # the cursor has moved on since (a refresh re-placed it)
        if event.cursor_row >= len(self._rows) - PREFETCH:
            self._request_page()
        pair_id = int(str(event.row_key.value))
        if pair_id != self._pair_id:
            self._pair_id = pair_id
            self._load_pair(pair_id)

    def on_pair_shown(self, message: PairShown) -> None:
        if message.pair.id != self._pair_id:
            return
        self._pair = message.pair
        self.query_one(PairView).show(message.pair, message.hits, self._rules)
        # The turns are stored as spoken: the personal data scrubbing found is marked there.
        self.query_one(TurnView).show(
            message.conversation, message.turns, marks=message.pii, mark_style=PLACEHOLDER_STYLE
        )

    def on_pairs_changed(self, message: PairsChanged) -> None:
        if message.target is not None:
            self._pair_id = message.target
        self.notify(message.note, timeout=3)
        if message.rows is None or message.counts is None:
            self.reload(keep=True)
            return
        # A review: redraw just its rows; a row the filter no longer takes leaves the queue.
        table = self.query_one(PairTable)
        for fresh in message.rows:
            self._total -= table.redraw(fresh, self._filter)
        self._counts = message.counts
        self._show_counts()
        self._place_cursor(table.cursor_row)

    # -- actions ------------------------------------------------------------------------

    def _current(self) -> PairRow | None:
        if self._pair is None or self._pair.id != self._pair_id:
            self.notify("No pair chosen.", severity="warning")
            return None
        return self._pair

    def _write(self, pair_id: int, field: str, value: str | None, action: str) -> None:
        self._history.append(pair_id)
        self._review([Change(pair_id, field, value)], action)

    def action_set_status(self, status: str) -> None:
        # By id, not the shown pair: a fast reviewer may press on before the pane has caught up.
        pair_id = self._pair_id
        if pair_id is None:
            self.notify("No pair chosen.", severity="warning")
            return
        self._write(pair_id, "status", status, "accept" if status == "accepted" else "reject")
        # On to the next pair now, so the next key acts on it; the refresh keeps it current.
        table = self.query_one(PairTable)
        following = table.following(pair_id)
        if following is not None:
            self._pair_id = following  # now, not when the highlight event comes
            table.select(following)
            self._load_pair(following)

    def action_undo(self) -> None:
        self._undo(False, self._history.pop() if self._history else None)

    def action_redo(self) -> None:
        self._undo(True, None)

    def action_cycle_filter(self) -> None:
        i = STATUS_CYCLE.index(self._filter.status)
        self._filter = replace(self._filter, status=STATUS_CYCLE[(i + 1) % len(STATUS_CYCLE)])
        self.reload()

    def action_extract(self) -> None:
        self.notify("Extracting pairs…", timeout=3)
        self._extract()

    def action_edit(self, field: str = "response") -> None:
        pair = self._current()
        if pair is None:
            return
        self._editing = field
        self.query_one(ResponseEditor).open(pair.prompt if field == "prompt" else pair.response)

    @on(ResponseEditor.Saved)
    def _edit_saved(self, event: ResponseEditor.Saved) -> None:
        pair = self._current()
        if pair is not None:
            before = pair.prompt if self._editing == "prompt" else pair.response
            if event.text != before:
                self._history.append(pair.id)
                self._edit(pair.id, self._editing, event.text)
        self._close_editors()

    @on(ResponseEditor.Cancelled)
    def _edit_cancelled(self) -> None:
        self._close_editors()

    def action_ask(self, what: str) -> None:
        if what in ("tag", "note") and self._current() is None:
            return
        start = {
            "note": (self._pair.note or "") if self._pair else "",
            "search": self._filter.search or "",
            "narrow": describe(self._filter),
        }.get(what, "")
        self.query_one(AskInput).ask(what, start)

    @on(Input.Submitted, "#curate-input")
    def _answered(self, event: Input.Submitted) -> None:
        what, value = self.query_one(AskInput).asking, event.value.strip()
        self._close_editors()
        pair = self._pair
        if what == "search":
            self._filter = replace(self._filter, search=value or None)
            self.reload()
        elif what == "narrow":
            try:
                self._filter = narrowed(self._filter, value)
            except ValueError as e:
                self.notify(str(e), severity="warning")
                return
            self.reload()
        elif what == "goto":
            if not value.isdigit():
                self.notify(f"Not a pair id: {value!r}", severity="warning")
                return
            self._pair_id = int(value)
            self.query_one(PairTable).select(self._pair_id)
            self._load_pair(self._pair_id)
        elif what == "tag" and pair is not None and value:
            self._write(pair.id, "tags", tags_value((*pair.tags, value)), "tag")
        elif what == "note" and pair is not None:
            self._write(pair.id, "note", value or None, "note")

    def action_cancel(self) -> None:
        self._close_editors()

    def _close_editors(self) -> None:
        self.query_one(AskInput).close()
        self.query_one(ResponseEditor).close()
        self.query_one(PairTable).focus()
