"""An uploaded regulation the corpus does not hold (written for this test, real loader and default model):
the forms regulations use to name who manages, approves and must agree, list items read with their lead,
the penalty for the act asked about, and fines that do not answer other questions."""

from __future__ import annotations

import pytest

from policy_assistant.knowledge.clauses import chunk_sentences
from policy_assistant.retrieve.planner import DocRef, doc_hint

REGULATION = """某某县农村公路养护管理办法

第一章　总则

第一条　为了加强农村公路养护管理，制定本办法。

第二条　县交通运输局是本县农村公路养护工作的主管部门，负责组织、指导和考核全县农村公路养护工作。

县综合行政执法局负责农村公路路政执法工作。乡镇人民政府负责本辖区内村道的日常养护。

第三条　农村公路养护责任按照下列规定确定：

（一）县道，由县公路养护中心负责；

（二）村道，由村民委员会负责；

（三）公路沿线的农家乐停车场，由经营者负责。

第二章　养护和保护

第四条　拆除、迁移农村公路桥梁的，应当经县交通运输局同意后，报县人民政府批准。

第五条　村道改线方案应当经村民会议讨论同意，报乡镇人民政府审核。

第六条　任何单位和个人不得在农村公路上有下列行为：

（一）随意倾倒垃圾；

（二）堆放杂物或者设置障碍；

（三）驾驶总重超过十吨的车辆通行限载村道。

第三章　法律责任

第七条　违反本办法第六条第（二）项规定，在农村公路上堆放杂物的，由县综合行政执法局责令改正，处200元以上1000元以下罚款。

第八条　违反本办法第六条第（一）项规定，在农村公路上随意倾倒垃圾的，由县综合行政执法局责令改正，处500元以上3000元以下罚款。

第九条　违反本办法第六条第（三）项规定的，由县住房城乡建设局责令改正，处五千元以上两万元以下罚款。

第十条　擅自占用村道的，由县综合行政执法局按照占用面积处每平方米10元以上30元以下罚款。村道养护经费标准由县财政局会同县交通运输局确定。

第十一条　本办法自2024年7月1日起施行。
"""


@pytest.fixture(scope="module")
def road_service(tmp_path_factory, model_cache):  # type: ignore[no-untyped-def]
    from policy_assistant.config import Settings
    from policy_assistant.service import PolicyService

    root = tmp_path_factory.mktemp("road")
    path = root / "农村公路养护管理办法.txt"
    path.write_text(REGULATION, encoding="gb18030")  # uploads come in GB18030 too
    settings = Settings(index_dir=root / "indexes", data_dir=model_cache, corpus_dir=root, _env_file=None)  # type: ignore[call-arg]
    service = PolicyService(settings)
    service.ingest([path])
    return service


def _first_line(answer) -> str:  # type: ignore[no-untyped-def]
    return answer.answer.split("依据")[0]


def test_manage_approve_and_agree_forms_become_owner_records(road_service) -> None:  # type: ignore[no-untyped-def]
    owners = {(o.form, o.owner) for o in road_service.snapshot.owners}
    assert ("主管部门", "县交通运输局") in owners
    assert ("审批", "县人民政府") in owners and ("同意", "县交通运输局") in owners
    assert ("同意", "村民会议") in owners and ("审批", "乡镇人民政府") in owners
    operator = next(o for o in road_service.snapshot.owners if o.owner == "经营者")
    # a list item's duty carries the lead of its list, which says what the item is about
    assert "养护责任" in operator.task and "农家乐停车场" in operator.task


@pytest.mark.parametrize(("question", "expected"), [
    ("农村公路养护谁来管", "县交通运输局"),
    ("拆除桥梁要报谁批", "县人民政府"),
    ("村道改线要经过谁同意", "村民会议"),
    ("农家乐停车场的养护责任是谁的", "经营者"),
])
def test_owner_questions_find_the_body_the_regulation_names(road_service, question, expected) -> None:  # type: ignore[no-untyped-def]
    answer = road_service.ask(question)
    assert answer.answered and expected in _first_line(answer), answer.answer


def test_two_penalties_citing_one_article_are_told_apart_by_their_own_act(road_service) -> None:  # type: ignore[no-untyped-def]
    answer = road_service.ask("在农村公路上乱倒垃圾罚多少钱")
    assert answer.answered and "500元" in answer.answer and "3000元" in answer.answer, answer.answer


def test_a_fine_does_not_answer_a_question_about_something_else(road_service) -> None:  # type: ignore[no-untyped-def]
    answer = road_service.ask("占用村道的补偿标准每平方米多少钱")
    assert not answer.answered and answer.reason == "scope.fine", answer.answer
    fined = road_service.ask("擅自占用村道罚多少")
    assert fined.answered and "10元" in fined.answer


def test_hours_asked_as_jige_xiaoshi_are_not_a_count(road_service) -> None:  # type: ignore[no-untyped-def]
    from policy_assistant.answer.units import asked_unit

    unit = asked_unit("信息要几个小时内上传")
    assert unit is not None and unit.name == "小时数"


def test_list_items_carry_the_sentences_leading_to_their_list(road_service) -> None:  # type: ignore[no-untyped-def]
    chunk = next(c for c in road_service.snapshot.chunks if "由经营者负责" in c.text)
    items = [s for s in chunk_sentences(chunk) if s.norm.startswith("(")]
    assert items and all("按照下列规定确定" in s.lead for s in items)
    assert all(not s.lead for s in chunk_sentences(chunk) if not s.norm.startswith("("))


def test_a_genre_word_is_narrowed_by_the_words_before_it() -> None:
    docs = [DocRef("a", "临溪市农村宅基地和村民建房管理条例"), DocRef("b", "浙江省农村生活污水处理设施管理条例"),
            DocRef("c", "某县实施方案")]
    assert doc_hint("宅基地条例哪天起施行", docs) == {"a"}
    assert doc_hint("条例哪天起施行", docs) == {"a", "b"}


def test_a_penalty_follows_the_item_it_cites_and_a_figure_typed_in_digits(road_service) -> None:  # type: ignore[no-untyped-def]
    # "超过10吨" is stated as 超过十吨 in item (三); the body imposing a fine (住房城乡建设局) is not the act
    answer = road_service.ask("开超过10吨的车上村道罚多少")
    assert answer.answered and "五千元" in answer.answer and "两万元" in answer.answer, answer.answer


def test_figures_typed_in_digits_are_found_in_words() -> None:
    from policy_assistant.answer.units import cn_numerals, states_figure

    assert cn_numerals(3) == ["三"] and cn_numerals(20000) == ["二万", "两万"] and cn_numerals(105) == ["一百零五"]
    assert states_figure("3", "住宅层数超过三层") and not states_figure("3", "十三层")

