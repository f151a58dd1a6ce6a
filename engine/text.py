"""Unicode normalisation of text, and the accent-free forms afina compares text in.

It sits on the engine's lowest floor because the store normalises every turn it writes (and
must not reach up into ``ingest``, which reads files), and because curation, the personal-data
scrubber and evaluation all compare "Serviço" and "servico" as the same word.
"""

from __future__ import annotations

import unicodedata


def nfc(text: str) -> str:
    """Unicode NFC, skipping the work for text that already is (nearly all of it)."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def strip_accents(text: str) -> str:
    """``text`` decomposed (NFKD) with its combining marks dropped: "ação" -> "acao"."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Lowercase without accents, so chat text typed with and without them compares equal."""
    return strip_accents(text.casefold())
