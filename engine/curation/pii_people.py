"""Names of people nobody introduced: a full name that starts with a common given name, a name
after a title ("Sr. Carlos", "Dona Maria"), and the names known anywhere in the workspace.

The speaker-based :class:`~afina.engine.curation.pii_names.NameDetector` only knows the people
of one conversation. An agent who looks a customer up writes a name no speaker has ("o pedido
está em nome de Joana Prado"), an edit in review can add one, and a customer who wrote in one
conversation is mentioned in another. These detectors cover those, by word lookups rather
than one regex alternative per name, so a workspace of thousands of people stays linear.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from afina.engine.curation.pii_names import name_key
from afina.engine.types import PIIFinding

# Common given names in Brazil, Portugal and English-speaking countries, accent-free and
# lower case. A hit needs a capitalized surname after it, so a given name that is also a word
# ("Rosa", "Clara") only counts when it is written as a name.
_GIVEN = """
    adriana adriano afonso alan alberto alessandra alex alexandre alice aline alvaro amanda ana
    anderson andre andrea andreia angela angelica antonia antonio arthur augusto aurora barbara
    beatriz benedito benjamin bernardo bianca bruna bruno caio camila carla carlos carmen carolina
    caroline cassia catarina cecilia celia celso cesar charles cicero clara claudia claudio
    cristiane cristiano cristina daiane daniel daniela danilo davi david debora denise diana
    diego diogo douglas duarte edson eduarda eduardo elaine elena eliane elias elisa elizabete
    emanuel emerson enzo erica erick estela eva evandro fabiana fabio fabiola fatima felipe
    fernanda fernando filipe flavia flavio francisca francisco gabriel gabriela geraldo gilberto
    gilson giovana giovanni gisele glaucia gloria goncalo graca guilherme gustavo heitor helena
    helio henrique hugo igor ines iris isabel isabela isadora ivan ivone jaqueline jefferson
    joana joao joaquim jonas jonathan jorge jose josefa josiane juan julia juliana juliano julio
    karina katia kelly larissa laura leandro leonardo leticia lidia ligia lorena lourdes luan
    luana lucas lucia luciana luciano lucio luis luisa luiz luiza manuel manuela marcela marcelo
    marcia marcio marco marcos margarida maria mariana marina mario marlene marta mateus matheus
    mauricio mauro michele miguel milena miriam monica murilo natalia nathalia nelson nicolas
    nilton nuno olga otavio patricia paula paulo pedro priscila rafael rafaela raimundo raquel
    regina renata renato ricardo rita roberta roberto robson rodrigo rogerio ronaldo rosa rosana
    rosangela rui sabrina samuel sandra sara sebastiao sergio silvana silvia simone sofia sonia
    sueli tania tatiana teresa thiago tiago valeria vanessa vera vicente victor vinicius vitor
    vitoria viviane wagner walter washington wellington wesley william yara yasmin
    aaron abigail adam aidan albert alexander alison allison amy andrew angela anna anne anthony
    ashley barbara benjamin betty brandon brian carol catherine charlotte chloe christopher
    cynthia daniel deborah dennis donald donna dorothy dylan edward elizabeth emily emma eric
    ethan frank gary george grace gregory hannah harry heather henry isaac jack jacob james
    janet jason jennifer jeffrey jessica john jonathan joseph joshua justin karen katherine
    kathleen kevin kimberly larry laura lauren linda lisa liam logan lucy margaret mark martha
    mary matthew megan melissa michael michelle nancy nathan nicholas noah oliver olivia patrick
    paul peter rachel raymond rebecca richard robert ronald ryan samantha sarah scott sharon
    stephanie stephen steven susan thomas timothy tyler victoria william zachary
