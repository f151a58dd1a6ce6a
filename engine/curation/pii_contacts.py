"""Detectors of contact data: e-mail addresses, phone numbers, Brazilian postal codes (CEP)
and public IP addresses.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from afina.engine.curation.pii_detectors import (
    MIN_DIGITS,
    NUM_AFTER,
    NUM_BEFORE,
    RegexDetector,
    digits_of,
    has_digits,
)
from afina.engine.types import PIIFinding

# --------------------------------------------------------------------------- e-mail

# The lookbehind keeps the regex from restarting inside a long local part (linear time).
_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w-]|\.\w)"
)


def email_detector() -> RegexDetector:
    """E-mail addresses (ASCII, the form people type in chats)."""
    return RegexDetector("email", "email", _EMAIL, hint="@", normalizer=normalize_email)


def normalize_email(value: str) -> str:
    """An address as typed, casefolded: "maria at gmail dot com" -> "maria@gmail.com", so the
    spelled and the plain form of one address share a placeholder."""
    m = None if "@" in value else _SPELLED_EMAIL.fullmatch(value)
    if m is None:
        return " ".join(value.casefold().split())
    return f"{m.group('local')}@{_DOTS.sub('.', m.group('domain'))}".casefold()


# Addresses spelled out to dodge scrapers: "maria.souza at gmail dot com", "maria [at] gmail
# [dot] com", "maria arroba gmail ponto com". The "at" word must stand alone or in brackets,
# and the address must end in a common top-level domain, so that "look at this dot" is not one.
_WORD_AT = r"(?:[ \t]*[\[({<][ \t]*(?:at|arroba|@)[ \t]*[\])}>][ \t]*|[ \t]+(?:at|arroba)[ \t]+)"
_WORD_DOT = (
    r"(?:[ \t]*[\[({<][ \t]*(?:dot|ponto|\.)[ \t]*[\])}>][ \t]*|[ \t]+(?:dot|ponto)[ \t]+|\.)"
)
_TLDS = (
    "com|net|org|edu|gov|mil|int|info|biz|io|co|me|app|dev|br|pt|us|uk|de|es|fr|it|nl|ar|mx|"
    "cl|uy|py|ca|au|jp|cn|in|ru|ch|se|no|dk|fi|ie|be|at|pl"
)
_SPELLED_EMAIL = re.compile(
    r"(?<![\w.%+-])(?P<local>[A-Za-z0-9][A-Za-z0-9._%+-]*)"
    + _WORD_AT
    + r"(?P<domain>[A-Za-z0-9][A-Za-z0-9-]*(?:"
    + _WORD_DOT
    + r"[A-Za-z0-9][A-Za-z0-9-]*)*"
    + _WORD_DOT
    + r"(?:"
    + _TLDS
    + r"))(?![\w-])",
    re.IGNORECASE,
)
# A bare " at " before a dotted domain is English for a place ("order online at shop.com.br"):
# that form counts only when a dot is spelled out too.
_BARE_AT = re.compile(r"[ \t]+at[ \t]+", re.IGNORECASE)
_SPELLED_DOT = re.compile(r"(?:^|[\s\[({<])(?:dot|ponto)(?:$|[\s\])}>])", re.IGNORECASE)
_DOTS = re.compile(_WORD_DOT, re.IGNORECASE)
_AT_WORD = re.compile(r"[\s\[({<](?:at|arroba|@)[\s\])}>]", re.IGNORECASE)


class SpelledEmailDetector:
    """E-mail addresses written with words for "@" and "." (see ``_SPELLED_EMAIL``); each
    shares its placeholder with the same address written plainly."""

    name = "email-spelled"
    kind = "email"

    def find(self, text: str) -> list[PIIFinding]:
        """Spelled-out addresses in ``text``."""
        if _AT_WORD.search(text) is None:
            return []
        out = []
        for m in _SPELLED_EMAIL.finditer(text):
            bare_at = _BARE_AT.match(text, m.end("local")) is not None
            if bare_at and _SPELLED_DOT.search(m.group("domain")) is None:
                continue
            out.append(PIIFinding(self.kind, m.start(), m.end(), m.group(0)))
        return out

    def normalize(self, value: str) -> str:
        """The address as it would be typed (see ``normalize_email``)."""
        return normalize_email(value)


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

_CEP = re.compile(NUM_BEFORE + r"\d{2}\.?\d{3}-\d{3}" + NUM_AFTER, re.ASCII)


# Eight bare digits are a CEP only where an address is being given: they are as often an
# order number or a date (20240115). The cue must come shortly before the number.
_BARE_CEP = re.compile(
    r"(?i:\bcep\b|\bc\.e\.p\b|endere[cç]o|\brua\b|\bav(?:enida)?\b\.?|\bbairro\b|\bmor[oa]\b)"
    r"[^\n]{0,40}?" + NUM_BEFORE + r"(?P<cep>\d{8})" + NUM_AFTER,
    re.ASCII,
)


_EIGHT_DIGITS = re.compile(r"(?<!\d)\d{8}(?!\d)")


class CEPDetector:
    """Brazilian postal codes (88010-000, 88.010-000, and 88010000 after an address cue such
    as "CEP" or "rua"): the precise part of an address."""

    name = "cep"
    kind = "cep"

    def find(self, text: str) -> list[PIIFinding]:
        """Punctuated CEPs anywhere, bare ones after an address cue."""
        if not has_digits(text, MIN_DIGITS):
            return []
        out = [PIIFinding(self.kind, m.start(), m.end(), m.group(0)) for m in _CEP.finditer(text)]
        if _EIGHT_DIGITS.search(text) is None:
            return out
        for m in _BARE_CEP.finditer(text):
            out.append(PIIFinding(self.kind, m.start("cep"), m.end("cep"), m.group("cep")))
        return out

    def normalize(self, value: str) -> str:
        """Digits only."""
        return digits_of(value)


def cep_detector() -> CEPDetector:
    """The CEP detector (kept as a function: plugins and tests build it this way)."""
    return CEPDetector()


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
