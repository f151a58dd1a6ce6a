"""Duplicate pairs: exact (normalized hash) and near (MinHash LSH), keeping the best of each.

The sketching and the LSH banding live in :mod:`minhash`; this module finds the groups and
chooses which member of each to keep.

The input is a stream of ``(pair_id, text, rank)``: ``text`` is the pair's prompt and response
joined, ``rank`` says which member of a cluster to keep (higher wins; ties go to the lower id).

How it stays near-linear in time and bounded in memory:

* Texts are normalized (:func:`minhash.normalize_text`) and hashed as they stream in; only a 64-bit
  digest per distinct text is kept, never the texts. Equal digests are exact duplicates, and
  only the first text of each is sketched.
* Sketches are datasketch's "affine32" MinHash (``a * fmix32(h) + b mod 2**32`` with the
  permutations of ``datasketch.MinHash(num_perm, seed)``), computed with numpy for a batch of
  texts at once instead of one ``MinHash`` object per text: the values are the ones datasketch
  would compute for the same shingle hashes (a test checks), several times faster, stored as
  one ``uint32`` matrix (``num_perm * 4`` bytes a distinct text).
* Candidates come from LSH banding with the (bands, rows) that ``datasketch.MinHashLSH`` picks
  for the threshold, weighted towards recall; the buckets are found by sorting each band's
  hashes with numpy rather than by inserting every sketch into ``MinHashLSH``'s dicts.
  At 100k pairs the same job written with datasketch's own objects (``MinHash.bulk``,
  ``MinHashLSH`` insert and query) took 3.6x the time and 5x the memory, for the same recall
  (``benchmarks/dedupe_scaling.py --compare``, recorded in ``benchmarks/RESULTS.md``).
* Each bucket links its members to its first member only (a star, not every pair, so a
  bucket of a thousand copies costs a thousand links, not half a million); each link is
  verified (estimated Jaccard >= threshold) and union-find joins the verified ones. A true
  pair is missed only if, in every band the two share, the bucket's first member is unlike
  them; banding gives them several chances.

Memory is O(distinct texts): about 600 bytes a pair at a million pairs (a 64-bit digest per
distinct text, its signature, three int64 arrays), plus bounded batches and caches.

64 permutations is the default, for speed: at 100k pairs 128 cost 22% more time and 42% more
memory, and found 98.9% of the planted near duplicates instead of 97.5%; the misses are
pairs within about 0.1 of the threshold, where a 64-value estimate (standard error 0.05 at
0.8) decides less sharply. Exact duplicates are found either way.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, replace
from itertools import chain, pairwise
from typing import Literal, Protocol

import numpy as np

from afina.engine.curation.minhash import (
    Cut,
    DedupeConfig,
    DedupeError,
    SignatureStore,
    Sketcher,
    candidate_pairs,
    estimate,
)

# DedupeConfig and DedupeError live with the sketching they configure, and are offered here
# too: they are part of what every caller of dedupe() needs.
__all__ = [
    "DedupeConfig",
    "DedupeError",
    "DedupeItem",
    "DedupeResult",
    "DedupeStats",
    "DupCluster",
    "DupKind",
    "DuplicateGroups",
    "Groups",
    "TextGrouper",
    "cluster_members",
    "dedupe",
    "group_duplicates",
    "ranked_components",
]

DedupeItem = tuple[int, str, int]
DupKind = Literal["exact", "near"]


@dataclass(frozen=True, slots=True)
class DupCluster:
    """Pairs found to duplicate ``kept``: they are dropped, it stays.

    ``kind`` is "exact" when the dropped texts equal the kept one once normalized, "near"
    otherwise; ``similarity`` is the lowest estimated Jaccard between the kept text and a
    dropped one (1.0 for exact). Union-find chains links, so a near cluster may hold a member
    below the threshold from the kept one, reached through a member above it.
    """

    kept: int
    dropped: tuple[int, ...]
    kind: DupKind
    similarity: float


@dataclass(frozen=True, slots=True)
class DedupeStats:
    """What the run saw and did, for reports and benchmarks."""

    items: int
    distinct_texts: int
    bands: int
    band_rows: int
    candidate_pairs: int
    verified_pairs: int
    exact_dropped: int = 0
    near_dropped: int = 0


@dataclass(frozen=True, slots=True)
class DedupeResult:
    """Clusters (one "exact" and/or one "near" per kept pair), the ids to drop, and stats."""

    clusters: tuple[DupCluster, ...]
    drop: frozenset[int]
    stats: DedupeStats


class Groups(Protocol):
    """What clustering needs of a grouping: per item (input order) its id, rank, exact row and
    component, and the similarity of two rows. :class:`DuplicateGroups` is one; the pair
    dedupe's question-and-answer grouping is another."""

    @property
    def ids(self) -> np.ndarray: ...
    @property
    def ranks(self) -> np.ndarray: ...
    @property
    def rows(self) -> np.ndarray: ...
    @property
    def components(self) -> np.ndarray: ...
    def similarity(self, rows_a: np.ndarray, rows_b: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True, eq=False)
