"""Learning curves read aloud: after each evaluation, what the curves show and what to try.

Pure functions over the loss history, so they are tested without training anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Advice:
    verdict: str  # "too-early", "learning", "flat", "overfitting", "converged"
    message: str


def _trend(values: Sequence[float]) -> float:
    """Relative change from the first to the last third of ``values`` (negative: falling)."""
    n = len(values)
    third = max(1, n // 3)
    head = sum(values[:third]) / third
    tail = sum(values[-third:]) / third
    return (tail - head) / head if head else 0.0


def read_curves(train: Sequence[float], validation: Sequence[float]) -> Advice:
    """``train``: training losses logged so far; ``validation``: one loss per evaluation."""
    if len(validation) < 2 or len(train) < 3:
        return Advice("too-early", "Too early to read the curves; the next evaluation will tell.")
    train_trend = _trend(train)
    best = min(validation)
    best_at = validation.index(best)
    rising = validation[-1] > best * 1.02 and best_at < len(validation) - 1
    if rising and train_trend < -0.02:
        since = len(validation) - 1 - best_at
        return Advice(
            "overfitting",
            f"Overfitting: validation loss has risen for {since} evaluation(s) since its best "
            f"({best:.3f}) while training loss keeps falling. Try fewer epochs or early "
            "stopping (train.early_stopping_patience), a lower learning rate, more data, or "
            "replay of general data (train.replay_fraction); the best checkpoint is kept.",
        )
    val_trend = _trend(validation)
    if train_trend > -0.01 and abs(val_trend) < 0.01:
        if train[-1] > 1.0:
            return Advice(
                "flat",
                f"Flat at a high loss ({train[-1]:.2f}): likely underfitting. Try a higher "
                "learning rate, a larger LoRA rank, more steps, or check that the pairs are "
                "consistent.",
            )
        return Advice(
            "converged",
            "Both curves have levelled off: the model has learned what it can from this data "
            "at these settings; more steps will not help much.",
        )
    if val_trend < -0.01:
        return Advice(
            "learning",
            f"Still learning: validation loss is falling ({validation[0]:.3f} → "
            f"{validation[-1]:.3f}); more steps are likely to help.",
        )
    return Advice(
        "learning",
        "Training loss is falling but validation barely moves: the model may be memorising. "
        "Watch the next evaluations; if validation starts rising, stop early.",
    )
