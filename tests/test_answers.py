"""Grounded answers on the real corpus: figures with year and comparator, owners, refusals, follow-ups."""

from __future__ import annotations

import pytest

from policy_assistant.answer.verify import unsupported_figures
from policy_assistant.models import Message

TARGETS = [
    ("2025年城镇化率目标是多少?", ["85%以上"], "二、总体目标"),
    ("2027年农村居民人均可支配收入目标是多少?", ["6.5万元"], "二、总体目标"),
    ("托位要新增多少个?", ["360个以上", "3.8个"], "3.健全城乡养老托育体系"),
    ("粮食播种面积是多少?", ["22.29万亩"], "1.确保粮食安全和重要农产品稳产保供"),
    ("协作帮促资金要落实多少?", ["11亿元"], "(四)实施乡村共同富裕提升行动"),
    ("2023年中央一号文件的粮食产量目标是多少", ["1.3万亿斤"], "(一)全力抓好粮食生产"),
]


@pytest.mark.parametrize(("question", "figures", "section"), TARGETS)
def test_target_answers_state_the_figure_and_cite_the_section(real_service, question, figures, section) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask(question)
    assert a.answered, a.answer
    for fig in figures:
        assert fig in a.answer
    assert any(section in c.section_path for c in a.citations), [c.section_path for c in a.citations]
    assert not unsupported_figures(a.answer, a.citations)
    assert a.mode == "extractive" and a.targets


def test_owner_named_in_the_plan(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("谁牵头细化专项方案?")
    assert a.answered and "区农业农村局" in a.answer and "区发改局" in a.answer
    assert a.citations[0].section_path[0] == "六、保障措施"


def test_owner_named_in_the_regulation(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("污水处理设施水污染物排放标准由谁制定?")
    assert a.answered and a.answer.startswith("省生态环境主管部门")
    assert a.citations[0].section_path == ["第五条"]


def test_task_without_an_explicit_owner_says_so_and_gives_the_lead(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("方案里建设数字乡村36个这项任务由哪个部门负责?")
    assert not a.answered and a.reason == "match.owner.unnamed"  # the documents do not say who
    assert "没有明确" in a.answer
    assert "区农业农村局" in a.answer  # the document-level lead, not a guess from the topic
    assert not unsupported_figures(a.answer, a.citations)


@pytest.mark.parametrize("question", ["2030年城镇化率目标是多少?", "余杭区GDP增长目标是多少?", "萧山区新增多少普惠托位?"])
def test_refuses_when_the_documents_are_silent(real_service, question) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask(question)
    assert a.answered is False
    assert not unsupported_figures(a.answer, a.citations, question)  # no invented figure


def test_refusal_offers_the_years_that_exist(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("2030年城镇化率目标是多少?")
    assert "2025" in a.answer and "2027" in a.answer and "85.5%" in a.answer


def test_follow_up_resolves_the_year_against_history(real_service) -> None:  # type: ignore[no-untyped-def]
    history = [
        Message(role="user", content="2025年农村居民人均可支配收入目标是多少?"),
        Message(role="assistant", content="到2025年，农村居民人均可支配收入达到5.7万元。"),
    ]
    a = real_service.ask("那2027年呢?", history)
    assert a.answered and "6.5万元" in a.answer and "5.7" not in a.answer
    assert a.resolved_question and "2027" in a.resolved_question


def test_follow_up_who_is_responsible(real_service) -> None:  # type: ignore[no-untyped-def]
    history = [Message(role="user", content="污水处理设施建设标准是怎么规定的?")]
    a = real_service.ask("谁负责?", history)
    assert a.answered and "省住房城乡建设主管部门" in a.answer


def test_traditional_question_gets_a_traditional_answer(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("到2025年農村居民人均可支配收入目標是多少?")
    assert a.answered and "5.7萬元" in a.answer and "農村" in a.answer


def test_list_of_a_sections_parts(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("保障措施有哪些?")
    assert a.answered
    for part in ("强化组织领导", "强化政策支持", "强化氛围营造", "强化督导服务"):
        assert part in a.answer
    a = real_service.ask("乡村振兴促进法有几章?")
    assert "十章" in a.answer and "第十章附则" in a.answer


def test_dates_and_document_number(real_service) -> None:  # type: ignore[no-untyped-def]
    assert "2023年4月11日" in real_service.ask("余杭这个实施方案是什么时候印发的?").answer
    assert "2021年6月1日" in real_service.ask("乡村振兴促进法什么时候起施行?").answer
    assert "余政办〔2023〕29号" in real_service.ask("实施方案的文号是多少?").answer


def test_answers_are_fast_when_warm(real_service) -> None:  # type: ignore[no-untyped-def]
    real_service.ask("普惠托位目标")
    a = real_service.ask("能繁母猪存栏要稳定在多少?")
    assert a.answered and "0.6万头" in a.answer
    assert a.latency_ms > 0


def test_count_of_articles(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("乡村振兴促进法一共多少条?")
    assert a.answered and "七十四条" in a.answer


def test_addressees_of_the_plan(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("这个实施方案是发给哪些单位的?")
    assert a.answered
    for name in ("各镇人民政府", "街道办事处", "专班各成员单位"):
        assert name in a.answer


def test_when_question_about_an_event_the_documents_do_not_date_is_refused(real_service) -> None:  # type: ignore[no-untyped-def]
    assert real_service.ask("乡村振兴促进法什么时候修订过?").answered is False
    assert real_service.ask("方案的中期评估安排在什么时候?").answered is False


def test_definition_asked_of_a_term_the_documents_only_mention(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("“五和众联”是什么意思?")
    assert a.answered is False
    assert "五和众联" in a.answer and a.citations  # it says where the term is mentioned


def test_follow_up_swaps_the_entity(real_service) -> None:  # type: ignore[no-untyped-def]
    history = [Message(role="user", content="2025年农村居民人均可支配收入目标是多少?"),
               Message(role="assistant", content="到2025年，农村居民人均可支配收入达到5.7万元。")]
    a = real_service.ask("那城镇化率呢?", history)
    assert a.answered and "85%以上" in a.answer


def test_follow_up_where_is_it(real_service) -> None:  # type: ignore[no-untyped-def]
    first = real_service.ask("污水处理设施水污染物排放标准由谁制定?")
    history = [Message(role="user", content="污水处理设施水污染物排放标准由谁制定?"),
               Message(role="assistant", content=first.answer)]
    a = real_service.ask("在哪一条?", history)
    assert a.answered and "第五条" in a.answer
