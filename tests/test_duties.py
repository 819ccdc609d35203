"""The duties ledger (责任清单) and penalty records over the real corpus: CLI, API and exports."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from policy_assistant.api.app import create_app
from policy_assistant.cli import app as cli_app
from policy_assistant.knowledge.export import DUTY_COLUMNS, table_csv

REG = "zj-rural-sewage-regulation-2019"


def test_regulation_articles_give_their_bodies_and_roles(real_service) -> None:  # type: ignore[no-untyped-def]
    duties = real_service.duties(doc=REG)
    art4 = {(d.actor, d.role) for d in duties if d.section_path[-1:] == ["第四条"]}
    assert ("乡(镇)人民政府", "负责") in art4
    art5 = [d for d in duties if d.section_path[-1:] == ["第五条"] and "生态环境" in d.actor]
    assert any("排放水质" in d.task and d.role == "监督" for d in art5)
    assert all(d.quote for d in duties)


def test_penalties_cite_the_article_and_the_fine_range(real_service) -> None:  # type: ignore[no-untyped-def]
    fines = real_service.penalties(doc=REG)
    dumping = [p for p in fines if p.article == "第二十六条第一款"]
    assert dumping and dumping[0].amount_min == 5000 and dumping[0].amount_max == 20000
    assert "污水处理设施主管部门" in dumping[0].imposer
    # "逾期不改正的，处…" carries the article of the sentence before it
    assert all(p.article for p in fines)


def test_cli_duties_json_rows(built_settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PA_INDEX_DIR", str(built_settings.index_dir))
    monkeypatch.setenv("PA_DATA_DIR", str(built_settings.data_dir))
    result = CliRunner().invoke(cli_app, ["duties", "--doc", REG, "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows and {"doc_id", "actor", "actors", "role", "task", "section_path", "quote", "deadline"} <= set(rows[0])
    result = CliRunner().invoke(cli_app, ["penalties", "--doc", REG, "--json"])
    assert result.exit_code == 0 and json.loads(result.output)


def test_api_duties_and_penalties_in_three_formats(built_settings, real_service) -> None:  # type: ignore[no-untyped-def]
    with TestClient(create_app(built_settings, real_service, ui=False, warm=False)) as client:
        body = client.get("/v1/duties", params={"doc": REG, "actor": "生态环境"}).json()
        assert body["count"] and all("生态环境" in d["actor"] for d in body["duties"])
        csv = client.get("/v1/duties", params={"doc": REG, "format": "csv"})
        assert csv.status_code == 200 and csv.text.startswith("\ufeff部门,职责")
        xlsx = client.get("/v1/penalties", params={"doc": REG, "format": "xlsx"})
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
        assert client.get("/v1/penalties", params={"q": "停运"}).json()["count"] >= 1


def test_duty_csv_escapes_formulas() -> None:
    text = table_csv(DUTY_COLUMNS, [["=cmd|' /C calc'!A0", "牵头", "+1", "", "", "", "", "", "", "@x"]])
    assert "'=cmd" in text and "'+1" in text and "'@x" in text


def test_a_body_with_its_duty_verb_and_items_under_an_approval_lead_are_duties() -> None:
    """'X依法查处…' states X's duty without 负责; '有下列情形之一的，应当经X同意：（一）…' gives each item X's approval."""
    from policy_assistant.ingest.prepare import prepare_document

    text = ("某某县农村公路管理办法\n\n第四条 县综合行政执法局依法查处农村公路违法行为。\n\n"
            "第十八条 有下列情形之一的，应当经县交通运输局同意：\n（一）在农村公路用地范围内埋设电缆的；\n"
            "（二）在农村公路上增设平面交叉道口的。\n")
    owners = prepare_document("办法.txt", text.encode(), "upload", 1200).owners
    assert any(o.owner == "县综合行政执法局" and o.task.startswith("查处") for o in owners)
    items = [o for o in owners if o.owner == "县交通运输局" and o.form == "同意"]
    assert {o.task for o in items} >= {"在农村公路用地范围内埋设电缆的", "在农村公路上增设平面交叉道口的"}
    assert all("应当经县交通运输局同意" in o.sentence for o in items)  # the quote holds the lead


def test_qualified_bodies_alternatives_and_defined_classes_are_duties() -> None:
    """'覆盖范围内的村民…应当' is the villager's duty; '由乡镇人民政府或者县主管部门…' gives both bodies;
    'X可以决定由…' is X's decision; a class described and defined as one ('以下统称排水户') stays one actor,
    while named bodies defined together ('乡（镇）人民政府、街道办事处（以下统称…）') stay apart."""
    from policy_assistant.ingest.prepare import prepare_document
    from policy_assistant.knowledge.duties import duties

    text = ("某某市农村污水管理条例\n\n"
            "第四条 乡（镇）人民政府、街道办事处（以下统称乡镇人民政府）按照规定的职责，负责设施的日常管理工作。\n\n"
            "第八条 县（市、区）人民政府可以决定由乡镇人民政府或者县（市、区）污水处理设施主管部门，通过政府购买服务的方式选择运维单位。\n\n"
            "第九条 设施覆盖范围内的村民，应当将生活污水排入设施。\n\n"
            "第十条 从事餐饮经营活动的单位和个人以及从事其他生产经营活动的单位和个人（以下统称排水户）向设施排放污水的，"
            "应当建设预处理设施。\n\n"
            "第十一条 对季节性自产自销活动产生的污水，村民应当做好收集工作。\n")
    rows = {(d.actor, d.role) for d in duties(prepare_document("条例.txt", text.encode(), "upload", 1200).owners)}
    assert ("乡(镇)人民政府", "负责") in rows and ("街道办事处", "负责") in rows
    assert ("县(市、区)人民政府", "决定") in rows
    assert {("乡镇人民政府", "负责"), ("县(市、区)污水处理设施主管部门", "负责")} <= rows
    assert ("村民", "应当") in rows and not any(a.endswith("范围内的村民") for a, _ in rows)
    assert ("从事餐饮经营活动的单位和个人以及从事其他生产经营活动的单位和个人", "应当") in rows


def test_a_plans_yao_is_a_duty_and_issuing_the_document_is_not() -> None:
    """'各地、各部门要…抓好落实' in 保障措施 gives both a document-level duty; the issuer stays an owner record
    (for "谁发的") but is no task of the 责任清单."""
    from policy_assistant.ingest.prepare import prepare_document
    from policy_assistant.knowledge.duties import duties

    text = ("某某县人民政府办公室关于印发某某县和美乡村实施方案的通知\n\n各乡镇人民政府：\n\n"
            "《某某县和美乡村实施方案》已经县政府同意，现印发给你们。\n\n某某县人民政府办公室\n2024年3月1日\n\n"
            "某某县和美乡村实施方案\n\n一、保障措施\n\n（一）强化组织领导。各地、各部门要高质高效抓好各项任务落实。\n")
    prepared = prepare_document("方案.txt", text.encode(), "upload", 1200)
    rows = duties(prepared.owners)
    assert {"各地", "各部门"} <= {d.actor for d in rows}
    assert all(o.level == "document" for o in prepared.owners if o.owner in ("各地", "各部门"))
    assert any(o.form == "发文机关" for o in prepared.owners)  # the issuer is still an owner record…
    assert not any(d.role == "发文" for d in rows)  # …but no row of the ledger
