"""Personal data: pluggable detectors, a scan that resolves overlaps, and pseudonymization.

A :class:`Pseudonymizer` lives for one conversation and replaces each distinct value with a
stable placeholder (``<EMAIL_1>``, ``<PHONE_2>``, ``<NAME_1>``), numbered by first
appearance, so a fine-tuned model still sees that the same number came back twice without
ever seeing the number. Its ``mapping`` (value -> placeholder) is for the local store only.

Detectors live in :mod:`pii_detectors`; this module keeps them in a registry by name so a
configuration (or a plugin) can choose, add or replace them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from afina.engine.curation.pii_contacts import (
    IPDetector,
    PhoneDetector,
    SpelledEmailDetector,
    cep_detector,
    email_detector,
)
from afina.engine.curation.pii_detectors import Detector, RegexDetector, normalize_value
from afina.engine.curation.pii_identifiers import (
    CardDetector,
    IBANDetector,
    SecretDetector,
    cnpj_detector,
    cpf_detector,
    entropy_detector,
)
from afina.engine.curation.pii_names import (
    NameDetector,
    introduced_names,
    name_key,
    person_names,
)
from afina.engine.curation.pii_people import GivenNameDetector, PeopleDetector
from afina.engine.errors import ConfigError
from afina.engine.types import PIIFinding, StoredTurn

__all__ = [
    "DEFAULT_DETECTORS",
    "Detector",
    "NameDetector",
    "PIIConfigError",
    "PeopleDetector",
    "Pseudonymizer",
    "RegexDetector",
    "conversation_scrubber",
    "default_detectors",
    "get_detector",
    "introduced_names",
    "person_names",
    "placeholder_label",
    "register_detector",
    "registered_detectors",
    "resolve_overlaps",
    "scan",
    "select_detectors",
    "unregister_detector",
]


class PIIConfigError(ConfigError):
    """A detector selection names an unknown detector, or a registration clashes."""


# "name" is not a registered object: it is built per conversation from its speakers' names.
NAME_DETECTOR = "name"

_REGISTRY: dict[str, Detector] = {}


def register_detector(detector: Detector, *, replace: bool = False) -> None:
    """Make ``detector`` selectable by its name (a plugin's way to add a kind of PII)."""
    name = detector.name
    if name == NAME_DETECTOR:
        raise PIIConfigError(
            f"the detector name {name!r} is reserved",
            "the name detector is built from each conversation's speakers",
        )
    if name in _REGISTRY and not replace:
        raise PIIConfigError(
            f"a PII detector named {name!r} is already registered",
            "pass replace=True to replace it",
        )
    _REGISTRY[name] = detector
    _cached_scanner.cache_clear()  # scan() with the default set must see the new one


def unregister_detector(name: str) -> Detector:
    """Remove and return the detector called ``name``."""
    try:
        detector = _REGISTRY.pop(name)
    except KeyError:
        raise _unknown(name) from None
    _cached_scanner.cache_clear()
    return detector


def registered_detectors() -> tuple[str, ...]:
    """Names that select_detectors() accepts, sorted."""
    return tuple(sorted([*_REGISTRY, NAME_DETECTOR]))


def get_detector(name: str) -> Detector:
    """The registered detector called ``name``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise _unknown(name) from None


def _unknown(name: str) -> PIIConfigError:
    return PIIConfigError(
        f"unknown PII detector {name!r}", f"known detectors: {', '.join(registered_detectors())}"
    )


# "given-name" after "name": the first detector of a kind gives that kind's normal form, and
# the conversation's own names know that "Fábio" is short for "Fábio Becker".
DEFAULT_DETECTORS: tuple[str, ...] = (
    "email", "email-spelled", "phone", "cpf", "cnpj", "card", "iban", "ipv4", "ipv6", "secret",
    "entropy", "cep", "name", "given-name",
)  # fmt: skip


def select_detectors(
    names: Iterable[str] | None = None, *, people: Iterable[str] = ()
) -> tuple[Detector, ...]:
    """The detectors called ``names`` (default: DEFAULT_DETECTORS), in that order.

    ``people`` are the names the "name" detector looks for (see ``person_names`` to get them
    from speakers' display names); with none, "name" is left out rather than matching nothing.
    An unknown name raises PIIConfigError listing the known ones.
    """
    chosen: list[Detector] = []
    people = list(people)
    for name in DEFAULT_DETECTORS if names is None else names:
        if name == NAME_DETECTOR:
            if people:
                chosen.append(NameDetector(people))
        else:
            chosen.append(get_detector(name))
    return tuple(chosen)


def default_detectors(people: Iterable[str] = ()) -> tuple[Detector, ...]:
    """The default detector set, with a name detector when ``people`` are given."""
    return select_detectors(None, people=people)


# --------------------------------------------------------------------------- scanning

# Placeholders this module writes. Findings touching one are dropped, which is what makes
# scrubbing idempotent: "<PHONE_1>" is never itself personal data.
PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*_[0-9]+>")

# Among overlapping findings of equal length, the more specific kind wins: values with check
# digits beat values that only have a shape.
_SPECIFICITY = ("secret", "iban", "cnpj", "card", "cpf", "email", "ip", "phone", "cep", "name")
_RANK = {kind: i for i, kind in enumerate(_SPECIFICITY)}


Normalizer = Callable[[str], str]


def _normalizer(detector: Detector) -> Normalizer:
    method = getattr(detector, "normalize", None)
    if callable(method):
        return method
    kind = detector.kind
    return lambda value: normalize_value(kind, value)


@dataclass(frozen=True)
class _Scanner:
    """Detectors with their normalizers and an allow-list, prepared once."""

    detectors: tuple[Detector, ...]
    normalizers: Mapping[str, Normalizer]
    allowed: frozenset[str]
    # allowed values as names: "Clínica Dr. Carlos Almeida" keeps the "Carlos Almeida" in it
    allowed_names: tuple[str, ...] = ()

    @classmethod
    def build(cls, detectors: Iterable[Detector] | None, allow: Iterable[str]) -> _Scanner:
        chosen = tuple(default_detectors() if detectors is None else detectors)
        normalizers: dict[str, Normalizer] = {}
        for detector in chosen:
            normalizers.setdefault(detector.kind, _normalizer(detector))
        # an allowed value is compared in every kind's normal form, so "(48) 3000-5821"
        # also allows "+55 48 3000-5821"
        allowed = frozenset(n(v) for v in allow for n in normalizers.values())
        names = tuple(f" {name_key(v)} " for v in allow if any(c.isalpha() for c in v))
        return cls(chosen, normalizers, allowed, names)

    def normalize(self, finding: PIIFinding) -> str:
        normalize = self.normalizers.get(finding.kind)
        return (
            normalize(finding.value) if normalize else normalize_value(finding.kind, finding.value)
        )

    def find(self, text: str) -> list[PIIFinding]:
        candidates = [f for d in self.detectors for f in d.find(text)]
        if not candidates:
            return []
        if "<" in text:
            candidates = _outside_placeholders(text, candidates)
        if self.allowed:
            candidates = [f for f in candidates if self.normalize(f) not in self.allowed]
        if self.allowed_names:
            candidates = [f for f in candidates if f.kind != "name" or not self._allowed_name(f)]
        return resolve_overlaps(candidates)

    def _allowed_name(self, finding: PIIFinding) -> bool:
        key = f" {name_key(finding.value)} "
        return any(key in allowed for allowed in self.allowed_names)


def _outside_placeholders(text: str, findings: list[PIIFinding]) -> list[PIIFinding]:
    spans = [m.span() for m in PLACEHOLDER.finditer(text)]
    if not spans:
        return findings
    return [f for f in findings if not any(f.start < e and s < f.end for s, e in spans)]


def resolve_overlaps(findings: Iterable[PIIFinding]) -> list[PIIFinding]:
    """Non-overlapping findings sorted by start: the longest wins, then the most specific."""
    ordered = sorted(
        findings, key=lambda f: (f.start - f.end, _RANK.get(f.kind, len(_RANK)), f.start)
    )
    kept: list[PIIFinding] = []
    for finding in ordered:
        if finding.end > finding.start and not any(
            finding.start < k.end and k.start < finding.end for k in kept
        ):
            kept.append(finding)
    return sorted(kept, key=lambda f: f.start)


def scan(
    text: str, detectors: Iterable[Detector] | None = None, *, allow: Iterable[str] = ()
) -> list[PIIFinding]:
    """Personal data in ``text``: non-overlapping findings sorted by start.

    ``detectors`` default to the default set (without names); values in ``allow`` (the
    company's own phone or e-mail, say) are never reported, however they are punctuated.
    Placeholders written by a Pseudonymizer are never reported.
    """
    chosen = None if detectors is None else tuple(detectors)
    allowed = tuple(allow)
    try:
        scanner = _cached_scanner(chosen, allowed)
    except TypeError:  # a detector that cannot be hashed: prepare it for this call only
        scanner = _Scanner.build(chosen, allowed)
    return scanner.find(text)


@lru_cache(maxsize=16)
def _cached_scanner(detectors: tuple[Detector, ...] | None, allow: tuple[str, ...]) -> _Scanner:
    # scan() is called once per message with the same detectors: prepare them once
    return _Scanner.build(detectors, allow)


# --------------------------------------------------------------------------- pseudonyms

_MAX_ROUNDS = 4


def placeholder_label(kind: str) -> str:
    """The placeholder word for a kind: "email" -> "EMAIL", "api key" -> "API_KEY"."""
    label = re.sub(r"[^A-Z0-9]+", "_", kind.upper()).strip("_")
    return label if label and label[0].isalpha() else f"PII_{label}".rstrip("_")


class Pseudonymizer:
    """Consistent placeholders for the personal data of one conversation.

    Each distinct value (in its kind's normal form: digits for numbers, casefolded e-mails,
    accent-free names) gets ``<KIND_n>`` numbered by first appearance within the kind.
    Use one instance per conversation: two instances never share numbering or values.
    A mapping saved earlier (from ``mapping``) can be passed back to continue a conversation.
    """

    def __init__(
        self,
        detectors: Iterable[Detector] | None = None,
        *,
        allow: Iterable[str] = (),
        mapping: Mapping[str, str] | None = None,
    ) -> None:
        self._scanner = _Scanner.build(detectors, allow)
        self._mapping: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        for value, placeholder in (mapping or {}).items():
            self._remember(value, placeholder)

    def _remember(self, value: str, placeholder: str) -> None:
        match = re.fullmatch(r"<([A-Z][A-Z0-9_]*)_([0-9]+)>", placeholder)
        if match is None:
            raise PIIConfigError(
                f"{placeholder!r} is not a placeholder", "placeholders look like <EMAIL_1>"
            )
        label, number = match.group(1), int(match.group(2))
        self._mapping[value] = placeholder
        self._counts[label] = max(self._counts.get(label, 0), number)

    @property
    def mapping(self) -> dict[str, str]:
        """Normalized value -> placeholder, in order of first appearance (a copy)."""
        return dict(self._mapping)

    def placeholder(self, finding: PIIFinding) -> str:
        """The placeholder for a finding's value, allocating the next number if new."""
        key = self._scanner.normalize(finding)
        known = self._mapping.get(key)
        if known is not None:
            return known
        label = placeholder_label(finding.kind)
        number = self._counts.get(label, 0) + 1
        self._counts[label] = number
        self._mapping[key] = placeholder = f"<{label}_{number}>"
        return placeholder

    def recall(self, kind: str, value: str, placeholder: str) -> None:
        """Give ``value`` (as found, of ``kind``) the placeholder a past scrub gave it."""
        self._remember(self._scanner.normalize(PIIFinding(kind, 0, len(value), value)), placeholder)

    def findings(self, text: str) -> list[PIIFinding]:
        """What scrub() would replace in ``text``, without allocating placeholders."""
        return self._scanner.find(text)

    def scrub(self, text: str) -> tuple[str, list[PIIFinding]]:
        """``text`` with every finding replaced by its placeholder, and the findings.

        Findings carry positions and values in the original ``text``. Replacing can, rarely,
        expose a new value (a shorter candidate that lost an overlap), so the result is
        scanned again until nothing is left: scrubbing scrubbed text changes nothing.
        """
        findings = self._scanner.find(text)
        if not findings:
            return text, []
        reported = list(findings)
        current = text
        origin = list(range(len(text)))  # origin[i]: where current[i] was in text, -1: new
        for _ in range(_MAX_ROUNDS):
            current, origin = self._replace(current, origin, findings)
            findings = self._scanner.find(current)
            if not findings:
                break
            # a finding never touches a placeholder, so its characters map back one to one
            reported.extend(
                PIIFinding(f.kind, origin[f.start], origin[f.end - 1] + 1, f.value)
                for f in findings
            )
        else:  # still finding after every round: replace the last ones without looking again
            current, origin = self._replace(current, origin, findings)
        return current, sorted(reported, key=lambda f: f.start)

    def _replace(
        self, text: str, origin: list[int], findings: list[PIIFinding]
    ) -> tuple[str, list[int]]:
        pieces: list[str] = []
        new_origin: list[int] = []
        position = 0
        for finding in findings:
            placeholder = self.placeholder(finding)
            pieces += (text[position : finding.start], placeholder)
            new_origin += origin[position : finding.start]
            new_origin += [-1] * len(placeholder)
            position = finding.end
        pieces.append(text[position:])
        new_origin += origin[position:]
        return "".join(pieces), new_origin


def conversation_scrubber(
    turns: Sequence[StoredTurn],
    *,
    allow: Iterable[str] = (),
    known: Mapping[str, tuple[str, str]] | None = None,
    workspace: PeopleDetector | None = None,
    given: GivenNameDetector | None = None,
) -> Pseudonymizer:
    """The scrubber for one conversation, the same at extraction, at an edit and at export.

    The default detectors, plus a name detector for its people: the speakers' display names
    and the names people give for themselves in its ``turns``; ``workspace`` adds the people
    known in every other conversation and ``given`` replaces the default full-name detector
    (see :mod:`afina.engine.curation.scrubber`). ``allow``
    holds values never scrubbed (the business's own name and phone); ``known`` the
    placeholders a past scrub of this conversation gave (placeholder -> (kind, value), as the
    store keeps them), so a value seen again gets the same placeholder.
    """
    allow = tuple(allow)
    people = person_names(dict.fromkeys(t.speaker for t in turns))
    people += [n for n in introduced_names((t.text for t in turns), allow) if n not in people]
    detectors = default_detectors(people)
    if given is not None:  # the workspace's own, which knows the full names that recur
        detectors = tuple(given if d.name == given.name else d for d in detectors)
    if workspace is not None and len(workspace):
        detectors += (workspace,)
    pseudo = Pseudonymizer(detectors, allow=allow)
    for placeholder, (kind, value) in (known or {}).items():
        pseudo.recall(kind, value, placeholder)
    return pseudo


# Registered last: registering clears the scanner cache defined above.
for _builtin in (
    email_detector(),
    PhoneDetector(),
    cpf_detector(),
    cnpj_detector(),
    CardDetector(),
    IPDetector("ipv4", 4),
    IPDetector("ipv6", 6),
    SecretDetector(),
    entropy_detector(),
    cep_detector(),
    SpelledEmailDetector(),
    IBANDetector(),
    GivenNameDetector(),
):
    register_detector(_builtin)
