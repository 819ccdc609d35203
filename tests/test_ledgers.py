"""Targets and owners ledgers extracted at ingest from the real corpus."""

from __future__ import annotations

from policy_assistant.knowledge.owners import split_owners
from policy_assistant.numerals import cn_to_int


def _plan_targets(service):  # type: ignore[no-untyped-def]
    return [t for t in service.snapshot.targets if t.doc_id == "yuhang-qianwan-plan-2023-2027"]


def test_main_plan_yields_several_dozen_targets(real_service) -> None:  # type: ignore[no-untyped-def]
    assert len(_plan_targets(real_service)) >= 40


def test_year_phrase_governs_following_clauses(real_service) -> None:  # type: ignore[no-untyped-def]
    targets = _plan_targets(real_service)
    income = {t.year: t for t in targets if "人均可支配收入" in t.indicator}
    assert income[2025].figure() == "达到5.7万元"
    assert income[2027].figure() == "达到6.5万元"
    urban = {t.year: t.figure() for t in targets if "城镇化率" in t.indicator}
    assert urban == {2025: "85%以上", 2027: "85.5%以上"}
    gap = next(t for t in targets if "倍差" in t.indicator and t.year == 2027)
    assert gap.comparator == "下降…以上" and gap.value == 0.02


def test_comparators_and_scopes(real_service) -> None:  # type: ignore[no-untyped-def]
    targets = _plan_targets(real_service)
    tuowei = next(t for t in targets if "托位" in t.indicator and t.unit == "个" and t.value == 360)
    assert tuowei.comparator == "以上"
    villages = next(t for t in targets if t.year == 2027 and "示范村" in t.indicator)
    assert villages.figure() == "12个左右"
    fund = [t for t in targets if "帮促资金" in t.indicator]
    assert fund and all(t.comparator == "不少于" and t.value == 11 and t.unit == "亿元" for t in fund)
    assert all("累计" in t.scope for t in fund)
    yearly = next(t for t in targets if "宅基地" in t.indicator)
    assert yearly.scope == "每年" and yearly.figure() == "200宗以上"
    community = next(t for t in targets if t.value == 66)
    assert community.scope.startswith("十四五") and community.year is None


def test_central_document_grain_target(real_service) -> None:  # type: ignore[no-untyped-def]
    grain = next(t for t in real_service.snapshot.targets if t.doc_id == "zyyhwj-2023" and "粮食产量" in t.indicator)
    assert grain.figure() == "1.3万亿斤以上"


def test_chinese_numerals_are_understood(real_service) -> None:  # type: ignore[no-untyped-def]
    reg = [t for t in real_service.snapshot.targets if t.doc_id == "zj-rural-sewage-regulation-2019"]
    assert any(t.value == 24 and t.unit == "小时" for t in reg)
    assert any(t.value == 5000 and t.unit == "元" for t in reg)
    assert cn_to_int("二十四") == 24 and cn_to_int("五千") == 5000 and cn_to_int("一百零五") == 105


def test_owners_per_article_and_document_level(real_service) -> None:  # type: ignore[no-untyped-def]
    owners = real_service.snapshot.owners
    art5 = [o for o in owners if o.doc_id == "zj-rural-sewage-regulation-2019" and o.section_path == ["第五条"]]
    names = {o.owner for o in art5}
    assert {"省住房城乡建设主管部门", "省生态环境主管部门"} <= names
    plan = [o for o in owners if o.doc_id == "yuhang-qianwan-plan-2023-2027"]
    leads = {o.owner for o in plan if o.form == "牵头"}
    assert leads == {"区农业农村局", "区发改局"}
    assert all(o.level == "document" for o in plan)  # the plan assigns owners only at document level
    assert any(o.form == "专班" for o in plan)
    assert any(o.form == "发文机关" and "余杭" in o.owner for o in plan)


def test_split_owners() -> None:
    assert split_owners("区农业农村局、区发改局") == ["区农业农村局", "区发改局"]
    assert split_owners("农业农村、发展改革、财政等有关部门") == ["农业农村、发展改革、财政等有关部门"]


