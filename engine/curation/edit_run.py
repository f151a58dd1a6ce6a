"""An edit in review, scrubbed like everything else: a name or a phone number typed into a
response is replaced before it is stored, with the placeholder its conversation already uses
for that value, so an edit can never bring personal data back into the training data."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from afina.engine.curation.scrubber import WorkspaceScrubber
from afina.engine.store import Store
from afina.engine.store.pairs import Change, tags_value

SCRUBBED_FIELDS = ("prompt", "response")


@dataclass(frozen=True)
class PairEdit:
    """What to change on one pair; None and empty leave a field as it is."""

    pair_id: int
    prompt: str | None = None
    response: str | None = None
    note: str | None = None
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return (self.prompt, self.response, self.note) == (None, None, None) and not (
            self.add_tags or self.remove_tags
        )


@dataclass
class EditReport:
    """How many fields changed, and the personal data replaced in the new text (by kind)."""

    pair_id: int
    changed: int = 0
    scrubbed: Counter[str] = field(default_factory=Counter)
    placeholders: list[str] = field(default_factory=list)


def edit_pair(store: Store, edit: PairEdit, allow: Iterable[str] = ()) -> EditReport:
    """Apply ``edit`` as one undoable review batch, its prompt and response scrubbed."""
    current = store.pair(edit.pair_id)
    report = EditReport(edit.pair_id)
    changes: list[Change] = []
    texts = {"prompt": edit.prompt, "response": edit.response}
    if any(v is not None for v in texts.values()):
        scrubber = WorkspaceScrubber(store, tuple(allow))
        for name in SCRUBBED_FIELDS:
            value = texts[name]
            if value is None:
                continue
            done = scrubber.scrub(current.conversation_id, value)
            scrubber.keep(current.conversation_id, done.values)
            report.placeholders += [p for p in done.values if p not in report.placeholders]
            changes.append(Change(edit.pair_id, name, done.text))
        report.scrubbed = scrubber.found
    if edit.note is not None:
        changes.append(Change(edit.pair_id, "note", edit.note))
    if edit.add_tags or edit.remove_tags:
        tags = (set(current.tags) | set(edit.add_tags)) - set(edit.remove_tags)
        changes.append(Change(edit.pair_id, "tags", tags_value(tags)))
    report.changed = store.review(changes, "edit") if changes else 0
    return report
