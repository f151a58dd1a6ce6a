"""Detectors of identifiers: CPF and CNPJ (mod-11 check digits), payment cards (Luhn), IBANs
(mod-97), and API keys and tokens (known shapes, or long runs that look random).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

from afina.engine.curation.pii_detectors import (
    NUM_AFTER,
    NUM_BEFORE,
    RegexDetector,
    digits_of,
    has_digits,
)
from afina.engine.types import PIIFinding

# --------------------------------------------------------------------------- CPF and CNPJ


def _mod11(digits: str, weights: Iterable[int]) -> int:
    rest = sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11
    return 0 if rest < 2 else 11 - rest


def cpf_is_valid(value: str) -> bool:
    """Whether ``value`` holds 11 digits with correct CPF check digits (mod 11)."""
    d = digits_of(value)
    if len(d) != 11 or len(set(d)) == 1:  # 111.111.111-11 passes the sums but is no CPF
        return False
    first = _mod11(d[:9], range(10, 1, -1))
    second = _mod11(d[:9] + str(first), range(11, 1, -1))
    return d[9:] == f"{first}{second}"


_CNPJ_W1 = (5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)
_CNPJ_W2 = (6, *_CNPJ_W1)


def cnpj_is_valid(value: str) -> bool:
    """Whether ``value`` holds 14 digits with correct CNPJ check digits (mod 11)."""
    d = digits_of(value)
    if len(d) != 14 or len(set(d)) == 1:
        return False
    first = _mod11(d[:12], _CNPJ_W1)
    second = _mod11(d[:12] + str(first), _CNPJ_W2)
    return d[12:] == f"{first}{second}"


# Groups may be joined by dots, spaces or nothing ("123 456 789 09" is read aloud that way);
# the check digits keep the false matches of a loose shape to about one in a hundred.
_CPF = re.compile(NUM_BEFORE + r"\d{3}(?:[. ]?\d{3}){2}[-. ]?\d{2}" + NUM_AFTER, re.ASCII)
_CNPJ = re.compile(NUM_BEFORE + r"\d{2}\.?\d{3}\.?\d{3}/?\d{4}-?\d{2}" + NUM_AFTER, re.ASCII)


def cpf_detector() -> RegexDetector:
    """CPF numbers, punctuated (123.456.789-09), half-punctuated or bare, check digits valid."""
    return RegexDetector("cpf", "cpf", _CPF, cpf_is_valid, min_digits=11)


def cnpj_detector() -> RegexDetector:
    """CNPJ numbers (12.345.678/0001-95 or 14 digits), check digits valid."""
    return RegexDetector("cnpj", "cnpj", _CNPJ, cnpj_is_valid, min_digits=14)


# --------------------------------------------------------------------------- cards


def luhn_is_valid(value: str) -> bool:
    """Whether the digits of ``value`` (13 to 19 of them) pass the Luhn check."""
    d = digits_of(value)
    if not 13 <= len(d) <= 19:
        return False
    total = 0
    for i, char in enumerate(reversed(d)):
        n = int(char)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


# Issuers start with 2-6 (Mastercard, Amex, Diners, Visa, Elo, Discover, Hipercard); that
# keeps millisecond timestamps (17...) and zero-padded ids out. Groups are those printed on
# cards: 4-4-4-4(-3), 4-6-5 (Amex), 4-6-4 (Diners), or none.
_CARD = re.compile(
    r"(?<![\w.,-])(?:[2-6]\d{12,18}"
    r"|[2-6]\d{3}([ -])\d{4}\1\d{4}\1\d{1,4}(?:\1\d{3})?"
    r"|[2-6]\d{3}([ -])\d{6}\2\d{4,5})"
    r"(?![\w]|[.,-][0-9])",
    re.ASCII,
)
_TRAILING_GROUP = re.compile(r"[ -]\d{3}$")


class CardDetector:
    """Payment card numbers, 13 to 19 digits in the usual groupings, Luhn-valid."""

    name = "card"
    kind = "card"

    def find(self, text: str) -> list[PIIFinding]:
        """Luhn-valid card numbers in ``text``."""
        if not has_digits(text, 13):
            return []
        out = []
        for match in _CARD.finditer(text):
            value = match.group(0)
            if not luhn_is_valid(value):
                # "4000 0021 0265 8976 123": the regex took the 3 digits after the card too
                value = _TRAILING_GROUP.sub("", value)
                if len(value) == len(match.group(0)) or not luhn_is_valid(value):
                    continue
            out.append(PIIFinding(self.kind, match.start(), match.start() + len(value), value))
        return out

    def normalize(self, value: str) -> str:
        """Digits only."""
        return digits_of(value)


# --------------------------------------------------------------------------- IBAN

# Lengths of IBANs by country (ISO 13616 registry); a country not listed may use 15 to 34.
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "ES": 24,
    "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25,
    "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TN": 24,
    "TR": 26, "UA": 29, "VG": 24, "XK": 20,
}  # fmt: skip
# Two letters, two check digits, then groups of up to four letters or digits, written bare or
# in the printed groups of four. Letters of either case: people type them in lower case too.
_IBAN = re.compile(r"(?<![\w-])[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]{1,4}){3,8}(?![\w-])", re.ASCII)


def iban_is_valid(value: str) -> bool:
    """Whether ``value`` (spaces allowed) is an IBAN: its country's length and mod 97 = 1."""
    compact = value.replace(" ", "").upper()
    country = compact[:2]
    expected = _IBAN_LENGTHS.get(country)
    if (expected and len(compact) != expected) or not 15 <= len(compact) <= 34:
        return False
    if not compact[2:4].isdigit():
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


