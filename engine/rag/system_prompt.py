"""The domain's system prompt: the instructions the fine-tune trains with and every assistant
answers with, so a comparison between them is decided by the method, not by the prompt.

`[assistant] system_prompt` in afina.toml sets it. Left empty, afina suggests one that names
the business: a small model told whose support it gives stops introducing itself as the
template's default persona ("I'm SmolLM, trained by Hugging Face") and keeps answers short.
The name comes only from what the person told afina: the allow list (which holds the
business's own name so that the scrubber keeps it) or the workspace's name (`afina init
--name`). The capitalised name that recurs most in the answers is offered as a hint, never
put in the prompt: on two of three measured domains it was not the business (a clinic's
answers name "WhatsApp" most, a bakery's its city), and a support assistant told it works for
WhatsApp is worse than one told nothing (benchmarks/RESULTS.md, issue 14).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from afina.engine.config import WorkspaceSettings
from afina.engine.store.pairs import PairFilter
from afina.engine.workspace import Workspace

TEMPLATE = (
    "You are the customer support assistant of {name}. Answer the customer's question "
    "briefly and accurately, in the customer's language."
)
NAMELESS = (
    "You are this business's customer support assistant. Answer the customer's question "
    "briefly and accurately, in the customer's language."
)
_DEFAULT_NAME = WorkspaceSettings().name
# A run of capitalised words (Lumiar Fibra, Aurora Vet Clinic), not the first of a sentence.
# Each word starts upper then lower case: placeholders (<PHONE_1>), codes and acronyms are not
# taken for a name.
_WORD = r"[A-ZÀ-Ý][a-zà-ÿ][\w&'-]*"
_NAME = re.compile(rf"(?<![.!?:\n<]\s)(?<![<\w])(?<!^)({_WORD}(?:\s+{_WORD}){{0,2}})\b")
# Capitalised words that are not names of a business.
_COMMON_WORDS = (
    "I I'm I'll I've OK Ok Hi Hello Olá Oi Obrigado Obrigada Thanks Thank Please Mr Mrs Ms "
    "Dr Sr Sra Monday Tuesday Wednesday Thursday Friday Saturday Sunday Segunda Terça Quarta "
    "Quinta Sexta Sábado Domingo January February March April May June July August September "
    "October November December Janeiro Fevereiro Março Abril Maio Junho Julho Agosto "
    "Setembro Outubro Novembro Dezembro PIX Pix CPF Wi-Fi WiFi Wi English Portuguese Brazil "
    "Brasil"
)
_COMMON = frozenset(_COMMON_WORDS.split())
MIN_SHARE = 0.05  # a name in fewer answers than this is a passing mention


def _looks_like_name(value: str) -> bool:
    return bool(re.search(r"[A-Za-zÀ-ÿ]", value)) and not re.search(r"[\d@/]", value)


def business_name(ws: Workspace, allow: Iterable[str] = ()) -> tuple[str, str]:
    """The business's name and where it was found; ("", why) when nothing names it."""
    for value in (*allow, *ws.config.curate.pii_allow):
        if _looks_like_name(value):
            return value, "the first name in [curate] pii_allow"
    if ws.config.workspace.name != _DEFAULT_NAME:
        return ws.config.workspace.name, "[workspace] name"
    with ws.open_store() as store:
        answers = [p.response for p in store.pairs(PairFilter(status="accepted"), limit=10**9)]
    why = "nothing names the business: set [workspace] name in afina.toml"
    guess = recurring_name(answers)
    if guess:
        why += f" (the accepted answers name {guess!r} most: is that the business?)"
    return "", why


def recurring_name(answers: Iterable[str]) -> str:
    """The capitalised name found in the most answers, if in at least ``MIN_SHARE`` of them."""
    counts: Counter[str] = Counter()
    total = 0
    for answer in answers:
        total += 1
        found = set()
        for m in _NAME.finditer(answer):
            words = [w for w in m.group(1).split() if w not in _COMMON]
            if words and words == m.group(1).split():
                found.add(" ".join(words))
        counts.update(found)
    if not counts or not total:
        return ""
    # Longer names that recur as often win over their first word (Lumiar Fibra over Lumiar).
    name, n = max(counts.items(), key=lambda kv: (kv[1], len(kv[0].split())))
    return name if n >= max(3, MIN_SHARE * total) else ""


def system_prompt_for(ws: Workspace, allow: Iterable[str] = ()) -> str:
    """The workspace's system prompt: the one set in afina.toml, or the suggested one."""
    return ws.config.assistant.system_prompt.strip() or suggest(ws, allow)[0]


def prompt_source(ws: Workspace, allow: Iterable[str] = ()) -> str:
    """Where ``system_prompt_for`` takes the workspace's prompt from, for the preflight."""
    if ws.config.assistant.system_prompt.strip():
        return "[assistant] system_prompt in afina.toml"
    return "suggested: " + suggest(ws, allow)[1]


def suggest(ws: Workspace, allow: Iterable[str] = ()) -> tuple[str, str]:
    """A system prompt for the workspace and why it reads as it does."""
    name, why = business_name(ws, allow)
    if not name:
        return NAMELESS, why
    return TEMPLATE.format(name=name), f"names {name!r}: {why}"
