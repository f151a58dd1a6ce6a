"""How the CLI talks: tables and progress for people, JSON for scripts, one-line errors."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import (
    Console,
    ConsoleOptions,
    HighlighterType,
    JustifyMethod,
    OverflowMethod,
    RenderableType,
)
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from afina.engine.text import printable


class SafeConsole(Console):
    """A console that only ever shows text: every control character in what it is given (chat
    text, file names, senders, a traceback's message, all from files a stranger may have
    written) is replaced by a visible stand-in (``afina.engine.text.printable``) before it
    reaches the terminal, so an imported ``ESC[2J`` or OSC 52 clipboard write is drawn, not
    obeyed. Rich's own styling and cursor moves are control segments and pass as they are."""

    def render_str(
        self,
        text: str,
        *,
        style: str | Style = "",
        justify: JustifyMethod | None = None,
        overflow: OverflowMethod | None = None,
        emoji: bool | None = None,
        markup: bool | None = None,
        highlight: bool | None = None,
        highlighter: HighlighterType | None = None,
    ) -> Text:
        # Before measuring, so a table's columns are sized for what is drawn.
        return super().render_str(
            printable(text),
            style=style,
            justify=justify,
            overflow=overflow,
            emoji=emoji,
            markup=markup,
            highlight=highlight,
            highlighter=highlighter,
        )

    def render(
        self, renderable: RenderableType, options: ConsoleOptions | None = None
    ) -> Iterable[Segment]:
        # Every segment on its way out: a Text built directly skips render_str above.
        for segment in super().render(renderable, options):
            if segment.control or not segment.text:
                yield segment
            else:
                yield Segment(printable(segment.text), segment.style)


out = SafeConsole(highlight=False, soft_wrap=True)
err = SafeConsole(stderr=True, highlight=False)

# Characters JSON leaves as they are but a terminal may act on (the C1 block, DEL, the bidi
# overrides): written as \u escapes, which any JSON reader turns back into the same string.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def json_text(value: Any, indent: int | None = 2) -> str:
    """``value`` as JSON safe to write to a terminal. json.dumps already escapes C0 controls
    (ESC is written as \\u001b); this escapes the rest of what ``printable`` replaces, so
    the value read back is unchanged."""
    text = json.dumps(value, ensure_ascii=False, indent=indent, default=str)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def emit_json(value: Any) -> None:
    sys.stdout.write(json_text(value) + "\n")


def echo(text: str, nl: bool = True) -> None:
    """Plain text from a file (a log, a saved report) on stdout, with its controls made
    visible; for text that must not be read as rich markup or wrapped."""
    sys.stdout.write(printable(text) + ("\n" if nl else ""))
    sys.stdout.flush()


def fail(message: str, hint: str | None = None) -> None:
    # Escaped: messages name settings ("[workspace] name") and paths that rich would read as
    # markup tags and drop. Soft-wrapped: a path cut by an inserted newline cannot be copied.
    err.print(
        f"[bold red]error:[/] {escape(message)}", markup=True, highlight=False, soft_wrap=True
    )
    if hint:
        err.print(f"  [dim]hint:[/] {escape(hint)}", soft_wrap=True)


@contextmanager
def byte_progress(total: int, enabled: bool, unit: str = "bytes") -> Iterator[Progress]:
    """A progress bar over bytes read (or items of ``unit``), on stderr; only on a terminal."""
    counts = (
        [DownloadColumn(), TransferSpeedColumn()]
        if unit == "bytes"
        else [MofNCompleteColumn(), TextColumn(unit)]
    )
    bar = Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        *counts,
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not (enabled and err.is_terminal),
    )
    with bar:
        bar.add_task("", total=max(total, 1))
        yield bar
