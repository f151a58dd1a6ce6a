"""Cleaning and quality rules: named, configurable steps over one pair draft each.

A rule's ``apply(draft)`` returns the draft (the same object when nothing changed, a new one
when it rewrote text) or None to drop the pair, with the hits that say what it found and
why. Rules are deterministic and cheap; language identification is the slow one and runs last
in the default pipeline, so it only sees pairs the cheaper rules kept.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from typing import Any, ClassVar, Protocol, runtime_checkable

from afina.engine.curation.boilerplate import Boilerplate
from afina.engine.errors import ConfigError
from afina.engine.types import PairDraft, RuleHit

CountTokens = Callable[[str], int]
Result = tuple[PairDraft | None, list[RuleHit]]

# Word pieces of at most six characters and single punctuation marks: subword tokenizers cut
# long words into a few pieces, so this lands near a real token count without loading one.
_TOKEN = re.compile(r"\w{1,6}|[^\w\s]")


def approx_tokens(text: str) -> int:
    """A cheap stand-in for the base model's tokenizer (words in pieces, punctuation)."""
    return len(_TOKEN.findall(text))


class Rule(Protocol):
    """What the pipeline needs of a rule."""

    name: ClassVar[str]
    description: ClassVar[str]

    def apply(self, draft: PairDraft) -> Result: ...


@runtime_checkable
class MarksSpans(Protocol):
    """A rule that can say where in a text the things it judges are (for a reviewer's eyes).

    Optional: rules about a field as a whole (its length, its language) have no spans.
    """

    def spans(self, text: str) -> list[tuple[int, int]]: ...


def rule_spans(rule: object, text: str) -> list[tuple[int, int]]:
    """(start, end) of what ``rule`` looks for in ``text``, in order; none for whole-field rules."""
    return sorted(rule.spans(text)) if isinstance(rule, MarksSpans) else []


# --- helpers shared by the rules ----------------------------------------------------------


def _fields(draft: PairDraft) -> Iterator[tuple[str, str]]:
    """(field, text) of everything a rule may judge: prompt, response, context turns."""
    yield "prompt", draft.prompt
    yield "response", draft.response
    for _, text in draft.context:
        yield "context", text


def _rewrite(
    draft: PairDraft, fix: Callable[[str], str], system: bool = False
) -> tuple[PairDraft, list[str]]:
    """Apply ``fix`` to the prompt, response and context (and system); the fields changed.

    Context turns that become empty are left out. The draft itself is returned when nothing
    changed, so the pipeline can count rewrites by identity.
    """
    changed = []
    prompt, response = fix(draft.prompt), fix(draft.response)
    if prompt != draft.prompt:
        changed.append("prompt")
    if response != draft.response:
        changed.append("response")
    context = tuple((role, fix(text)) for role, text in draft.context)
    if context != draft.context:
        changed.append("context")
        context = tuple((role, text) for role, text in context if text)
    sys_text = draft.system
    if system and sys_text is not None:
        sys_text = fix(sys_text) or None
        if sys_text != draft.system:
            changed.append("system")
    if not changed:
        return draft, []
    new = replace(draft, prompt=prompt, response=response, context=context, system=sys_text)
    return new, changed


def _blank(text: str) -> bool:
    """Nothing but spaces and invisible marks."""
    return not _INVISIBLE.sub("", text).replace("\u200d", "").strip()


def _emptied(rule: str, draft: PairDraft, why: str) -> list[RuleHit]:
    """Hits for a rewritten pair that lost its prompt or response (the pair is dropped)."""
    hits = []
    if _blank(draft.prompt):
        hits.append(RuleHit(rule, f"prompt {why}", "prompt"))
    if _blank(draft.response):
        hits.append(RuleHit(rule, f"response {why}", "response"))
    return hits