class IBANDetector:
    """International bank account numbers of any country, checked with their mod-97 digits.

    A match may run on into the next word ("DE89 3704 0044 0532 0130 00 obrigado" reads
    "obri" as a fifth group), so groups are dropped from the end until the number checks.
    """

    name = "iban"
    kind = "iban"

    def find(self, text: str) -> list[PIIFinding]:
        """Valid IBANs in ``text``."""
        if not has_digits(text, 12):
            return []
        out = []
        for match in _IBAN.finditer(text):
            value = match.group(0)
            while value and not iban_is_valid(value):
                cut = value.rfind(" ")
                value = value[:cut] if cut > 4 else ""
            if value:
                out.append(PIIFinding(self.kind, match.start(), match.start() + len(value), value))
        return out

    def normalize(self, value: str) -> str:
        """Upper case without spaces."""
        return value.replace(" ", "").upper()


# --------------------------------------------------------------------------- secrets

# Well-known token shapes. Bearer tokens keep the word "Bearer": only the token is the value.
_SECRET = re.compile(
    r"(?<![\w-])(?:"
    r"sk-(?:proj-|svcacct-|admin-|ant-)?[A-Za-z0-9_-]{20,}"
    r"|(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"
    r"|gh[pousr]_[A-Za-z0-9]{30,}"
    r"|github_pat_[A-Za-z0-9_]{22,}"
    r"|xox[abprse]-[A-Za-z0-9-]{10,}"
    r"|(?:AKIA|ASIA)[A-Z0-9]{16}"
    r"|AIza[0-9A-Za-z_-]{35}"
    r"|glpat-[A-Za-z0-9_-]{20,}"
    r"|hf_[A-Za-z0-9]{30,}"
    r"|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"
    r")(?![\w-])"
    r"|(?i:\bbearer)[ \t]+(?P<bearer>[A-Za-z0-9._~+/-]{16,}=*)(?![\w.~+/=-])"
    r"|-----BEGIN[A-Z ]*PRIVATE KEY-----[\s\S]*?-----END[A-Z ]*PRIVATE KEY-----",
    re.ASCII,
)
# Substrings one of which every secret above contains; checked with `in`, which is far
# cheaper than running a many-branched regex over every message.
_SECRET_HINTS = (
    "sk-", "_live_", "_test_", "hp_", "ho_", "hu_", "hs_", "hr_", "_pat_", "xox", "AKIA",
    "ASIA", "AIza", "glpat-", "hf_", "eyJ", "earer", "EARER", "PRIVATE KEY",
)  # fmt: skip


class SecretDetector:
    """API keys and tokens of well-known shapes: OpenAI, Anthropic, GitHub, Slack, AWS,
    Google, Stripe, GitLab, Hugging Face, JWTs, Bearer tokens and PEM private keys."""

    name = "secret"
    kind = "secret"

    def find(self, text: str) -> list[PIIFinding]:
        """Tokens of known shapes in ``text``."""
        if len(text) < 16 or not any(map(text.__contains__, _SECRET_HINTS)):
            return []
        out = []
        for match in _SECRET.finditer(text):
            group = "bearer" if match.group("bearer") else 0
            start, end = match.span(group)
            out.append(PIIFinding(self.kind, start, end, match.group(group)))
        return out

    def normalize(self, value: str) -> str:
        """Tokens are case-sensitive: kept as they are."""
        return value.strip()


_LONG_RUN = re.compile(r"(?<![\w+/=.:-])[A-Za-z0-9+/_-]{32,}={0,2}(?![\w+/=-])")
_HEX = re.compile(r"[0-9A-Fa-f]+")


def _entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def looks_random(value: str) -> bool:
    """Whether a 32+ character run looks like a key rather than a word, path or slug.

    Hex must mix digits and letters with at least 3 bits per character (random hex has
    about 3.8); base64 must mix upper, lower and digits, carry few separators and at
    least 4 bits per character (random base64 has about 4.5; English well under 4).
    """
    body = value.rstrip("=")
    has_digit = any(c.isdigit() for c in body)
    if _HEX.fullmatch(body):
        return has_digit and any(c.isalpha() for c in body) and _entropy(body) >= 3.0
    separators = sum(body.count(c) for c in "+/_-")
    mixed = has_digit and any(c.isupper() for c in body) and any(c.islower() for c in body)
    return mixed and separators * 10 <= len(body) and _entropy(body) >= 4.0


def entropy_detector() -> RegexDetector:
    """Long high-entropy hex or base64 strings (32+ characters): unknown keys and tokens."""
    return RegexDetector(
        "entropy", "secret", _LONG_RUN, looks_random, min_length=32, normalizer=normalize_secret
    )


def normalize_secret(value: str) -> str:
    """Secrets are compared as they are."""
    return value.strip()
