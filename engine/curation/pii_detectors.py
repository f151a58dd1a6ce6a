"""Detectors of personal data: each finds one kind of value in a text.

A detector is a small object with a registry ``name``, the ``kind`` of its findings and
``find(text) -> list[PIIFinding]``; it may also offer ``normalize(value)``, the form under
which equal values share one placeholder. Regexes here only propose candidates: check digits
(CPF, CNPJ), Luhn (cards), the Brazilian area-code table and the ``ipaddress`` module decide.
That is what keeps prices, dates, times, years, version numbers and contract numbers out.

Every regex is compiled once at import. Each detector first asks a cheap question of the text
(a digit count, an ``@``, a known prefix) so that the common message, which holds no personal
data, costs little more than a couple of substring searches.
"""

from __future__ import annotations

import ipaddress
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
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


# --------------------------------------------------------------------------- e-mail

# The lookbehind keeps the regex from restarting inside a long local part (linear time).
_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w-]|\.\w)"
)


def email_detector() -> RegexDetector:
    """E-mail addresses (ASCII, the form people type in chats)."""
    return RegexDetector("email", "email", _EMAIL, hint="@")


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


# Boundaries refuse a neighbouring digit, word character or number punctuation, so that a
# CPF is never cut out of a longer number, a date or a contract code like "LF-12345678909".
_NUM_BEFORE = r"(?<![\w./-])"
_NUM_AFTER = r"(?![\w]|[./-][0-9])"
_CPF = re.compile(_NUM_BEFORE + r"\d{3}(?:\.?\d{3}){2}[-.]?\d{2}" + _NUM_AFTER, re.ASCII)
_CNPJ = re.compile(_NUM_BEFORE + r"\d{2}\.?\d{3}\.?\d{3}/?\d{4}-?\d{2}" + _NUM_AFTER, re.ASCII)


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


# --------------------------------------------------------------------------- phones

# Brazilian area codes (DDD) in use; a 10- or 11-digit number whose first two digits are not
# one of these is not a Brazilian phone (CPFs, protocol numbers, years).
_DDD_NUMBERS = (
    *range(11, 20), 21, 22, 24, 27, 28, *range(31, 36), 37, 38, *range(41, 50), 51,
    *range(53, 56), *range(61, 70), 71, *range(73, 76), 77, 79, *range(81, 90),
    *range(91, 100),
)  # fmt: skip
BRAZIL_DDD = frozenset(str(n) for n in _DDD_NUMBERS)
_SEP = r"[ \u00a0\u202f.-]"  # people (and WhatsApp) put spaces, no-break spaces, dots, dashes
_PHONE_BEFORE = r"(?<![\w+/])(?<![0-9][.,])"  # not inside a word, a number, a price or a date
_PHONE_AFTER = r"(?![\w]|[.,/:-]?[0-9])"
_BR_PHONE = re.compile(
    _PHONE_BEFORE + r"(?:"
    r"(?:\+[ \u00a0]?55" + _SEP + r"?)?"  # country code
    r"(?:\([ ]?0?(?P<ddd1>\d{2})[ ]?\)|0?(?P<ddd2>\d{2}))" + _SEP + r"?"  # area code
    r"(?P<num>9[ \u00a0.]?\d{4}" + _SEP + r"?\d{4}|[2-5]\d{3}" + _SEP + r"?\d{4})"
    r"|(?P<local>9\d{4}-\d{4})"  # a mobile without area code, only with its dash
    r"|(?P<free>0[3589]00" + _SEP + r"?\d{3}" + _SEP + r"?\d{4})"  # 0800 and friends
    r")" + _PHONE_AFTER,
    re.ASCII,
)
# E.164-ish: "+" and a country code, then groups that each follow a separator (mandatory
# separators keep the regex from trying every way to cut a digit run), or all digits bare.
_INTL_PHONE = re.compile(
    r"(?<![\w+/])\+[1-9]\d{0,2}"
    r"(?:(?:" + _SEP + r"\(?|\()\d{1,5}\)?){1,6}"
    r"(?![\w]|[.,/:-]?[0-9])"
    r"|(?<![\w+/])\+[1-9]\d{7,14}(?![\w]|[.,/:-]?[0-9])",
    re.ASCII,
)
_TOLL_FREE = re.compile(r"0[3589]00")


