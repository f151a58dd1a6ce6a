"""Duplicate pairs: exact (normalized hash) and near (MinHash LSH), keeping the best of each.

The input is a stream of ``(pair_id, text, rank)``: ``text`` is the pair's prompt and response
joined, ``rank`` says which member of a cluster to keep (higher wins; ties go to the lower id).

How it stays near-linear in time and bounded in memory:

* Texts are normalized (:func:`normalize_text`) and hashed as they stream in; only a 64-bit
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
import re
import unicodedata
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import chain, pairwise
from typing import Literal

import numpy as np

from afina.engine.errors import AfinaError

DedupeItem = tuple[int, str, int]
DupKind = Literal["exact", "near"]

_WORD = re.compile("[\\w\u0300-\u036f]+")  # a word, with any combining accents inside it
_COMBINING_MARKS = re.compile("[\u0300-\u036f]+")  # the accents of Latin, Greek, Cyrillic
_MAX_CACHED_TOKENS = 1 << 19  # word hashes kept between batches; cleared past this (memory cap)
_CHUNK_ELEMENTS = 1 << 22  # shingles x permutations per numpy step: 16 MiB of uint32
_VERIFY_CHUNK = 1 << 15  # candidate pairs compared per numpy step
_BAND_MULTIPLIER = np.uint64(0x100000001B3)  # odd: folds a band's values into one 64-bit key
_SHINGLE_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


class DedupeError(AfinaError):
    """Dedupe settings out of range, or input it cannot work with (a pair id given twice)."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class DedupeConfig:
    """How near is near, and how texts are cut into shingles.

    ``threshold`` is the Jaccard similarity of shingle sets from which two texts are near
    duplicates. Texts of at least ``short_words`` words are cut into word shingles of
    ``shingle_words`` words; shorter ones into character ``char_ngram``-grams, which keep one
    changed word from outweighing a short text. ``recall_weight`` weighs missed duplicates
    against extra candidates when choosing the LSH bands (candidates are verified, so extra
    ones cost only time). ``batch_size`` texts are sketched at a time. ``fold_accents``: see
    :func:`normalize_text`.
    """

    threshold: float = 0.8
    num_perm: int = 64
    shingle_words: int = 2
    short_words: int = 10
    char_ngram: int = 4
    recall_weight: float = 0.9
    seed: int = 1
    batch_size: int = 4096
    fold_accents: bool = True

    def __post_init__(self) -> None:
        checks = [
            (0.0 < self.threshold <= 1.0, "threshold must be above 0 and at most 1"),
            (2 <= self.num_perm <= 1024, "num_perm must be between 2 and 1024"),
            (self.shingle_words >= 1, "shingle_words must be at least 1"),
            (self.short_words >= self.shingle_words, "short_words must be >= shingle_words"),
            (self.char_ngram >= 1, "char_ngram must be at least 1"),
            (0.0 < self.recall_weight < 1.0, "recall_weight must be between 0 and 1"),
            (self.batch_size >= 1, "batch_size must be at least 1"),
        ]
        for ok, problem in checks:
            if not ok:
                raise DedupeError(f"dedupe settings: {problem}", hint=repr(self))


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
        return _estimate(self.signatures, rows_a, rows_b)


def normalize_text(text: str, fold_accents: bool = True) -> str:
    """The form compared for exact duplicates: NFKC, casefolded, the words only (punctuation
    runs and whitespace become single spaces), and (``fold_accents``) diacritics removed.

    Accents are folded because chat is typed both ways ("horário", "horario"). A text with no
    word at all (punctuation, emoji) would normalize to nothing and match every other such
    text, so it keeps its whitespace-separated pieces instead.
    """
    words = _words(text)
    return " ".join(map(_fold, words) if fold_accents else words)


def _words(text: str) -> list[str]:
    """NFKC casefolded words, with any combining marks inside them; or the pieces of a text
    without words."""
    folded = text.casefold() if text.isascii() else unicodedata.normalize("NFKC", text).casefold()
    return _WORD.findall(folded) or folded.split()


