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
from afina.engine.curation.pii_people import GivenNameDetector
from afina.engine.store import Store
from afina.engine.store import people as people_reads
from afina.engine.types import StoredTurn

# Words that open a self-introduction (see pii_names._INTRO), as a cheap SQL prefilter.
_INTRO_CUES = ("me chamo", "meu nome", "my name", "aqui", "sou ")


# A full name found in at least this many conversations, and this share of them, is a product,
# a place or a member of staff ("Aurora Care", "Afonso Pena"), not a customer an agent looked
# up: customers are named in their own conversation. Known people are never kept this way.
RECURRING_MIN = 5
RECURRING_SHARE = 0.02


@dataclass(frozen=True)
class People:
    """Who the workspace knows by name, and the full names kept because they recur."""

    names: tuple[str, ...]
    recurring: tuple[str, ...]


# Both lists are read from every turn; an edit in the Curate screen asks at each save, so they
# are kept until the workspace's conversations or scrubbed names change.
_PEOPLE: dict[tuple[str, tuple[str, ...]], tuple[tuple[int, ...], People]] = {}


def workspace_people(store: Store, allow: Iterable[str] = ()) -> People:
    """Everyone the workspace knows by name (speakers' display names, the names people give
    for themselves anywhere, names scrubbed before; none inside an ``allow`` value), and the
    full names that recur across conversations (see RECURRING_MIN)."""
    allow = tuple(allow)
    state = (*store.counts().values(), people_reads.scrubbed_count(store))
    cached = _PEOPLE.get((str(store.path), allow))
    if cached is not None and cached[0] == state:
        return cached[1]
    names = _read_people(store, allow)
    found = People(tuple(names), tuple(recurring_names(store, names)))
    _PEOPLE[(str(store.path), allow)] = (state, found)
    return found


def recurring_names(store: Store, known: Iterable[str] = ()) -> list[str]:
    """Full names the given-name detector finds in many conversations, known people aside."""
    detector = GivenNameDetector()
    seen: dict[str, set[int]] = {}
    shown: dict[str, str] = {}
    conversations: set[int] = set()
    for conversation_id, text in people_reads.texts_by_conversation(store):
        conversations.add(conversation_id)
        for finding in detector.find(text):
            key = name_key(finding.value)
            seen.setdefault(key, set()).add(conversation_id)
            shown.setdefault(key, finding.value)
    floor = max(RECURRING_MIN, RECURRING_SHARE * len(conversations))
    people = {name_key(n) for n in known}
    return [shown[k] for k, ids in seen.items() if len(ids) >= floor and k not in people]


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
        known = workspace_people(store, self.allow)
        self.people = PeopleDetector(known.names)
        self.given = GivenNameDetector(keep=known.recurring)
        self.kept = known.recurring
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
                given=self.given,
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