def _fold(text: str) -> str:
    """Lowercase without accents, for comparing chat text typed with and without them."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _check_choice(rule: str, option: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(
            f"rule {rule}: {option} must be one of {', '.join(choices)}, not {value!r}"
        )


# --- whitespace and markup ----------------------------------------------------------------

# Zero-width and bidi controls: invisible, and they split words and duplicates apart. The
# zero-width joiner is handled on its own (it holds emoji sequences together) and the
# non-joiner is left alone (it is spelling in Persian and Indic scripts).
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
_ZWJ_RUN = re.compile("\u200d{2,}")
_LOOSE_ZWJ = re.compile(r"(?:(?<=[\w\s])|^)\u200d|\u200d(?=[\w\s]|$)")
_NEWLINES = re.compile("\r\n|[\r\u2028\u2029\x0b\x0c\x85]")
_SPACES = re.compile("[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_RUN_OF_SPACES = re.compile(r"(?<=\S) {2,}")
_BLANK_LINES = re.compile(r"\n{3,}")
_FENCE = re.compile(r"(```.*?(?:```|$))", re.S)
# Anything normalize_whitespace would change (a superset: a false alarm only costs time).
_DIRTY = re.compile(
    "[\u200b-\u200f\u2060\ufeff\u00ad\u061c\u202a-\u202e\u2066-\u2069"
    "\r\u2028\u2029\x0b\x0c\x85\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]"
    r"|  | \n|\n\n\n|^\s|\s$"
)

# Slack: <@U123|ana>, <#C1|general>, <!here>, <https://x|label>, <mailto:a@b|a@b>.
_SLACK_LINK = re.compile(r"<((?:https?|mailto|tel):[^|>\s]+)(?:\|([^>]*))?>")
_SLACK_REF = re.compile(r"<([@#!])([^|>\s]+)(?:\|([^>]*))?>")
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_MD_HEADING = re.compile(r"^#{1,6}\s+", re.M)
_MD_EMPHASIS = re.compile(r"(\*\*|__|~~)(?=\S)(.+?)(?<=\S)\1")
# Single * _ ~ emphasis only around whole words, so snake_case and 2*3*4 stay as they are.
_CHAT_EMPHASIS = re.compile(r"(?<![\w*_~])([*_~])(?=\S)([^*_~\n]+?)(?<=\S)\1(?![\w*_~])")
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_SHORTCODE = re.compile(r":[a-z0-9_+-]+:")


def _slack_link(m: re.Match[str]) -> str:
    target, label = m.group(1), m.group(2)
    if target.startswith(("mailto:", "tel:")):
        return label or target.split(":", 1)[1]
    return f"{label} ({target})" if label and label != target else target


def _slack_ref(m: re.Match[str]) -> str:
    sigil, ident, label = m.groups()
    if sigil == "!":
        return f"@{label or ident}"
    return f"{sigil}{label or ident}"


def _md_link(m: re.Match[str]) -> str:
    label, url = m.group(1), m.group(2)
    return url if label == url else f"{label} ({url})"


def strip_markup(text: str) -> str:
    """Slack and Markdown markup to plain text; links keep their address in parentheses."""
    text = _SLACK_LINK.sub(_slack_link, text)
    text = _SLACK_REF.sub(_slack_ref, text)
    text = _MD_IMAGE.sub(lambda m: m.group(1), text)
    text = _MD_LINK.sub(_md_link, text)
    text = _MD_HEADING.sub("", text)
    text = _MD_EMPHASIS.sub(r"\2", text)
    text = _CHAT_EMPHASIS.sub(r"\2", text)
    text = _INLINE_CODE.sub(r"\1", text)
    text = _SHORTCODE.sub("", text)
    # Slack escapes &, < and > in text; Markdown exports may carry entities too.
    return html.unescape(text)


def _tidy_prose(text: str) -> str:
    """Collapse runs of spaces inside lines (not indentation) and trim line ends."""
    text = _SPACES.sub(" ", text)
    text = _RUN_OF_SPACES.sub(" ", text)
    return "\n".join(line.rstrip() for line in text.split("\n"))


def normalize_whitespace(text: str) -> str:
    """Newlines to \\n, invisible marks out, spaces collapsed outside code fences, trimmed."""
    # Most chat messages are clean already; one search says so at a fraction of the work.
    if not _DIRTY.search(text) and unicodedata.is_normalized("NFC", text):
        return text
    text = unicodedata.normalize("NFC", text)
    text = _NEWLINES.sub("\n", text)
    text = _INVISIBLE.sub("", text)
    # A joiner belongs between two emoji; anywhere else it is junk.
    text = _LOOSE_ZWJ.sub("", _ZWJ_RUN.sub("\u200d", text))
    # Code blocks keep their spacing: indentation and alignment are part of the answer.
    parts = _FENCE.split(text)
    text = "".join(p if i % 2 else _tidy_prose(p) for i, p in enumerate(parts))
    return _BLANK_LINES.sub("\n\n", text).strip()


@dataclass(frozen=True)
class Normalize:
    """Whitespace and markup normalization (a rewrite; never drops a pair that had text)."""

    name: ClassVar[str] = "normalize"
    description: ClassVar[str] = (
        "collapse spaces, normalize newlines, remove zero-width and bidi marks, "
        "optionally strip Slack/Markdown markup"
    )
    strip_markup: bool = False

    def _fix(self, text: str) -> str:
        if self.strip_markup:
            text = strip_markup(text)
        return normalize_whitespace(text)

    def apply(self, draft: PairDraft) -> Result:
        new, changed = _rewrite(draft, self._fix, system=True)
        what = "whitespace and markup" if self.strip_markup else "whitespace"
        hits = [RuleHit(self.name, f"normalized {what}", f) for f in changed]
        if new is not draft and (empty := _emptied(self.name, new, "is empty")):
            return None, hits + empty
        return new, hits


# --- media placeholders and system lines --------------------------------------------------

_MEDIA_WORDS = (
    r"media|m[ií]dia|image|imagem|photo|foto|picture|video|v[ií]deo|audio|[aá]udio|"
    r"voice(?: message)?|sticker|figurinha|gif|file|arquivo|document|documento|"
    r"attachment|anexo|contact|contato|location|localiza[cç][aã]o"
)
_PLACEHOLDER = re.compile(
    rf"""[ \t]*(?:  # the space before a placeholder goes with it: "Vi aqui <edited>." -> "Vi aqui."
    \[(?:{_MEDIA_WORDS})(?::[^\]\n]*)?\]                                  # [media] [file: a.jpg]
    | <(?:m[ií]dia\ oculta|media\ omitted|arquivo\ de\ m[ií]dia\ oculto
         |(?:{_MEDIA_WORDS})\ (?:omitted|omitid[oa]|ocultad[oa]))>             # <Mídia oculta>
    | <(?:attached|anexado|anexo|adjunto):[^>\n]*>                        # <attached: x.jpg>
    | <(?:this\ message\ was\ edited|mensagem\ editada|se\ editó\ este\ mensaje)>
    | (?<!\w)(?:image|video|audio|sticker|gif|document|contact\ card)\ omitted(?!\w)
    | (?<!\w)(?:imagem|v[ií]deo|[aá]udio|figurinha|documento)\ ocultad[oa](?!\w)
    )""",
    re.I | re.X,
)
# Lines that are the chat app talking, not a person (kept whole-line only: "ele saiu" is not).
_SYSTEM_LINE = re.compile(
    r"""^\W*(?:
      this\ message\ was\ deleted | you\ deleted\ this\ message
    | esta\ mensagem\ foi\ apagada | mensagem\ apagada | voc[eê]\ apagou\ esta\ mensagem
    | se\ elimin[oó]\ este\ mensaje | eliminaste\ este\ mensaje
    | messages\ and\ calls\ are\ end-to-end\ encrypted.*
    | as\ mensagens\ e\ (?:as\ )?(?:liga[cç][oõ]es|chamadas)\ s[aã]o\ protegidas.*
    | .{1,80}\ (?:has\ joined\ the\ channel|joined\ the\ channel|has\ left\ the\ channel)
    | .{1,80}\ entrou\ usando\ o\ link\ de\ convite.*
    | missed\ (?:voice|video)\ call | chamada\ de\ (?:voz|v[ií]deo)\ perdida
    | null
    )\W*$""",
    re.I | re.X,
)
_SYSTEM_LINES = re.compile(_SYSTEM_LINE.pattern, re.I | re.X | re.M)
# Every placeholder has one of these; a plain search for them is several times faster.
_PLACEHOLDER_HINT = re.compile(r"[\[<]|omitted|ocultad", re.I)


def _remove_placeholders(text: str, extra: re.Pattern[str] | None) -> str:
    if not (
        (_PLACEHOLDER_HINT.search(text) and _PLACEHOLDER.search(text))
        or _SYSTEM_LINES.search(text)
        or (extra is not None and extra.search(text))
    ):
        return text  # the common case, found with three searches instead of a loop
    lines, changed = [], False
    for line in text.split("\n"):
        if _SYSTEM_LINE.match(line):
            changed = True
            continue
        cleaned = _PLACEHOLDER.sub("", line)
        if extra is not None:
            cleaned = extra.sub("", cleaned)
        if cleaned == line:
            lines.append(line)
            continue
        changed = True
        if not _blank(cleaned):
            # Close the gap the placeholder left, without touching the rest of the line.
            lines.append(re.sub(r" {2,}", " ", cleaned).strip())
    return "\n".join(lines).strip() if changed else text


def _placeholder_spans(text: str, extra: re.Pattern[str] | None) -> list[tuple[int, int]]:
    """Where _remove_placeholders would cut: whole system lines, placeholders (no spaces)."""
    spans, start = [], 0
    for line in text.split("\n"):
        if _SYSTEM_LINE.match(line):
            body = line.strip()
            if body:
                a = start + line.index(body)
                spans.append((a, a + len(body)))
        else:
            for pattern in (_PLACEHOLDER, extra):
                for m in pattern.finditer(line) if pattern is not None else ():
                    lead = len(m.group()) - len(m.group().lstrip(" \t"))
                    if m.start() + lead < m.end():
                        spans.append((start + m.start() + lead, start + m.end()))
        start += len(line) + 1
    return sorted(spans)


@dataclass(frozen=True)
class Placeholders:
    """Media placeholders and system lines: removed from text; a pair left without a prompt or
    a response (a reply that was only a photo) is dropped."""

    name: ClassVar[str] = "placeholders"
    description: ClassVar[str] = (
        "remove media placeholders ([media], <Mídia oculta>) and system lines; "
        "drop a pair whose prompt or response was only that"
    )
    extra: tuple[str, ...] = ()  # more placeholder texts, matched case-insensitively
    _extra: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        if self.extra:
            alternatives = "|".join(re.escape(x) for x in sorted(self.extra, key=len, reverse=True))
            object.__setattr__(self, "_extra", re.compile(f"[ \t]*(?:{alternatives})", re.I))

    def spans(self, text: str) -> list[tuple[int, int]]:
        """The media placeholders and system lines in ``text``."""
        return _placeholder_spans(text, self._extra)

    def apply(self, draft: PairDraft) -> Result:
        new, changed = _rewrite(draft, lambda t: _remove_placeholders(t, self._extra))
        hits = [
            RuleHit(self.name, "removed a media placeholder or system line", f) for f in changed
        ]
        if new is not draft and (empty := _emptied(self.name, new, "was only a placeholder")):
            return None, hits + empty
        return new, hits


# --- URLs ---------------------------------------------------------------------------------

_URL = re.compile(r"(?<![\w@/])(?:https?://|www\.)[^\s<>\"'`]+", re.I)
_TRAILING = ".,;:!?'\"”’…"
_CLOSERS = {")": "(", "]": "[", "}": "{"}


def _trim_url(url: str) -> str:
    """Drop sentence punctuation after an address, and a ")" that closes the sentence."""
    while url:
        last = url[-1]
        unbalanced = last in _CLOSERS and url.count(last) > url.count(_CLOSERS[last])
        if last not in _TRAILING and not unbalanced:
            break
        url = url[:-1]
    return url


def find_urls(text: str) -> list[tuple[int, int]]:
    """Spans of web addresses (http, https, www.) in ``text``."""
    spans = []
    for m in _URL.finditer(text):
        url = _trim_url(m.group())
        if len(url) > len("www.") and "." in url:
            spans.append((m.start(), m.start() + len(url)))
    return spans


def _host(url: str) -> str:
    rest = re.sub(r"^(?:https?://)", "", url, flags=re.I)
    return re.split(r"[/?#:]", rest, maxsplit=1)[0].lower().removeprefix("www.")


URL_MODES = ("keep", "replace", "drop")


@dataclass(frozen=True)
class Urls:
    """Web addresses: keep them (flagged), replace them with a placeholder, or drop the pair.

    Addresses on ``keep_domains`` (and their subdomains) are always kept: a company's own
    links are part of what its assistant should answer.
    """

    name: ClassVar[str] = "urls"
    description: ClassVar[str] = "keep, replace (with <URL>) or drop pairs with web addresses"
    mode: str = "keep"
    placeholder: str = "<URL>"
    keep_domains: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_choice(self.name, "mode", self.mode, URL_MODES)

    def _kept(self, url: str) -> bool:
        host = _host(url)
        return any(host == d or host.endswith("." + d) for d in self.keep_domains)

    def _urls(self, text: str) -> list[tuple[int, int]]:
        return [(a, b) for a, b in find_urls(text) if not self._kept(text[a:b])]

    def spans(self, text: str) -> list[tuple[int, int]]:
        """The addresses this rule acts on, and the placeholders it put in place of others."""
        spans = self._urls(text)
        if self.placeholder:
            found = re.finditer(re.escape(self.placeholder), text)
            spans += [(m.start(), m.end()) for m in found]
        return sorted(spans)

    def _replace(self, text: str) -> str:
        for a, b in reversed(self._urls(text)):
            text = text[:a] + self.placeholder + text[b:]
        return text

    def apply(self, draft: PairDraft) -> Result:
        found = [(f, text[a:b]) for f, text in _fields(draft) for a, b in self._urls(text)]
        if not found:
            return draft, []
        if self.mode == "drop":
            return None, [RuleHit(self.name, f"has a web address: {u}", f) for f, u in found]
        if self.mode == "keep":
            return draft, [RuleHit(self.name, f"web address: {u}", f) for f, u in found]
        new, changed = _rewrite(draft, self._replace)
        return new, [
            RuleHit(self.name, f"replaced a web address with {self.placeholder}", f)
            for f in changed
        ]


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


_ANY_SHORTCODE = re.compile(_SHORTCODE.pattern, re.I)


def _raw_words(text: str) -> list[str]:
    """Words as written, without shortcodes (":blush:"), punctuation or emoji."""
    return _NON_WORD.sub(" ", _ANY_SHORTCODE.sub(" ", text)).split()


def _folded(words: list[str]) -> list[str]:
    """Words lowercased, without accents or drawn-out letters ("Obrigadaaa" -> "obrigada")."""
    return [_REPEATS.sub(r"\1", _fold(w)) for w in words]


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
        _check_choice(self.name, "action", self.action, TEMPLATE_ACTIONS)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """The un-rendered template variables in ``text``."""
        return _template_spans(text, self.ignore_code)

    def apply(self, draft: PairDraft) -> Result:
        hits = [
            RuleHit(self.name, f"template variable {v}", f)
            for f, text in _fields(draft)
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


ALL_RULES: tuple[type[Rule], ...] = (
    Normalize,
    Placeholders,
    Urls,
    Templates,
    Boilerplate,  # before trivial, which drops an answer left as "Claro."
    Trivial,
    Length,
    Language,
)

__all__ = [
    "ALL_RULES",
    "TRIVIAL_PHRASES",
    "Boilerplate",
    "CountTokens",
    "Language",
    "Length",
    "MarksSpans",
    "Normalize",
    "Placeholders",
    "Result",
    "Rule",
    "Templates",
    "Trivial",
    "Urls",
    "approx_tokens",
    "detect_language",
    "find_template_vars",
    "find_urls",
    "normalize_whitespace",
    "rule_spans",
    "strip_markup",
]
