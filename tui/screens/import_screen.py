"""Import: pick a path, see what afina would read there and how, preview it, then import it.

Discovery, previews and the import itself run in thread workers; they report through
messages. A scan has a number, and every answer carries it, so results of a scan the person
has already replaced are dropped instead of mixing two folders' files in one table.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from time import monotonic
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import (
    Button,
    DataTable,
    DirectoryTree,
    Footer,
    Header,
    Input,
    Label,
    ProgressBar,
)
from textual.worker import get_current_worker

from afina.engine.actions import ingest
from afina.engine.ingest.discover import Candidate
from afina.engine.text import printable
from afina.engine.workspace import Workspace
from afina.tui.display import shown_path, size_text, tilde
from afina.tui.messages import (
    CandidatesFound,
    ImportFinished,
    ImportProgress,
    PreviewReady,
    WorkspaceChanged,
)
from afina.tui.progress import ThrottledProgress
from afina.tui.screens.base import AfinaScreen
from afina.tui.widgets.candidate_table import CandidateTable
from afina.tui.widgets.path_tree import PathTree
from afina.tui.widgets.preview_view import PreviewView
from afina.tui.widgets.summary_table import SummaryTable, totals_line

log = logging.getLogger("afina.tui")

# Discovery of a big folder can take a while: rows are shown in batches as they are found.
BATCH = 50
BATCH_SECONDS = 0.25
# The import worker's group: the app asks before quitting while one runs.
IMPORT_GROUP = "import-run"


class ImportScreen(AfinaScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("i", "run_import", "Import"),
        Binding("s", "scan", "Scan"),
        Binding("slash", "focus_path", "Path"),
        Binding("escape", "stop", "Stop"),
    ]
    AUTO_FOCUS = "#path"

    def __init__(self, ws: Workspace, start: Path) -> None:
        super().__init__()
        self.ws = ws
        self.start = start
        self.title = "afina · Import"
        self.sub_title = ws.config.workspace.name
        self._scan = 0  # number of the current scan
        self._scanning = False
        self._importing = False
        self._warned = False  # plugin problems are shown once, then only logged

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="path-row"):
            yield Input(placeholder="A file, folder or zip to import; Enter scans it", id="path")
            yield Button("Import", id="import-button", variant="primary")
        with Horizontal(id="import-body"):
            yield PathTree(self.start, id="tree")
            with Vertical(id="import-right"):
                yield Label("Type a path or pick one in the tree.", id="scan-status")
                yield CandidateTable(self.ws.root, id="candidates")
                yield PreviewView(id="preview")
                yield SummaryTable(self.ws.root, id="summary")
        with Horizontal(id="progress-row"):
            yield Label("", id="progress-label")
            yield ProgressBar(id="progress", show_eta=False)
        yield Footer()

    # -- choosing a path ------------------------------------------------------------------

    @on(Input.Submitted, "#path")
    def _path_submitted(self) -> None:
        self.action_scan()

    @on(DirectoryTree.FileSelected)
    def _file_picked(self, event: DirectoryTree.FileSelected) -> None:
        self.query_one("#path", Input).value = tilde(event.path)
        self.action_scan()

    @on(DirectoryTree.DirectorySelected)
    def _folder_picked(self, event: DirectoryTree.DirectorySelected) -> None:
        # Enter on a folder opens it in the tree; scanning it (maybe thousands of files) waits
        # for an explicit `s`.
        self.query_one("#path", Input).value = tilde(event.path)

    def action_focus_path(self) -> None:
        self.query_one("#path", Input).focus()

    def action_scan(self) -> None:
        text = self.query_one("#path", Input).value.strip()
        if not text:
            self.notify("Type a path, or pick a file or folder in the tree.", severity="warning")
            return
        if self._importing:
            self.notify("Wait for the import to finish.", severity="warning")
            return
        path = Path(text).expanduser()
        path = path if path.is_absolute() else Path.cwd() / path
        self._scan += 1
        self._set_busy(scanning=True)
        self.query_one(CandidateTable).reset(path)
        self._show_summary(False)
        self.query_one("#progress-row").remove_class("active")
        self.query_one(PreviewView).note("")
        self.query_one("#scan-status", Label).update(f"Scanning {tilde(path)}…")
        self._discover(self._scan, path)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="import-scan",
        description="Finding chat exports",
    )
    def _discover(self, scan: int, path: Path) -> None:
        worker = get_current_worker()
        sniffer = ingest.sniffer(self.ws)
        batch: list[Candidate] = []
        last = monotonic()
        for cand in sniffer.candidates([path]):
            if worker.is_cancelled:
                return
            batch.append(cand)
            if len(batch) >= BATCH or monotonic() - last >= BATCH_SECONDS:
                self.post_message(CandidatesFound(scan, batch, done=False))
                batch, last = [], monotonic()
        self.post_message(CandidatesFound(scan, batch, done=True, problems=sniffer.problems))

    def on_candidates_found(self, message: CandidatesFound) -> None:
        if message.scan != self._scan:
            return
        table = self.query_one(CandidateTable)
        was_empty = not table.candidates
        table.extend(message.candidates)
        if was_empty and table.candidates:
            self._preview_current()
        if not message.done:
            return
        self._set_busy(scanning=False)
        ready = len(table.importable)
        self.query_one("#scan-status", Label).update(
            f"{len(table.candidates)} found, {ready} ready to import"
            + ("; press i to import them" if ready else "")
        )
        if table.candidates and isinstance(self.focused, Input):
            table.focus()  # so the keys (i, s, q) work without a Tab first
        self._report_problems(message.problems)

    def _report_problems(self, problems: Sequence[str]) -> None:
        for problem in problems:
            log.warning("%s", problem)
        if problems and not self._warned:
            self._warned = True
            self.notify(
                f"{len(problems)} importer plugin(s) could not be loaded; see "
                ".afina/logs/afina.log or `afina plugins`",
                severity="warning",
            )

    # -- preview --------------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#candidates")
    def _candidate_highlighted(self) -> None:
        self._preview_current()

    def _preview_current(self) -> None:
        current = self.query_one(CandidateTable).current()
        if current is None or self._importing:
            return  # an import sets progress hooks on the files; a preview would feed them
        index, cand = current
        view = self.query_one(PreviewView)
        if cand.importer is None:
            view.note(f"{shown_path(cand.display, self.ws.root)}: {cand.reason}", "yellow")
            return
        view.note(f"Reading {shown_path(cand.display, self.ws.root)}…")
        self._preview(self._scan, index, cand)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="import-preview",
        description="Previewing",
    )
    def _preview(self, scan: int, index: int, cand: Candidate) -> None:
        self.post_message(PreviewReady(scan, index, ingest.preview_candidate(self.ws, cand)))

    def on_preview_ready(self, message: PreviewReady) -> None:
        current = self.query_one(CandidateTable).current()
        if message.scan == self._scan and current is not None and current[0] == message.index:
            title = shown_path(current[1].display, self.ws.root)
            self.query_one(PreviewView).show(message.preview, title)

    # -- import ---------------------------------------------------------------------------

    @on(Button.Pressed, "#import-button")
    def _import_pressed(self) -> None:
        self.action_run_import()

    def action_run_import(self) -> None:
        table = self.query_one(CandidateTable)
        if self._importing or self._scanning:
            self.notify("Busy: wait for the scan or import to finish.", severity="warning")
            return
        if not table.importable:
            self.notify(
                "Nothing to import: scan a path with chat exports first.", severity="warning"
            )
            return
        total = sum(c.item.size for c in table.importable)
        self._set_busy(importing=True)
        self.query_one("#progress-row").add_class("active")
        self.query_one("#progress", ProgressBar).update(total=max(total, 1), progress=0)
        self.query_one("#scan-status", Label).update(f"Importing {len(table.importable)} file(s)…")
        self._import(list(table.candidates), total)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group=IMPORT_GROUP,
        description="Importing",
    )
    def _import(self, candidates: list[Candidate], total: int) -> None:
        worker = get_current_worker()
        progress = ThrottledProgress(
            total, lambda done, of, current: self.post_message(ImportProgress(done, of, current))
        )
        # Stopping deletes what the file being read had written and ends the run.
        callbacks = progress.callbacks(should_stop=lambda: worker.is_cancelled)
        callbacks.on_wait = lambda holder: self.app.call_from_thread(
            self.notify, f"Waiting for another import to finish: {holder}", timeout=10
        )
        imported = ingest.import_files(self.ws, candidates, progress=callbacks)
        self.post_message(ImportFinished(imported.summaries, imported.counts))

    def on_import_progress(self, message: ImportProgress) -> None:
        self.query_one("#progress", ProgressBar).update(progress=message.done)
        self.query_one("#progress-label", Label).update(
            f"{printable(shown_path(message.current, self.ws.root))}  "
            f"{size_text(message.done)} of {size_text(message.total)}"
        )

    def on_import_finished(self, message: ImportFinished) -> None:
        self._set_busy(importing=False)
        bar = self.query_one("#progress", ProgressBar)
        bar.update(progress=bar.total or 0)
        self.query_one("#progress-label", Label).update("Done")
        self.query_one(SummaryTable).show(message.summaries)
        self._show_summary(True)
        self.query_one("#scan-status", Label).update(totals_line(message.summaries, message.counts))
        self.post_message(WorkspaceChanged())  # bubbles to the app, which refreshes Home

    # -- state ----------------------------------------------------------------------------

    def action_stop(self) -> None:
        if self._scanning:
            self.workers.cancel_group(self, "import-scan")
            self._set_busy(scanning=False)
            self.query_one("#scan-status", Label).update("Scan stopped.")
        elif self._importing:
            self.workers.cancel_group(self, IMPORT_GROUP)
            self.notify("Stopping: the file being read is rolled back…")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self._scanning or self._importing
        return True

    def worker_failed(self, worker: object) -> None:
        self._set_busy(scanning=False, importing=False)

    def _set_busy(self, *, scanning: bool | None = None, importing: bool | None = None) -> None:
        if scanning is not None:
            self._scanning = scanning
        if importing is not None:
            self._importing = importing
            self.query_one("#import-button", Button).disabled = importing
        self.refresh_bindings()

    def _show_summary(self, show: bool) -> None:
        self.query_one(SummaryTable).display = show
        self.query_one(PreviewView).display = not show
