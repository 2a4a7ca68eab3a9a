"""95% bootstrap confidence intervals for the per-item metrics (items resampled with
replacement; with ~150 items one item moves a rate by ~0.7 points)."""

from __future__ import annotations

import random

from evals.metrics import ItemResult, item_values

ROUNDS = 2000
SEED = 79243


def bootstrap(
    values: list[float], *, rounds: int = ROUNDS, seed: int = SEED
) -> tuple[float, float]:
    """Percentile interval (2.5%, 97.5%) of the mean of ``values``."""
    if not values:
        return (float("nan"), float("nan"))
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(rng.choices(values, k=n)) / n for _ in range(rounds))
    return means[int(0.025 * rounds)], means[min(rounds - 1, int(0.975 * rounds))]


def intervals(results: list[ItemResult]) -> dict[str, tuple[float, float]]:
    out = {}
    for key, values in item_values(results).items():
        vals = [v for v in values if v is not None]
        if vals:
            out[key] = bootstrap(vals)
    return out
