"""MinHash sketches of pair texts, and the LSH banding that proposes near-duplicate candidates.

Texts are normalized (:func:`normalize_text`) and cut into word shingles, or character
n-grams when short. Sketches are datasketch's "affine32" MinHash (``a * fmix32(h) + b mod
2**32`` with the permutations of ``datasketch.MinHash(num_perm, seed)``), computed with numpy
for a batch of texts at once; candidates are the rows that share a bucket in some band, with
the (bands, rows) that ``datasketch.MinHashLSH`` picks for the threshold. See :mod:`dedupe`
for why it is done this way and what it costs.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

from afina.engine.errors import AfinaError

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


def shingle_hashes(text: str, config: DedupeConfig | None = None) -> list[int]:
    """The 32-bit shingle hashes a text is sketched from (for checks and explanations)."""
    sketcher = Sketcher(config or DedupeConfig(), load_datasketch=False)
    return sorted(set(sketcher.shingles(text).tolist()))


# -- sketching --------------------------------------------------------------------------------


Cut = list[int] | str  # a long text's word hashes, or a short text's normalized form


class Sketcher:
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

    def cut(self, text: str, tokens: list[int]) -> Cut:
        """What a text is sketched from: its word hashes, or if short its normalized form."""
        if len(tokens) >= self.config.short_words:
            return tokens
        return normalize_text(text, self.config.fold_accents)

    def sign(self, cuts: Sequence[Cut]) -> np.ndarray:
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


class SignatureStore:
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


# -- candidates and verification ---------------------------------------------------------------


def candidate_pairs(sig: np.ndarray, bands: int, band_rows: int) -> tuple[np.ndarray, np.ndarray]:
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


def estimate(sig: np.ndarray, rows_a: np.ndarray, rows_b: np.ndarray) -> np.ndarray:
    """Share of equal MinHash values per pair of rows: the Jaccard estimate."""
    out = np.empty(len(rows_a))
    for lo in range(0, len(rows_a), _VERIFY_CHUNK):
        hi = lo + _VERIFY_CHUNK
        equal = sig[rows_a[lo:hi]] == sig[rows_b[lo:hi]]
        out[lo:hi] = equal.mean(axis=1)
    return out
