"""The one scrubber of a workspace: extraction, an edit in review and the export's last scan
all replace personal data the same way.

Each conversation keeps its own numbering (``<NAME_1>`` is the same person throughout it) and
its own people, and every conversation also knows the people of the others: a customer who
wrote in one conversation and is named by an agent in another is still a name. The values
behind placeholders go to the local store only (``pii_values``); nothing here is exported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from afina.engine.curation.pii import PeopleDetector, Pseudonymizer, conversation_scrubber
from afina.engine.curation.pii_names import introduced_names, name_key, person_names
from afina.engine.store import Store
from afina.engine.store import people as people_reads
from afina.engine.types import StoredTurn

# Words that open a self-introduction (see pii_names._INTRO), as a cheap SQL prefilter.
_INTRO_CUES = ("me chamo", "meu nome", "my name", "aqui", "sou ")


# The list is read from every turn; an edit in the Curate screen asks for it at each save, so
# it is kept until the workspace's conversations or scrubbed names change.
_PEOPLE: dict[tuple[str, tuple[str, ...]], tuple[tuple[int, ...], list[str]]] = {}


def workspace_people(store: Store, allow: Iterable[str] = ()) -> list[str]:
    """Everyone the workspace knows by name: speakers' display names, the names people give
    for themselves anywhere, and names scrubbed before; none inside an ``allow`` value."""
    allow = tuple(allow)
    state = (*store.counts().values(), people_reads.scrubbed_count(store))
    cached = _PEOPLE.get((str(store.path), allow))
    if cached is not None and cached[0] == state:
        return list(cached[1])
    found = _read_people(store, allow)
    _PEOPLE[(str(store.path), allow)] = (state, found)
    return list(found)


def _read_people(store: Store, allow: tuple[str, ...]) -> list[str]:
    allowed = [f" {name_key(a)} " for a in allow]
    names = person_names(people_reads.speakers(store))
    names += introduced_names(people_reads.texts_containing(store, _INTRO_CUES), allow)
    names += people_reads.scrubbed_names(store)
    out: dict[str, str] = {}
    for name in names:
        key = name_key(name)
        if len(key) >= 2 and not any(f" {key} " in a for a in allowed):
            out.setdefault(key, name)
    return list(out.values())


@dataclass
class Scrubbed:
    """A text after scrubbing, and what was replaced (placeholder -> (kind, value))."""

    text: str
    values: dict[str, tuple[str, str]] = field(default_factory=dict)


class WorkspaceScrubber:
    """Scrubbers for the conversations of one workspace, built on first use.

    ``keep`` writes the values behind new placeholders to the store, so that a later scrub of
    the same conversation (an export after an edit) gives a value the same placeholder.
    """

    def __init__(self, store: Store, allow: Sequence[str] = ()) -> None:
        self.store = store
        self.allow = tuple(allow)
        self.people = PeopleDetector(workspace_people(store, self.allow))
        self.found: Counter[str] = Counter()
        self._scrubbers: dict[int, Pseudonymizer] = {}

    def for_conversation(
        self, conversation_id: int, turns: Sequence[StoredTurn] | None = None
    ) -> Pseudonymizer:
        """The conversation's scrubber (``turns``: its turns, when the caller has them)."""
        pseudo = self._scrubbers.get(conversation_id)
        if pseudo is None:
            pseudo = self._scrubbers[conversation_id] = conversation_scrubber(
                self.store.turns(conversation_id) if turns is None else turns,
                allow=self.allow,
                known=self.store.pii_values(conversation_id),
                workspace=self.people,
            )
        return pseudo

    def scrub(self, conversation_id: int, text: str) -> Scrubbed:
        """``text`` with the personal data replaced, as written in that conversation."""
        pseudo = self.for_conversation(conversation_id)
        new, findings = pseudo.scrub(text)
        out = Scrubbed(new)
        for f in findings:
            out.values[pseudo.placeholder(f)] = (f.kind, f.value)
            self.found[f.kind] += 1
        return out

    def keep(self, conversation_id: int, values: dict[str, tuple[str, str]]) -> None:
        """Remember the values behind placeholders, in the local store only."""
        if values:
            self.store.keep_pii_values(conversation_id, values)