def _fold(word: str) -> str:
    """A word without its diacritics: NFKD, combining marks out, composed again."""
    if word.isascii():
        return word
    bare = _COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", word))
    return unicodedata.normalize("NFC", bare)


def group_duplicates(
    items: Iterable[DedupeItem], config: DedupeConfig | None = None
) -> DuplicateGroups:
    """Find exact and near duplicates among ``(pair_id, text, rank)`` items (one pass)."""
    cfg = config or DedupeConfig()
    sketcher = _Sketcher(cfg)
    ids, ranks, rows = array("q"), array("q"), array("q")
    signatures = _SignatureStore(cfg.num_perm)
    seen: dict[bytes, int] = {}
    pending: list[_Cut] = []
    for pair_id, text, rank in items:
        if not isinstance(text, str):
            raise DedupeError(f"pair {pair_id}: text must be a string, not {type(text).__name__}")
        # The exact key hashes the sequence of (folded) word hashes: the same as hashing the
        # normalized text, without building it; the word hashes are the shingles' input.
        tokens = sketcher.tokens(text)
        key = hashlib.blake2b(array("Q", tokens).tobytes(), digest_size=8).digest()
        row = seen.get(key)
        if row is None:
            row = seen[key] = len(seen)
            pending.append(sketcher.cut(text, tokens))
            if len(pending) >= cfg.batch_size:
                signatures.add(sketcher.sign(pending))
                pending = []
        ids.append(pair_id)
        ranks.append(rank)
        rows.append(row)
    if pending:
        signatures.add(sketcher.sign(pending))
    del seen  # the biggest Python object here: gone before the banding's temporaries
    sig = signatures.stack()
    id_array = np.array(ids, dtype=np.int64)
    _check_unique(id_array)
    bands, band_rows = sketcher.bands
    first, other = _candidate_pairs(sig, bands, band_rows)
    verified = _estimate(sig, first, other) >= cfg.threshold - 1e-9
    row_components = _union_find(len(sig), first[verified], other[verified])
    row_array = np.array(rows, dtype=np.int64)
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
        ranks=np.array(ranks, dtype=np.int64),
        rows=row_array,
        components=row_components[row_array],
        signatures=sig,
        stats=stats,
    )


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


def cluster_members(groups: DuplicateGroups) -> tuple[DupCluster, ...]:
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


def shingle_hashes(text: str, config: DedupeConfig | None = None) -> list[int]:
    """The 32-bit shingle hashes a text is sketched from (for checks and explanations)."""
    sketcher = _Sketcher(config or DedupeConfig(), load_datasketch=False)
    return sorted(set(sketcher.shingles(text).tolist()))


# -- sketching --------------------------------------------------------------------------------


_Cut = list[int] | str  # a long text's word hashes, or a short text's normalized form


