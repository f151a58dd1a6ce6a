"""The cleaning pipeline: configured rules run in order over pair drafts, with counts.

The rules themselves live in :mod:`text_rules` and :mod:`filter_rules`, their contract in
:mod:`clean_rules`. Configuration maps a rule name to its options (``{"urls": {"mode":
"replace"}, "language": {"allowed": ["pt", "en"]}}``, as it comes from afina.toml);
``enabled = false`` turns a rule off. Rules run in a fixed order,
cheap ones first, so language identification only sees pairs the others kept.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from afina.engine.curation.boilerplate import Boilerplate
from afina.engine.curation.clean_rules import CountTokens, Rule, approx_tokens
from afina.engine.curation.filter_rules import Language, Length, Templates, Trivial
from afina.engine.curation.text_rules import Normalize, Placeholders, Urls
from afina.engine.errors import ConfigError
from afina.engine.types import PairDraft, RuleHit

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
RULES: dict[str, type[Any]] = {cls.name: cls for cls in ALL_RULES}
ENABLED = "enabled"

# Every rule on with its defaults. Language filtering needs to know the languages wanted,
# so by default it judges nothing; the demo and a user's afina.toml name them.
DEFAULT_CONFIG: dict[str, dict[str, object]] = {name: {} for name in RULES}


def rule_options(name: str) -> dict[str, object]:
    """The options a rule declares, with their defaults (for forms, docs and validation)."""
    cls = _rule_class(name)
    return {f.name: _default(f) for f in _config_fields(cls)}


def _rule_class(name: str) -> type[Any]:
    try:
        return RULES[name]
    except KeyError:
        raise ConfigError(
            f"unknown cleaning rule {name!r}", f"known rules: {', '.join(RULES)}"
        ) from None


def _config_fields(cls: type[Any]) -> list[dataclasses.Field[Any]]:
    return [
        f
        for f in dataclasses.fields(cls)
        if f.init and not f.name.startswith("_") and f.metadata.get("config", True)
    ]


def _default(f: dataclasses.Field[Any]) -> object:
    if callable(f.default_factory):
        return f.default_factory()
    return f.default


def _coerce(rule: str, option: str, value: object, default: object) -> object:
    """``value`` checked against the type of the option's default; TOML lists become tuples."""
    where = f"rule {rule}: option {option}"
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, not {value!r}")
        return value
    # An int is a fine float; a float is not a fine int, and a bool is neither.
    if isinstance(value, int) and not isinstance(value, bool):
        if isinstance(default, float):
            return float(value)
        if isinstance(default, int):
            return value
    if isinstance(value, float) and isinstance(default, float):
        return value
    if isinstance(default, str) and isinstance(value, str):
        return value
    if isinstance(default, tuple) and isinstance(value, list | tuple):
        if all(isinstance(v, str) for v in value):
            return tuple(value)
        raise ConfigError(f"{where} must be a list of strings, not {value!r}")
    kind = type(default).__name__ if not isinstance(default, tuple) else "list"
    raise ConfigError(f"{where} must be a {kind}, not {value!r}")


def make_rule(
    name: str, options: Mapping[str, object] | None = None, count_tokens: CountTokens | None = None
) -> Rule:
    """One rule by name with checked options; ``count_tokens`` reaches the length rule."""
    cls = _rule_class(name)
    known = {f.name: _default(f) for f in _config_fields(cls)}
    kwargs: dict[str, Any] = {}
    for option, value in (options or {}).items():
        if option == ENABLED:
            continue
        if option not in known:
            raise ConfigError(
                f"rule {name}: unknown option {option!r}",
                f"its options: {', '.join(known) or 'none'}",
            )
        kwargs[option] = _coerce(name, option, value, known[option])
    if cls is Length and count_tokens is not None:
        kwargs["count_tokens"] = count_tokens
    rule: Rule = cls(**kwargs)
    return rule


def build_rules(
    config: Mapping[str, Mapping[str, object]] | None = None,
    count_tokens: CountTokens | None = None,
) -> list[Rule]:
    """The configured rules in pipeline order; rules missing from ``config`` use defaults."""
    config = config or {}
    for name in config:
        _rule_class(name)  # an unknown name is an error, not silently ignored
    rules = []
    for name in RULES:
        options = config.get(name, {})
        enabled = options.get(ENABLED, True)
        if not isinstance(enabled, bool):
            raise ConfigError(f"rule {name}: enabled must be true or false, not {enabled!r}")
        if enabled:
            rules.append(make_rule(name, options, count_tokens))
    return rules


@dataclass
class RuleCount:
    """What one rule did over a run: pairs it dropped, pairs it rewrote, hits it recorded."""

    rule: str
    dropped: int = 0
    changed: int = 0
    hits: int = 0


@dataclass(frozen=True, slots=True)
class Outcome:
    """A draft after the pipeline: cleaned if kept, as the dropping rule saw it if not."""

    draft: PairDraft
    hits: tuple[RuleHit, ...]
    dropped_by: str | None = None

    @property
    def kept(self) -> bool:
        return self.dropped_by is None


@dataclass
class CleanResult:
    """Kept and dropped drafts with their hits, and per-rule counts in pipeline order."""

    kept: list[Outcome] = field(default_factory=list)
    dropped: list[Outcome] = field(default_factory=list)
    counts: list[RuleCount] = field(default_factory=list)

    def removed(self) -> dict[str, int]:
        """Pairs dropped by each rule (what the CLI prints), in pipeline order."""
        return {c.rule: c.dropped for c in self.counts}


class Pipeline:
    """Rules run in order over each draft; the first rule that drops a pair stops it."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)

    @classmethod
    def from_config(
        cls,
        config: Mapping[str, Mapping[str, object]] | None = None,
        count_tokens: CountTokens | None = None,
    ) -> Pipeline:
        """The pipeline afina.toml describes (defaults where it says nothing)."""
        return cls(build_rules(config, count_tokens))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.rules)

    def check(self, draft: PairDraft, counts: Sequence[RuleCount] | None = None) -> Outcome:
        """Run every rule over one draft; ``counts`` (one per rule) are updated in place."""
        hits: list[RuleHit] = []
        for i, rule in enumerate(self.rules):
            new, found = rule.apply(draft)
            hits.extend(found)
            if counts is not None:
                count = counts[i]
                count.hits += len(found)
                count.dropped += new is None
                count.changed += new is not None and new is not draft
            if new is None:
                return Outcome(draft, tuple(hits), rule.name)
            draft = new
        return Outcome(draft, tuple(hits))

    def run(self, drafts: Iterable[PairDraft], keep_dropped: bool = True) -> CleanResult:
        """Clean every draft; ``keep_dropped=False`` keeps only counts of the dropped ones."""
        result = CleanResult(counts=[RuleCount(name) for name in self.names])
        for draft in drafts:
            outcome = self.check(draft, result.counts)
            if outcome.kept:
                result.kept.append(outcome)
            elif keep_dropped:
                result.dropped.append(outcome)
        return result


def default_pipeline(count_tokens: CountTokens | None = None) -> Pipeline:
    """Every rule with its defaults (language detection off until languages are named)."""
    return Pipeline.from_config(DEFAULT_CONFIG, count_tokens)


__all__ = [
    "DEFAULT_CONFIG",
    "RULES",
    "CleanResult",
    "CountTokens",
    "Language",
    "Length",
    "Normalize",
    "Outcome",
    "Pipeline",
    "Placeholders",
    "Rule",
    "RuleCount",
    "Templates",
    "Trivial",
    "Urls",
    "approx_tokens",
    "build_rules",
    "default_pipeline",
    "make_rule",
    "rule_options",
]
