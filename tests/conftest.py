"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import CHATLOGS


@pytest.fixture
def chatlogs() -> Path:
    if not CHATLOGS.is_dir():
        pytest.skip(f"real chat logs not found at {CHATLOGS}")
    return CHATLOGS
