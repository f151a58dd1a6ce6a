"""The evaluator contract: scores one assistant's answer against the reference.

An evaluator is a plugin (entry-point group ``afina.evaluators``) that turns a prediction,
its reference and a context into named numbers, and declares those numbers as ``metrics``
(label, which direction is better, scale) so that the report can rank assistants honestly
without knowing the plugin. An evaluator is built once with its options (checked and
resolved into ``self.settings``) and then called for every answer; it must be pure (no
writes, no printing) and cheap to construct.

The ``context`` of one answer may hold (an evaluator uses what it needs and returns ``{}``
when something it needs is missing, e.g. no log-likelihoods for an API assistant):

- ``question``: the prompt the assistant answered;
- ``facts``: curated key facts of the reference (list of str), preferred to extraction;
- ``latency_s``: seconds from the request to the complete answer;
- ``nlls``: per-token negative log-likelihoods (natural log) of the reference answer under
  the assistant's model, for perplexity;
- ``tags``: the example's tags (language, topic).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from afina.engine.plugins import Plugin

# Capability flags an evaluator may declare.
NEEDS_REFERENCE = "needs-reference"
NEEDS_LOGPROBS = "needs-logprobs"  # reads context["nlls"]
NEEDS_TIMING = "needs-timing"  # reads context["latency_s"]
CORPUS = "corpus"  # also has a corpus-level score (score_corpus)

Better = Literal["higher", "lower"]


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """How to show and compare one metric. ``better=None``: no direction (e.g. length)."""

    name: str
    label: str
    better: Better | None = "higher"
    unit: str = ""
    digits: int = 3
    binary: bool = False  # 0/1 per example: its share gets a Wilson interval


KNOWN_METRICS: dict[str, MetricSpec] = {
    m.name: m
    for m in (
        MetricSpec("rouge_l", "ROUGE-L"),
        MetricSpec("token_f1", "Token F1"),
        MetricSpec("exact_match", "Exact match", binary=True),
        MetricSpec("bleu", "BLEU", unit="0–100", digits=1),
        MetricSpec("facts", "Facts found (share per question)"),
        MetricSpec("facts_all", "All key facts", binary=True),
        MetricSpec("perplexity", "Perplexity of the reference", better="lower", digits=2),
        MetricSpec("latency_s", "Latency per answer", better="lower", unit="s", digits=2),
        MetricSpec("length", "Answer length", better=None, unit="words", digits=1),
    )
}


def metric_spec(name: str, extra: Mapping[str, MetricSpec] | None = None) -> MetricSpec:
    """The spec of a metric name; an unknown one is shown without a direction."""
    if extra and name in extra:
        return extra[name]
    return KNOWN_METRICS.get(name) or MetricSpec(name, name, better=None)


class Evaluator(Plugin):
    kind: ClassVar[str] = "evaluator"
    metrics: ClassVar[tuple[MetricSpec, ...]] = ()

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self.settings = self.resolve_options(dict(options or {}))

    def score(
        self, prediction: str, reference: str, context: Mapping[str, Any] | None = None
    ) -> dict[str, float]:
        """Named scores of one answer; names are among ``metrics`` or are helper counts."""
        raise NotImplementedError

    def score_corpus(
        self,
        predictions: Sequence[str],
        references: Sequence[str],
        contexts: Sequence[Mapping[str, Any]] | None = None,
    ) -> dict[str, float]:
        """Scores that only exist for a whole set of answers (corpus BLEU); none by default."""
        return {}
