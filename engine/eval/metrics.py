"""Per-answer metrics: token F1, exact match, ROUGE-L, BLEU, length, facts, perplexity.

Pure functions over strings and numbers; nothing here loads a model.

Normalization (``normalize``), shared by token F1, exact match, ROUGE-L and length:

- NFKC, then ``casefold`` (case never matters);
- accents are kept by default: in Portuguese they carry meaning ("é" is "is", "e" is "and";
  "pôde"/"pode"), so an answer that drops them loses a little overlap. ``strip_accents=True``
  is there for a lenient comparison;
- punctuation and symbols (Unicode categories P* and S*: ``.,;:!?$%>`` and emoji) become
  spaces, except a ``.``, ``,``, ``:`` or ``/`` between two digits, which is removed, so a
  number stays one token and both notations agree: ``99,90`` and ``99.90`` → ``9990``,
  ``9:00`` → ``900``, ``11/06`` → ``1106``;
- no article removal (SQuAD drops English "a/an/the"; in Portuguese "a" is also a preposition,
  so afina drops nothing in either language).

ROUGE-L is implemented here (LCS F-measure over ``tokens``) rather than taken from
``rouge-score``: that package's default tokenizer keeps only ``[a-z0-9]`` and so splits
"mês" into "m s" and "manutenção" into "manuten o"; afina's tokens keep every Unicode letter.
On ASCII text without punctuation inside numbers the two agree (a test checks this against
``rouge-score`` when it is installed). ROUGE-L here is the F1 (beta = 1) of LCS precision and
recall, as ``rouge-score`` reports ``rougeL.fmeasure``, without stemming.

BLEU is sacreBLEU's (imported when first used), on its 0–100 scale, with its defaults (13a
tokenizer, case-sensitive, exponential smoothing; sentence BLEU with effective order), so the
numbers are comparable with published sacreBLEU scores; ``bleu_signature`` says exactly which.
A mean of sentence BLEU is not corpus BLEU: the report shows both.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from afina.engine.eval.facts import Fact, FactMatch, fact_coverage, key_facts, match_facts

# Aliased: the metrics take a keyword argument of the same name.
from afina.engine.text import nfc
from afina.engine.text import strip_accents as without_accents

__all__ = [
    "Fact",
    "FactMatch",
    "answer_length",
    "bleu",
    "bleu_signature",
    "corpus_bleu",
    "exact_match",
    "fact_coverage",
    "key_facts",
    "lcs_length",
    "match_facts",
    "normalize",
    "perplexity",
    "pooled_perplexity",
    "rouge_l",
    "token_f1",
    "tokens",
]

_INNER_NUMBER_SEP = re.compile(r"(?<=\d)[.,:/](?=\d)")


def normalize(text: str, *, strip_accents: bool = False) -> str:
    """Casefolded text without punctuation, one space between words (module docstring)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if strip_accents:
        text = nfc(without_accents(text))
    text = _INNER_NUMBER_SEP.sub("", text)
    text = "".join(" " if unicodedata.category(c)[0] in "PS" else c for c in text)
    return " ".join(text.split())


def tokens(text: str, *, strip_accents: bool = False) -> list[str]:
    return normalize(text, strip_accents=strip_accents).split()


def token_f1(prediction: str, reference: str, *, strip_accents: bool = False) -> float:
    """SQuAD-style F1 of the multiset overlap of tokens; 1.0 when both are empty."""
    pred = tokens(prediction, strip_accents=strip_accents)
    ref = tokens(reference, strip_accents=strip_accents)
    if not pred or not ref:
        return float(pred == ref)
    same = sum((Counter(pred) & Counter(ref)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


def exact_match(prediction: str, reference: str, *, strip_accents: bool = False) -> float:
    """1.0 when both normalize to the same text (case, punctuation, spacing ignored)."""
    return float(
        normalize(prediction, strip_accents=strip_accents)
        == normalize(reference, strip_accents=strip_accents)
    )


def lcs_length(a: Sequence[Any], b: Sequence[Any]) -> int:
    """Length of the longest common subsequence (O(len(a)·len(b)) time, O(len(b)) memory)."""
    if len(a) < len(b):
        a, b = b, a
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b, 1):
            cur.append(prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]


def rouge_l(prediction: str, reference: str, *, strip_accents: bool = False) -> float:
    """ROUGE-L F-measure (beta = 1) over ``tokens``; 0.0 when either side is empty."""
    pred = tokens(prediction, strip_accents=strip_accents)
    ref = tokens(reference, strip_accents=strip_accents)
    if not pred or not ref:
        return 0.0
    lcs = lcs_length(pred, ref)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(pred), lcs / len(ref)
    return 2 * precision * recall / (precision + recall)


@lru_cache(maxsize=8)
def _bleu(tokenize: str, lowercase: bool, sentence: bool) -> Any:
    from sacrebleu.metrics import BLEU

    return BLEU(tokenize=tokenize, lowercase=lowercase, effective_order=sentence)


def bleu(
    prediction: str, reference: str, *, tokenize: str = "13a", lowercase: bool = False
) -> float:
    """sacreBLEU sentence BLEU (0–100), equal to ``sacrebleu.sentence_bleu(...).score``."""
    return float(_bleu(tokenize, lowercase, True).sentence_score(prediction, [reference]).score)


def corpus_bleu(
    predictions: Sequence[str],
    references: Sequence[str],
    *,
    tokenize: str = "13a",
    lowercase: bool = False,
) -> float:
    """sacreBLEU corpus BLEU (0–100) of aligned predictions and single references."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions but {len(references)} references")
    if not predictions:
        return 0.0
    metric = _bleu(tokenize, lowercase, False)
    return float(metric.corpus_score(list(predictions), [list(references)]).score)


def bleu_signature(*, tokenize: str = "13a", lowercase: bool = False) -> str:
    """sacreBLEU's signature of the corpus BLEU settings, for the report."""
    return str(_bleu(tokenize, lowercase, False).get_signature())


def answer_length(text: str) -> int:
    """Words in the answer, counted as ``tokens`` counts them (punctuation is not a word)."""
    return len(tokens(text))


def perplexity(nlls: Iterable[float]) -> float:
    """exp of the mean per-token negative log-likelihood (natural log) of one text."""
    values = [float(x) for x in nlls]
    if not values:
        raise ValueError("perplexity needs at least one token's log-likelihood")
    return math.exp(math.fsum(values) / len(values))


def pooled_perplexity(texts: Iterable[Iterable[float]]) -> float:
    """Perplexity of many texts together: every token weighs the same, not every text."""
    values = [float(x) for nlls in texts for x in nlls]
    return perplexity(values)
