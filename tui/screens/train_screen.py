"""Train: a form drawn from the method's declared options, preflight, launch, the runs, and a
live view of the chosen run.

A run is a detached process that appends to ``runs/<id>/events.jsonl``; this screen only
reads. A follow worker tails the chosen run's events and posts its trace; closing the TUI
never stops a run, and opening it while one is going selects that run and follows it again.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Input, Label
from textual.worker import Worker, get_current_worker

from afina.engine.actions import train
from afina.engine.errors import AfinaError
from afina.engine.launch.remote.hosts import load_hosts
from afina.engine.plugins import Plugin, list_plugins, load_plugin
from afina.engine.training import jobs
from afina.engine.training.jobs import RunStatus, tail
from afina.engine.training.preflight import measure_apart
from afina.engine.training.recommend import ADAPTERS, LORA_OPTIONS
from afina.engine.training.spec import SPEC_FILE
from afina.engine.training.trace import LIVE, RunTrace
from afina.engine.workspace import Workspace
from afina.tui.screens.base import AfinaScreen
from afina.tui.train_messages import (
    MethodLoaded,
    PreflightReady,
    RunChanged,
    RunProgress,
    RunsListed,
)
from afina.tui.widgets.preflight_panel import PreflightPanel
from afina.tui.widgets.run_view import RunView
from afina.tui.widgets.runs_table import RunsTable
from afina.tui.widgets.train_form import TrainForm

POLL = 0.5  # seconds between reads of the followed run's events
RELIST = 5.0  # seconds between listings of the runs (one started from the CLI shows up)
FOLLOW_GROUP = "train-follow"
NO_RUNS = "No runs yet: fill in the form, press p to measure it and l to launch it."


class TrainScreen(AfinaScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("l", "launch", "Launch"),
        Binding("p", "preflight", "Preflight"),
        Binding("s", "stop", "Stop run"),
        Binding("r", "resume", "Resume run"),
        Binding("n", "focus_form", "New run"),
        Binding("escape", "back", "Back", show=False),
    ]

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self.ws = ws
        self.title = "afina · Train"
        self.sub_title = ws.config.workspace.name
        self._methods = [p.name for p in list_plugins("trainer")]  # names only: no imports
        self._plugin: type[Plugin] | None = None  # the form's method, once loaded
        self._run_id: str | None = None  # the run followed
        self._trace: RunTrace | None = None  # its newest trace
        self._attached = False  # the first listing picks the run to follow
        self._runs: list[RunStatus] = []  # as last listed

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="train-body"):
            yield TrainForm(
                self.ws.config.train,
                self._methods,
                id="train-form",
                given=self.ws.config.train_keys,
                hosts=[(h.name, h.destination) for h in load_hosts(self.ws.root).values()],
            )
            with Vertical(id="train-right"):
                yield Label("Runs", id="runs-title", classes="pane-title")
                yield RunsTable(id="runs")
                yield RunView(id="run-view")
                yield PreflightPanel(id="preflight")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(RunsTable).focus()
        self.query_one(RunView).clear("Reading the runs…")
        self._list_runs()
        self._load_method(self.query_one(TrainForm).method)
        self.set_interval(RELIST, self._relist)

    def on_screen_resume(self) -> None:
        self._list_runs()

    def _relist(self) -> None:
        # Listing reads every run's events; between runs going, only a new folder needs it.
        if self.is_current:
            going = any(r.state in LIVE for r in self._runs)
            self._list_runs(None if going else tuple(r.id for r in self._runs))

    # -- workers --------------------------------------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="train-runs",
        description="Listing runs",
    )
    def _list_runs(self, unless: tuple[str, ...] | None = None) -> None:
        """All runs, read again; with ``unless``: only if the run folders are not those."""
        if unless is not None:
            root = jobs.runs_dir(self.ws)
            found = [p.parent.name for p in root.glob(f"*/{SPEC_FILE}")]
            if sorted(found) == sorted(unless):
                return
        self.post_message(RunsListed(jobs.list_runs(self.ws)))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="train-method",
        description="Reading the training method",
    )
    def _load_method(self, method: str) -> None:
        plugin = load_plugin("trainer", method)
        values = {o.name: o.default for o in plugin.options}
        if method in ADAPTERS:  # the options a run of it would be given
            values.update({k: v for k, v in LORA_OPTIONS.items() if k in values})
        values.update(self.ws.config.train.options.get(method, {}))
        self.post_message(MethodLoaded(plugin, values))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group=FOLLOW_GROUP,
        description="Following a run",
    )
    def _follow(self, run_id: str) -> None:
        worker = get_current_worker()
        tail(
            jobs.runs_dir(self.ws) / run_id,
            lambda trace: self.post_message(RunProgress(trace)),
            lambda: worker.is_cancelled,
            POLL,
        )

    @work(
        thread=True, exclusive=True, exit_on_error=False, group="train-launch", description="Launch"
    )
    def _launch(self, request: train.TrainRequest, on: str | None) -> None:
        started = train.start_training(self.ws, request, on=on)
        spec = started.spec
        where = f" on {on}" if on else ""
        note = f"Started run {spec.id}{where} (pid {started.pid}) on {spec.examples} pairs."
        self.post_message(RunChanged(spec.id, note, follow=True))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="train-preflight",
        description="Preflight",
    )
    def _preflight(self, request: train.TrainRequest) -> None:
        worker = get_current_worker()
        # measure_apart: in a child process, so the TUI never loads torch and quitting kills it
        report = train.preflight(
            self.ws,
            request,
            lambda _spec, run_dir: measure_apart(run_dir, lambda: worker.is_cancelled),
        )
        if not get_current_worker().is_cancelled:
            self.post_message(PreflightReady(report))

    @work(thread=True, exit_on_error=False, group="train-control", description="Stop")
    def _stop(self, run_id: str) -> None:
        _, state = train.stop_run(self.ws, run_id)
        self.post_message(RunChanged(run_id, f"Run {run_id}: {state}."))

    @work(thread=True, exit_on_error=False, group="train-control", description="Resume")
    def _resume(self, run_id: str) -> None:
        _, pid = train.resume_run(self.ws, run_id)
        self.post_message(RunChanged(run_id, f"Resumed run {run_id} (pid {pid}).", follow=True))

    def worker_failed(self, worker: Worker[object]) -> None:
        if worker.group == "train-preflight":
            self.query_one(PreflightPanel).hide()
        elif worker.group == "train-method":
            self.query_one(TrainForm).options_failed()

    # -- results --------------------------------------------------------------------------

    def on_runs_listed(self, message: RunsListed) -> None:
        runs = self._runs = message.runs
        if not self._attached:
            # Re-attach: a run going on is the one to show; otherwise the newest.
            self._attached = True
            live = [r.id for r in runs if r.state in LIVE]
            target = max(live or [r.id for r in runs], default=None)
            if target is not None:
                self._follow_run(target)
        table = self.query_one(RunsTable)
        table.show(runs, keep=self._run_id)
        if self._trace is not None:
            table.update_trace(self._trace)  # the trace is newer than the listing
        going = sum(r.state in LIVE for r in runs)
        title = f"Runs · {len(runs)}" + (f" · {going} going" if going else "")
        self.query_one("#runs-title", Label).update(title)
        if not runs:
            self.query_one(RunView).clear(NO_RUNS)

    def on_method_loaded(self, message: MethodLoaded) -> None:
        plugin, form = message.plugin, self.query_one(TrainForm)
        if plugin.name != form.method:
            return  # another method was chosen meanwhile
        form.show_options(plugin.name, plugin.description, plugin.options, message.values)
        self._plugin = plugin

    def on_run_progress(self, message: RunProgress) -> None:
        trace = message.trace
        if trace.run_id != self._run_id:
            return  # a run the person has left
        ended = self._trace is not None and self._trace.live and not trace.live
        self._trace = trace
        self.query_one(RunView).show(trace)
        self.query_one(RunsTable).update_trace(trace)
        if ended:
            self.notify(f"Run {trace.run_id}: {trace.state}.", timeout=5)
            self._list_runs()

    def on_preflight_ready(self, message: PreflightReady) -> None:
        self.query_one(PreflightPanel).show(message.report)

    def on_run_changed(self, message: RunChanged) -> None:
        self.notify(message.note, timeout=5)
        if message.follow:
            self._follow_run(message.run_id, again=True)
        self._list_runs()

    # -- choosing a run -------------------------------------------------------------------

    def _follow_run(self, run_id: str, again: bool = False) -> None:
        if run_id == self._run_id and not again:
            return
        if run_id != self._run_id:
            self._trace = None
            self.query_one(RunView).clear(f"Reading run {run_id}…")
        self._run_id = run_id
        self.query_one(RunsTable).select(run_id)
        self._follow(run_id)

    @on(DataTable.RowHighlighted, "#runs")
    def _run_highlighted(self, event: DataTable.RowHighlighted) -> None:
        run_id = str(event.row_key.value)
        if run_id == self.query_one(RunsTable).highlighted():  # not a stale highlight
            self._follow_run(run_id)

    # -- actions --------------------------------------------------------------------------

    def _form_request(self) -> train.TrainRequest | None:
        """The form as a training request, checked now so that what is wrong is said at once
        (in a notification, not raised); the action reads the workspace's settings itself."""
        form = self.query_one(TrainForm)
        if self._plugin is None or self._plugin.name != form.method:
            self.notify(f"The {form.method} method is not loaded.", severity="warning")
            return None
        request = train.TrainRequest(tuple(form.overrides()), form.method_values())
        try:
            train.train_settings(self.ws, request)
            options = self._plugin.resolve_options(dict(request.method_options))
        except AfinaError as e:
            self.notify(str(e), title="Check the form", severity="error", timeout=8)
            return None
        return replace(request, method_options=options)

    def action_launch(self) -> None:
        request = self._form_request()
        if request is not None:
            self.notify("Preparing the run's data and starting it…", timeout=3)
            self._launch(request, self.query_one(TrainForm).where)

    def action_preflight(self) -> None:
        request = self._form_request()
        if request is not None:
            note = "Preflight: loading the model and timing a few steps (a minute or so)…"
            self.query_one(PreflightPanel).busy(note)
            self._preflight(request)

    def _chosen(self, want_live: bool) -> str | None:
        trace = self._trace
        if self._run_id is None or trace is None or trace.run_id != self._run_id:
            self.notify("No run chosen.", severity="warning")
            return None
        if trace.live != want_live:
            why = "is not running" if want_live else "is still running"
            self.notify(f"Run {trace.run_id} {why}.", severity="warning")
            return None
        return trace.run_id

    def action_stop(self) -> None:
        run_id = self._chosen(want_live=True)
        if run_id is not None:
            self.notify(f"Stopping run {run_id}: it saves a checkpoint first…", timeout=5)
            self._stop(run_id)

    def action_resume(self) -> None:
        run_id = self._chosen(want_live=False)
        if run_id is not None:
            self._resume(run_id)

    def action_focus_form(self) -> None:
        self.query_one("#form-base_model", Input).focus()

    def action_back(self) -> None:
        panel = self.query_one(PreflightPanel)
        if panel.has_class("shown"):
            panel.hide()
        else:
            self.query_one(RunsTable).focus()

    @on(Input.Submitted, "#train-form Input")
    def _form_submitted(self) -> None:
        self.action_launch()

    @on(TrainForm.MethodChosen)
    def _method_chosen(self, message: TrainForm.MethodChosen) -> None:
        self._plugin = None
        self._load_method(message.method)
