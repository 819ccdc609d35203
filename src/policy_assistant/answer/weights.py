"""Every scoring weight of the answer engine, by name, in one place (``resources/weights.json``).

The target scorer is a linear model over named features; its weights are fit to the development
sets by ``evals/fit_weights.py`` (logistic regression, rescaled so the two coverage weights sum to 1,
which keeps the support thresholds on their old scale), never set inline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

TARGET_FEATURES = ("coverage", "wide_coverage", "retrieval_rank", "forward", "history", "anchor", "year_match")


@dataclass(frozen=True)
class Weights:
    """The named weights of the answer engine."""

    target: dict[str, float]  # feature name → weight of the target-record scorer
    min_support: dict[str, float]  # question kind → support below which the documents "do not say"
    owner: dict[str, float]  # owner-record scorer: role_form (bonus for the role asked, malus for another),
    # title_share (how much of a clause's support may come from its document's title)
    fitted_on: tuple[str, ...] = ()  # the development sets the weights were fit on
    lexical: dict[str, float] = field(default_factory=dict)  # absent_term: weight of a word no document uses

    def target_score(self, features: dict[str, float]) -> float:
        """The linear score of a target record from its features."""
        return sum(self.target.get(name, 0.0) * value for name, value in features.items())


@lru_cache(maxsize=1)
def load_weights() -> Weights:
    """The packaged weights."""
    raw = json.loads(resources.files("policy_assistant").joinpath("resources/weights.json").read_text(encoding="utf-8"))
    return Weights(target=dict(raw["target"]), min_support=dict(raw["min_support"]), owner=dict(raw["owner"]),
                   fitted_on=tuple(raw.get("fitted_on", ())), lexical=dict(raw.get("lexical", {})))
