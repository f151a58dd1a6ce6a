"""The boilerplate rule: openers and closers that recur across many answers are cut.

Support chats wrap each answer in ritual: "Olá! Boa tarde. Aqui é a Ana, da Lumiar Fibra.",
"Oi! Tudo bem? Te ajudo sim.", "Posso ajudar em algo mais?". A model tuned on those answers
learns to open every reply with a greeting and a name (which the scrubber made a
placeholder), and spends its first tokens there instead of on the answer.

No list of phrases can know every business's ritual, so the rule learns it from the answers
being curated: a sentence is an opener when it starts at least ``min_answers`` answers and
is followed by at least ``min_variety`` different rests (a greeting leads into anything; a
sentence of a real answer is followed by the rest of that same answer), and a closer
likewise at the end. Sentences with digits are never boilerplate: they carry prices, hours
and codes; nor are sentences of more than ``max_words`` words. An answer that is nothing
but boilerplate ("Vou verificar e te retorno, ok?") has no answer to learn and is dropped.

The rule only cuts what it learned; `curate_store` teaches it the pending and accepted
answers before it runs, so a rule that was never taught changes nothing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import ClassVar

from afina.engine.text import fold
from afina.engine.types import PairDraft, RuleHit

Result = tuple[PairDraft | None, list[RuleHit]]

# A sentence ends at ., ! or ? (a run of them, closing quotes after), at an emoji or a chat
# shortcode (":blush:") before a space, or at a line break. Decimal commas and points
# ("R$ 99,90", "v2.1") have no space after them.
_SENTENCE = re.compile(
    r"[^\n]*?(?:(?:[.!?…]+[\"')\]»”’]*|:[a-z0-9_+-]+:|[\u2600-\u27bf\U0001f300-\U0001faff]+)"
    r"(?=\s|$)|(?=\n)|$)"
)
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]*_\d+>")
_NON_WORD = re.compile(r"[^\w<>]+")
_DIGIT = re.compile(r"\d")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text``, without the spaces between them."""
    out: list[tuple[int, int]] = []
    pos = 0
    while pos < len(text):
        m = _SENTENCE.match(text, pos)
        if m is None:  # cannot happen: the pattern matches the empty string
            break
        start, end = m.span()
        if end == start:
            end = start + 1
        chunk = text[start:end]
        stripped = chunk.strip()
        if stripped:
            lead = len(chunk) - len(chunk.lstrip())
            out.append((start + lead, start + lead + len(stripped)))
        pos = end
    return out


def sentence_key(sentence: str) -> str | None:
    """A sentence folded for counting: case, accents, punctuation, emoji and which
    placeholder (``<NAME_1>`` or ``<NAME_2>``) do not matter. None for a sentence with
    digits (never boilerplate), "" for one without words ("😊")."""
    if _DIGIT.search(_PLACEHOLDER.sub("", sentence)):
        return None
    text = fold(_PLACEHOLDER.sub(" <p> ", sentence))
    return " ".join(_NON_WORD.sub(" ", text).split())


@dataclass(frozen=True)
class Learned:
    openers: frozenset[str] = frozenset()
    closers: frozenset[str] = frozenset()


Keys = list[str | None]


def _keys(text: str) -> Keys:
    """The keys of the sentences with words in them."""
    return [k for s, e in sentences(text) if (k := sentence_key(text[s:e])) != ""]


def _recurring(
    runs: Iterable[Keys], min_answers: int, min_variety: int, max_words: int
) -> frozenset[str]:
    """Sentences that lead at least ``min_answers`` of ``runs`` (the answers' sentence keys,
    read from the end for closers) into at least ``min_variety`` different rests."""
    count: defaultdict[str, int] = defaultdict(int)
    rests: defaultdict[str, set[tuple[str | None, ...]]] = defaultdict(set)
    for keys in runs:
        # the leading run and what follows each sentence of it: an opener can be two
        # sentences long ("Olá! Boa tarde.") before the answer starts
        for i, key in enumerate(keys[:-1]):
            if key is None or len(key.split()) > max_words:
                break
            count[key] += 1
            rests[key].add(tuple(keys[i + 1 :]))
    return frozenset(
        k for k, n in count.items() if n >= min_answers and len(rests[k]) >= min_variety
    )


