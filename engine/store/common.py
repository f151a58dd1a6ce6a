"""Small helpers shared by the store's modules."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def hash64(*parts: str) -> int:
    digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8", "surrogatepass"), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def json_or_none(value: object) -> str | None:
    return json.dumps(value, ensure_ascii=False, default=str) if value else None


def like_escaped(text: str) -> str:
    """``text`` matched literally inside a LIKE pattern written with ``ESCAPE '\\'``: a
    person's ``a_b`` or ``100%`` means those characters, not LIKE's wildcards."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
