"""How answers read in every channel (answer/layout.py): the figure first, one 出处 line, the rest; one script
per answer; Chinese punctuation in prose. Run on the real engine's answers, not on hand-made strings."""

from __future__ import annotations

import pytest

from policy_assistant.answer.layout import blocks, cjk_punctuation, plain_text
from policy_assistant.ingest.normalise import to_traditional

# (question, what the first line must hold): targets, owners, penalties, dates, definitions
FIRST_LINE = [
    ("到2025年农村居民人均可支配收入目标是多少?", ["5.7万元", "2025"]),
    ("托位要新增多少个?", ["360个以上"]),
    ("那个污水出水水质谁监管", ["生态环境主管部门"]),
    ("往污水设施里倒垃圾罚多少？", ["五千元以上两万元以下", "两万元以上十万元以下"]),
    ("乡村振兴促进法什么时候开始施行?", ["2021年6月1日"]),
    ("污水处理设施出了故障运维单位要在多长时间内报告", ["二十四小时"]),
]


@pytest.mark.parametrize(("question", "wanted"), FIRST_LINE)
def test_the_first_line_holds_the_figure_or_the_body(real_service, question: str, wanted: list[str]) -> None:  # type: ignore[no-untyped-def]
    answer = real_service.ask(question)
    assert answer.answered
    first = plain_text(answer).split("\n")[0]
    assert all(w in first for w in wanted), first
    assert answer.headline and all(w in answer.headline for w in wanted)
    assert "根据《" not in first and "依据《" not in first  # the source is the next line, not the lead


def test_nothing_of_the_answer_is_lost_by_the_layout(real_service) -> None:  # type: ignore[no-untyped-def]
    import re

    for question, _ in FIRST_LINE:
        answer = real_service.ask(question)
        figures = set(re.findall(r"\d+(?:\.\d+)?", answer.answer))
        laid = plain_text(answer)
        assert figures <= set(re.findall(r"\d+(?:\.\d+)?", laid)), question
        assert all(b.source or "《" in b.headline for b in blocks(answer)), question  # each names its document


def test_a_penalty_leads_with_who_fines_and_how_much_not_the_whole_article(real_service) -> None:  # type: ignore[no-untyped-def]
    answer = real_service.ask("往污水设施里倒垃圾罚多少？")
    (block,) = blocks(answer)
    assert block.headline.startswith("由") and "违反本条例" not in block.headline
    assert "违反本条例第二十六条" in block.rest  # the act punished stays, below the sanctions


def test_one_script_per_answer(real_service) -> None:  # type: ignore[no-untyped-def]
    from policy_assistant.api.openai_compat import chat_content

    trad = real_service.ask("餘杭區到2025年農村居民人均可支配收入要達到多少")
    content = chat_content(trad)
    assert "來源" in content and "出處" in content and "原文" in content
    assert "《余杭區區域承載能力" in content  # the district's name as its own documents write it, not 餘杭
    simp = real_service.ask("余杭区到2025年农村居民人均可支配收入要达到多少")
    content = chat_content(simp)
    assert "《余杭区区域承载能力" in content and "實施方案" not in content.split("原文")[0]  # titles in the asker's script
    assert "鞏固" in content or "達到" in content  # the quote stays as the source writes it (Traditional)


def test_proper_nouns_keep_their_characters_in_traditional() -> None:
    assert to_traditional("余杭区农村居民收入多余") == "余杭區農村居民收入多餘"


def test_prose_punctuation_is_full_width_and_figures_are_untouched() -> None:
    assert cjk_punctuation("违反本条例规定,处1,000元罚款;(二)情形:10:30") == "违反本条例规定，处1,000元罚款；（二）情形：10:30"
    assert cjk_punctuation("达到3.8个(2025年)") == "达到3.8个（2025年）" and cjk_punctuation("(A)") == "(A)"
