"""Reference-based text evaluators: word overlap, BLEU, key facts.

Three plugins rather than one, so that a run can pick what it needs and each keeps its own
options: ``overlap`` (ROUGE-L, token F1, exact match, length), ``bleu`` (sacreBLEU, with a
corpus score) and ``facts`` (does the answer carry the reference's numbers, names, codes).
The metrics themselves live in ``afina.engine.eval.metrics``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from afina.engine.eval import metrics
from afina.engine.eval.contract import (
    CORPUS,
    KNOWN_METRICS,
    NEEDS_REFERENCE,
    Evaluator,
    MetricSpec,
)
from afina.engine.plugins import Option


class OverlapEvaluator(Evaluator):
    name: ClassVar[str] = "overlap"
    description: ClassVar[str] = (
        "ROUGE-L, token F1 and exact match against the reference, and length"
    )
    options: ClassVar[tuple[Option, ...]] = (
        Option(
            "strip_accents",
            "bool",
            False,
            "compare without accents (by default 'é' and 'e' differ, as they do in Portuguese)",
        ),
    )
    capabilities: ClassVar[frozenset[str]] = frozenset({NEEDS_REFERENCE})
    metrics: ClassVar[tuple[MetricSpec, ...]] = tuple(
        KNOWN_METRICS[n] for n in ("rouge_l", "token_f1", "exact_match", "length")
    )

    def score(
        self, prediction: str, reference: str, context: Mapping[str, Any] | None = None
    ) -> dict[str, float]:
        strip = bool(self.settings["strip_accents"])
        return {
            "rouge_l": metrics.rouge_l(prediction, reference, strip_accents=strip),
            "token_f1": metrics.token_f1(prediction, reference, strip_accents=strip),
            "exact_match": metrics.exact_match(prediction, reference, strip_accents=strip),
            "length": float(metrics.answer_length(prediction)),
        }


class BleuEvaluator(Evaluator):
    name: ClassVar[str] = "bleu"
    description: ClassVar[str] = "sacreBLEU sentence BLEU per answer and corpus BLEU per assistant"
    options: ClassVar[tuple[Option, ...]] = (
        Option(
            "tokenize",
            "choice",
            "13a",
            "sacreBLEU tokenizer (13a: the standard; intl: Unicode punctuation)",
            ("13a", "intl", "char", "none"),
        ),
        Option("lowercase", "bool", False, "compare case-insensitively"),
    )
    capabilities: ClassVar[frozenset[str]] = frozenset({NEEDS_REFERENCE, CORPUS})
    metrics: ClassVar[tuple[MetricSpec, ...]] = (
        KNOWN_METRICS["bleu"],
        MetricSpec("bleu_corpus", "BLEU (corpus)", unit="0–100", digits=1),
    )

    def score(
        self, prediction: str, reference: str, context: Mapping[str, Any] | None = None
    ) -> dict[str, float]:
        o = self.settings
        return {
            "bleu": metrics.bleu(
                prediction, reference, tokenize=o["tokenize"], lowercase=o["lowercase"]
            )
        }

    def score_corpus(
        self,
        predictions: Sequence[str],
        references: Sequence[str],
        contexts: Sequence[Mapping[str, Any]] | None = None,
    ) -> dict[str, float]:
        o = self.settings
        return {
            "bleu_corpus": metrics.corpus_bleu(
                predictions, references, tokenize=o["tokenize"], lowercase=o["lowercase"]
            )
        }


class FactsEvaluator(Evaluator):
    name: ClassVar[str] = "facts"
    description: ClassVar[str] = (
        "Whether the answer carries the reference's key facts (numbers, names, codes)"
    )
    options: ClassVar[tuple[Option, ...]] = (
        Option(
            "source",
            "choice",
            "given",
            "given: the example's curated facts when it has them, else extracted; "
            "extracted: always extract them from the reference",
            ("given", "extracted"),
        ),
    )
    capabilities: ClassVar[frozenset[str]] = frozenset({NEEDS_REFERENCE})
    metrics: ClassVar[tuple[MetricSpec, ...]] = (KNOWN_METRICS["facts"], KNOWN_METRICS["facts_all"])

    def score(
        self, prediction: str, reference: str, context: Mapping[str, Any] | None = None
    ) -> dict[str, float]:
        given = (context or {}).get("facts")
        if self.settings["source"] == "extracted" or not given:
            facts: Sequence[Any] = metrics.key_facts(reference)
        else:
            facts = [str(f) for f in given]
        found, total = metrics.fact_coverage(prediction, facts=facts)
        out = {"facts_found": float(found), "facts_total": float(total)}
        if total:  # a question without facts says nothing about facts: no share for it
            out.update(facts=found / total, facts_all=float(found == total))
        return out
