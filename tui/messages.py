"""Messages that worker threads post to the screens (and screens to the app).

Workers never touch widgets: they read from the engine in their own thread and post one of
these; the handler, on the event loop, updates the widgets. Results carry the key they were
asked for (a source id, a scan number) so a handler can drop an answer that arrived after the
person had already moved on.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.message import Message

from afina.engine.ingest.discover import Candidate
from afina.engine.ingest.preview import Preview
from afina.engine.ingest.run import FileSummary
from afina.engine.types import ConversationInfo, PairRow, RuleHit, Source, StoredTurn


class WorkspaceChanged(Message):
    """Something was written to the workspace store; views of it should reload."""


# -- Home ------------------------------------------------------------------------------------


class WorkspaceLoaded(Message):
    """The workspace's totals and its sources."""

    def __init__(self, counts: dict[str, int], sources: Sequence[Source]) -> None:
        super().__init__()
        self.counts = counts
        self.sources = list(sources)


class ConversationsPage(Message):
    """One page of a source's conversations; ``done`` when no page follows it."""

    def __init__(
        self, source_id: int, offset: int, rows: Sequence[ConversationInfo], done: bool
    ) -> None:
        super().__init__()
        self.source_id = source_id
        self.offset = offset
        self.rows = list(rows)
        self.done = done


class TurnsLoaded(Message):
    """The first turns of a conversation, for the turns pane."""

    def __init__(self, conversation: ConversationInfo, turns: Sequence[StoredTurn]) -> None:
        super().__init__()
        self.conversation = conversation
        self.turns = list(turns)


# -- Import ----------------------------------------------------------------------------------


class CandidatesFound(Message):
    """A batch of candidates from discovery; ``done`` on the last batch of a scan."""

    def __init__(
        self,
        scan: int,
        candidates: Sequence[Candidate],
        done: bool,
        problems: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self.scan = scan
        self.candidates = list(candidates)
        self.done = done
        self.problems = list(problems)


class PreviewReady(Message):
    """The preview of the candidate at ``index`` in scan ``scan``."""

    def __init__(self, scan: int, index: int, preview: Preview) -> None:
        super().__init__()
        self.scan = scan
        self.index = index
        self.preview = preview


class ImportProgress(Message):
    """Bytes read so far by a running import.

    Posted often from the reading thread; a newer one replaces an older one still waiting in
    the queue, so a slow screen never falls behind the import.
    """

    def __init__(self, done: int, total: int, current: str) -> None:
        super().__init__()
        self.done = done
        self.total = total
        self.current = current

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ImportProgress)


class ImportFinished(Message):
    """The per-file summary of an import and the workspace totals after it."""

    def __init__(self, summaries: Sequence[FileSummary], counts: dict[str, int]) -> None:
        super().__init__()
        self.summaries = list(summaries)
        self.counts = counts


# -- Curate ----------------------------------------------------------------------------------


class PairsPage(Message):
    """One page of the review queue, the filter's total and the workspace's pair counts.

    ``request`` is the listing it answers; a newer listing (another filter, a refresh after a
    change) makes older pages stale.
    """

    def __init__(
        self,
        request: int,
        offset: int,
        rows: Sequence[PairRow],
        done: bool,
        total: int,
        counts: dict[str, int],
    ) -> None:
        super().__init__()
        self.request = request
        self.offset = offset
        self.rows = list(rows)
        self.done = done
        self.total = total
        self.counts = counts


class PairShown(Message):
    """A pair in full, its rule hits, and the conversation it came from."""

    def __init__(
        self,
        pair: PairRow,
        hits: Sequence[RuleHit],
        conversation: ConversationInfo,
        turns: Sequence[StoredTurn],
        pii: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self.pair = pair
        self.hits = list(hits)
        self.conversation = conversation
        self.turns = list(turns)
        self.pii = list(pii)  # the personal data scrubbing found in the conversation


class PairsChanged(Message):
    """A review change, undo, redo or extraction was written; ``note`` says what happened.

    A review knows its pairs and sends them as stored now (``rows``), with the counts after
    it, so only their rows are redrawn; an undo, redo or extraction sends ``rows=None`` and
    the queue is read again. ``target`` is the pair to show afterwards, if any.
    """

    def __init__(
        self,
        note: str,
        target: int | None = None,
        rows: Sequence[PairRow] | None = None,
        counts: dict[str, int] | None = None,
    ) -> None:
        super().__init__()
        self.note = note
        self.target = target
        self.rows = None if rows is None else list(rows)
        self.counts = counts
