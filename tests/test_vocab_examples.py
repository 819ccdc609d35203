"""Example questions kept beside the vocabularies (``resources/*.json``) become test cases: each positive
example must trigger its rule, each negative one must not (the way spaCy keeps patterns as data)."""

from __future__ import annotations

import pytest

from policy_assistant.answer.roles import asked_roles, role_vocabulary
from policy_assistant.answer.scope import contrast_conflict, indicator_conflict, slot_vocabulary
from policy_assistant.ingest.normalise import normalise_query

ROLE_CASES = [(r["id"], q, True) for r in role_vocabulary() for q in r["positive"]] + \
             [(r["id"], q, False) for r in role_vocabulary() for q in r["negative"]]
SLOTS = slot_vocabulary()["examples"]


@pytest.mark.parametrize(("role", "question", "fires"), ROLE_CASES)
def test_owner_role_examples(role: str, question: str, fires: bool) -> None:
    got = {r["id"] for r in asked_roles(normalise_query(question))}
    assert (role in got) is fires


@pytest.mark.parametrize(("question", "clause", "missing"), SLOTS["indicator"]["positive"])
def test_indicator_slot_conflicts(question: str, clause: str, missing: str) -> None:
    assert indicator_conflict(normalise_query(question), clause) == missing


@pytest.mark.parametrize(("question", "clause"), SLOTS["indicator"]["negative"])
def test_indicator_slot_agrees(question: str, clause: str) -> None:
    assert indicator_conflict(normalise_query(question), clause) is None


@pytest.mark.parametrize(("question", "clause"), SLOTS["contrast"]["positive"])
def test_contrast_conflicts(question: str, clause: str) -> None:
    assert contrast_conflict(normalise_query(question), clause) is not None


@pytest.mark.parametrize(("question", "clause"), SLOTS["contrast"]["negative"])
def test_contrast_agrees(question: str, clause: str) -> None:
    assert contrast_conflict(normalise_query(question), clause) is None
