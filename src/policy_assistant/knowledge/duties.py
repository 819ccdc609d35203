"""The duties ledger (责任清单): every body's role in every task, from the owner records of each document.

The owner records are extracted at ingest (clauses: X牵头, 由X负责, X应当…; task tables: 牵头单位 /
配合单位 per row); a duty is one of them with its role named the way officials read a 任务分解表, the
bodies sharing the statement, and the deadline the row or the clause gives.
"""

from __future__ import annotations

import re

from ..ingest.normalise import normalise_line
from ..models import Duty, Owner
from .tables import split_deadline

# owner-record form → the role shown in the ledger
_ROLE = {"牵头单位": "牵头", "牵头": "牵头", "配合单位": "配合", "责任单位": "负责", "负责": "负责", "由…负责": "负责",
         "应当": "应当", "不得": "不得", "主管部门": "主管", "审批": "审批", "同意": "同意", "专班": "统筹", "发文机关": "发文", "主送": "主送"}
# a verb inside the task that says more than 负责: 审批, 同意, 监督…
_VERB_ROLES = [("审批", re.compile(r"审批|批准|核准")), ("同意", re.compile(r"同意")), ("监督", re.compile(r"监督|监管|检查")),
               ("制定", re.compile(r"^(?:制定|编制|组织编制)")), ("报告", re.compile(r"^(?:报告|报送)"))]
_CLAUSE_DEADLINE = re.compile(r"\d+个?(?:工作)?日内|\d+小时内|[一二三四五六七八九十]+个?(?:工作)?日内|\d{4}年\d{1,2}月(?:底|前|\d{1,2}日前)?|\d{4}年(?:底|前)")


def role_of(owner: Owner) -> str:
    """The role a record gives its body: the form's, sharpened by the task's verb (负责…审批 → 审批)."""
    role = _ROLE.get(owner.form, owner.form)
    if role in ("负责", "应当"):
        head = re.split(r"[,，;；]|并|以及", owner.task)[0]  # the duty proper, before what it adds
        for name, pattern in _VERB_ROLES:
            if pattern.search(head):
                return name
    return role


def duties(owners: list[Owner]) -> list[Duty]:
    """One duty per owner record (document order), bodies of the same statement listed together."""
    together: dict[tuple[str, str, str], list[str]] = {}
    for o in owners:
        together.setdefault((o.doc_id, o.sentence, o.form), []).append(o.owner)
    out = []
    for o in owners:
        if o.form == "发文机关":
            continue  # issuing the document is no task of the 责任清单 (the owner records keep it for "谁发的")
        task, table_deadline = split_deadline(o.task)
        clause = _CLAUSE_DEADLINE.search(normalise_line(o.task))
        out.append(Duty(
            doc_id=o.doc_id, doc_title=o.doc_title, actor=o.owner,
            actors=list(dict.fromkeys(together[(o.doc_id, o.sentence, o.form)])),
            role=role_of(o), task=task, deadline=table_deadline or (clause.group(0) if clause else ""),
            source="table" if o.source == "table" else "document" if o.level == "document" else "clause",
            section_id=o.section_id, section_path=o.section_path, page=o.page, chunk_id=o.chunk_id, quote=o.sentence,
        ))
    return out
