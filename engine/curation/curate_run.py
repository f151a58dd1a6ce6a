"""`afina curate`: run the cleaning rules and the dedupe over pending pairs, as one review batch.

Nothing is deleted: a pair a rule drops is rejected, with the rule's hits recorded; a rule
that rewrites text records an edit; duplicates are rejected in favour of the best-reviewed
member of their cluster. All of it is one batch in the review log, so `afina pairs undo`
takes a whole curate run back.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from afina.engine.curation.clean import Pipeline, RuleCount
from afina.engine.store import Store
from afina.engine.store.pairs import Change
from afina.engine.types import PairDraft, PairFilter, RuleHit

if TYPE_CHECKING:
    # dedupe brings numpy, which the CLI does not load at start-up (`afina --help`).
    from afina.engine.curation.dedupe import DedupeConfig

ALL = 10**9
_RANK = {"accepted": 2, "pending": 1}


@dataclass
class CurateReport:
    checked: int = 0
    removed: dict[str, int] = field(default_factory=dict)  # rule -> pairs it dropped
    rewritten: dict[str, int] = field(default_factory=dict)  # rule -> pairs it changed
    duplicates: Counter[str] = field(default_factory=Counter)  # exact / near -> dropped
    accepted: int = 0
    changes: int = 0


def taught(pipeline: Pipeline, store: Store) -> Pipeline:
    """The pipeline with its learning rules (boilerplate) taught every answer in the store
    that is still in play: the pending ones and those a person accepted."""
    if not any(hasattr(r, "taught") for r in pipeline.rules):
        return pipeline
    answers = [
        p.response
        for status in ("pending", "accepted")
        for p in store.pairs(PairFilter(status=status), limit=ALL)
    ]
    return Pipeline([r.taught(answers) if hasattr(r, "taught") else r for r in pipeline.rules])


def curate_store(
    store: Store,
    pipeline: Pipeline,
    dedupe_config: DedupeConfig | None = None,
    accept_passing: bool = False,
) -> CurateReport:
    """Check every pending pair; optionally accept what passes (the demo does, no one reviews)."""
    report = CurateReport()
    pipeline = taught(pipeline, store)
    counts = [RuleCount(name) for name in pipeline.names]
    changes: list[Change] = []
    hits: dict[int, tuple[RuleHit, ...]] = {}
    survivors: dict[int, str] = {}  # pair id -> its status, for pairs still in the running
    texts: dict[int, str] = {}
    for p in store.pairs(PairFilter(status="pending"), limit=ALL):
        report.checked += 1
        draft = PairDraft(p.conversation_id, p.prompt, p.response, p.context, p.system, p.turn_ids)
        out = pipeline.check(draft, counts)
        if out.hits:
            hits[p.id] = out.hits
        if not out.kept:
            changes.append(Change(p.id, "status", "rejected"))
            continue
        if out.draft.prompt != p.prompt:
            changes.append(Change(p.id, "prompt", out.draft.prompt))
        if out.draft.response != p.response:
            changes.append(Change(p.id, "response", out.draft.response))
        survivors[p.id] = "pending"
        texts[p.id] = f"{out.draft.prompt}\n{out.draft.response}"
    report.removed = {c.rule: c.dropped for c in counts}
    report.rewritten = {c.rule: c.changed for c in counts}

    if dedupe_config is not None:
        from afina.engine.curation.dedupe import dedupe

        for p in store.pairs(PairFilter(status="accepted"), limit=ALL):
            survivors[p.id] = "accepted"
            texts[p.id] = f"{p.prompt}\n{p.response}"
        result = dedupe(
            ((pid, texts[pid], _RANK[status]) for pid, status in survivors.items()),
            dedupe_config,
        )
        for cluster in result.clusters:
            for pid in cluster.dropped:
                if survivors.get(pid) != "pending":
                    continue  # accepted by a person: never overruled by a heuristic
                report.duplicates[cluster.kind] += 1
                changes.append(Change(pid, "status", "rejected"))
                detail = f"{cluster.kind} duplicate of pair {cluster.kept}"
                hits[pid] = (*hits.get(pid, ()), RuleHit("duplicate", detail))
                survivors.pop(pid)

    if accept_passing:
        passing = [pid for pid, status in survivors.items() if status == "pending"]
        changes.extend(Change(pid, "status", "accepted") for pid in passing)
        report.accepted = len(passing)

    report.changes = store.review(changes, "curate", hits)
    return report
