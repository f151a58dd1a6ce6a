"""The contract of a personal-data detector, and the pieces detectors share.

A detector is a small object with a registry ``name``, the ``kind`` of its findings and
``find(text) -> list[PIIFinding]``; it may also offer ``normalize(value)``, the form under
which equal values share one placeholder. Regexes only propose candidates: check digits
(CPF, CNPJ), Luhn (cards), the Brazilian area-code table and the ``ipaddress`` module decide.
That is what keeps prices, dates, times, years, version numbers and contract numbers out.

Every regex is compiled once at import. Each detector first asks a cheap question of the text
(a digit count, an ``@``, a known prefix) so that the common message, which holds no personal
data, costs little more than a couple of substring searches.

The detectors themselves: :mod:`pii_identifiers` (documents, cards and secrets, which carry
check digits or known shapes), :mod:`pii_contacts` (e-mails, phones, postal codes, IP
addresses) and :mod:`pii_names` (people's names); :mod:`pii` keeps them in a registry.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol, runtime_checkable

from afina.engine.types import PIIFinding


@runtime_checkable
class Detector(Protocol):
    """What scan() and the Pseudonymizer need of a detector."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    def find(self, text: str) -> list[PIIFinding]: ...


# Kinds whose values are numbers however they are punctuated: "(48) 99123-4567" and
# "48991234567" are one phone, so they get one placeholder.
NUMERIC_KINDS = frozenset({"phone", "cpf", "cnpj", "card", "cep"})
_NON_DIGITS = re.compile(r"[^0-9]+")


def digits_of(value: str) -> str:
    """The ASCII digits of ``value``, in order."""
    return _NON_DIGITS.sub("", value)


def normalize_value(kind: str, value: str) -> str:
    """The default comparison form of a value: digits for numbers, casefolded otherwise.

    Secrets keep their case: two tokens differing only in case are different tokens.
    """
    if kind in NUMERIC_KINDS:
        return digits_of(value)
    if kind == "secret":
        return value.strip()
    return " ".join(value.casefold().split())


@lru_cache(maxsize=4)
def digit_count(text: str) -> int:
    """How many ASCII digits ``text`` holds.

    Cached for the last few texts, since scan() asks once per digit-based detector; ten
    C-level ``str.count`` calls beat any per-character Python loop.
    """
    return sum(map(text.count, "0123456789"))


def has_digits(text: str, count: int) -> bool:
    """Whether ``text`` holds at least ``count`` ASCII digits."""
    return digit_count(text) >= count


# Every number-shaped detector needs at least this many digits (a CEP has 8, a local mobile 9).
MIN_DIGITS = 8


# Boundaries refuse a neighbouring digit, word character or number punctuation, so that a
# CPF is never cut out of a longer number, a date or a contract code like "LF-12345678909".
NUM_BEFORE = r"(?<![\w./-])"
NUM_AFTER = r"(?![\w]|[./-][0-9])"


# --------------------------------------------------------------------------- generic regex


@dataclass(frozen=True)
class RegexDetector:
    """A detector from a regex, an optional validator and an optional prefilter.

    ``group`` picks the part of the match that is the value (e.g. the token after "Bearer ").
    ``hint`` is a substring that must occur in the text for the regex to be worth running.
    This is also the way to plug in a domain's own identifiers (contract numbers, passports).
    """

    name: str
    kind: str
    pattern: re.Pattern[str]
    validate: Callable[[str], bool] | None = None
    group: int | str = 0
    min_digits: int = 0
    hint: str = ""
    min_length: int = 0
    normalizer: Callable[[str], str] | None = None

    def find(self, text: str) -> list[PIIFinding]:
        """Validated matches of the pattern in ``text``."""
        if len(text) < self.min_length or (self.hint and self.hint not in text):
            return []
        if self.min_digits and not has_digits(text, self.min_digits):
            return []
        out = []
        for match in self.pattern.finditer(text):
            value = match.group(self.group)
            if value and (self.validate is None or self.validate(value)):
                start, end = match.span(self.group)
                out.append(PIIFinding(self.kind, start, end, value))
        return out

    def normalize(self, value: str) -> str:
        """The form under which equal values share a placeholder."""
        return self.normalizer(value) if self.normalizer else normalize_value(self.kind, value)
