"""Evaluators of what a run measured while answering: latency, and perplexity of the reference.

They read the answer's context (``latency_s``, ``nlls``) and return nothing when the run did
not record it, e.g. no log-likelihoods from an assistant behind an API.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from afina.engine.eval import metrics
from afina.engine.eval.contract import (
    KNOWN_METRICS,
    NEEDS_LOGPROBS,
    NEEDS_TIMING,
    Evaluator,
    MetricSpec,
)


class LatencyEvaluator(Evaluator):
    name: ClassVar[str] = "latency"
    description: ClassVar[str] = "Seconds from the question to the complete answer"
    capabilities: ClassVar[frozenset[str]] = frozenset({NEEDS_TIMING})
    metrics: ClassVar[tuple[MetricSpec, ...]] = (KNOWN_METRICS["latency_s"],)

    def score(
        self, prediction: str, reference: str, context: Mapping[str, Any] | None = None
    ) -> dict[str, float]:
        value = (context or {}).get("latency_s")
        if value is None or not math.isfinite(float(value)):
            return {}
        return {"latency_s": float(value)}


class PerplexityEvaluator(Evaluator):
    name: ClassVar[str] = "perplexity"
    description: ClassVar[str] = "Perplexity of the reference answer under the assistant's model"
    capabilities: ClassVar[frozenset[str]] = frozenset({NEEDS_LOGPROBS})
    metrics: ClassVar[tuple[MetricSpec, ...]] = (KNOWN_METRICS["perplexity"],)

    def score(
        self, prediction: str, reference: str, context: Mapping[str, Any] | None = None
    ) -> dict[str, float]:
        nlls = [float(x) for x in (context or {}).get("nlls") or ()]
        if not nlls:
            return {}
        # nll_sum and n_tokens let the report pool tokens across answers (module report.py).
        return {
            "perplexity": metrics.perplexity(nlls),
            "nll_sum": math.fsum(nlls),
            "n_tokens": float(len(nlls)),
        }
