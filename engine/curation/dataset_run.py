"""Splits and exports over the store: `afina split` and `afina export`.

Splits are by conversation (never one conversation on two sides), from each conversation's
identity and a seed, so they stay put when new data arrives. Exports take accepted pairs
only, and scan them for personal data once more on the way out: an edit made in review can
bring a value back, and nothing detected may leave the workspace.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from afina.engine.curation.export import ExportPair, ExportResult, export_pairs
from afina.engine.curation.scrubber import WorkspaceScrubber
from afina.engine.curation.split import DEFAULT_RATIOS, LeakageReport, assign_splits, find_leakage
from afina.engine.store import Store
from afina.engine.store.pairs import Change
from afina.engine.types import PairFilter

if TYPE_CHECKING:
    # dedupe brings numpy, which the CLI does not load at start-up (`afina --help`).
    from afina.engine.curation.dedupe import DedupeConfig

ALL = 10**9
SPLIT_NAMES = ("train", "validation", "test")
PII_POLICY = (
    "Personal data found by afina's detectors (e-mails, phone numbers, CPF, CNPJ, cards, IP "
    "addresses, API keys and tokens, IBANs, CEP, people's names: every speaker's, those people "
    "give for themselves, and full names written by anyone) was replaced by placeholders such "
    "as <EMAIL_1>, numbered per conversation; the values stay in the local workspace. Sources "
    "are listed by hash, never by file name."
)


@dataclass
class SplitReport:
    conversations: dict[str, int]
    pairs: dict[str, int]
    leakage: LeakageReport
    fixed: int


def split_store(
    store: Store,
    ratios: Sequence[float] = DEFAULT_RATIOS,
    seed: int = 0,
    fix_leakage: bool = False,
    dedupe_config: DedupeConfig | None = None,
) -> SplitReport:
    """Give every conversation a split; report (and optionally fix) near-duplicates across them."""
    convs = store.conversations(limit=ALL)
    by_key = {f"{c.importer}:{c.key}": c.id for c in convs}
    splits = assign_splits(by_key, ratios, seed)
    store.set_splits({by_key[str(k)]: str(s) for k, s in splits.items()})
    accepted = store.pairs(PairFilter(status="accepted"), limit=ALL)
    leakage = find_leakage(
        ((p.id, p.split or "train", f"{p.prompt}\n{p.response}") for p in accepted),
        dedupe_config,
    )
    fixed = 0
    if fix_leakage and leakage.drop:
        fixed = store.review(
            [Change(pid, "status", "rejected") for pid in sorted(leakage.drop)], "fix leakage"
        )
    return SplitReport(
        conversations=dict(Counter(str(s) for s in splits.values())),
        pairs={s: n for s, n in store.pair_counts().items() if s in SPLIT_NAMES},
        leakage=leakage,
        fixed=fixed,
    )


def export_store(
    store: Store,
    fmt: str,
    out: Path,
    per_split: bool = False,
    allow: Sequence[str] = (),
    title: str = "afina export",
) -> tuple[ExportResult, int]:
    """Export accepted pairs; returns the result and how many values the last scan replaced."""
    if store.count_pairs(PairFilter(status="accepted", split=None)) and not _all_split(store):
        split_store(store)  # pairs need a split to be exported; defaults are the documented ones
    pairs = store.pairs(PairFilter(status="accepted"), limit=ALL)
    # The same scrubber as extraction and edits, with everyone the workspace knows by name:
    # an edit can bring back a customer's name, or name someone from another conversation.
    scrubber = WorkspaceScrubber(store, allow)

    def clean(conversation_id: int, text: str) -> str:
        done = scrubber.scrub(conversation_id, text)
        scrubber.keep(conversation_id, done.values)
        return done.text

    records = [
        ExportPair(
            prompt=clean(p.conversation_id, p.prompt),
            response=clean(p.conversation_id, p.response),
            context=tuple((r, clean(p.conversation_id, t)) for r, t in p.context),
            system=clean(p.conversation_id, p.system) if p.system else None,
            split=p.split or "train",
            id=p.id,
            tags=p.tags,
        )
        for p in pairs
    ]
    caught = sum(scrubber.found.values())
    removed = Counter(rule for rule in _rejections(store))
    card = {
        "title": title,
        "filters": dict(removed) or ["none recorded"],
        "pii": PII_POLICY + (f" {caught} more values were replaced at export." if caught else ""),
        "sources": card_sources(store),
    }
    return export_pairs(records, fmt, out, card=card, per_split=per_split), caught


def card_sources(store: Store) -> list[dict[str, object]]:
    """The imported files as a card lists them: by hash, importer and counts, never by path.

    A path says whose chat it was ("WhatsApp Chat with Maria Souza.txt", a phone number, a
    home folder), and a card is written to be published.
    """
    return [
        {
            "sha256": s.sha256,
            "importer": s.importer,
            "conversations": s.conversations,
            "turns": s.turns,
        }
        for s in store.sources()
    ]


def _all_split(store: Store) -> bool:
    accepted = store.count_pairs(PairFilter(status="accepted"))
    with_split = sum(store.count_pairs(PairFilter(status="accepted", split=s)) for s in SPLIT_NAMES)
    return accepted == with_split


def _rejections(store: Store) -> list[str]:
    """The rule that rejected each rejected pair (its last hit): the card's filter counts."""
    rules = []
    for p in store.pairs(PairFilter(status="rejected"), limit=ALL):
        hits = store.rule_hits(p.id)
        rules.append(hits[-1].rule if hits else "rejected in review")
    return rules


__all__ = ["PII_POLICY", "SplitReport", "export_store", "split_store"]