"""
GIVEN_NAMES = frozenset(_GIVEN.split())

# After a title the next capitalized word is a name whatever it is ("Dona Ivanilde").
_TITLES = frozenset((
    "sr", "sra", "srta", "senhor", "senhora", "dona", "dr", "dra", "doutor", "doutora",
    "mr", "mrs", "ms", "miss", "prof", "professor", "professora",
))  # fmt: skip
# Capitalized words that open a sentence and so can follow a given name without being a
# surname ("Oi Maria Tudo bem"): never taken as part of a name.
_NOT_SURNAMES = frozenset((
    "tudo", "bom", "boa", "obrigado", "obrigada", "por", "que", "como", "voce", "ola", "oi",
    "hello", "hi", "thanks", "thank", "the", "i", "and", "e", "ou", "or", "eu", "sim", "nao",
    "ok", "yes", "no", "aqui", "hoje", "amanha", "ontem", "dear", "prezado", "prezada",
    "hey", "hiya", "yo", "opa", "valeu", "beleza", "please", "sorry", "welcome", "good",
    "morning", "afternoon", "evening", "cc", "re", "fwd", "tchau", "bye", "abraco", "att",
))  # fmt: skip
_PARTICLES = frozenset(("da", "de", "do", "das", "dos", "del", "van", "von", "di", "du"))
# A name after one of these is a place named after someone ("Av. Afonso Pena", "Nossa Senhora
# Aparecida"), not a person.
_PLACE_WORDS = frozenset((
    "rua", "r", "avenida", "av", "praca", "travessa", "alameda", "rodovia", "estrada", "largo",
    "bairro", "nossa", "sao", "santa", "santo", "street", "st", "avenue", "ave", "road", "rd",
))  # fmt: skip

# A word as people write names: letters with inner apostrophes or hyphens ("O'Brien").
_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’-](?=[^\W\d_]))*")
_MAX_WORDS = 5
# Most messages hold no two capitalized words in a row and no title: those are skipped with
# one regex search instead of a lookup per word.
_UPPER = "A-ZÀ-ÖØ-Þ"
_CAP_PAIR = re.compile(
    rf"[{_UPPER}][^\W\d_]*\.?,?[ \u00a0]+(?:(?:d[aeo]s?|van|von|di|du|del)[ \u00a0]+)?[{_UPPER}]"
)
_TITLE = re.compile(
    r"(?<!\w)(?i:sra?|srta|senhora?|dona|dra?|doutora?|mrs?|ms|miss|prof|professora?)\b"
)
# Substrings one of which every title holds: `in` on a lowered text is far cheaper than the
# title regex, which would otherwise run at every position of every message.
_TITLE_HINTS = ("sr", "dona", "dr", "doutor", "mr", "ms", "miss", "prof")


def _maybe_name(text: str) -> bool:
    if _CAP_PAIR.search(text):
        return True
    lowered = text.lower()
    return any(h in lowered for h in _TITLE_HINTS) and _TITLE.search(text) is not None


@lru_cache(maxsize=1 << 16)
def word_key(word: str) -> str:
    """``name_key`` of one word, remembered: the same words come back in every message."""
    return name_key(word)


def _capitalized(word: str) -> bool:
    return word[0].isupper() and not (len(word) > 1 and word.isupper() and len(word) > 3)


class GivenNameDetector:
    """ "Maria Souza", "Fábio Becker", "Sr. Carlos Almeida", "Dona Ivanilde": a common given
    name followed by capitalized surnames, or any capitalized name after a title.

    A given name alone is not reported: "Maria" on its own is too often a saint, a brand or a
    place, and the speaker-based detector already finds the first names of known people.
    """

    name = "given-name"
    kind = "name"

    def __init__(self, keep: Iterable[str] = ()) -> None:
        # full names that are not people's: a product ("Aurora Care"), a staff member named in
        # many conversations (see scrubber.recurring_names)
        self.keep = frozenset(name_key(k) for k in keep)

    def find(self, text: str) -> list[PIIFinding]:
        """Full names in ``text`` (capitalization matters: names are written capitalized)."""
        if not _maybe_name(text):
            return []
        words = list(_WORD.finditer(text))
        out: list[PIIFinding] = []
        i = 0
        while i < len(words):
            word = words[i].group(0)
            key = word_key(word)
            titled = key in _TITLES and i + 1 < len(words) and _joined(text, words[i], words[i + 1])
            start = i + 1 if titled else i
            place = i > 0 and word_key(words[i - 1].group(0)) in _PLACE_WORDS
            if not place and (titled or (_capitalized(word) and key in GIVEN_NAMES)):
                end = _surnames_end(text, words, start)
                if end > start + (0 if titled else 1):
                    first, last = words[start], words[end - 1]
                    value = text[first.start() : last.end()]
                    if name_key(value) not in self.keep:
                        out.append(PIIFinding(self.kind, first.start(), last.end(), value))
                    i = end
                    continue
            i += 1
        return out

    def normalize(self, value: str) -> str:
        """The name's comparison form."""
        return name_key(value)