class _Sketcher:
    """Turns batches of texts into MinHash signatures (one uint32 row each)."""

    def __init__(self, config: DedupeConfig, load_datasketch: bool = True) -> None:
        self.config = config
        self._tokens: dict[str, int] = {}  # word as found -> hash of its folded form
        self.bands = (0, 0)
        if load_datasketch:
            self._load_datasketch()

    def _load_datasketch(self) -> None:
        # Imported here: datasketch pulls in scipy (about 0.7 s), needed only to dedupe.
        from datasketch import MinHash, MinHashLSH

        cfg = self.config
        perm_a, perm_b = MinHash(num_perm=cfg.num_perm, seed=cfg.seed).permutations
        self._a = np.asarray(perm_a, dtype=np.uint32)
        self._b = np.asarray(perm_b, dtype=np.uint32)
        weights = (1.0 - cfg.recall_weight, cfg.recall_weight)
        lsh = MinHashLSH(threshold=cfg.threshold, num_perm=cfg.num_perm, weights=weights)
        self.bands = (int(lsh.b), int(lsh.r))

    def tokens(self, text: str) -> list[int]:
        """64-bit hashes of the text's normalized words, in order."""
        words = _words(text)
        hashes = list(map(self._tokens.get, words))  # map: the dict lookups stay in C
        if None in hashes:
            hashes = [
                self._learn(w) if h is None else h for w, h in zip(words, hashes, strict=True)
            ]
        return hashes  # type: ignore[return-value]

    def _learn(self, word: str) -> int:
        # Each distinct word is folded and hashed once; later texts find it in the dict.
        value = _token_hash(_fold(word) if self.config.fold_accents else word)
        self._tokens[word] = value
        return value

    def cut(self, text: str, tokens: list[int]) -> _Cut:
        """What a text is sketched from: its word hashes, or if short its normalized form."""
        if len(tokens) >= self.config.short_words:
            return tokens
        return normalize_text(text, self.config.fold_accents)

    def sign(self, cuts: Sequence[_Cut]) -> np.ndarray:
        """MinHash signatures, shape (len(cuts), num_perm)."""
        out = np.empty((len(cuts), self.config.num_perm), dtype=np.uint32)
        long = [i for i, c in enumerate(cuts) if not isinstance(c, str)]
        short = [i for i, c in enumerate(cuts) if isinstance(c, str)]
        if long:
            flat, counts = self._word_shingles([cuts[i] for i in long])  # type: ignore[misc]
            out[long] = _minhash(flat, counts, self._a, self._b)
        if short:
            flat, counts = self._char_shingles([cuts[i] for i in short])  # type: ignore[misc]
            out[short] = _minhash(flat, counts, self._a, self._b)
        if len(self._tokens) > _MAX_CACHED_TOKENS:
            self._tokens.clear()
        return out

    def shingles(self, text: str) -> np.ndarray:
        """One text's shingle hashes (uint32), as :meth:`sign` cuts them."""
        cut = self.cut(text, self.tokens(text))
        if isinstance(cut, str):
            return self._char_shingles([cut])[0]
        return self._word_shingles([cut])[0]

    def _word_shingles(self, texts: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        k = self.config.shingle_words
        counts = np.array([len(t) for t in texts], dtype=np.int64)
        total = int(counts.sum())
        tokens = np.fromiter(chain.from_iterable(texts), dtype=np.uint64, count=total)
        span = tokens.size - k + 1
        mixed = tokens[:span].copy()
        for j in range(1, k):  # fold the next word into each position's running hash
            mixed = _mix64(mixed * _SHINGLE_MULTIPLIER + tokens[j : j + span])
        # A shingle is valid when all its k words lie in one text.
        starts = np.cumsum(counts) - counts
        owner = np.repeat(np.arange(len(texts)), counts)[:span]
        valid = np.arange(span) - starts[owner] <= counts[owner] - k
        return (mixed[valid] >> np.uint64(32)).astype(np.uint32), counts - k + 1

    def _char_shingles(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        n = self.config.char_ngram
        grams = [[t[i : i + n] for i in range(len(t) - n + 1)] or [t] for t in texts]
        counts = np.array([len(g) for g in grams], dtype=np.int64)
        flat = list(chain.from_iterable(grams))
        hashes = list(map(self._tokens.get, flat))
        if None in hashes:
            hashes = [self._learn(g) if h is None else h for g, h in zip(flat, hashes, strict=True)]
        values = np.array(hashes, dtype=np.uint64)
        return (values >> np.uint64(32)).astype(np.uint32), counts


def _minhash(
    flat: np.ndarray, counts: np.ndarray, perm_a: np.ndarray, perm_b: np.ndarray
) -> np.ndarray:
    """datasketch's affine32 MinHash of each text's shingles: min of a * fmix32(h) + b."""
    out = np.full((len(counts), len(perm_a)), np.iinfo(np.uint32).max, dtype=np.uint32)
    ends = np.cumsum(counts)
    starts = ends - counts
    mixed = _fmix32(flat)
    step = max(1, _CHUNK_ELEMENTS // len(perm_a))
    # Slices of shingles, not of texts, so that one huge text cannot blow the memory cap.
    for lo in range(0, mixed.size, step):
        hi = min(lo + step, mixed.size)
        first = int(np.searchsorted(ends, lo, side="right"))
        last = int(np.searchsorted(starts, hi, side="left"))
        local = np.maximum(starts[first:last], lo) - lo
        permuted = np.multiply.outer(mixed[lo:hi], perm_a)  # uint32: wraps, i.e. mod 2**32
        permuted += perm_b
        view = out[first:last]
        np.minimum(view, np.minimum.reduceat(permuted, local, axis=0), out=view)
    return out


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, the pre-mix of datasketch's affine32 scheme."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: spreads a folded shingle over all 64 bits."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _token_hash(token: str) -> int:
    # surrogatepass: text decoded with errors="surrogateescape" upstream must still hash.
    data = token.encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


class _SignatureStore:
    """Signature batches as they come, stacked once at the end without holding two copies."""

    def __init__(self, num_perm: int) -> None:
        self.num_perm = num_perm
        self._chunks: list[np.ndarray] = []

    def add(self, chunk: np.ndarray) -> None:
        self._chunks.append(chunk)

    def stack(self) -> np.ndarray:
        total = sum(len(c) for c in self._chunks)
        out = np.empty((total, self.num_perm), dtype=np.uint32)
        at = 0
        while self._chunks:
            chunk = self._chunks.pop(0)
            out[at : at + len(chunk)] = chunk
            at += len(chunk)
        return out


def _check_unique(ids: np.ndarray) -> None:
    values, counts = np.unique(ids, return_counts=True)
    if values.size != ids.size:
        twice = values[counts > 1][:3].tolist()
        raise DedupeError(f"pair ids must be unique; given more than once: {twice}")


# -- candidates, verification, union-find -------------------------------------------------------


def _candidate_pairs(sig: np.ndarray, bands: int, band_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """(first, other) row pairs sharing an LSH bucket: each bucket's rows linked to its first."""
    n = len(sig)
    found: list[np.ndarray] = []
    for band in range(bands):
        key = np.zeros(n, dtype=np.uint64)
        for col in range(band * band_rows, (band + 1) * band_rows):
            key = key * _BAND_MULTIPLIER + sig[:, col]
        order = np.argsort(key, kind="stable")  # stable: a bucket's first row is its lowest
        sorted_keys = key[order]
        head = np.ones(n, dtype=bool)
        head[1:] = sorted_keys[1:] != sorted_keys[:-1]
        bucket_first = order[np.flatnonzero(head)][np.cumsum(head) - 1]
        found.append(bucket_first[~head] * n + order[~head])
    if not found:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    # Rows that share one bucket usually share several: count each pair once.
    pairs = np.unique(np.concatenate(found))
    return pairs // n, pairs % n


def _estimate(sig: np.ndarray, rows_a: np.ndarray, rows_b: np.ndarray) -> np.ndarray:
    """Share of equal MinHash values per pair of rows: the Jaccard estimate."""
    out = np.empty(len(rows_a))
    for lo in range(0, len(rows_a), _VERIFY_CHUNK):
        hi = lo + _VERIFY_CHUNK
        equal = sig[rows_a[lo:hi]] == sig[rows_b[lo:hi]]
        out[lo:hi] = equal.mean(axis=1)
    return out


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


def ranked_components(groups: DuplicateGroups) -> tuple[np.ndarray, np.ndarray]:
    """Item positions of the components of two or more items, component by component, best
    (highest rank, then lowest id) first in each; and the position where each one starts."""
    comp = groups.components
    sizes = np.bincount(comp, minlength=len(groups.signatures))
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
