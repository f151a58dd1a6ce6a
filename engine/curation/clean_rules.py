"""The contract of a cleaning rule, and the pieces every rule shares.

A rule's ``apply(draft)`` returns the draft (the same object when nothing changed, a new one
when it rewrote text) or None to drop the pair, with the hits that say what it found and
why. The rules that rewrite text live in :mod:`text_rules`, the ones that judge a pair and
drop it in :mod:`filter_rules`; :mod:`clean` runs them in order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import ClassVar, Protocol, runtime_checkable

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


def draft_fields(draft: PairDraft) -> Iterator[tuple[str, str]]:
    """(field, text) of everything a rule may judge: prompt, response, context turns."""
    yield "prompt", draft.prompt
    yield "response", draft.response
    for _, text in draft.context:
        yield "context", text


def check_choice(rule: str, option: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(
            f"rule {rule}: {option} must be one of {', '.join(choices)}, not {value!r}"
        )
