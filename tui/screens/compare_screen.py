"""Compare: two or three assistants answer one question side by side as their text is
generated; in blind mode the panes are A, B (and C) in random order and a vote comes before
the names.

The rules (pane order, what a blind round hides, which votes count, storing them) are
``CompareSession``'s; this screen draws its rounds. Answers are generated in a thread worker
on the one model an ``Assistants`` loads on first use (seconds, shown as loading), and each
piece of text is posted as the pane's whole text so far (see compare_messages). A session's
assistants and blind mode are fixed, so changing them starts a new session at the next
question (the same run keeps its loaded model); the rounds of the old one are revealed then,
since they can no longer be voted on.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Checkbox, DataTable, Footer, Header, Input, Label, Select, Static
from textual.worker import Worker, get_current_worker

from afina.engine.chat.assistants import Assistants
from afina.engine.chat.compare import CompareSession, Round
from afina.engine.chat.prompts import KINDS, TUNED
from afina.engine.errors import AfinaError, UsageError
from afina.engine.training import jobs
from afina.engine.workspace import Workspace
from afina.tui.compare_messages import ModelReady, PaneText, RoundDone, VoteDone
from afina.tui.screens.base import AfinaScreen
from afina.tui.train_messages import RunsListed
from afina.tui.widgets.answer_pane import AnswerPane, ComparePanes
from afina.tui.widgets.round_views import (
    Entry,
    RoundsTable,
    SourcesView,
    pairs_left,
    status_line,
    vote_text,
)

NO_RUN = "-"  # the run picker's value for base, few-shot and rag without a tuned run
NO_RUN_LABEL = "no run (base kinds only)"
ANSWER_GROUP = "compare-answer"
VOTE_GROUP = "compare-vote"
MAX_NEW_TOKENS = 128  # as `afina compare --max-tokens` by default
OUTCOME_KEYS = {"1": "a", "2": "b", "3": "tie", "4": "both_bad"}
START = "Choose a run and two or three assistants, type a question below and press Enter."


class _Stopped(Exception):
    """Raised from the text callback to end a generation the person stopped."""


class CompareScreen(AfinaScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "ask", "Ask"),
        # One footer entry for the four vote keys; the status line spells them out.
        Binding("1", "vote('1')", "Vote", key_display="1-4"),
        Binding("2", "vote('2')", "B better", show=False),
        Binding("3", "vote('3')", "Tie", show=False),
        Binding("4", "vote('4')", "Both bad", show=False),
        Binding("p", "next_pair", "Other pair", show=False),
        Binding("v", "reveal", "Reveal"),
        Binding("b", "toggle_blind", "Blind"),
        Binding("s", "stop", "Stop", show=False),  # the status line offers it while answering
        Binding("escape", "leave_prompt", "Panes", show=False),
    ]

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self.ws = ws
        self.title = "afina · Compare"
        self.sub_title = ws.config.workspace.name
        self._listed = False  # the first listing picks the newest finished run
        self._run_ids: list[str] | None = None  # the finished runs in the picker
        self._assistants: Assistants | None = None  # for the chosen run, kept across sessions
        self._ready: Assistants | None = None  # the one whose model is loaded
        self._session: CompareSession | None = None
        self._entries: list[Entry] = []
        self._shown: int | None = None  # the round in the panes
        self._selected = "A"  # the pane whose sources are shown
        self._pair = ("A", "B")  # the panes a vote compares (of three)
        self._answering: int | None = None
        self._voting = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="compare-controls"):
            yield Label("Run", classes="control-label")
            yield Select(
                [(NO_RUN_LABEL, NO_RUN)],
                allow_blank=False,
                value=NO_RUN,
                compact=True,
                id="compare-run",
            )
            yield Label("Assistants", classes="control-label")
            for i, kind in enumerate(KINDS):
                yield Checkbox(kind, value=kind in ("base", "rag"), compact=True, id=f"pick-{i}")
            yield Checkbox("Blind", value=True, compact=True, id="compare-blind")
        yield ComparePanes(id="compare-panes")
        with Horizontal(id="compare-lower"):
            with Vertical(id="sources-pane"):
                yield Label("Sources", classes="pane-title")
                with VerticalScroll(id="sources-scroll"):
                    yield SourcesView(id="sources")
            with Vertical(id="history-pane"):
                yield Label("Rounds", id="history-title", classes="pane-title")
                yield RoundsTable(id="history")
        yield Static(START, id="compare-status")
        yield Input(
            placeholder="Ask the assistants a question: Enter sends it, Esc leaves the box",
            id="prompt",
        )
        yield Footer()

    def on_mount(self) -> None:
        self._pane("C").display = False
        self._sync_tuned(NO_RUN)
        self._show_sources()
        self.query_one("#prompt", Input).focus()
        self._list_runs()

    def on_screen_resume(self) -> None:
        self._list_runs()  # a run may have finished meanwhile

    # -- workers --------------------------------------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="compare-runs",
        description="Listing runs",
    )
    def _list_runs(self) -> None:
        self.post_message(RunsListed(jobs.list_runs(self.ws)))

    @work(
        thread=True, exclusive=True, exit_on_error=False, group=ANSWER_GROUP, description="Answer"
    )
    def _answer(self, n: int, session: CompareSession, rnd: Round) -> None:
        worker = get_current_worker()
        # The first question of a run loads its model; say when it is there.
        session.assistants.model_for(rnd.panes[0].name)
        self.post_message(ModelReady(n, session.assistants))
        texts: dict[str, str] = {}

        def on_text(label: str, piece: str) -> None:
            if worker.is_cancelled:
                raise _Stopped
            texts[label] = texts.get(label, "") + piece
            self.post_message(PaneText(n, label, texts[label]))

        try:
            session.answer(rnd, on_text)
        except _Stopped:
            self.post_message(RoundDone(n, stopped=True))
            return
        self.post_message(RoundDone(n, stopped=False))

    @work(thread=True, exit_on_error=False, group=VOTE_GROUP, description="Vote")
    def _vote(
        self, n: int, session: CompareSession, rnd: Round, outcome: str, pair: tuple[str, str]
    ) -> None:
        try:
            cast = session.vote(rnd, outcome, pair)
        except UsageError as e:  # a rule of voting, not a failure: said as a warning
            self.post_message(VoteDone(n, None, str(e)))
            return
        self.post_message(VoteDone(n, cast))

    def worker_failed(self, worker: Worker[object]) -> None:
        if worker.group == VOTE_GROUP:
            self._voting = False
        elif worker.group == ANSWER_GROUP and self._answering is not None:
            entry = self._entry(self._answering)
            self._answering = None
            if entry is not None:
                entry.state = "failed"
                self._refresh_entry(entry)

    # -- results --------------------------------------------------------------------------

    def on_runs_listed(self, message: RunsListed) -> None:
        finished = sorted(
            (r for r in message.runs if r.state == "finished"), key=lambda r: r.id, reverse=True
        )
        ids = [r.id for r in finished]
        if ids == self._run_ids:
            return  # nothing new: leave the picker as the person set it
        self._run_ids = ids
        select = self.query_one("#compare-run", Select)
        current = select.value
        options = [(f"{r.id} · {r.method}", r.id) for r in finished]
        select.set_options([*options, (NO_RUN_LABEL, NO_RUN)])  # this selects the first
        if not self._listed and ids:
            # A tuned run is what there is to compare: start on the newest, rag against ft.
            select.value = ids[0]
            for i, kind in enumerate(KINDS):
                self.query_one(f"#pick-{i}", Checkbox).value = kind in ("rag", "ft")
        elif current in (*ids, NO_RUN):
            select.value = current
        self._listed = True
        self._sync_tuned(str(select.value))

    def on_model_ready(self, message: ModelReady) -> None:
        self._ready = message.assistants
        entry = self._entry(message.n)
        if entry is not None and entry.state == "loading":
            entry.state = "answering"
            self._refresh_entry(entry)

    def on_pane_text(self, message: PaneText) -> None:
        entry = self._entry(message.n)
        if entry is None:
            return
        entry.texts[message.label] = message.text
        if self._shown == entry.n:
            self._pane(message.label).show_text(message.text)
            self._redraw(entry)  # the panes before this one have their answers

    def on_round_done(self, message: RoundDone) -> None:
        entry = self._entry(message.n)
        if self._answering == message.n:
            self._answering = None
        if entry is None:
            return
        entry.state = "stopped" if message.stopped else "done"
        self._refresh_entry(entry)
        if entry.state == "done" and entry.round.hidden and entry.session is not None:
            self.notify("Every pane has answered: vote with 1–4.", timeout=4)

    def on_vote_done(self, message: VoteDone) -> None:
        self._voting = False
        entry = self._entry(message.n)
        if message.cast is None or entry is None:
            self.notify(message.note, title="No vote", severity="warning")
            return
        rnd = entry.round
        left = pairs_left(rnd)
        if not left:
            self._reveal(entry, f"Voted: {vote_text(rnd, message.cast)}.")
            return
        self._pair = left[0]
        self.notify(f"Voted: {vote_text(rnd, message.cast)}. Now {' vs '.join(self._pair)}.")
        self._refresh_entry(entry)

    # -- asking ---------------------------------------------------------------------------

    @on(Input.Submitted, "#prompt")
    def _submitted(self, event: Input.Submitted) -> None:
        if self._answering is not None:
            self.notify(
                "The assistants are still answering: wait, or press s to stop them.",
                severity="warning",
            )
            return
        question = event.value.strip()
        if not question:
            return
        run = str(self.query_one("#compare-run", Select).value)
        names = [k for i, k in enumerate(KINDS) if self.query_one(f"#pick-{i}", Checkbox).value]
        blind = self.query_one("#compare-blind", Checkbox).value
        try:
            session = self._session_for(run, names, blind)
            rnd = session.start(question)
        except AfinaError as e:
            self.notify(str(e), title="Cannot ask", severity="warning", timeout=6)
            return
        loading = self._ready is not session.assistants
        entry = Entry(len(self._entries) + 1, rnd, session, "loading" if loading else "answering")
        self._entries.append(entry)
        self._pair = ("A", "B")
        self.query_one(RoundsTable).add(entry)
        self.query_one("#history-title", Label).update(f"Rounds · {len(self._entries)}")
        event.input.value = ""
        self._answering = entry.n
        self._show(entry)
        self._pane("A").focus_text()
        self._answer(entry.n, session, rnd)

    def _session_for(self, run: str, names: list[str], blind: bool) -> CompareSession:
        """The current session if it has these settings, else a new one (which may refuse
        them: a tuned kind without a run, one assistant, four)."""
        run_id = None if run == NO_RUN else run
        s = self._session
        if s is not None and (s.names, s.blind, s.run_id) == (names, blind, run_id):
            return s
        assistants = self._assistants
        if (
            assistants is None
            or (assistants.run_dir.name if assistants.run_dir else None) != run_id
        ):
            run_dir = jobs.runs_dir(self.ws) / run_id if run_id else None
            assistants = Assistants(self.ws, run_dir)
        session = CompareSession(assistants, names, blind=blind, max_new_tokens=MAX_NEW_TOKENS)
        for entry in self._entries:  # the old session's rounds can no longer get votes
            if entry.session is not None:
                if entry.round.hidden:
                    entry.session.reveal(entry.round)
                entry.session = None
                self._refresh_entry(entry)
        if assistants is not self._assistants:
            self._ready = None  # the old model goes with the old assistants
        self._assistants, self._session = assistants, session
        return session

    # -- drawing --------------------------------------------------------------------------

    def _entry(self, n: int | None) -> Entry | None:
        return self._entries[n - 1] if n is not None and 0 < n <= len(self._entries) else None

    def _pane(self, label: str) -> AnswerPane:
        return self.query_one(ComparePanes).pane(label)

    def _show(self, entry: Entry) -> None:
        """Draw ``entry`` in the panes afresh (a new round, or an earlier one chosen)."""
        self._shown = entry.n
        if self._selected not in entry.round.labels:
            self._selected = "A"
        self.query_one(ComparePanes).show(entry, self._selected)
        self._redraw(entry, panes=False)

    def _refresh_entry(self, entry: Entry) -> None:
        """Redraw what changed about ``entry``: its row of the rounds, the panes if shown."""
        self.query_one(RoundsTable).redraw(entry)
        if self._shown == entry.n:
            self._redraw(entry)

    def _redraw(self, entry: Entry, panes: bool = True) -> None:
        if panes:
            self.query_one(ComparePanes).redraw(entry, self._selected)
        self._show_sources()
        status = status_line(entry, self._vote_pair(entry.round))
        self.query_one("#compare-status", Static).update(status)

    def _show_sources(self) -> None:
        self.query_one(SourcesView).show(self._entry(self._shown), self._selected)

    def _vote_pair(self, rnd: Round) -> tuple[str, str]:
        if len(rnd.panes) == 2:
            return ("A", "B")
        left = pairs_left(rnd)
        return self._pair if self._pair in left or not left else left[0]

    def _reveal(self, entry: Entry, said: str = "") -> None:
        assert entry.session is not None
        names = entry.session.reveal(entry.round)
        who = ", ".join(f"{label} was {name}" for label, name in names.items())
        self.notify(f"{said} {who}.".strip(), title=f"Round {entry.n} revealed", timeout=8)
        self._refresh_entry(entry)

    # -- choosing -------------------------------------------------------------------------

    @on(AnswerPane.Selected)
    def _pane_selected(self, message: AnswerPane.Selected) -> None:
        self._selected = message.label
        self.query_one(ComparePanes).select(message.label)
        self._show_sources()

    @on(DataTable.RowSelected, "#history")
    def _history_selected(self, event: DataTable.RowSelected) -> None:
        entry = self._entry(int(str(event.row_key.value)))
        if entry is not None:
            self._show(entry)

    @on(Select.Changed, "#compare-run")
    def _run_changed(self, event: Select.Changed) -> None:
        self._sync_tuned(str(event.value))

    def _sync_tuned(self, run: str) -> None:
        """ft and ft+rag need a tuned run: without one they cannot be picked."""
        for i, kind in enumerate(KINDS):
            if kind in TUNED:
                box = self.query_one(f"#pick-{i}", Checkbox)
                box.disabled = run == NO_RUN
                if box.disabled:
                    box.value = False

    @on(Checkbox.Changed, "#compare-blind")
    def _blind_changed(self, event: Checkbox.Changed) -> None:
        mode = "on: panes are A/B in random order" if event.value else "off: names are shown"
        self.notify(f"Blind {mode}, from the next question.", timeout=4)

    # -- actions --------------------------------------------------------------------------

    def action_ask(self) -> None:
        self.query_one("#prompt", Input).focus()

    def action_leave_prompt(self) -> None:
        entry = self._entry(self._shown)
        self._pane(entry.round.labels[0] if entry else "A").focus_text()

    def action_vote(self, key: str) -> None:
        entry = self._entry(self._shown)
        if entry is None:
            self.notify("Ask a question first.", severity="warning")
            return
        if self._voting:
            return  # one vote at a time: a second key press must not race the first
        if entry.session is None:
            self.notify("This round belongs to an earlier comparison.", severity="warning")
            return
        if entry.state != "done":
            self.notify("Wait for every pane to answer before voting.", severity="warning")
            return
        self._voting = True
        self._vote(
            entry.n, entry.session, entry.round, OUTCOME_KEYS[key], self._vote_pair(entry.round)
        )

    def action_next_pair(self) -> None:
        entry = self._entry(self._shown)
        if entry is None or len(entry.round.panes) != 3 or not entry.round.hidden:
            return
        left = pairs_left(entry.round)
        if left:
            now = self._vote_pair(entry.round)
            self._pair = left[(left.index(now) + 1) % len(left)] if now in left else left[0]
            self._redraw(entry, panes=False)

    def action_reveal(self) -> None:
        entry = self._entry(self._shown)
        if entry is None or entry.session is None or not entry.round.hidden:
            self.notify("Nothing hidden to reveal.", severity="warning")
            return
        self._reveal(entry)

    def action_toggle_blind(self) -> None:
        box = self.query_one("#compare-blind", Checkbox)
        box.value = not box.value

    def action_stop(self) -> None:
        if self._answering is None:
            return
        self.workers.cancel_group(self, ANSWER_GROUP)
        self.notify("Stopping after the current word…", timeout=3)