def _brazil_match_ok(match: re.Match[str]) -> bool:
    if match.group("local") or match.group("free"):
        return True
    ddd = match.group("ddd1") or match.group("ddd2")
    if ddd not in BRAZIL_DDD:
        return False
    value = match.group(0)
    # ten bare digits are too often something else (ids, amounts); a bare mobile has eleven
    return not (value.isdigit() and len(value) == 10)


def normalize_phone(value: str) -> str:
    """A phone's digits in national form: no +55 country code, no leading trunk 0.

    So "+55 48 99123-4567", "(048) 99123-4567" and "48991234567" share one placeholder.
    """
    d = digits_of(value)
    if d.startswith("55") and (value.lstrip().startswith("+") or len(d) in (12, 13)):
        d = d[2:]
    if d.startswith("0") and len(d) in (11, 12) and not _TOLL_FREE.match(d):
        d = d[1:]
    return d


class PhoneDetector:
    """Phone numbers: Brazilian formats and international ones written with "+"."""

    name = "phone"
    kind = "phone"

    def find(self, text: str) -> list[PIIFinding]:
        """Phone numbers in ``text`` (possibly overlapping each other; scan() resolves)."""
        if not has_digits(text, MIN_DIGITS):
            return []
        out = [
            PIIFinding(self.kind, m.start(), m.end(), m.group(0))
            for m in _BR_PHONE.finditer(text)
            if _brazil_match_ok(m)
        ]
        if "+" in text:
            for m in _INTL_PHONE.finditer(text):
                value = m.group(0)
                if _intl_ok(value):
                    out.append(PIIFinding(self.kind, m.start(), m.end(), value))
        return out

    def normalize(self, value: str) -> str:
        """National digits (see normalize_phone)."""
        return normalize_phone(value)


def _intl_ok(value: str) -> bool:
    # E.164 allows at most 15 digits; fewer than 8 is a short code or not a phone at all
    return 8 <= len(digits_of(value)) <= 15 and value.count("(") == value.count(")")


# --------------------------------------------------------------------------- CEP

_CEP = re.compile(_NUM_BEFORE + r"\d{2}\.?\d{3}-\d{3}" + _NUM_AFTER, re.ASCII)


def cep_detector() -> RegexDetector:
    """Brazilian postal codes (88010-000, 88.010-000): the precise part of an address."""
    return RegexDetector("cep", "cep", _CEP, min_digits=MIN_DIGITS)


# --------------------------------------------------------------------------- IP addresses

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
# four dotted octets, never a fifth one: "1.2.3" and "1.2.3.4.5" are versions, not addresses
_IPV4 = re.compile(r"(?<![\w.])" + _OCTET + r"(?:\." + _OCTET + r"){3}(?![\w]|\.[0-9])", re.ASCII)
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}"
    r"(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?(?:%[0-9A-Za-z]+)?"
    r"(?![\w:]|\.\w)",
    re.ASCII,
)


