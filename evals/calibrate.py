"""Calibrate the answer engine's support thresholds on the DEV set only (evals/qa_dev.jsonl).

Sweeps a common scale applied to MIN_SUPPORT and prints fact accuracy, refusal accuracy and the
false-refusal rate for each; pick the scale that balances them and write it into
answer/engine.py. Never run this on qa.jsonl: that set measures, it does not tune.

    .venv/bin/python evals/calibrate.py [--scales 0.8,0.9,1.0,1.1,1.2]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from policy_assistant.answer import engine as engine_module
from policy_assistant.config import Settings
from policy_assistant.eval.dataset import load_items
from policy_assistant.eval.metrics import facts_found
from policy_assistant.service import PolicyService

DEV = Path(__file__).with_name("qa_dev.jsonl")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", default="0.7,0.8,0.9,1.0,1.1,1.2,1.3")
    args = parser.parse_args()
    items = load_items(DEV)
    service = PolicyService(Settings())
    service.ensure_index()
    base = dict(engine_module.MIN_SUPPORT)
    print("scale  fact_acc  refusal_acc  false_refusal")
    for scale in (float(s) for s in args.scales.split(",")):
        engine_module.MIN_SUPPORT.update({k: v * scale for k, v in base.items()})
        service._answers.clear()  # the answer cache would hide the new thresholds
        facts, refusals, false_refusals, n_ans, n_unans = 0, 0, 0, 0, 0
        for item in items:
            answer = service.ask(item.question, item.history)
            if item.answerable:
                n_ans += 1
                facts += bool(answer.answered and facts_found(answer.answer, item.expected_facts))
                false_refusals += not answer.answered
            else:
                n_unans += 1
                refusals += not answer.answered
        print(f"{scale:5.2f}  {facts / n_ans:8.3f}  {refusals / max(1, n_unans):11.3f}  {false_refusals / n_ans:13.3f}")
    engine_module.MIN_SUPPORT.update(base)
    return 0


if __name__ == "__main__":
    sys.exit(main())
