"""The afina terminal UI: an App with one mode per screen, opened on a workspace.

Modes (not a screen stack) keep each screen alive while another is shown: an import keeps
running when the person goes back Home, and Import still shows its last scan when they return.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from afina.engine.training.jobs import list_runs
from afina.engine.workspace import Workspace
from afina.tui.messages import WorkspaceChanged
from afina.tui.screens.compare_screen import CompareScreen
from afina.tui.screens.curate_screen import CurateScreen
from afina.tui.screens.eval_screen import EvalScreen
from afina.tui.screens.home import HomeScreen
from afina.tui.screens.import_screen import IMPORT_GROUP, ImportScreen
from afina.tui.screens.train_screen import TrainScreen


class AfinaApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "afina"
    DEFAULT_MODE = "home"
    # Quit first: on a narrow terminal the footer cuts off the last keys, and quitting is the
    # one a person must always find.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("h", "switch_mode('home')", "Home"),
        Binding("i", "switch_mode('import')", "Import"),
        Binding("c", "switch_mode('curate')", "Curate"),
        Binding("t", "switch_mode('train')", "Train"),
        Binding("m", "switch_mode('compare')", "Compare"),
        Binding("e", "switch_mode('evaluate')", "Evaluate"),
    ]

    def __init__(self, ws: Workspace, import_start: Path | None = None) -> None:
        """``import_start``: the folder Import's tree opens on (default: the workspace)."""
        super().__init__()
        self.ws = ws
        start = import_start or ws.root
        self.add_mode("home", lambda: HomeScreen(ws))
        self.add_mode("import", lambda: ImportScreen(ws, start))
        self.add_mode("curate", lambda: CurateScreen(ws))
        self.add_mode("train", lambda: TrainScreen(ws))
        self.add_mode("compare", lambda: CompareScreen(ws))
        self.add_mode("evaluate", lambda: EvalScreen(ws))
        self._quit_armed = False

    def on_mount(self) -> None:
        # A run going on when the UI opens (after a closed terminal or a dropped SSH link):
        # open on Train, which follows it, rather than on Home.
        if any(r.state in ("running", "starting") for r in list_runs(self.ws)):
            self.switch_mode("train")

    async def action_quit(self) -> None:
        # Quitting cancels the import, which stops after the file it is in (each file is one
        # transaction); the process waits for that file, so say so rather than seem to hang.
        importing = any(w.group == IMPORT_GROUP and w.is_running for w in self.workers)
        if importing and not self._quit_armed:
            self._quit_armed = True
            self.notify(
                "An import is running. Press q again to stop it after the current file and quit.",
                severity="warning",
            )
            return
        self.exit()

    def on_workspace_changed(self, message: WorkspaceChanged) -> None:
        # Home is the first mode, so it always exists; it reloads whether shown or not.
        for screen in self.get_screen_stack("home"):
            if isinstance(screen, HomeScreen):
                screen.reload()


def run_app(ws: Workspace) -> None:
    AfinaApp(ws).run()