@dataclass(frozen=True)
class IPDetector:
    """IPv4 or IPv6 addresses, validated by ``ipaddress``.

    Private, loopback, link-local and documentation ranges are skipped unless
    ``include_private``: "192.168.0.1" in a support chat is the router's admin page, a fact
    the assistant should learn, not anyone's personal data.
    """

    name: str
    version: int
    include_private: bool = False
    kind: str = "ip"

    def find(self, text: str) -> list[PIIFinding]:
        """Addresses in ``text`` of this detector's IP version."""
        if self.version == 4:
            if text.count(".") < 3:
                return []
            pattern = _IPV4
        else:
            if text.count(":") < 2:
                return []
            pattern = _IPV6
        out = []
        for match in pattern.finditer(text):
            address = _parse_ip(match.group(0))
            if address is not None and (self.include_private or address.is_global):
                out.append(PIIFinding(self.kind, match.start(), match.end(), match.group(0)))
        return out

    def normalize(self, value: str) -> str:
        """The canonical (compressed, lowercase) form of the address."""
        address = _parse_ip(value)
        return address.compressed if address is not None else value.casefold()


def _parse_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        return None


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


# --------------------------------------------------------------------------- names

_PARTICLES = frozenset((
    "da", "de", "do", "das", "dos", "e", "del", "della", "der", "den", "di", "du", "la", "le",
    "van", "von", "y", "bin", "ibn", "al", "el",
))  # fmt: skip
_APOSTROPHES = "'’`´"


def fold(text: str) -> str:
    """``text`` without accents (NFKD, combining marks dropped)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _letter_variants() -> dict[str, str]:
    """For each ASCII letter, a regex class of it and its accented Latin forms."""
    variants: dict[str, set[str]] = {c: {c, c.upper()} for c in "abcdefghijklmnopqrstuvwxyz"}
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = fold(char).lower()
        if len(base) == 1 and base in variants:
            variants[base].update({char, char.lower(), char.upper()})
    return {base: "[" + "".join(sorted(chars)) + "]" for base, chars in variants.items()}


_LETTERS = _letter_variants()
_COMBINING = "[\u0300-\u036f]*"  # text typed in decomposed form: "a" + U+0301


def _name_regex(name: str) -> str:
    parts = []
    for char in fold(name).lower():
        if char.isspace():
            parts.append(r"[\s\u00a0]+")
        elif char in _APOSTROPHES:
            parts.append("['’`´]?")
        elif char == "-":
            parts.append(r"[-\s]?")
        elif char in _LETTERS:
            parts.append(_LETTERS[char] + _COMBINING)
        else:
            parts.append(re.escape(char))
    return "".join(parts)


def name_key(name: str) -> str:
    """A name's comparison form: no accents, casefolded, one space, one kind of apostrophe."""
    folded = fold(name).casefold()
    for mark in _APOSTROPHES:
        folded = folded.replace(mark, "'")
    return " ".join(folded.replace("-", " ").split())


def _variants(full: str, first_names: bool) -> list[str]:
    """The ways one person is named: the full name, first + last, and the first name."""
    tokens = full.split()
    out = [full]
    if len(tokens) > 2:
        out.append(f"{tokens[0]} {tokens[-1]}")
    if first_names and len(tokens) > 1 and tokens[0].casefold() not in _PARTICLES:
        out.append(tokens[0])
    return [v for v in out if len(name_key(v)) >= 2]


class NameDetector:
    """The given people's names as whole words, ignoring case and accents.

    Built per conversation from its speakers' names: "Fábio Becker" matches "Fábio Becker",
    "fabio becker" and "Fabio", never the "fabio" inside "Fabiola". A first name shared by
    two people is still found, but keeps its own placeholder instead of either full name's.
    """

    kind = "name"

    def __init__(self, names: Iterable[str], *, first_names: bool = True, name: str = "name"):
        self.name = name
        self._canonical: dict[str, str] = {}
        ambiguous: set[str] = set()
        variants: set[str] = set()
        for full in names:
            full = " ".join(full.split())
            if len(name_key(full)) < 2:
                continue
            for variant in _variants(full, first_names):
                key, target = name_key(variant), name_key(full)
                if self._canonical.setdefault(key, target) != target:
                    ambiguous.add(key)
                variants.add(variant)
        for key in ambiguous:
            self._canonical[key] = key
        alternatives = sorted({_name_regex(v) for v in variants}, key=len, reverse=True)
        self._regex = (
            re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)
            if alternatives
            else None
        )

    def find(self, text: str) -> list[PIIFinding]:
        """Occurrences of the names in ``text``."""
        if self._regex is None:
            return []
        return [
            PIIFinding(self.kind, m.start(), m.end(), m.group(0))
            for m in self._regex.finditer(text)
        ]

    def normalize(self, value: str) -> str:
        """The full name a variant stands for (so "Fábio" and "Fabio Becker" share one)."""
        key = name_key(value)
        return self._canonical.get(key, key)


