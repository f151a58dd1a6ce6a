"""Where in a pair's text its rule hits are: the spans a reviewer should see marked.

A stored rule hit names its rule and field, not a place. The rules that judge things inside
the text (web addresses, template variables, media placeholders) find them again here with
their own patterns (``spans``); rules about a field as a whole (length, trivial, language)
and hits from elsewhere (duplicates) have no spans, and a UI marks the field instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache

from afina.engine.curation.clean import RULES, make_rule
from afina.engine.curation.clean_rules import Rule, rule_spans
from afina.engine.errors import ConfigError
from afina.engine.types import RuleHit

HitSpan = tuple[int, int, str]  # start, end, the rule's name


def configured_rules(config: Mapping[str, Mapping[str, object]] | None = None) -> dict[str, Rule]:
    """Every rule by name with the options ``config`` gives it (afina.toml's curate.rules).

    Disabled rules are included (their hits from earlier runs stay stored), and a rule whose
    options do not check out falls back to its defaults: marking text never fails.
    """
    config = config or {}
    rules: dict[str, Rule] = {}
    for name in RULES:
        try:
            rules[name] = make_rule(name, config.get(name))
        except ConfigError:
            rules[name] = make_rule(name)
    return rules


@cache
def _default_rules() -> dict[str, Rule]:
    return configured_rules()


def hit_spans(
    text: str, hits: Iterable[RuleHit], rules: Mapping[str, Rule] | None = None
) -> list[HitSpan]:
    """(start, end, rule) of what ``hits`` (one field's hits) are about in ``text``, in order.

    ``rules`` are the rules as configured (see :func:`configured_rules`); defaults without.
    """
    rules = _default_rules() if rules is None else rules
    spans: list[HitSpan] = []
    for name in dict.fromkeys(h.rule for h in hits):
        rule = rules.get(name)
        if rule is not None:
            spans += [(a, b, name) for a, b in rule_spans(rule, text)]
    return sorted(spans)


__all__ = ["HitSpan", "configured_rules", "hit_spans"]
