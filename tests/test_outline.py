"""Outline parser: the tree of each corpus document, inline headings, metadata."""

from __future__ import annotations

from conftest import CORPUS
from policy_assistant.ingest.normalise import clean_text
from policy_assistant.ingest.outline import parse_outline


def _outline(name: str):  # type: ignore[no-untyped-def]
    text = clean_text((CORPUS / name).read_text(encoding="utf-8"))
    return text, parse_outline(text, name)


def test_main_plan_has_six_top_sections_and_third_has_four_children() -> None:
    _, o = _outline("yuhang-qianwan-plan-2023-2027.txt")
    top = o.root.children
    # the closing "附件:…wps" line is the attachment beside the six parts, not inside 六
    assert [s.label for s in top] == ["一", "二", "三", "四", "五", "六", "附件"]
    assert top[6].heading.startswith("附件") and top[5].end <= top[6].start
    assert top[1].heading == "二、總體目標"
    assert len(top[2].children) == 4
    assert [c.label for c in top[2].children] == ["（一）", "（二）", "（三）", "（四）"]
    assert len(top[3].children[3].children) == 4  # 四/（四） has items 1-4


def test_inline_headings_split_before_first_full_stop() -> None:
    text, o = _outline("yuhang-qianwan-plan-2023-2027.txt")
    item = o.root.children[2].children[0].children[0]
    assert item.heading == "1.提升產業平臺功能"
    assert item.sid == "3.1.1"
    assert text[item.body_start:].startswith("按照")
    leadership = o.root.children[5].children[0]
    assert leadership.heading == "（一）強化組織領導"
    assert text[leadership.body_start:].startswith("成立")


def test_main_plan_metadata() -> None:
    _, o = _outline("yuhang-qianwan-plan-2023-2027.txt")
    m = o.meta
    assert m.script == "traditional"
    assert m.title.startswith("余杭區區域承載能力提升")
    assert m.date == "2023-04-11"
    assert m.doc_number == "余政办〔2023〕29号"
    assert "杭州市余杭" in m.issuer
    assert m.addressees[0] == "各镇人民政府"


def test_law_has_ten_chapters_and_74_articles() -> None:
    _, o = _outline("xczx-cujinfa-2021.txt")
    assert o.meta.title == "中华人民共和国乡村振兴促进法"
    assert o.meta.date == "2021-04-29"
    chapters = o.root.children
    assert len(chapters) == 10 and chapters[0].heading == "第一章 总则"
    articles = [s for s in o.sections() if s.kind == "article"]
    assert len(articles) == 74
    assert articles[-1].label == "第七十四条"


def test_regulation_articles_tolerate_a_typo_in_the_label() -> None:
    _, o = _outline("zj-rural-sewage-regulation-2019.txt")
    labels = [s.label for s in o.root.children]
    assert len(labels) == 36
    assert "第三十五条" in labels  # written "第三十五 条" in the source
    fifth = o.root.children[4]
    assert fifth.sid == "art5"


def test_central_document_numbering_continues_across_parts() -> None:
    _, o = _outline("zyyhwj-2023.txt")
    assert len(o.root.children) == 9
    third = o.root.children[2]
    assert [c.label for c in third.children] == ["（十）", "（十一）", "（十二）", "（十三）"]
    assert o.meta.title.startswith("中共中央")


def test_markdown_headings_and_numbered_items() -> None:
    text = "# 测试办法\n\n## 总则\n\n第一条 为了测试，制定本办法。\n\n第二条 本办法适用于：\n\n（一）甲；\n\n（二）乙。\n"
    o = parse_outline(text, "t.md")
    assert o.meta.title == "测试办法"
    general = o.root.children[0]
    assert general.kind == "md" and general.title == "总则"
    art2 = general.children[1]
    assert art2.label == "第二条" and [c.label for c in art2.children] == ["（一）", "（二）"]


def test_section_ids_are_stable_across_parses() -> None:
    _, a = _outline("zyyhwj-2023.txt")
    _, b = _outline("zyyhwj-2023.txt")
    assert [s.sid for s in a.sections()] == [s.sid for s in b.sections()]
