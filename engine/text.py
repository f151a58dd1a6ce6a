"""Unicode normalisation of stored text.

It sits on the engine's lowest floor because the store normalises every turn it writes, and
the store must not reach up into ``ingest``, the floor above it that reads files.
"""

from __future__ import annotations

import unicodedata


def nfc(text: str) -> str:
    """Unicode NFC, skipping the work for text that already is (nearly all of it)."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)
