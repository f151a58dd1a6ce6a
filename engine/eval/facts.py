"""Key facts: the numbers, names and codes an answer must carry, and whether it carries them.

ROUGE-L and token F1 reward wording; a support answer is right when it has the price, the
hours, the code. This module finds those facts in a reference answer and checks an answer
for each of them. It is rule-based on purpose (no model, deterministic, explainable per fact)
and written for Portuguese and English support chats.

What counts as a fact (``key_facts``), in the order spans are claimed, so that "9h" is a time
and not also the number 9:

- e-mails, URLs (with a scheme, ``www.``, or a bare domain with a known TLD such as
  ``status.lumiarfibra.com.br``), IPv4 addresses, phone numbers (``(48) 3000-5821``);
- dates: ``11/06``, ``11/06/2024``, ``2024-06-11``, ``11 de junho``, ``June 11``;
- times: ``9h``, ``9h30``, ``9:00``, ``9 horas``, ``9am``, ``6 p.m.``;
- percentages (``50%``, ``10 por cento``), money (``R$ 99,90``, ``99,90 reais``), and other
  numbers with the unit that follows them, if it is a known one (``300 Mbps``, ``30 dias``,
  ``3 dias úteis``, ``5 business days``); numbered-list markers ("1." at a line start) are not
  facts;
- names and codes: runs of capitalized words that do not merely start a sentence
  (``São José``, ``Minha Lumiar``), taking a number that follows them (``Lumiar 300``), and
  all-caps or letter-and-digit codes (``ILHA50``, ``LUM-``, ``CPF``). At a sentence start a
  single capitalized word is taken only when it is a code; a run of several is taken without
  its leading article or pronoun (``O Lumiar Giga`` gives ``Lumiar Giga``).

How a fact is found in an answer (``match_facts``): see :mod:`fact_tokens`, which turns both
texts into streams of canonical tokens.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from afina.engine.eval.fact_tokens import (
    FACT_PATTERNS,
    contains_tokens,
    date_token,
    fact_tokens,
    fold,
    time_token,
    wordset,
)

FactKind = Literal[
    "email", "url", "ip", "phone", "date", "time", "percent", "money", "number", "name", "code"
]


@dataclass(frozen=True, slots=True)
class Fact:
    """One key fact: its kind, its text as written, and the canonical tokens that match it."""

    kind: str
    text: str
    tokens: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FactMatch:
    found: tuple[Fact, ...]
    missing: tuple[Fact, ...]

    @property
    def total(self) -> int:
        return len(self.found) + len(self.missing)

    @property
    def share(self) -> float:
        """Found facts over all facts; 1.0 when there are none to find."""
        return len(self.found) / self.total if self.total else 1.0


# --- what is not a name ---------------------------------------------------------------------

# Words that may start a sentence capitalized without being a name.
_STARTERS = wordset(
    """o a os as um uma uns umas the an this that these those our your my its their his her
    nosso nossa nossos nossas seu sua seus suas meu minha meus minhas este esta estes estas
    esse essa esses essas isso isto aquele aquela eu voce voces nos ele ela eles elas we you
    i he she it they sim nao yes no ola oi hi hello hey bom boa obrigado obrigada thanks
    thank se if em no na para pra por com de do da in on for with at to and e ou or mas but
    como how what qual quais quando when where onde quem who porque because entao then
    depois after antes before also tambem ok okay please temos here aqui la there not
    over pelo pela pelos pelas via during durante just only so
    acesse abra ligue envie mande use veja clique toque segure reinicie tente escolha
    call open send check try hold run restart unplug visit see contact click tap press
    go choose pick"""
)


def _starter(word: str) -> bool:
    """A capitalized word that starts a sentence without being a name: an article, a pronoun,
    a common imperative, or a Portuguese first-person plural verb ("Atendemos", "Aceitamos")."""
    w = fold(word.split("'")[0].split("’")[0])
    return w in _STARTERS or (len(w) > 5 and w.endswith(("amos", "emos", "imos")))


_NAME_LINKS = wordset("de da do das dos del di du of")

_WORD = re.compile(r"[^\W_](?:[\w'’]|-(?=\w))*-?")


# --- extraction ------------------------------------------------------------------------------


def _overlaps(span: tuple[int, int], taken: Iterable[tuple[int, int]]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in taken)


def _sentence_start(text: str, pos: int) -> bool:
    before = text[:pos].rstrip(" \t\"'“‘(«[")
    return not before or before[-1] in ".!?:;\n•*-–—…>"


def _is_code(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    has_digit = any(c.isdigit() for c in word)
    upper = sum(c.isupper() for c in letters)
    return bool(letters) and (
        (has_digit and upper >= 1) or (len(letters) >= 2 and upper == len(letters))
    )


def _list_marker(text: str, start: int, end: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    return not text[line_start:start].strip() and text[end : end + 1] in (".", ")")


def key_facts(reference: str) -> tuple[Fact, ...]:
    """The key facts of a reference answer, in order of appearance, without repeats."""
    text = unicodedata.normalize("NFKC", reference)
    spans: list[tuple[int, int, str]] = []
    for kind, pattern in FACT_PATTERNS.items():
        for m in pattern.finditer(text):
            span = (m.start(), m.end())
            if m.start() == m.end() or _overlaps(span, [(s, e) for s, e, _ in spans]):
                continue
            if kind == "date" and date_token(m) is None:
                continue
            if kind == "time" and time_token(m) is None:
                continue
            if kind == "number" and _list_marker(text, *span):
                continue
            spans.append((*span, kind))
    spans.extend(_names(text, spans))
    spans.sort()
    facts: list[Fact] = []
    seen: set[tuple[str, ...]] = set()
    for start, end, kind in spans:
        raw = text[start:end].strip().rstrip(",;:!?")
        if kind not in ("time", "code"):  # "6 p.m." and "LUM-" keep their last character
            raw = raw.rstrip(".,;:!?")
        tokens = tuple(fact_tokens(raw))
        if tokens and tokens not in seen:
            seen.add(tokens)
            facts.append(Fact(kind, raw, tokens))
    return tuple(facts)


def _names(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Name and code spans; a bare number right after a name joins it ("Lumiar 300")."""
    taken = [(s, e) for s, e, _ in spans]
    words = [m for m in _WORD.finditer(text) if not _overlaps((m.start(), m.end()), taken)]
    out: list[tuple[int, int, str]] = []
    i = 0
    while i < len(words):
        w = words[i].group(0)
        if not (w[0].isupper() or _is_code(w)):
            i += 1
            continue
        run = [words[i]]
        j = i + 1
        while j < len(words):
            gap = text[run[-1].end() : words[j].start()]
            nxt = words[j].group(0)
            if gap == " " and (nxt[0].isupper() or _is_code(nxt)):
                run.append(words[j])
                j += 1
            elif (
                gap == " "
                and fold(nxt) in _NAME_LINKS
                and j + 1 < len(words)
                and text[words[j].end() : words[j + 1].start()] == " "
                and words[j + 1].group(0)[0].isupper()
            ):
                run.extend(words[j : j + 2])
                j += 2
            else:
                break
        i = j
        at_start = _sentence_start(text, run[0].start())
        if at_start:
            while run and _starter(run[0].group(0)):
                run.pop(0)
                at_start = False
            if not run:
                continue
        first = run[0].group(0)
        if len(run) == 1 and (len(first) == 1 or fold(first).split("'")[0] == "i"):
            continue
        start, end = run[0].start(), run[-1].end()
        for k, (s, e, kind) in enumerate(spans):  # "Lumiar" + "300" → "Lumiar 300"
            if kind == "number" and s == end + 1 and text[end] == " " and text[s:e].isdigit():
                end = e
                spans.pop(k)
                break
        single = len(run) == 1 and end == run[0].end()
        if at_start and single and not _is_code(first):
            continue
        if fold(first) in ("ok", "okay") and single:
            continue
        kind = "code" if single and _is_code(first) else "name"
        out.append((start, end, kind))
    return out


def _as_facts(facts: Iterable[Fact | str]) -> list[Fact]:
    out: list[Fact] = []
    for f in facts:
        if isinstance(f, Fact):
            out.append(f)
        else:
            out.append(Fact("given", f, tuple(fact_tokens(f))))
    return [f for f in out if f.tokens]


def match_facts(answer: str, facts: Iterable[Fact | str]) -> FactMatch:
    """Which of ``facts`` (extracted, or given as text) the answer contains."""
    stream = fact_tokens(answer)
    found: list[Fact] = []
    missing: list[Fact] = []
    for f in _as_facts(facts):
        (found if contains_tokens(stream, f.tokens) else missing).append(f)
    return FactMatch(tuple(found), tuple(missing))


def fact_coverage(
    answer: str, reference: str | None = None, *, facts: Iterable[Fact | str] | None = None
) -> tuple[int, int]:
    """(found, total): the reference's key facts (or the ``facts`` given) that the answer has.

    Given facts (a curated list, like the held-out set's) take precedence over extraction.
    A fact with no comparable tokens (only function words) is not counted.
    """
    if facts is None:
        facts = key_facts(reference or "")
    m = match_facts(answer, facts)
    return len(m.found), m.total
