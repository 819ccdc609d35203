"""Fit the target scorer's weights and its support threshold on the DEVELOPMENT sets only.

For every figure question of ``qa_dev*.jsonl`` the real pipeline reads the question up to retrieval
(normalise → … → expand), then every target record the question could be answered from gets its named
features (``answer/weights.py``) and a label: does the record's sentence hold all the expected facts?
Unanswerable rows label every candidate 0. A logistic regression (numpy, L2) is fit on those rows; its
weights are rescaled so the two coverage weights sum to 1 (the scale the support thresholds and margins
are on), and the target support threshold is the one that answers most dev questions right (a correct
record above it, or nothing above it for an unanswerable one).

Never run on qa.jsonl: that set measures, it does not tune.

    .venv/bin/python evals/fit_weights.py            # print the fit and the dev accuracy, old vs new
    .venv/bin/python evals/fit_weights.py --write    # also write src/policy_assistant/resources/weights.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

from policy_assistant.answer.pipeline import STAGES
from policy_assistant.answer.weights import TARGET_FEATURES, load_weights
from policy_assistant.config import Settings
from policy_assistant.eval.dataset import load_items
from policy_assistant.eval.metrics import facts_found
from policy_assistant.service import PolicyService

HERE = Path(__file__).parent
WEIGHTS = HERE.parent / "src" / "policy_assistant" / "resources" / "weights.json"
READ_STAGES = ("normalise", "understand", "gate", "plan", "retrieve", "expand")
L2 = 0.01


def candidates(service: PolicyService, item) -> list[tuple[dict[str, float], int]]:  # type: ignore[no-untyped-def]
    """(features, label) of every target record the question could be answered from."""
    engine = service.engine()
    rec = engine._record(item.question, item.history, None)
    for name, stage in STAGES:
        if name in READ_STAGES and not rec.done:
            stage(engine, rec)
    if rec.done or rec.q is None:
        return []  # refused at a gate: the scorer never sees it
    docs = rec.doc_ids or rec.followup_docs
    hit_rank = {h.chunk.chunk_id: i + 1 for i, h in enumerate(rec.hits)}
    handlers = engine.handlers.bind(docs, engine.min_support)
    out = []
    for t in engine.snapshot.targets:
        if docs and t.doc_id not in docs:
            continue
        feats = handlers.target_features(rec.q, t, hit_rank)
        if feats["coverage"] < 0.3:
            continue  # far from the question: no information for the fit
        said = f"{t.scope_sentence} {t.norm_sentence} {t.year or ''}年"
        label = int(item.answerable and facts_found(said, item.expected_facts))
        out.append((feats, label))
    return out


def fit(rows: list[tuple[dict[str, float], int]]) -> np.ndarray:
    """Logistic regression weights (last entry: bias), balanced classes, gradient descent."""
    x = np.array([[f[n] for n in TARGET_FEATURES] for f, _ in rows], dtype=float)
    y = np.array([label for _, label in rows], dtype=float)
    x = np.hstack([x, np.ones((len(x), 1))])
    pos = max(1.0, y.sum())
    sample = np.where(y == 1, len(y) / (2 * pos), len(y) / (2 * max(1.0, len(y) - pos)))
    w = np.zeros(x.shape[1])
    for _ in range(4000):
        p = 1 / (1 + np.exp(-x @ w))
        grad = x.T @ ((p - y) * sample) / len(y) + L2 * np.r_[w[:-1], 0]
        w -= 0.5 * grad
    return w


def dev_accuracy(questions: list[tuple[bool, list[tuple[dict[str, float], int]]]], weights: dict[str, float],
                 threshold: float) -> float:
    """Share of dev questions the scorer gets right: the best record is correct and above the threshold,
    or (unanswerable) no record is above it."""
    right = 0
    for answerable, rows in questions:
        scored = sorted(((sum(weights[n] * f[n] for n in TARGET_FEATURES), label) for f, label in rows), reverse=True)
        best = scored[0] if scored else (0.0, 0)
        if answerable:
            right += best[0] >= threshold and best[1] == 1
        else:
            right += best[0] < threshold
    return right / max(1, len(questions))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true", help="write the fitted weights into resources/weights.json")
    parser.add_argument("--without", default="", help="comma-separated features to leave out of the fit (weight 0)")
    args = parser.parse_args()
    files = sorted(HERE.glob("qa_dev*.jsonl"))
    service = PolicyService(Settings())
    service.ensure_index()
    questions: list[tuple[bool, list[tuple[dict[str, float], int]]]] = []
    for path in files:
        for item in load_items(path):
            asks_figure = any(re.search(r"\d", alt) for group in item.expected_facts for alt in group)
            if item.kind in ("target", "followup") and asks_figure or item.kind == "unanswerable":
                rows = candidates(service, item)
                if rows and (not item.answerable or any(label for _, label in rows)):
                    questions.append((item.answerable, rows))
    left_out = {f for f in args.without.split(",") if f}
    for _, rs in questions:
        for feats, _label in rs:
            for f in left_out:
                feats[f] = 0.0
    rows = [r for _, rs in questions for r in rs]
    print(f"{len(questions)} dev questions, {len(rows)} candidate records, {sum(lab for _, lab in rows)} correct")
    w = fit(rows)
    scale = w[0] + w[1]
    if scale <= 0:
        print("coverage weights not positive: the fit is not usable", file=sys.stderr)
        return 1
    fitted = {n: round(float(v / scale), 4) for n, v in zip(TARGET_FEATURES, w[:-1], strict=True)}
    old = load_weights()
    grid = [round(t, 3) for t in np.arange(0.40, 0.90, 0.005)]
    best_thr = max(grid, key=lambda t: (dev_accuracy(questions, fitted, t), -abs(t - old.min_support["target"])))
    print("feature          hand     fitted")
    for n in TARGET_FEATURES:
        print(f"{n:<16} {old.target.get(n, 0.0):7.3f}  {fitted[n]:7.3f}")
    print(f"dev accuracy: hand {dev_accuracy(questions, old.target, old.min_support['target']):.3f} "
          f"(threshold {old.min_support['target']}), fitted {dev_accuracy(questions, fitted, best_thr):.3f} "
          f"(threshold {best_thr})")
    if args.write:
        raw = json.loads(WEIGHTS.read_text(encoding="utf-8"))
        raw["target"] = fitted
        raw["min_support"]["target"] = best_thr
        raw["method"] = "logistic regression on dev-set target candidates (evals/fit_weights.py), rescaled"
        raw["fitted_on"] = [p.name for p in files]
        WEIGHTS.write_text(json.dumps(raw, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {WEIGHTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