def test_approximate_figures_and_durations(real_service) -> None:  # type: ignore[no-untyped-def]
    report = [t for t in real_service.snapshot.targets if t.doc_id == "qianwan-gongcheng-jingyan-2023"]
    figures = {t.figure() for t in report}
    assert "300多万户" in figures and "200余人" in figures
    assert any(t.unit == "年" and t.value == 20 for t in report)  # 实施20年来: a duration
    assert not any(t.unit == "年" and t.value >= 1900 for t in real_service.snapshot.targets)  # years are not figures


def test_every_row_has_a_kind_and_only_plans_set_targets(real_service) -> None:  # type: ignore[no-untyped-def]
    by_doc: dict[str, list[str]] = {}
    for t in real_service.snapshot.targets:
        by_doc.setdefault(t.doc_id, []).append(t.kind)
    # the plan's figures are to be reached, except those that qualify a noun: the threshold of what is counted
    # ("年经营性收入150万元以上行政村占比达到100%"), a descriptor ("步行15分钟的服务圈"), a term ("再延长30年")
    plan = [t for t in real_service.snapshot.targets if t.doc_id == "yuhang-qianwan-plan-2023-2027"]
    limits = {(t.value, t.unit) for t in plan if t.kind == "limit"}
    assert limits == {(150.0, "万元"), (200.0, "万元"), (15.0, "分钟"), (5.0, "亿元"), (30.0, "年")}
    assert all(t.kind == "target" for t in plan if (t.value, t.unit) in {(100.0, "%"), (85.0, "%"), (10.0, "%")})
    # the retrospective report states what was reached: history (由2003年…提高到2022年, 用118天)
    assert by_doc["qianwan-gongcheng-jingyan-2023"].count("target") <= 2
    assert by_doc["qianwan-gongcheng-jingyan-2023"].count("history") >= 15
    # a regulation's figures are fines and time limits
    assert set(by_doc["zj-rural-sewage-regulation-2019"]) == {"limit"}


def test_ledger_keyword_matches_the_figures_own_clause(real_service) -> None:  # type: ignore[no-untyped-def]
    rows = real_service.targets(query="收入")
    assert rows and all("收入" in t.clause or "收入" in t.indicator for t in rows)
    assert not any("城镇化率" in t.indicator or "卫生院" in t.indicator for t in rows)
    assert {t.kind for t in real_service.targets(kind="all")} >= {"target", "history", "limit"}
    assert all(t.kind == "limit" for t in real_service.targets(kind="limit"))


def test_an_elided_indicator_and_a_qualifying_figure() -> None:
    """'信息化率2025年底达到50%，2027年达到58%以上': the second figure continues the same indicator; a figure
    that qualifies a noun ('超5亿元的全产业链', '150万元以上行政村占比') is not one to reach, but
    '安排不少于10%的用地指标' is."""
    from policy_assistant.ingest.prepare import prepare_document

    text = ("某某县数字乡村实施方案（2025—2027年）\n\n一、主要目标\n\n"
            "全县农业生产信息化率2025年底达到50%，2027年达到58%以上。"
            "到2027年，建设3条年产值超5亿元的农业全产业链，集体经济年经营性收入150万元以上行政村占比达到100%。"
            "新编国土空间规划应安排不少于10%的建设用地指标。\n")
    rows = {(t.value, t.unit): t for t in prepare_document("方案.txt", text.encode(), "upload", 1200).targets}
    assert rows[(50.0, "%")].indicator == rows[(58.0, "%")].indicator == "全县农业生产信息化率"
    assert (rows[(50.0, "%")].year, rows[(58.0, "%")].year) == (2025, 2027)
    assert rows[(5.0, "亿元")].kind == rows[(150.0, "万元")].kind == "limit"
    assert rows[(3.0, "条")].kind == rows[(100.0, "%")].kind == rows[(10.0, "%")].kind == "target"
