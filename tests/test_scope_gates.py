"""Checks that keep an answer to what was asked, on the real corpus: the years a title names, a thing
the library never mentions, and who made a standard (not who issued the document)."""

from __future__ import annotations

from policy_assistant.answer.question import analyse, asks_issuer, title_years


def test_a_period_in_a_title_names_no_year_of_its_own() -> None:
    assert title_years("余杭区区域承载能力提升和深化千村示范万村整治工程实施方案(2023—2027年)") == set()
    assert title_years("中共中央国务院关于做好2023年全面推进乡村振兴重点工作的意见") == {2023}


def test_a_yearless_target_of_a_plan_is_no_target_for_its_last_year(real_service) -> None:  # type: ignore[no-untyped-def]
    answer = real_service.ask("2027年农民收入到多少")
    assert answer.answered and "6.5万元" in answer.answer and "2亿元" not in answer.answer, answer.answer


def test_a_figure_of_something_the_library_never_names_is_refused(real_service) -> None:  # type: ignore[no-untyped-def]
    answer = real_service.ask("全区养老床位要新增多少张？")
    assert not answer.answered and answer.reason == "plan.absent_noun" and "360" not in answer.answer
    assert real_service.ask("托位要新增多少个？").answered  # a thing it names is answered


def test_who_made_a_standard_is_not_who_issued_the_document(real_service) -> None:  # type: ignore[no-untyped-def]
    assert not asks_issuer(analyse("农村污水处理设施水污染物排放标准是哪个部门制定的？").norm)
    assert asks_issuer(analyse("这个条例是哪个机关制定的").norm)
    answer = real_service.ask("农村污水处理设施水污染物排放标准是哪个部门制定的？")
    assert answer.answered and answer.answer.startswith("省生态环境主管部门"), answer.answer
