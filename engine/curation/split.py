"""Train / validation / test splits by conversation, and near duplicates that leak across them.

A conversation's split depends only on its key and the seed (a keyed hash, not a shuffle),
so the assignment is stable when new conversations arrive: nothing already assigned moves,
and every pair of a conversation lands on the same side.

Leakage: a pair in validation or test with a near duplicate in another split lets the model
see its answer in training (or grades it twice). :func:`find_leakage` finds such clusters
with the dedupe machinery. The fix it proposes drops the members outside the cluster's best
split (train, then validation, then test) rather than moving conversations between splits:
moving would make a conversation's split depend on other conversations, losing the
stability above, and a moved conversation could leak in turn. Dropping costs a few
evaluation pairs and keeps every training pair.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Literal

from afina.engine.errors import AfinaError

if TYPE_CHECKING:
    # Leakage checks need dedupe and numpy; assigning splits does not, and `afina` commands
    # that only split load this module at start-up, so those two are imported on use.
    import numpy as np

    from afina.engine.curation.dedupe import DedupeConfig, DupKind, DuplicateGroups

SplitName = Literal["train", "validation", "test"]
SPLITS: tuple[SplitName, ...] = ("train", "validation", "test")
DEFAULT_RATIOS = (0.8, 0.1, 0.1)
_RATIO_TOLERANCE = 1e-6
_PRIORITY = {name: len(SPLITS) - i for i, name in enumerate(SPLITS)}  # train highest


class SplitError(AfinaError):
    """Split ratios that are not three shares adding up to 1, or a split name afina lacks."""

    exit_code = 2


def validate_ratios(ratios: Iterable[float]) -> tuple[float, float, float]:
    """Three finite shares >= 0 (train, validation, test) that add up to 1, as floats."""
    values = tuple(ratios)
    hint = "e.g. 0.8 0.1 0.1 for train, validation and test"
    if len(values) != 3:
        raise SplitError(f"split ratios must be three numbers, got {len(values)}", hint)
    try:
        floats = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        raise SplitError(f"split ratios must be numbers, got {values!r}", hint) from None
    if any(not math.isfinite(v) or v < 0 for v in floats):
        raise SplitError(f"split ratios must be finite and not negative, got {values!r}", hint)
    if abs(sum(floats) - 1.0) > _RATIO_TOLERANCE:
        raise SplitError(f"split ratios must add up to 1, got {sum(floats):g}", hint)
    return floats[0], floats[1], floats[2]


def split_of(key: Hashable, ratios: Iterable[float] = DEFAULT_RATIOS, seed: int = 0) -> SplitName:
    """The split of one conversation: a keyed hash of ``str(key)`` placed on the ratios."""
    return _placer(validate_ratios(ratios))(_unit(key, seed))


def assign_splits(
    conversation_keys: Iterable[Hashable],
    ratios: Iterable[float] = DEFAULT_RATIOS,
    seed: int = 0,
) -> dict[Hashable, SplitName]:
    """Each conversation key's split, from the key and the seed alone.

    Keys are hashed as ``str(key)``, so ``5`` and ``"5"`` share a split. Adding keys never
    changes the split of the others; the shares approach ``ratios`` as keys grow (each key
    is an independent draw, so 1,000 keys at 0.1 give 100 +- 10 or so).
    """
    place = _placer(validate_ratios(ratios))
    return {key: place(_unit(key, seed)) for key in conversation_keys}


def _unit(key: Hashable, seed: int) -> float:
    """A uniform number in [0, 1) from the key and seed (53 bits of a BLAKE2b digest)."""
    data = f"{seed}\x1f{key}".encode("utf-8", "surrogatepass")
    digest = hashlib.blake2b(data, digest_size=8, person=b"afina-split").digest()
    return (int.from_bytes(digest, "big") >> 11) / float(1 << 53)


def _placer(ratios: tuple[float, float, float]) -> Callable[[float], SplitName]:
    """Maps [0, 1) onto the splits. Bounds are scaled by the ratios' sum (within 1e-6 of 1)
    so that a zero share gets an empty interval: x / x is exactly 1.0 in floating point."""
    total = sum(ratios)
    train_end = ratios[0] / total
    validation_end = (ratios[0] + ratios[1]) / total

    def place(u: float) -> SplitName:
        if u < train_end:
            return "train"
        return "validation" if u < validation_end else "test"

    return place


# -- leakage --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeakCluster:
    """Duplicate pairs that sit in more than one split.

    ``members`` are (pair id, split), best split first; ``drop`` the ids outside the best
    split present (what the fix removes); ``similarity`` the lowest estimated Jaccard between
    the best member and another (1.0 when all are exact duplicates).
    """

    members: tuple[tuple[int, SplitName], ...]
    kind: DupKind
    similarity: float
    drop: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class LeakageReport:
    """Clusters that cross splits, the pair ids the fix drops, and those counted per split."""

    clusters: tuple[LeakCluster, ...]
    drop: frozenset[int]
    dropped_by_split: Mapping[str, int]

    @property
    def leaks(self) -> bool:
        return bool(self.clusters)


def find_leakage(
    items: Iterable[tuple[int, str, str]], config: DedupeConfig | None = None
) -> LeakageReport:
    """Near (and exact) duplicates across splits among ``(pair_id, split, text)`` items.

    Duplicates within one split are left to dedupe. The report's ``drop`` is the fix: in
    each cluster, every pair outside the best split present (train > validation > test);
    apply it by dropping those pairs, which leaves no cluster across splits.
    """
    from afina.engine.curation.dedupe import group_duplicates, ranked_components

    groups = group_duplicates(_ranked(items), config)
    # The split is the rank (train 3 > validation 2 > test 1): best split first in each.
    order, heads = ranked_components(groups)
    clusters: list[LeakCluster] = []
    for start, end in pairwise([*heads.tolist(), order.size]):
        cluster = _leak_cluster(groups, order[start:end])
        if cluster is not None:
            clusters.append(cluster)
    drop = frozenset(i for c in clusters for i in c.drop)
    by_split = Counter(split for c in clusters for i, split in c.members if i in drop)
    return LeakageReport(tuple(clusters), drop, {s: by_split.get(s, 0) for s in SPLITS})


def _ranked(items: Iterable[tuple[int, str, str]]) -> Iterable[tuple[int, str, int]]:
    for pair_id, split, text in items:
        if split not in _PRIORITY:
            raise SplitError(f"pair {pair_id}: unknown split {split!r}", hint=", ".join(SPLITS))
        yield pair_id, text, _PRIORITY[split]


def _leak_cluster(groups: DuplicateGroups, positions: np.ndarray) -> LeakCluster | None:
    """A component as a LeakCluster, or None when all its members share one split."""
    import numpy as np

    ranks = groups.ranks[positions]
    if ranks.min() == ranks.max():
        return None
    split_of_rank = {rank: name for name, rank in _PRIORITY.items()}
    ids = groups.ids[positions].tolist()
    rows = groups.rows[positions]
    best = rows[0]
    others = rows[1:]
    sims = groups.similarity(np.full(len(others), best), others)
    exact = bool((others == best).all())
    members = tuple((i, split_of_rank[r]) for i, r in zip(ids, ranks.tolist(), strict=True))
    drop = tuple(sorted(i for i, r in zip(ids, ranks.tolist(), strict=True) if r != ranks[0]))
    similarity = 1.0 if exact else round(float(sims.min()), 4)
    return LeakCluster(members, "exact" if exact else "near", similarity, drop)