def _joined(text: str, a: re.Match[str], b: re.Match[str]) -> bool:
    """Whether ``b`` follows ``a`` on the same line with only a space, a dot or a comma."""
    between = text[a.end() : b.start()]
    return 0 < len(between) <= 3 and not between.strip(" .\u00a0")


def _surnames_end(text: str, words: list[re.Match[str]], start: int) -> int:
    """Index past the capitalized words (with particles between) that go on from ``start``."""
    if not _capitalized(words[start].group(0)) or word_key(words[start].group(0)) in _NOT_SURNAMES:
        return start
    end = start + 1
    j = start + 1
    while j < len(words) and j - start < _MAX_WORDS:
        between = text[words[j - 1].end() : words[j].start()]
        if between not in (" ", "\u00a0"):
            break
        word = words[j].group(0)
        if word.casefold() in _PARTICLES:
            j += 1
            continue
        if not _capitalized(word) or word_key(word) in _NOT_SURNAMES:
            break
        j += 1
        end = j
    return end


class PeopleDetector:
    """The names of people known anywhere in a workspace, by word lookup.

    Full names match in any case and accents ("fabio becker" for "Fábio Becker"); a given name
    on its own only where it is capitalized, since a workspace of many people holds names that
    are also words ("Rosa", "Will"). Built once per export or extraction from every
    conversation's speakers and self-introductions.
    """

    kind = "name"

    def __init__(self, names: Iterable[str], *, name: str = "people") -> None:
        self.name = name
        self._full: dict[str, set[tuple[str, ...]]] = {}
        self._first: set[str] = set()
        for full in names:
            tokens = tuple(name_key(full).split())
            if not tokens or len("".join(tokens)) < 2:
                continue
            if len(tokens) > 1:
                self._full.setdefault(tokens[0], set()).add(tokens)
            if tokens[0] not in _PARTICLES and len(tokens[0]) > 2:
                self._first.add(tokens[0])

    def __len__(self) -> int:
        return sum(len(v) for v in self._full.values()) + len(self._first)

    def find(self, text: str) -> list[PIIFinding]:
        """Known people's names in ``text``: the longest known name at each word."""
        if not (self._full or self._first):
            return []
        words = list(_WORD.finditer(text))
        keys = [word_key(w.group(0)) for w in words]
        out: list[PIIFinding] = []
        i = 0
        while i < len(words):
            best = 0
            for tokens in self._full.get(keys[i], ()):
                n = len(tokens)
                if n > best and tuple(keys[i : i + n]) == tokens and _adjacent(text, words, i, n):
                    best = n
            if not best and keys[i] in self._first and words[i].group(0)[0].isupper():
                best = 1
            if best:
                first, last = words[i], words[i + best - 1]
                out.append(
                    PIIFinding(
                        self.kind, first.start(), last.end(), text[first.start() : last.end()]
                    )
                )
                i += best
            else:
                i += 1
        return out

    def normalize(self, value: str) -> str:
        """The name's comparison form."""
        return name_key(value)


def _adjacent(text: str, words: list[re.Match[str]], i: int, n: int) -> bool:
    """Whether words i..i+n-1 are separated by blanks only (one name, not a list)."""
    return all(
        not text[words[j].end() : words[j + 1].start()].strip(" \u00a0\t")
        for j in range(i, i + n - 1)
    )
