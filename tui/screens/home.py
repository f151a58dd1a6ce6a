"""Home: the workspace at a glance, and a browser from sources to conversations to turns.

Every read runs in a thread worker with its own Store (SQLite connections belong to the
thread that opened them). Conversations are fetched a page at a time as the cursor nears
the end of what is loaded, so a source with 100k conversations opens as fast as one with 10.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Label, Static

from afina.engine.types import ConversationInfo, Source
from afina.engine.workspace import Workspace
from afina.tui.display import counted, shown_path, tilde
from afina.tui.messages import ConversationsPage, TurnsLoaded, WorkspaceLoaded
from afina.tui.screens.base import AfinaScreen
from afina.tui.widgets.printable import PrintableTable, shown
from afina.tui.widgets.turn_view import TurnView

PAGE = 200
# Fetch the next page when the cursor is this close to the last loaded row.
PREFETCH = 20
# A conversation can hold a million turns (a WhatsApp group); the pane shows the first ones.
TURN_LIMIT = 500


class HomeScreen(AfinaScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "Refresh"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self.ws = ws
        self.title = "afina · Home"
        self.sub_title = ws.config.workspace.name
        self._sources: list[Source] = []
        self._source_id: int | None = None  # the source whose conversations are listed
        self._conversations: list[ConversationInfo] = []
        self._more = False  # more conversations than loaded
        self._loading = False  # a page request is in flight
        self._conversation_id: int | None = None  # the conversation in the turns pane

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="overview")
        yield Label("Sources", classes="pane-title")
        # File paths and conversation titles come from the files: PrintableTable shows them.
        yield PrintableTable(id="sources", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="browse"):
            with Vertical(id="conversation-pane"):
                yield Label("Conversations", id="conversations-title", classes="pane-title")
                yield PrintableTable(id="conversations", cursor_type="row", zebra_stripes=True)
            yield TurnView(self.ws.root, id="turns")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#sources", DataTable).add_columns(
            "id", "importer", "conversations", "turns", "skipped", "path"
        )
        self.query_one("#conversations", DataTable).add_columns("id", "turns", "first", "title")
        self.query_one("#sources", DataTable).focus()

    def on_screen_resume(self) -> None:
        # Shown again (e.g. back from Import): the workspace may have changed meanwhile.
        self.reload()

    # -- loading ------------------------------------------------------------------------

    def reload(self) -> None:
        self._load_workspace()

    def action_refresh(self) -> None:
        self._source_id = None  # also re-list the conversations of the highlighted source
        self.reload()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="home-workspace",
        description="Reading the workspace",
    )
    def _load_workspace(self) -> None:
        with self.ws.open_store() as store:
            counts, sources = store.counts(), store.sources()
        self.post_message(WorkspaceLoaded(counts, sources))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="home-conversations",
        description="Listing conversations",
    )
    def _load_page(self, source_id: int, offset: int) -> None:
        with self.ws.open_store() as store:
            rows = store.conversations(source_id, limit=PAGE + 1, offset=offset)
        # One row more than a page tells whether another page follows, without a count(*).
        self.post_message(ConversationsPage(source_id, offset, rows[:PAGE], len(rows) <= PAGE))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="home-turns",
        description="Reading a conversation",
    )
    def _load_turns(self, conversation_id: int) -> None:
        with self.ws.open_store() as store:
            conv = store.conversation(conversation_id)
            turns = store.turns(conversation_id, limit=TURN_LIMIT)
        self.post_message(TurnsLoaded(conv, turns))

    def worker_failed(self, worker: object) -> None:
        self._loading = False

    # -- results ------------------------------------------------------------------------

    def on_workspace_loaded(self, message: WorkspaceLoaded) -> None:
        self._show_overview(message.counts)
        table = self.query_one("#sources", DataTable)
        if message.sources != self._sources:
            keep = self._source_id
            self._sources = message.sources
            table.clear()
            for s in message.sources:
                table.add_row(
                    str(s.id),
                    s.importer,
                    str(s.conversations),
                    str(s.turns),
                    str(s.skipped),
                    shown_path(s.path, self.ws.root),
                    key=str(s.id),
                )
            ids = [s.id for s in message.sources]
            if keep in ids:
                table.move_cursor(row=ids.index(keep), animate=False)
        highlighted = self._highlighted_source()
        if highlighted != self._source_id:
            self._list_conversations(highlighted)

    def _show_overview(self, counts: dict[str, int]) -> None:
        text = Text.assemble(
            (self.ws.config.workspace.name, "bold"),
            "  ",
            (tilde(self.ws.root), "dim"),
            "\n",
            f"{counted(counts['sources'], 'source')} · "
            f"{counted(counts['conversations'], 'conversation')} · "
            f"{counted(counts['turns'], 'turn')}",
        )
        if not counts["sources"]:
            text.append("\nNo sources yet: press i to import chat exports.", style="italic")
        self.query_one("#overview", Static).update(shown(text))

    def on_conversations_page(self, message: ConversationsPage) -> None:
        if message.source_id != self._source_id or message.offset != len(self._conversations):
            return  # an answer for a source (or a page) the person has already left
        self._loading = False
        self._more = not message.done
        self._conversations.extend(message.rows)
        table = self.query_one("#conversations", DataTable)
        for c in message.rows:
            title = (c.title or c.key).replace("\n", " ")
            table.add_row(
                str(c.id), str(c.turns), c.first_timestamp or "", title[:80], key=str(c.id)
            )
        # "200+" while more pages wait: counting a 100k-conversation source costs a full scan.
        more = "+" if self._more else ""
        self.query_one("#conversations-title", Label).update(
            f"Conversations · source {message.source_id} · {len(self._conversations)}{more}"
        )

    def on_turns_loaded(self, message: TurnsLoaded) -> None:
        if message.conversation.id == self._conversation_id:
            self.query_one(TurnView).show(message.conversation, message.turns)

    # -- navigation ---------------------------------------------------------------------

    def _highlighted_source(self) -> int | None:
        table = self.query_one("#sources", DataTable)
        if not self._sources or table.cursor_row < 0:
            return None
        return self._sources[min(table.cursor_row, len(self._sources) - 1)].id

    def _list_conversations(self, source_id: int | None) -> None:
        self._source_id = source_id
        self._conversations = []
        self._more = source_id is not None
        self._loading = False
        self._conversation_id = None
        self.query_one("#conversations", DataTable).clear()
        self.query_one(TurnView).clear("Choose a conversation to read its turns.")
        title = "Conversations" if source_id is None else f"Conversations · source {source_id} · …"
        self.query_one("#conversations-title", Label).update(title)
        self._request_page()

    def _request_page(self) -> None:
        if self._source_id is None or self._loading or not self._more:
            return
        self._loading = True
        self._load_page(self._source_id, len(self._conversations))

    @on(DataTable.RowHighlighted, "#sources")
    def _source_highlighted(self, event: DataTable.RowHighlighted) -> None:
        source_id = int(str(event.row_key.value))
        if source_id != self._source_id:
            self._list_conversations(source_id)

    @on(DataTable.RowHighlighted, "#conversations")
    def _conversation_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= len(self._conversations) - PREFETCH:
            self._request_page()
        conversation_id = int(str(event.row_key.value))
        if conversation_id != self._conversation_id:
            self._conversation_id = conversation_id
            self.query_one(TurnView).clear("Reading…")
            self._load_turns(conversation_id)

    @on(DataTable.RowSelected, "#sources")
    def _source_selected(self) -> None:
        self.query_one("#conversations", DataTable).focus()

    @on(DataTable.RowSelected, "#conversations")
    def _conversation_selected(self) -> None:
        self.query_one(TurnView).focus()

    def action_back(self) -> None:
        focused = self.focused
        if isinstance(focused, TurnView):
            self.query_one("#conversations", DataTable).focus()
        elif focused is not None and focused.id == "conversations":
            self.query_one("#sources", DataTable).focus()
