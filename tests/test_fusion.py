"""Score fusion: reciprocal rank and weighted normalised sums."""

from __future__ import annotations

import pytest

from policy_assistant.retrieve.fusion import rrf, top, weighted


def test_rrf_rewards_agreement_between_retrievers() -> None:
    fused = rrf([[1, 2, 3], [3, 1, 4]], k=60)
    order = [item for item, _ in top(fused, 4)]
    assert order[0] == 1  # ranks 1 and 2
    assert order[1] == 3  # ranks 3 and 1
    assert fused[4] == pytest.approx(1 / 63)


def test_rrf_weights_tilt_the_result() -> None:
    fused = rrf([[1, 2], [2, 1]], k=1, weights=[2.0, 0.5])
    assert top(fused, 1)[0][0] == 1


def test_weighted_min_max_normalises_each_list() -> None:
    fused = weighted([[(1, 10.0), (2, 0.0)], [(2, 0.9), (1, 0.8)]], [0.5, 0.5])
    assert fused[1] == pytest.approx(0.5 + 0.0)
    assert fused[2] == pytest.approx(0.0 + 0.5)
    assert weighted([[], [(7, 3.0)]], [0.5, 0.5]) == {7: 0.5}


def test_top_is_deterministic_on_ties() -> None:
    assert top({5: 1.0, 3: 1.0, 9: 0.5}, 2) == [(3, 1.0), (5, 1.0)]