def _leading(keys: Keys, known: frozenset[str]) -> int:
    """How many of the first ``keys`` are known, with the wordless ones among and after them."""
    cut = 0
    for i, key in enumerate(keys):
        if key == "":
            continue
        if key not in known:
            break
        cut = i + 1
    while 0 < cut < len(keys) and keys[cut] == "":
        cut += 1
    return cut


def _cut(keys: Keys, known: frozenset[str]) -> Keys:
    return keys[_leading(keys, known) :]


def learn(
    answers: Iterable[str], min_answers: int = 3, min_variety: int = 3, max_words: int = 12
) -> Learned:
    """The recurring openers and closers of ``answers`` (see the module's docstring).

    Openers are counted first; then closers, on the answers without their openers, so that
    a sentence of the answer that follows assorted greetings does not pass for a closer.
    (The converse remains: a wordy sentence that always opens an answer and is followed by
    assorted sign-offs alone would pass for an opener; digits or a sentence after it keep
    it, and ``max_words`` keeps long ones.)
    """
    forward = [_keys(text) for text in set(answers)]
    openers = _recurring(forward, min_answers, min_variety, max_words)
    heads_cut = [_cut(keys, openers)[::-1] for keys in forward]
    closers = _recurring(heads_cut, min_answers, min_variety, max_words)
    return Learned(openers, closers)


def kept_span(text: str, learned: Learned) -> tuple[int, int]:
    """(start, end) of ``text`` without its leading openers and trailing closers; an empty
    span when it is only openers.

    The first sentence after the openers always stays, closer or not: in "Oi! Pode me passar
    o CPF do titular?" the request is the answer.
    """
    spans = sentences(text)
    keys = [sentence_key(text[s:e]) for s, e in spans]
    lo = _leading(keys, learned.openers)
    if lo == len(spans):
        return (len(text), len(text)) if spans else (0, len(text))
    hi = len(spans) - _leading(keys[lo + 1 :][::-1], learned.closers)
    if (lo, hi) == (0, len(spans)):
        return 0, len(text)
    return spans[lo][0], spans[hi - 1][1]


def strip(text: str, learned: Learned) -> str:
    """``text`` without its leading openers and trailing closers ("" if only openers)."""
    start, end = kept_span(text, learned)
    return text[start:end]


@dataclass(frozen=True)
class Boilerplate:
    """Cut greetings and sign-offs that recur across answers; drop answers made only of them."""

    name: ClassVar[str] = "boilerplate"
    description: ClassVar[str] = (
        "cut openers and closers that recur across many answers (greetings, sign-offs)"
    )
    min_answers: int = 3
    min_variety: int = 3
    max_words: int = 12
    learned: Learned = field(default_factory=Learned, metadata={"config": False})

    def taught(self, answers: Iterable[str]) -> Boilerplate:
        """This rule with the openers and closers of ``answers`` learnt."""
        return replace(
            self, learned=learn(answers, self.min_answers, self.min_variety, self.max_words)
        )

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where the cut greetings and sign-offs are, for a reviewer's eyes."""
        start, end = kept_span(text, self.learned)
        return [(s, e) for s, e in ((0, start), (end, len(text))) if s < e]

    def apply(self, draft: PairDraft) -> Result:
        if not (self.learned.openers or self.learned.closers):
            return draft, []
        response = strip(draft.response, self.learned)
        if response == draft.response:
            return draft, []
        if not response:
            return None, [RuleHit(self.name, "response is only greetings or sign-offs", "response")]
        cut = len(draft.response) - len(response)
        return replace(draft, response=response), [
            RuleHit(self.name, f"cut {cut} characters of greeting or sign-off", "response")
        ]
