"""Cleaning rules that judge a pair and drop it: lengths, trivial answers, un-rendered
template variables, and languages outside the allowed ones.

Language identification is the slow one; the pipeline runs it last, so it only sees pairs
the cheaper rules kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any, ClassVar

from afina.engine.curation.clean_rules import (
    CountTokens,
    Result,
    approx_tokens,
    check_choice,
    draft_fields,
)
from afina.engine.curation.text_rules import SHORTCODE
from afina.engine.errors import ConfigError
from afina.engine.text import fold
from afina.engine.types import PairDraft, RuleHit

# --- lengths ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Length:
    """Minimum and maximum lengths in tokens; a maximum of 0 means no limit.

    ``count_tokens`` is the base model's tokenizer when one is plugged in, and a cheap
    approximation until then; it is code, not a setting, so it is not a config option.
    """

    name: ClassVar[str] = "length"
    description: ClassVar[str] = "drop pairs shorter or longer than the token limits"
    min_prompt_tokens: int = 1
    min_response_tokens: int = 1
    max_prompt_tokens: int = 2048
    max_response_tokens: int = 2048
    max_total_tokens: int = 4096
    count_tokens: CountTokens = field(default=approx_tokens, metadata={"config": False})

    def __post_init__(self) -> None:
        for option in (
            "min_prompt_tokens",
            "min_response_tokens",
            "max_prompt_tokens",
            "max_response_tokens",
            "max_total_tokens",
        ):
            if getattr(self, option) < 0:
                raise ConfigError(f"rule length: {option} must be 0 or more")

    def apply(self, draft: PairDraft) -> Result:
        count = self.count_tokens
        prompt, response = count(draft.prompt), count(draft.response)
        total = prompt + response + sum(count(t) for _, t in draft.context)
        total += count(draft.system) if draft.system else 0
        hits = []
        for fld, n, low, high in (
            ("prompt", prompt, self.min_prompt_tokens, self.max_prompt_tokens),
            ("response", response, self.min_response_tokens, self.max_response_tokens),
            ("", total, 0, self.max_total_tokens),
        ):
            what = fld or "pair"
            if n < low:
                hits.append(RuleHit(self.name, f"{what} has {n} tokens, fewer than {low}", fld))
            elif high and n > high:
                hits.append(RuleHit(self.name, f"{what} has {n} tokens, more than {high}", fld))
        return (None, hits) if hits else (draft, [])


# --- empty and one-word answers -----------------------------------------------------------

# Pleasantries that make no answer on their own, folded (lowercase, no accents, no
# punctuation). A reply made only of these ("Eu que agradeço! Boa tarde.") is dropped.
TRIVIAL_PHRASES = (
    # Portuguese
    "ok", "okay", "blz", "beleza", "certo", "combinado", "perfeito", "otimo", "show",
    "obrigado", "obrigada", "muito obrigado", "muito obrigada", "obg", "brigado", "brigada",
    "valeu", "vlw", "tmj", "de nada", "por nada", "disponha", "imagina", "eu que agradeco",
    "nos que agradecemos", "tudo bem", "tudo certo", "ta bom", "esta bem", "de boa",
    "bom dia", "boa tarde", "boa noite", "ola", "oi", "ate mais", "ate logo", "tchau",
    "abraco", "abracos", "um momento", "so um momento", "so um minuto", "aguarde",
    "aguarde um momento", "sim", "nao", "claro", "qualquer coisa e so chamar",
    "qualquer duvida e so chamar", "estamos a disposicao", "fico a disposicao",
    # English
    "thanks", "thank you", "thank you so much", "thanks a lot", "thx", "ty", "cheers",
    "you re welcome", "youre welcome", "welcome", "no problem", "no worries", "my pleasure",
    "anytime", "sounds good", "got it", "sure", "great", "perfect", "cool", "yes", "no",
    "hi", "hello", "hey", "good morning", "good afternoon", "good evening", "bye", "goodbye",
    "see you", "have a nice day", "have a great day", "have a good day", "take care",
    "one moment", "just a moment", "hold on", "will do", "let me know if you need anything",
    "happy to help", "glad to help", "glad i could help",
)  # fmt: skip
_NON_WORD = re.compile(r"[^\w\s]|_")
_REPEATS = re.compile(r"(\w)\1{2,}")


_ANY_SHORTCODE = re.compile(SHORTCODE.pattern, re.I)


def _raw_words(text: str) -> list[str]:
    """Words as written, without shortcodes (":blush:"), punctuation or emoji."""
    return _NON_WORD.sub(" ", _ANY_SHORTCODE.sub(" ", text)).split()


def _folded(words: list[str]) -> list[str]:
    """Words lowercased, without accents or drawn-out letters ("Obrigadaaa" -> "obrigada")."""
    return [_REPEATS.sub(r"\1", fold(w)) for w in words]


def _words(text: str) -> list[str]:
    return _folded(_raw_words(text))


def _only_phrases(words: list[str], phrases: frozenset[tuple[str, ...]], longest: int) -> bool:
    """Whether ``words`` is a sequence of known phrases (longest match first)."""
    i = 0
    while i < len(words):
        for size in range(min(longest, len(words) - i), 0, -1):
            if tuple(words[i : i + size]) in phrases:
                i += size
                break
        else:
            return False
    return True


@dataclass(frozen=True)
class Trivial:
    """Empty, one-word and pleasantry-only answers ("ok", "obrigado", "👍", "de nada!")."""

    name: ClassVar[str] = "trivial"
    description: ClassVar[str] = "drop empty, one-word or pleasantry-only answers"
    max_words: int = 1
    phrases: tuple[str, ...] = TRIVIAL_PHRASES
    check_prompt: bool = False
    _phrases: frozenset[tuple[str, ...]] = field(
        init=False, repr=False, compare=False, default=frozenset()
    )
    _longest: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self) -> None:
        table = frozenset(tuple(_words(p)) for p in self.phrases if _words(p))
        object.__setattr__(self, "_phrases", table)
        object.__setattr__(self, "_longest", max((len(p) for p in table), default=0))

    def _why(self, text: str) -> str | None:
        words = _raw_words(text)
        if not words:
            return "has no words" if text.strip() else "is empty"
        if len(words) <= self.max_words:
            return f"is {len(words)} word(s): {text.strip()[:40]!r}"
        # Folding is the slow part; a reply longer than a few pleasantries in a row is an
        # answer, so only short ones are compared with the phrases.
        if len(words) > 3 * self._longest:
            return None
        if _only_phrases(_folded(words), self._phrases, self._longest):
            return f"is only pleasantries: {text.strip()[:40]!r}"
        return None

    def apply(self, draft: PairDraft) -> Result:
        checked = [("response", draft.response)]
        if self.check_prompt:
            checked.insert(0, ("prompt", draft.prompt))
        hits = [RuleHit(self.name, f"{f} {why}", f) for f, t in checked if (why := self._why(t))]
        return (None, hits) if hits else (draft, [])


# --- un-rendered template variables -------------------------------------------------------

_TEMPLATE = re.compile(
    r"""
      \{\{\s*[^{}\n]{1,60}?\s*\}\}              # {{name}} (Jinja, Handlebars, Mustache)
    | \{%[^%\n]{1,60}%\}                         # {% if x %}
    | \$\{[^{}\n]{1,60}\}                        # ${var}
    | (?<![{$\w])\{(?:[A-Za-z_][\w.]{0,40}|\d{1,2})\}(?!\})   # {name} {0} (str.format)
    | (?<![\w%])%(?:\([A-Za-z_]\w*\))?[sdif](?!\w)           # %s %d %(name)s (printf)
    | <<\s*[A-Za-z_][\w .-]{0,40}?\s*>>          # <<var>>
    | \[\[\s*[A-Za-z_][\w .-]{0,40}?\s*\]\]      # [[var]]
    """,
    re.X,
)
_CODE = re.compile(r"```.*?(?:```|$)|`[^`\n]+`", re.S)
TEMPLATE_ACTIONS = ("drop", "flag")


def _template_spans(text: str, ignore_code: bool) -> list[tuple[int, int]]:
    if "{" not in text and "%" not in text and "<<" not in text and "[[" not in text:
        return []  # every template syntax needs one of these
    if ignore_code:
        # Code shows template syntax on purpose (an f-string, a printf example). It is blanked
        # out, not cut, so what is found keeps its place in the text.
        text = _CODE.sub(lambda m: " " * len(m.group()), text)
    return [m.span() for m in _TEMPLATE.finditer(text)]


def find_template_vars(text: str, ignore_code: bool = True) -> list[str]:
    """Un-rendered template variables in ``text`` ("{{nome}}", "%s"), in order."""
    return [text[a:b] for a, b in _template_spans(text, ignore_code)]


@dataclass(frozen=True)
class Templates:
    """Un-rendered template variables left by macros and canned replies ("Olá {{nome}}")."""

    name: ClassVar[str] = "templates"
    description: ClassVar[str] = "drop (or flag) pairs with un-rendered template variables"
    action: str = "drop"
    ignore_code: bool = True

    def __post_init__(self) -> None:
        check_choice(self.name, "action", self.action, TEMPLATE_ACTIONS)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """The un-rendered template variables in ``text``."""
        return _template_spans(text, self.ignore_code)

    def apply(self, draft: PairDraft) -> Result:
        hits = [
            RuleHit(self.name, f"template variable {v}", f)
            for f, text in draft_fields(draft)
            for v in find_template_vars(text, self.ignore_code)
        ]
        if hits and self.action == "drop":
            return None, hits
        return draft, hits


# --- language -----------------------------------------------------------------------------


@cache
def _identifier() -> Any:
    """py3langid's model with probabilities, loaded once (about 0.7 s) and only when used.

    A private instance, so that nobody else's ``set_languages`` changes our answers.
    """
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@lru_cache(maxsize=1 << 16)
def detect_language(text: str) -> tuple[str, float]:
    """(ISO 639-1 code, probability) of ``text`` by py3langid.

    Cached: support logs repeat their canned answers thousands of times.
    """
    lang, prob = _identifier().classify(text)
    return str(lang), float(prob)


_LANG_CODE = re.compile(r"^[a-z]{2,3}$")
# The opening of a long answer tells its language as well as the whole, at a fraction of the
# cost (the detector is linear in bytes).
_JUDGED_CHARS = 500


@dataclass(frozen=True)
class Language:
    """Keep pairs in the allowed languages.

    Texts shorter than ``min_chars`` are not judged (chat shorthand fools any detector), nor
    are texts the detector is unsure of (below ``min_confidence``). An empty ``allowed``
    keeps every language and skips detection altogether.
    """

    name: ClassVar[str] = "language"
    description: ClassVar[str] = "drop pairs written in a language outside the allowed ones"
    allowed: tuple[str, ...] = ()
    min_chars: int = 25
    min_confidence: float = 0.8
    # The answer is what the model learns; a customer writing in English to an agent who
    # answers in Portuguese is fine. Judging prompts too doubles the cost.
    check_prompt: bool = False

    def __post_init__(self) -> None:
        bad = [code for code in self.allowed if not _LANG_CODE.match(code)]
        if bad:
            raise ConfigError(
                f"rule language: {', '.join(map(repr, bad))} is not a language code",
                'use ISO 639-1 codes such as "pt" or "en"',
            )
        if not 0 <= self.min_confidence <= 1:
            raise ConfigError("rule language: min_confidence must be between 0 and 1")

    def apply(self, draft: PairDraft) -> Result:
        if not self.allowed:
            return draft, []
        checked = [("response", draft.response)]
        if self.check_prompt:
            checked.insert(0, ("prompt", draft.prompt))
        hits = []
        for fld, text in checked:
            if len(text.strip()) < self.min_chars:
                continue
            lang, prob = detect_language(text[:_JUDGED_CHARS])
            if lang not in self.allowed and prob >= self.min_confidence:
                hits.append(RuleHit(self.name, f"{fld} is in {lang!r} ({prob:.2f})", fld))
        return (None, hits) if hits else (draft, [])
