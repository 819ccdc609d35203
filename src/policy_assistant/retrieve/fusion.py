"""Score fusion of ranked lists: reciprocal-rank fusion, or min-max normalised weighted sum."""

from __future__ import annotations

from collections.abc import Sequence


def rrf(rankings: Sequence[Sequence[int]], k: int = 60, weights: Sequence[float] | None = None) -> dict[int, float]:
    """Reciprocal-rank fusion: score(d) = Σ w_i / (k + rank_i(d)), ranks starting at 1.

    Args:
        rankings: for each retriever, item ids best first.
        k: the RRF constant (60 in the original paper); larger flattens the rank curve.
        weights: per-retriever weights (default all 1).
    Returns:
        Fused score per item id.
    """
    weights = weights or [1.0] * len(rankings)
    scores: dict[int, float] = {}
    for ranking, w in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + w / (k + rank)
    return scores


def weighted(results: Sequence[Sequence[tuple[int, float]]], weights: Sequence[float]) -> dict[int, float]:
    """Weighted sum of min-max normalised scores; an item missing from a list scores 0 there.

    Args:
        results: for each retriever, (item id, raw score) pairs.
        weights: one weight per retriever.
    Returns:
        Fused score per item id.
    """
    fused: dict[int, float] = {}
    for pairs, w in zip(results, weights, strict=True):
        if not pairs:
            continue
        values = [s for _, s in pairs]
        lo, hi = min(values), max(values)
        span = hi - lo
        for item, s in pairs:
            norm = (s - lo) / span if span > 0 else 1.0
            fused[item] = fused.get(item, 0.0) + w * norm
    return fused


def top(scores: dict[int, float], n: int) -> list[tuple[int, float]]:
    """The ``n`` best (item, score), ties broken by item id for determinism."""
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
