"""Cleaning rules that rewrite text: whitespace and markup, media placeholders, web addresses.

Each one fixes the prompt, response, context and (for whitespace) system text in place, and
drops a pair only when the rewrite left it without a prompt or a response.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import ClassVar

from afina.engine.curation.clean_rules import Result, check_choice, draft_fields
from afina.engine.types import PairDraft, RuleHit


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
SHORTCODE = re.compile(r":[a-z0-9_+-]+:")


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
    text = SHORTCODE.sub("", text)
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
        check_choice(self.name, "mode", self.mode, URL_MODES)

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
        found = [(f, text[a:b]) for f, text in draft_fields(draft) for a, b in self._urls(text)]
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
