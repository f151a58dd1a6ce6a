"""`afina curate`: run the cleaning rules and the dedupe over pending pairs, as one review batch.

Nothing is deleted: a pair a rule drops is rejected, with the rule's hits recorded; a rule
that rewrites text records an edit; duplicates (a near-identical question with the same
answer: :mod:`pair_dedupe`) are rejected in favour of the best-reviewed member of their
cluster, while paraphrases (other questions with one answer) stay, optionally capped per
answer. All of it is one batch in the review log, so `afina pairs undo` takes a whole curate
run back.
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
    """What a curate run did. ``paraphrase_groups``: groups of two or more pairs still in play
    (pending or accepted) after the run that share one answer (the same or near-identical),
    and ``paraphrase_pairs`` the pairs in them: questions worded differently, and duplicates
    a person accepted (never rejected); ``capped``: pairs rejected past ``max_per_answer``."""

    checked: int = 0
    removed: dict[str, int] = field(default_factory=dict)  # rule -> pairs it dropped
    rewritten: dict[str, int] = field(default_factory=dict)  # rule -> pairs it changed
    duplicates: Counter[str] = field(default_factory=Counter)  # exact / near -> dropped
    accepted: int = 0
    changes: int = 0
    paraphrase_groups: int = 0
    paraphrase_pairs: int = 0
    capped: int = 0


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
    max_per_answer: int = 0,
) -> CurateReport:
    """Check every pending pair; optionally accept what passes (the demo does, no one reviews).

    ``max_per_answer`` (0: no cap) keeps at most that many pairs of one answer, the
    best-reviewed first; accepted pairs count towards it but are never rejected.
    """
    report = CurateReport()
    pipeline = taught(pipeline, store)
    counts = [RuleCount(name) for name in pipeline.names]
    changes: list[Change] = []
    hits: dict[int, tuple[RuleHit, ...]] = {}
    survivors: dict[int, str] = {}  # pair id -> its status, for pairs still in the running
    texts: dict[int, tuple[str, str]] = {}  # pair id -> (prompt, response) as cleaned
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
        texts[p.id] = (out.draft.prompt, out.draft.response)
    report.removed = {c.rule: c.dropped for c in counts}
    report.rewritten = {c.rule: c.changed for c in counts}

    if dedupe_config is not None:
        for p in store.pairs(PairFilter(status="accepted"), limit=ALL):
            survivors[p.id] = "accepted"
            texts[p.id] = (p.prompt, p.response)
        _dedupe(survivors, texts, dedupe_config, max_per_answer, report, changes, hits)

    if accept_passing:
        passing = [pid for pid, status in survivors.items() if status == "pending"]
        changes.extend(Change(pid, "status", "accepted") for pid in passing)
        report.accepted = len(passing)

    report.changes = store.review(changes, "curate", hits)
    return report


def _dedupe(
    survivors: dict[int, str],
    texts: dict[int, tuple[str, str]],
    config: DedupeConfig,
    max_per_answer: int,
    report: CurateReport,
    changes: list[Change],
    hits: dict[int, tuple[RuleHit, ...]],
) -> None:
    """Reject the pending duplicates, and the paraphrases past the cap; count what stays."""
    from afina.engine.curation.pair_dedupe import dedupe_pairs

    def reject(pid: int, hit: RuleHit) -> None:
        changes.append(Change(pid, "status", "rejected"))
        hits[pid] = (*hits.get(pid, ()), hit)
        survivors.pop(pid)

    result = dedupe_pairs(
        ((pid, *texts[pid], _RANK[status]) for pid, status in survivors.items()), config
    )
    gone: set[int] = set()
    for cluster in result.clusters:
        for pid in cluster.dropped:
            if survivors.get(pid) != "pending":
                continue  # accepted by a person: never overruled by a heuristic
            report.duplicates[cluster.kind] += 1
            gone.add(pid)
            reject(pid, RuleHit("duplicate", f"{cluster.kind} duplicate of pair {cluster.kept}"))
    accepted = [pid for pid, status in survivors.items() if status == "accepted"]
    for pid in result.over_cap(gone, max_per_answer, keep=accepted):
        report.capped += 1
        gone.add(pid)
        detail = f"more than {max_per_answer} pairs share its answer"
        reject(pid, RuleHit("max_per_answer", detail))
    groups = result.paraphrase_groups(gone)
    report.paraphrase_groups = len(groups)
    report.paraphrase_pairs = sum(map(len, groups))
