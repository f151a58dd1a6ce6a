"""Import candidates into a workspace: each file all or nothing, a summary per file.

A file is written in batches that other commands can come between, but it stays hidden until
its last batch; one that fails or is stopped half-way is deleted, and never touches what
earlier files added. An importer bug becomes a refusal with a one-line reason;
the traceback goes to ``.afina/logs/afina.log``, not to the person's terminal.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import PurePath
from typing import Any, Literal

from afina.engine.errors import AfinaError, ParseError, WorkspaceError
from afina.engine.ingest.discover import Candidate
from afina.engine.ingest.inputs import InputFile
from afina.engine.store import SourceExists, Stopped, Store
from afina.engine.types import Conversation, Repair, Skip, Source

Status = Literal["imported", "unchanged", "skipped", "refused", "stopped"]
STATUSES: tuple[Status, ...] = ("imported", "unchanged", "skipped", "refused", "stopped")
MAX_REASONS = 20

log = logging.getLogger("afina.import")


@dataclass
class FileSummary:
    path: str
    status: Status
    importer: str | None = None
    source_id: int | None = None
    conversations: int = 0
    turns: int = 0
    duplicates: int = 0
    skipped: int = 0
    repaired: int = 0
    reason: str | None = None
    # (place, reason) of the first skips and repairs, for the person to see what was left out.
    notes: list[tuple[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Progress:
    """What a UI needs to draw progress: called with the file starting, bytes read, and done."""

    on_start: Callable[[str, int], None] = lambda path, size: None
    on_bytes: Callable[[int], None] = lambda n: None
    on_done: Callable[[FileSummary], None] = lambda summary: None
    # Polled between files and between batches of turns: a file stopped part-way rolls back
    # and is "stopped", even in the middle of a million-message chat.
    should_stop: Callable[[], bool] = lambda: False
    # Called once when a file waits for another import to finish, with what that one said it
    # is doing ("importing chats.zip (pid 12, started 12:03)").
    on_wait: Callable[[str], None] = lambda holder: None


def import_candidates(
    store: Store,
    candidates: Iterable[Candidate],
    options: Mapping[str, Mapping[str, Any]] | None = None,
    progress: Progress | None = None,
) -> list[FileSummary]:
    """Import each candidate; ``options`` maps importer names to their option values."""
    progress = progress or Progress()
    summaries = []
    for cand in candidates:
        if progress.should_stop():
            break
        progress.on_start(cand.display, cand.item.size)
        summary = _import_one(
            store,
            cand,
            (options or {}).get(cand.importer.name if cand.importer else "", {}),
            progress,
        )
        summaries.append(summary)
        progress.on_done(summary)
    return summaries


def _import_one(
    store: Store, cand: Candidate, options: Mapping[str, Any], progress: Progress
) -> FileSummary:
    if cand.importer is None:
        status: Status = "refused" if cand.explicit or cand.broken else "skipped"
        return FileSummary(cand.display, status, reason=cand.reason)
    importer = cand.importer
    try:
        resolved = importer.resolve_options(dict(options))
        sha = cand.item.sha256()
    except AfinaError as e:
        return FileSummary(cand.display, "refused", importer.name, reason=e.message)
    except (OSError, ParseError) as e:
        return FileSummary(cand.display, "refused", importer.name, reason=str(e))
    known = store.source_by_sha(sha)
    if known is not None:
        return _unchanged(cand, importer.name, known)
    files = [cand.item] if isinstance(cand.item, InputFile) else cand.item.files()
    for f in files:
        f.progress = progress.on_bytes
    notes: list[tuple[str, str]] = []
    try:
        # One import at a time writes (file by file), so two runs never mix their batches;
        # the same file in both is found here by the second, once the first is done.
        with store.importing_alone(
            f"importing {PurePath(cand.display).name}", progress.should_stop, progress.on_wait
        ):
            known = store.source_by_sha(sha)
            if known is not None:
                return _unchanged(cand, importer.name, known)
            with store.import_source(
                cand.display, sha, importer.name, cand.item.size, progress.should_stop
            ) as writer:
                for item in importer.read(cand.item, resolved):
                    if isinstance(item, Conversation):
                        writer.add_conversation(item)
                    elif isinstance(item, Skip):
                        writer.note("skip", item.place, item.reason, item.count)
                        if len(notes) < MAX_REASONS:
                            times = f" ({item.count:,} times, first here)" if item.count > 1 else ""
                            notes.append((item.place, item.reason + times))
                    elif isinstance(item, Repair):
                        writer.note("repair", item.place, item.what, item.count)
                        if len(notes) < MAX_REASONS:
                            notes.append((item.place, f"{item.what} ({item.count})"))
    except SourceExists as e:
        return _unchanged(cand, importer.name, e.source)
    except Stopped:
        return FileSummary(cand.display, "stopped", importer.name, reason="stopped; nothing kept")
    except WorkspaceError:
        raise  # busy or damaged: the workspace, not this file, is the problem; the run ends
    except ParseError as e:
        return FileSummary(cand.display, "refused", importer.name, reason=str(e))
    except AfinaError as e:
        return FileSummary(cand.display, "refused", importer.name, reason=e.message)
    except (OSError, MemoryError) as e:
        return FileSummary(cand.display, "refused", importer.name, reason=f"could not read it: {e}")
    except Exception as e:  # an importer bug must not become a traceback for the person
        log.error(
            "importer %s failed on %s\n%s", importer.name, cand.display, traceback.format_exc()
        )
        return FileSummary(
            cand.display,
            "refused",
            importer.name,
            reason=f"the {importer.name} importer failed ({type(e).__name__}: {e}); "
            "details in .afina/logs/afina.log",
        )
    finally:
        for f in files:
            f.progress = None
    return FileSummary(
        cand.display,
        "imported",
        importer.name,
        writer.source_id,
        writer.conversations,
        writer.turns,
        writer.duplicates,
        writer.skipped,
        writer.repaired,
        notes=notes,
    )


def _unchanged(cand: Candidate, importer: str, known: Source) -> FileSummary:
    return FileSummary(
        cand.display,
        "unchanged",
        importer,
        known.id,
        reason=f"already imported as source {known.id} ({known.path})",
    )


def totals(summaries: Iterable[FileSummary]) -> dict[str, int]:
    """Files per status, and the conversations and turns the run added."""
    result = dict.fromkeys(STATUSES, 0) | {"conversations": 0, "turns": 0}
    for s in summaries:
        result[s.status] += 1
        result["conversations"] += s.conversations
        result["turns"] += s.turns
    return result
