"""People's names: a detector of given names as whole words (ignoring case and accents), and
the ways of finding those names in display names and in what people say about themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from afina.engine.text import strip_accents
from afina.engine.types import PIIFinding

_PARTICLES = frozenset((
    "da", "de", "do", "das", "dos", "e", "del", "della", "der", "den", "di", "du", "la", "le",
    "van", "von", "y", "bin", "ibn", "al", "el",
))  # fmt: skip
_APOSTROPHES = "'’`´"


def _letter_variants() -> dict[str, str]:
    """For each ASCII letter, a regex class of it and its accented Latin forms."""
    variants: dict[str, set[str]] = {c: {c, c.upper()} for c in "abcdefghijklmnopqrstuvwxyz"}
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = strip_accents(char).lower()
        if len(base) == 1 and base in variants:
            variants[base].update({char, char.lower(), char.upper()})
    return {base: "[" + "".join(sorted(chars)) + "]" for base, chars in variants.items()}


_LETTERS = _letter_variants()
_COMBINING = "[\u0300-\u036f]*"  # text typed in decomposed form: "a" + U+0301


def _name_regex(name: str) -> str:
    parts = []
    for char in strip_accents(name).lower():
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
    folded = strip_accents(name).casefold()
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
# wherever it is written in that conversation. Words are joined by spaces only, so that a name
# at the end of a line does not run into the next.
_INTRO = re.compile(
    r"(?<!\w)(?:(?P<strong>meu nome é|meu nome e|me chamo|my name is|my name's)"
    r"|aqui (?:quem fala )?é|(?:eu )?sou(?= [ao] )|eu sou)"
    r"[ \t]+(?:[ao][ \t]+)?([^\W\d_][\w'’-]*(?:[ \t]+[^\W\d_][\w'’-]*){0,4})",
    re.IGNORECASE,
)
_TITLES = frozenset(("dona", "dom", "seu", "sr", "sra", "dr", "dra", "mr", "mrs", "ms", "miss"))
# After "me chamo" / "my name is" a name may be typed in lower case ("me chamo joana prado");
# it then ends at the first word that is not a name, and at three words.
_NOT_NAMES = frozenset((
    "e", "mas", "and", "but", "que", "queria", "quero", "gostaria", "preciso", "tudo", "bem",
    "obrigado", "obrigada", "boa", "bom", "tarde", "dia", "noite", "sou", "estou", "to", "tô",
    "moro", "tenho", "aqui", "vou", "vim", "falo", "sobre", "com", "para", "pra", "pelo",
    "pela", "na", "no", "em", "i", "from", "i'm", "im", "cliente", "customer", "ok",
))  # fmt: skip
_MAX_LOWER_WORDS = 3


def _name_words(phrase: str, any_case: bool) -> list[str]:
    """The words of a name at the start of ``phrase``: capitalized ones with particles between,
    or, where ``any_case``, lower-case ones that are not common words."""
    words: list[str] = []
    for word in phrase.split():
        folded = word.casefold()
        if words and folded in _PARTICLES and folded != "e":
            words.append(word)
            continue
        if word[0].isupper() and folded not in _NOT_NAMES:
            words.append(word)
            continue
        named = [w for w in words if w.casefold() not in _PARTICLES]
        if any_case and folded not in _NOT_NAMES and len(named) < _MAX_LOWER_WORDS:
            words.append(word)
            continue
        break
    return words


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
            words = _name_words(m.group(2), any_case=m.group("strong") is not None)
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
