"""Question words repaired against the library's own wording: glued pieces cut again, spoken short forms
found in their full form, several indicators in one question, where-in-the-document words dropped."""

from __future__ import annotations

from policy_assistant.answer.evidence import spoken_forms
from policy_assistant.answer.pipeline import recut_absent
from policy_assistant.answer.question import content_terms
from policy_assistant.answer.scope import asked_indicators, indicator_conflict

LIBRARY = "县住房和城乡建设局负责治理设施运维。农房建设不得超过规定层数。未经同意挖掘农村公路的，处罚款。责任制考核。"


def in_library(word: str) -> bool:
    return word in LIBRARY


def test_a_piece_glued_to_an_asking_word_is_cut_on_the_library_word_it_begins_with() -> None:
    assert recut_absent(["设施", "运维归"], "设施运维归哪个部门管", in_library) == ["设施", "运维"]


def test_a_piece_glued_across_a_word_edge_is_cut_on_the_word_reaching_into_it() -> None:
    assert recut_absent(["房盖", "超层"], "农房盖超层了罚多少", in_library)[0] == "农房"


def test_the_tail_of_an_unknown_word_is_not_taken_for_a_word() -> None:
    # "河长制考核": 制考核 is in the library only as the end of 责任制考核, so 河长制 stays (and stays absent)
    assert recut_absent(["河长制", "考核"], "河长制考核归哪个局", in_library) == ["河长制", "考核"]


def test_words_in_the_library_are_left_alone() -> None:
    assert recut_absent(["农房", "建设"], "农房建设", in_library) == ["农房", "建设"]


def test_a_spoken_two_character_word_is_found_in_the_library_wording() -> None:
    assert spoken_forms("挖路", LIBRARY) == ["挖掘农村公路"]
    assert spoken_forms("超层", LIBRARY) == ["超过规定层"]
    assert spoken_forms("农房", LIBRARY) == []  # the library uses it as it is
    assert spoken_forms("运行维护", LIBRARY) == []  # only two-character words


def test_a_question_naming_two_indicators_conflicts_only_with_a_text_stating_neither() -> None:
    q = "2023年农业标准地流转规模和试点个数"
    assert [m for m, _ in asked_indicators(q)] == ["流转", "试点"]
    assert indicator_conflict(q, "建设农业标准地试点2个") is None
    assert indicator_conflict(q, "启动流转500亩以上规模") is None
    assert indicator_conflict(q, "新增托位360个") == "流转规模"
    assert indicator_conflict("余杭区2025年森林覆盖率目标", "污水处理设施行政村覆盖率100%") == "森林覆盖率"


def test_where_the_asker_read_it_is_not_a_topic_word() -> None:
    assert content_terms("法里说的乡村到底指什么") == ["乡村"]


def test_a_whole_word_on_the_left_is_not_cut_into() -> None:
    # "农民|干活": jieba's left word is whole, so no piece reaches from it into 干活
    assert recut_absent(["干活"], "让农民干活挣钱", lambda w: w in "农民干好农民自主干") == ["干活"]


def test_a_thing_of_a_genre_is_not_a_document_of_it() -> None:
    from policy_assistant.retrieve.planner import DocRef, doc_hint

    docs = [DocRef("plan", "某区乡村振兴实施方案(2023-2027年)"), DocRef("law", "中华人民共和国乡村振兴促进法")]
    assert doc_hint("河道管理范围划界方案报谁批", docs) is None  # 划界方案: another thing called 方案
    assert doc_hint("那个方案里托位要新增多少个", docs) == {"plan"}
    assert doc_hint("工钱和待遇法律上怎么保障", docs) == {"law"}
