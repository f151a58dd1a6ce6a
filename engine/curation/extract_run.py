"""Extract pairs from a workspace's conversations into its store, with personal data scrubbed.

The assistant is who the options say, or, per source, who ``guess_assistant`` finds. Each
conversation gets its own scrubber (:class:`WorkspaceScrubber`), so the same e-mail is
``<EMAIL_1>`` throughout one conversation, and every scrubber knows the people named anywhere
in the workspace; the values behind the placeholders stay in the local store only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from afina.engine.curation.extract import ExtractOptions, Guess, extract_pairs, guess_assistant
from afina.engine.curation.scrubber import WorkspaceScrubber
from afina.engine.store import Store
from afina.engine.store.pairs import pair_key
from afina.engine.types import PairDraft, StoredTurn

ALL = 10**9  # "no limit" for store listings


@dataclass
class ExtractReport:
    conversations: int = 0
    added: int = 0
    existing: int = 0
    pii: Counter[str] = field(default_factory=Counter)
    # per source: the assistant used and, when guessed, how sure the guess was
    assistants: dict[int, tuple[str, float | None]] = field(default_factory=dict)
    # full names left in because they recur across conversations (a product, a place)
    kept_names: tuple[str, ...] = ()


def extract_to_store(
    store: Store,
    options: ExtractOptions | None = None,
    source_id: int | None = None,
    scrub: bool = True,
    allow: Sequence[str] = (),
    on_conversation: Callable[[int], None] = lambda n: None,
    guessed: Mapping[str, Any] | None = None,
) -> ExtractReport:
    """Extract and store the pairs of every conversation (or one source's).

    Without ``options`` the assistant is guessed per source, and ``guessed`` holds the other
    extraction settings (multi_turn, context_turns, system_prompt...) to use with the guess.
    """
    report = ExtractReport()
    scrubber = WorkspaceScrubber(store, allow) if scrub else None
    sources = [source_id] if source_id is not None else [s.id for s in store.sources()]
    for sid in sources:
        convs = {c.id: store.turns(c.id) for c in store.conversations(sid, limit=ALL)}
        if not convs:
            continue
        opts, guess = _options_for(options, convs, guessed or {})
        report.assistants[sid] = (_who(opts), guess.confidence if guess else None)
        with store.transaction():
            for cid, turns in convs.items():
                drafts = extract_pairs(turns, opts)
                # Keys from the text as spoken: placeholders may be numbered differently
                # another time, and the same pair must not come back as a new one.
                keys = [pair_key(d) for d in drafts]
                if scrubber is not None and drafts:
                    drafts = _scrubbed(scrubber, cid, turns, drafts)
                added, existing = store.add_pairs(drafts, keys)
                report.added += len(added)
                report.existing += existing
                report.conversations += 1
                on_conversation(1)
    if scrubber is not None:
        report.pii = scrubber.found
        report.kept_names = scrubber.kept
    return report


def _options_for(
    options: ExtractOptions | None, convs: dict[int, list[StoredTurn]], guessed: Mapping[str, Any]
) -> tuple[ExtractOptions, Guess | None]:
    """The options given, or the guess of who the assistant is with ``guessed`` settings."""
    if options is not None:
        return options, None
    guess = guess_assistant(convs)
    return guess.options(**guessed), guess


def _who(opts: ExtractOptions) -> str:
    if opts.assistant_role:
        return f"role {opts.assistant_role}"
    return ", ".join(opts.assistant_speakers)


def _scrubbed(
    scrubber: WorkspaceScrubber,
    conversation_id: int,
    turns: Sequence[StoredTurn],
    drafts: Iterable[PairDraft],
) -> list[PairDraft]:
    scrubber.for_conversation(conversation_id, turns)
    values: dict[str, tuple[str, str]] = {}

    def clean(text: str) -> str:
        done = scrubber.scrub(conversation_id, text)
        values.update(done.values)
        return done.text

    out = [
        replace(
            d,
            prompt=clean(d.prompt),
            response=clean(d.response),
            context=tuple((role, clean(text)) for role, text in d.context),
            system=clean(d.system) if d.system else d.system,
        )
        for d in drafts
    ]
    scrubber.keep(conversation_id, values)
    return out