class DuplicateGroups:
    """Every item's exact group and duplicate component, as numpy arrays in input order.

    ``rows[i]`` is item i's distinct text (a row of ``signatures``); items with equal
    ``components`` are duplicates, exactly or through verified near links. The building
    block of :func:`dedupe` and of the split leakage report.
    """

    ids: np.ndarray
    ranks: np.ndarray
    rows: np.ndarray
    components: np.ndarray
    signatures: np.ndarray
    stats: DedupeStats

    def similarity(self, rows_a: np.ndarray, rows_b: np.ndarray) -> np.ndarray:
        """Estimated Jaccard between the texts of two equal-length arrays of rows."""
        return estimate(self.signatures, rows_a, rows_b)


class TextGrouper:
    """:func:`group_duplicates` fed one item at a time, for callers that group two texts of
    each pair in one pass over a stream (:mod:`pair_dedupe`: its question and its answer)."""

    def __init__(self, config: DedupeConfig | None = None) -> None:
        self.config = config or DedupeConfig()
        self._sketcher = Sketcher(self.config)
        self._ids, self._ranks, self._rows = array("q"), array("q"), array("q")
        self._signatures = SignatureStore(self.config.num_perm)
        self._seen: dict[bytes, int] = {}
        self._pending: list[Cut] = []

    def add(self, pair_id: int, text: str, rank: int) -> None:
        if not isinstance(text, str):
            raise DedupeError(f"pair {pair_id}: text must be a string, not {type(text).__name__}")
        # The exact key hashes the sequence of (folded) word hashes: the same as hashing the
        # normalized text, without building it; the word hashes are the shingles' input.
        tokens = self._sketcher.tokens(text)
        key = hashlib.blake2b(array("Q", tokens).tobytes(), digest_size=8).digest()
        row = self._seen.get(key)
        if row is None:
            row = self._seen[key] = len(self._seen)
            self._pending.append(self._sketcher.cut(text, tokens))
            if len(self._pending) >= self.config.batch_size:
                self._signatures.add(self._sketcher.sign(self._pending))
                self._pending = []
        self._ids.append(pair_id)
        self._ranks.append(rank)
        self._rows.append(row)

    def finish(self) -> DuplicateGroups:
        """Sketch what is left, band, verify, join: the groups of everything added."""
        if self._pending:
            self._signatures.add(self._sketcher.sign(self._pending))
            self._pending = []
        self._seen = {}  # the biggest Python object here: gone before the banding's temporaries
        sig = self._signatures.stack()
        id_array = np.array(self._ids, dtype=np.int64)
        _check_unique(id_array)
        bands, band_rows = self._sketcher.bands
        first, other = candidate_pairs(sig, bands, band_rows)
        verified = estimate(sig, first, other) >= self.config.threshold - 1e-9
        row_components = _union_find(len(sig), first[verified], other[verified])
        row_array = np.array(self._rows, dtype=np.int64)
        stats = DedupeStats(
            items=len(id_array),
            distinct_texts=len(sig),
            bands=bands,
            band_rows=band_rows,
            candidate_pairs=len(first),
            verified_pairs=int(verified.sum()),
        )
        return DuplicateGroups(
            ids=id_array,
            ranks=np.array(self._ranks, dtype=np.int64),
            rows=row_array,
            components=row_components[row_array],
            signatures=sig,
            stats=stats,
        )


