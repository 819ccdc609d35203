"""Task tables (重点任务分工表) in Word files: rows become owner records, and who-leads / who-cooperates
questions about an uploaded plan are answered from them (real loader, real default model)."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from policy_assistant.knowledge.tables import parse_header, split_bodies

ROWS = [
    ["1", "推进农村生活污水治理提标改造", "县治水办", "县住建局、县生态环境分局", "2024年12月底"],
    ["2", "编制农房设计图集", "县自然资源和规划局", "", "2024年6月底"],
    ["3", "开展垃圾分类示范村创建", "县综合执法局", "各乡镇（街道）", "长期"],
]


def _plan(path: Path) -> Path:
    d = docx.Document()
    for line in ["某某县2024年和美乡村建设实施方案", "一、主要目标", "到2025年，建成和美乡村20个以上。", "二、重点任务",
                 "（一）推进农村生活污水治理。实施提标改造工程，完善运维管理机制。",
                 "（二）开展农房风貌提升。编制农房设计图集，推广浙派民居。", "三、保障措施", "各乡镇要高度重视。",
                 "附件：重点任务分工表"]:
        d.add_paragraph(line)
    table = d.add_table(rows=1, cols=5)
    for cell, head in zip(table.rows[0].cells, ["序号", "重点任务", "牵头单位", "配合单位", "完成时限"], strict=True):
        cell.text = head
    for row in ROWS:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = value
    d.save(path)
    return path


def test_header_columns_and_body_cells() -> None:
    table = parse_header(["序号", "重点任务", "牵头单位", "配合单位", "完成时限"])
    assert table is not None and (table.task, table.lead, table.coop, table.deadline) == (1, 2, 3, 4)
    assert parse_header(["序号", "村名", "人口"]) is None
    assert split_bodies("县住建局、县生态环境分局") == ["县住建局", "县生态环境分局"]


@pytest.fixture(scope="module")
def plan_service(tmp_path_factory, model_cache):  # type: ignore[no-untyped-def]
    from policy_assistant.config import Settings
    from policy_assistant.service import PolicyService

    root = tmp_path_factory.mktemp("tables")
    path = _plan(root / "和美乡村实施方案.docx")
    settings = Settings(index_dir=root / "indexes", data_dir=model_cache, corpus_dir=root, _env_file=None)  # type: ignore[call-arg]
    service = PolicyService(settings)
    service.ingest([path])
    return service


def test_table_rows_become_lead_and_cooperating_owners(plan_service) -> None:  # type: ignore[no-untyped-def]
    owners = {(o.form, o.owner) for o in plan_service.snapshot.owners}
    assert ("牵头单位", "县治水办") in owners
    assert {("配合单位", "县住建局"), ("配合单位", "县生态环境分局")} <= owners
    # the empty 配合单位 cell of row 2 keeps its column: its deadline is not read as a body
    assert not any(o.owner.startswith("2024") for o in plan_service.snapshot.owners)
    row2 = next(o for o in plan_service.snapshot.owners if o.owner == "县自然资源和规划局")
    assert "2024年6月底" in row2.task and row2.section_path[-1].startswith("附件")


@pytest.mark.parametrize(("question", "expected", "not_expected"), [
    ("推进农村生活污水治理提标改造谁牵头？", ["县治水办"], []),
    ("污水治理提标改造哪些部门配合？", ["县住建局", "县生态环境分局"], []),
    ("农房设计图集由哪个部门负责？", ["县自然资源和规划局"], []),
    ("开展垃圾分类示范村创建需要哪些单位配合？", ["各乡镇"], ["县治水办"]),
    # the body states the task in its own words (完善运维管理机制, under 推进农村生活污水治理): its table row owns it
    ("完善运维管理机制这块谁牵头", ["县治水办"], []),
])
def test_owner_questions_are_answered_from_the_task_table(plan_service, question, expected, not_expected) -> None:  # type: ignore[no-untyped-def]
    answer = plan_service.ask(question)
    assert answer.answered, answer.answer
    first_line = answer.answer.split("依据")[0]
    assert all(e in first_line for e in expected) and not any(n in first_line for n in not_expected)
    assert answer.citations and "附件" in answer.citations[0].section_path[-1]
