"""The Import screen's preview: the first conversations a candidate would add."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from afina.engine.ingest.preview import Preview
from afina.tui.widgets.printable import shown

# Long messages are cut: the preview is for recognising the data, not reading it.
MAX_CHARS = 240


def preview_renderable(preview: Preview, title: str) -> Group:
    parts: list[Text] = [Text(f"Preview of {title}", style="bold")]
    if preview.error:
        parts.append(Text(preview.error, style="red"))
    if not preview.conversations and not preview.error:
        parts.append(Text("no conversations found in the first part of the file", style="yellow"))
    for conv, turns in preview.conversations:
        parts.append(
            Text.assemble(
                ("\n" + (conv.title or conv.key or "(untitled)"), "bold cyan"),
                (f"  {conv.place}", "dim italic"),
            )
        )
        for turn in turns:
            text = turn.text if len(turn.text) <= MAX_CHARS else turn.text[:MAX_CHARS] + "…"
            role = f" [{turn.role}]" if turn.role and turn.role != turn.speaker else ""
            who = turn.speaker + role
            parts.append(Text.assemble(("  " + who, "magenta"), ": ", text.replace("\n", " ⏎ ")))
    for skip in preview.skips[:5]:
        parts.append(Text(f"skip {skip.place}: {skip.reason}", style="yellow"))
    return Group(*parts)


class PreviewView(VerticalScroll, can_focus=True):
    """A scrollable, focusable preview pane."""

    def compose(self) -> ComposeResult:
        yield Static(Text("Choose a path to see what it holds.", style="dim"), id="preview-body")

    def show(self, preview: Preview, title: str) -> None:
        body = preview_renderable(preview, title)
        self.query_one("#preview-body", Static).update(shown(body))
        self.scroll_home(animate=False)

    def note(self, text: str, style: str = "dim") -> None:
        self.query_one("#preview-body", Static).update(shown(Text(text, style=style)))