_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]|\{[^}]*\}|<[^>]*>")
_CUT = re.compile(r"\s[-|/·•–—]\s|[|,@]")  # "Bruno - Lumiar Suporte", "Carla | Lumiar"


def person_names(speakers: Iterable[str]) -> list[str]:
    """Names of people from speakers' display names, for a NameDetector.

    "Aline (cliente)" gives "Aline", "Bruno - Lumiar Suporte" gives "Bruno", "henrik.bennett"
    gives "henrik bennett"; a phone number or a name without letters gives nothing (the phone
    detector covers numbers). Leave out what should stay, like a company's own account name.
    """
    out: list[str] = []
    for speaker in speakers:
        name = _CUT.split(_BRACKETS.sub(" ", speaker))[0]
        if " " not in name.strip():
            name = re.sub(r"(?<=[^\W\d_])[._](?=[^\W\d_])", " ", name)  # user.name handles
        words = [w for w in name.split() if any(c.isalpha() for c in w)]
        words = [w for w in words if not any(c.isdigit() for c in w)]
        cleaned = " ".join(words)
        if len(name_key(cleaned)) >= 2 and cleaned not in out:
            out.append(cleaned)
    return out


# Someone saying who they are. Only phrasings that are followed by a name: "this is" and
# "I'm" lead as often into "Lumiar 300" or "Brazilian", and a wrong name would be scrubbed
# wherever it is written in that conversation. The name must be capitalized, and its words
# are joined by spaces only, so that a name at the end of a line does not run into the next.
_INTRO = re.compile(
    r"(?<!\w)(?:aqui (?:quem fala )?é|meu nome é|me chamo|my name is|my name's)"
    r"[ \t]+(?:[ao][ \t]+)?([^\W\d_][\w'’-]*(?:[ \t]+[^\W\d_][\w'’-]*){0,4})",
    re.IGNORECASE,
)
_TITLES = frozenset(("dona", "dom", "seu", "sr", "sra", "dr", "dra", "mr", "mrs", "ms", "miss"))


def introduced_names(texts: Iterable[str], allow: Iterable[str] = ()) -> list[str]:
    """Names people give for themselves in ``texts`` ("aqui é Alexandre", "meu nome é Fábio
    Becker", "my name is Tom O'Brien"), for a NameDetector beside ``person_names``.

    A customer writing from a number not saved in the phone has a number for a display name,
    so only what they write says who they are. The name is the capitalized words after the
    phrase, with particles between them ("João da Silva"); a name inside a value of ``allow``
    (the company's own, "Aqui é a Lumiar Fibra") is left out.
    """
    allowed = [name_key(a) for a in allow]
    out: list[str] = []
    for text in texts:
        for m in _INTRO.finditer(text):
            words: list[str] = []
            for word in m.group(1).split():
                if not (word[0].isupper() or (words and word.casefold() in _PARTICLES)):
                    break
                words.append(word)
            while words and words[-1].casefold() in _PARTICLES:
                words.pop()
            while words and words[0].casefold() in _TITLES:  # "Dona Maria", "Sr" of "Sr. João"
                words.pop(0)
            name = " ".join(words)
            key = name_key(name)
            if len(key) < 2 or any(f" {key} " in f" {a} " for a in allowed):
                continue
            if name not in out:
                out.append(name)
    return out