def group_duplicates(
    items: Iterable[DedupeItem], config: DedupeConfig | None = None
) -> DuplicateGroups:
    """Find exact and near duplicates among ``(pair_id, text, rank)`` items (one pass)."""
    grouper = TextGrouper(config)
    for pair_id, text, rank in items:
        grouper.add(pair_id, text, rank)
    return grouper.finish()


def dedupe(items: Iterable[DedupeItem], config: DedupeConfig | None = None) -> DedupeResult:
    """Cluster duplicates and keep the best-ranked pair of each (ties: the lower id).

    ``items`` is consumed once and may be a generator over a million rows: texts are not
    kept. Deterministic for a given input order.
    """
    groups = group_duplicates(items, config)
    clusters = cluster_members(groups)
    exact = sum(len(c.dropped) for c in clusters if c.kind == "exact")
    near = sum(len(c.dropped) for c in clusters if c.kind == "near")
    stats = replace(groups.stats, exact_dropped=exact, near_dropped=near)
    drop = frozenset(chain.from_iterable(c.dropped for c in clusters))
    return DedupeResult(clusters=clusters, drop=drop, stats=stats)


def cluster_members(groups: Groups) -> tuple[DupCluster, ...]:
    """One "exact" and/or one "near" cluster per component of two or more items."""
    order, heads = ranked_components(groups)
    if order.size == 0:
        return ()
    kept_at = heads[np.cumsum(_head_mask(order.size, heads)) - 1]
    rows, kept_rows = groups.rows[order], groups.rows[order[kept_at]]
    exact = rows == kept_rows
    sims = np.ones(order.size)
    sims[~exact] = groups.similarity(rows[~exact], kept_rows[~exact])
    ids = groups.ids[order].tolist()
    exact_list, sim_list = exact.tolist(), sims.tolist()
    clusters: list[DupCluster] = []
    bounds = [*heads.tolist(), order.size]
    for start, end in pairwise(bounds):
        members = range(start + 1, end)
        same = tuple(sorted(ids[i] for i in members if exact_list[i]))
        near = [i for i in members if not exact_list[i]]
        if same:
            clusters.append(DupCluster(ids[start], same, "exact", 1.0))
        if near:
            similarity = round(min(sim_list[i] for i in near), 4)
            dropped = tuple(sorted(ids[i] for i in near))
            clusters.append(DupCluster(ids[start], dropped, "near", similarity))
    return tuple(sorted(clusters, key=lambda c: (c.kept, c.kind)))


def _check_unique(ids: np.ndarray) -> None:
    values, counts = np.unique(ids, return_counts=True)
    if values.size != ids.size:
        twice = values[counts > 1][:3].tolist()
        raise DedupeError(f"pair ids must be unique; given more than once: {twice}")


# -- union-find and clusters ------------------------------------------------------------


def _union_find(n: int, rows_a: np.ndarray, rows_b: np.ndarray) -> np.ndarray:
    """Component label (its lowest row) of each of n rows, joined along the given links."""
    parent: dict[int, int] = {}  # only rows with links: most rows are alone

    def find(x: int) -> int:
        root = x
        while (up := parent.get(root, root)) != root:
            root = up
        while x != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    for a, b in zip(rows_a.tolist(), rows_b.tolist(), strict=True):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    labels = np.arange(n, dtype=np.int64)
    linked = list(parent)
    if linked:
        labels[np.array(linked, dtype=np.int64)] = [find(x) for x in linked]
    return labels


# -- from components to clusters ------------------------------------------------------------


def ranked_components(groups: Groups) -> tuple[np.ndarray, np.ndarray]:
    """Item positions of the components of two or more items, component by component, best
    (highest rank, then lowest id) first in each; and the position where each one starts."""
    comp = groups.components
    sizes = np.bincount(comp)
    members = np.flatnonzero(sizes[comp] > 1)
    if members.size == 0:
        return members, members
    order = members[np.lexsort((groups.ids[members], -groups.ranks[members], comp[members]))]
    labels = comp[order]
    heads = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
    return order, heads


def _head_mask(size: int, heads: np.ndarray) -> np.ndarray:
    mask = np.zeros(size, dtype=bool)
    mask[heads] = True
    return mask
