"""Typo correction, penalty cross-references and unit checks: pure parts offline, then on the real corpus."""

from __future__ import annotations

import pytest

from policy_assistant.answer.spelling import Speller
from policy_assistant.answer.units import asked_unit, states_unit
from policy_assistant.answer.verify import unsupported_figures

CORPUS = ("推进宅基地建房一次申请。严格执行休禁渔期制度。污水处理设施的运行维护。临安区的经验。"
          "创建清廉村居数量超过100个。收入200万元以上行政村占比达到85%。")


@pytest.mark.parametrize(("typed", "meant"), [
    ("宅机地怎么审批", "宅基地怎么审批"),
    ("休禁鱼期是什么制度", "休禁渔期是什么制度"),
    ("污水处里设施谁维护", "污水处理设施谁维护"),
    ("清联村居要创建多少个", "清廉村居要创建多少个"),  # the typo hides inside a word jieba knows (联村)
])
def test_speller_fixes_homophone_typos(typed: str, meant: str) -> None:
    fixed, fixes = Speller(CORPUS).correct(typed)
    assert fixed == meant
    assert len(fixes) == 1 and fixes[0][1] in meant


@pytest.mark.parametrize("question", [
    "临平区的污水处理设施谁维护",  # a place name is never "corrected" into one the corpus knows
    "村里的设施归哪个部门管",  # known words (村里, 部门) stay as typed
    "GDP目标是多少",
    "行政村占比要达到多少",  # jieba cuts 占|比要; 比 belongs to 占比, not a typo of 必要
])
def test_speller_leaves_known_words_and_places_alone(question: str) -> None:
    fixed, fixes = Speller(CORPUS).correct(question)
    assert (fixed, fixes) == (question, [])


@pytest.mark.parametrize(("question", "unit", "good", "bad"), [
    ("示范区总面积是多少亩", "面积", "示范区面积22.29万亩", "示范区5个"),
    ("收入比去年增长百分之几", "比例", "增长8%", "收入达到6.5万元"),
    ("覆盖率要提高几个百分点", "百分点", "提高2个百分点", "覆盖率达到85%以上"),
    ("一共投入了多少资金", "金额", "投入资金11亿元", "2003年6月启动"),
    ("农村常住人口有多少", "人数", "常住人口12.3万人", "城镇化率85%"),
    ("有多少个行政村", "数量", "行政村120个", "“千村示范、万村整治”工程行政村占比85%"),
])
def test_units_asked_and_stated(question: str, unit: str, good: str, bad: str) -> None:
    u = asked_unit(question)
    assert u is not None and u.name == unit
    assert states_unit(good, u) and not states_unit(bad, u)


@pytest.mark.parametrize("question", ["托位要新增多少", "城镇化率目标是多少", "谁牵头", "有哪几个方面"])
def test_questions_without_a_unit_family(question: str) -> None:
    assert asked_unit(question) is None


# ----- on the real corpus -------------------------------------------------------------------
def test_typo_question_is_answered_as_meant_and_says_so(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("每年盘活闲置宅机地多少宗")
    assert a.answered and "200宗" in a.answer
    assert a.resolved_question and "宅基地" in a.resolved_question


def test_penalty_follows_the_cited_article(real_service) -> None:  # type: ignore[no-untyped-def]
    # the act (倾倒渣土) is listed in 第二十六条; the fine is in 第三十四条, which only cites it
    a = real_service.ask("有人往农村污水设施里倒施工泥浆，要罚多少钱")
    assert a.answered, a.answer
    assert "五千元以上两万元以下" in a.answer
    paths = [c.section_path for c in a.citations]
    assert ["第三十四条"] in paths and ["第二十六条"] in paths
    assert not unsupported_figures(a.answer, a.citations)


def test_penalty_in_the_same_article_as_the_act(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("运维单位擅自停运污水处理设施会被怎么处罚")
    assert a.answered and "一万元以上三万元以下" in a.answer
    assert a.citations[0].section_path == ["第三十一条"]


@pytest.mark.parametrize("question", [
    "余杭区农村常住人口有多少人",  # the plan gives the urbanisation rate, not a head count
    "2027年农村居民收入比2022年增长百分之几",  # only the level (6.5万元) is set
])
def test_figure_of_another_kind_is_not_an_answer(real_service, question: str) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask(question)
    assert not a.answered, a.answer


def test_owner_question_about_an_ownerless_task(real_service) -> None:  # type: ignore[no-untyped-def]
    # the law names an owner for a clause that mentions 宅基地; the plan's 盘活 task names none
    a = real_service.ask("盘活闲置宅基地由哪个部门负责")
    # not an answer to "who" (answered: false with its reason), though the task's clause and the lead are given
    assert not a.answered and a.reason == "match.owner.unnamed" and "没有明确" in a.answer and "区农业农村局" in a.answer
    assert a.citations[0].section_path[-1] == "3.促进农民持续增收"


@pytest.mark.parametrize(("previous", "question", "resolved"), [
    ("农村生活污水处理设施管理条例什么时候施行？", "乡村振兴促进法呢？", "乡村振兴促进法什么时候施行?"),
    # a document named at length is still only a new topic for the previous question
    ("乡村振兴促进法是哪天开始施行的", "浙江那个农村污水设施条例呢？", "浙江那个农村污水设施条例是哪天开始施行的"),
    ("蔬菜面积要稳定在多少？", "产量呢？", "蔬菜产量要稳定在多少?"),
    ("托位要新增多少个?", "床位呢", "床位要新增多少个?"),
])
def test_followup_swaps_the_document_the_attribute_or_the_subject(previous: str, question: str, resolved: str) -> None:
    from policy_assistant.answer.followup import resolve
    from policy_assistant.models import Message

    assert resolve(question, [Message(role="user", content=previous)]) == resolved


def test_words_naming_the_document_are_not_the_topic() -> None:
    from policy_assistant.retrieve.planner import without_doc_names

    rest = without_doc_names("乡村振兴促进法里的五个振兴是哪些", ["中华人民共和国乡村振兴促进法"])
    assert "乡村振兴促进法" not in rest and "五个振兴" in rest


def test_definition_found_outside_the_top_hits(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("乡村振兴促进法里的“乡村”是怎么定义的？")
    assert a.answered and "城市建成区以外" in a.answer
    assert a.citations[0].section_path[-1] == "第二条"


def test_quoted_phrase_does_not_make_a_quantity_question(real_service) -> None:  # type: ignore[no-untyped-def]
    # "有多少汤泡多少馍" contains 多少 but asks for a meaning, given by the phrases before it
    a = real_service.ask("报告里“有多少汤泡多少馍”是什么意思？")
    assert a.kind == "general" and a.answered
    assert "量力而行" in a.answer and a.citations


def test_full_forms_of_short_forms() -> None:
    from policy_assistant.answer.evidence import full_forms, term_match, with_full_forms

    text = "村(居)民委员会应当及时通知运维单位。成立“千村示范、万村整治”工程工作专班。区农业农村局牵头。"
    assert full_forms("村委会", text) == ["村(居)民委员会"]
    assert full_forms("千万工程", text) == ["千村示范、万村整治”工程"]
    assert full_forms("农业局", text) == ["农业农村局"]
    assert full_forms("专班", text) == []  # two characters are never read as an abbreviation
    terms = with_full_forms(["村委", "委会", "村委会", "通知"], text)
    assert terms == ["村委会|村(居)民委员会", "通知"]
    assert term_match(terms[0], "村(居)民委员会应当") == 1.0


def test_recipient_question_is_answered_with_the_clause(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("停电检修的时候村委会要通知谁")
    assert a.answered and "运维单位" in a.answer
    assert a.citations[0].section_path == ["第二十七条"]


def test_departments_offered_by_the_asker_are_not_the_task(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("高效生态农业示范园是农业局还是发改局负责")
    assert "没有明确" in a.answer  # the clause names no department (it does name 企业: answered, quoted)
    assert "1.确保粮食安全和重要农产品稳产保供" in a.citations[0].section_path


def test_planner_names_documents_and_expands_defined_abbreviations() -> None:
    from policy_assistant.models import Chunk
    from policy_assistant.retrieve.planner import DocRef, defined_aliases, doc_hint, with_aliases

    docs = [DocRef("law", "中华人民共和国乡村振兴促进法"), DocRef("reg", "浙江省农村生活污水处理设施管理条例"),
            DocRef("plan", "余杭区实施方案")]
    assert doc_hint("乡村振兴促进法什么时候施行", docs) == {"law"}
    assert doc_hint("托位要新增多少个", docs) is None
    chunk = Chunk(chunk_id="c", doc_id="r", doc_title="t", section_id="s", section_path=[], norm_section_path=[],
                  text="", norm_text="“千村示范、万村整治”工程(以下简称“千万工程”)是一项重大决策", ordinal=0)
    aliases = defined_aliases([chunk])
    assert aliases == {"千万工程": "千村示范、万村整治”工程"}
    assert with_aliases("千万工程由谁统筹", aliases).endswith("千村示范、万村整治”工程")


def test_search_filters_to_the_named_document_and_finds_the_answering_article(real_service) -> None:  # type: ignore[no-untyped-def]
    hits = real_service.search("乡村振兴促进法什么时候开始施行", k=3)
    assert {h.chunk.doc_id for h in hits} == {"xczx-cujinfa-2021"}
    assert any("2021年6月1日" in h.chunk.text for h in hits)


def test_penalty_search_brings_the_citing_provision(real_service) -> None:  # type: ignore[no-untyped-def]
    hits = real_service.search("往污水处理设施倒渣土罚多少", k=5)
    paths = [h.chunk.section_path for h in hits]
    assert ["第二十六条"] in paths and ["第三十四条"] in paths


def test_missing_article_is_said_to_be_missing(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("乡村振兴促进法第八十条讲了什么？")
    assert not a.answered and "第八十条" in a.answer


@pytest.mark.parametrize("question", [
    "千万工程报告里提到的安吉县余村年收入是多少",  # the clause names 余村 but states no income
    "条例规定运维服务合同的期限是几年",
])
def test_quantity_questions_need_a_quantity_not_a_year(real_service, question: str) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask(question)
    assert not a.answered, a.answer


def test_count_question_is_not_answered_by_a_share(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("余杭区一共有多少个行政村")
    assert not a.answered, a.answer


@pytest.mark.parametrize(("question", "expected"), [
    ("这份实施方案的落款日期是哪天？", "2023年4月11日"),
    ("条例哪天开始生效", "2020年1月1日"),
    # 施行 here dates the facilities, the question asks for the renovation deadline
    ("条例施行前就在用、出水不达标的设施，什么时候之前要改造完？", "时限"),
])
def test_date_questions_answer_the_event_asked(real_service, question: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask(question)
    assert a.answered and expected in a.answer, a.answer


@pytest.mark.parametrize("question", [
    "乡村振兴促进法的实施细则什么时候出台",  # another document's issuance
    "污水处理设施运维合同什么时候到期",  # "日常养护" is not a date
])
def test_date_questions_the_documents_do_not_answer(real_service, question: str) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask(question)
    assert not a.answered, a.answer


def test_baseline_year_stated_in_a_clause(real_service) -> None:  # type: ignore[no-untyped-def]
    from policy_assistant.models import Message

    a = real_service.ask("2003年是多少", [Message(role="user", content="浙江农村居民人均可支配收入2022年是多少？")])
    assert a.answered and "5431元" in a.answer
    # "比2022年下降0.01" names 2022 as a baseline without its value
    assert not real_service.ask("2022年城乡居民收入倍差是多少?").answered


def test_definition_by_a_collective_name(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("条例所说的农村生活污水包括哪些？")
    assert a.answered and "民宿" in a.answer and a.citations[0].section_path == ["第二条"]
    a = real_service.ask("条例里的排水户是什么意思")
    assert a.answered and "以下统称排水户" in a.answer


@pytest.mark.parametrize(("question", "figures"), [
    ("农创客累计培育了多少", ["4.7万名"]),  # 超4.7万名: a magnitude with a counted unit
    ("浙江城乡居民收入比从多少缩小到了多少？", ["2.43", "1.90"]),  # unitless ratios after 从/缩小到
    ("十四五期间未来社区创建项目要推出多少个？覆盖多大比例的城镇社区？", ["66个", "50%以上"]),  # two things asked
])
def test_targets_the_ledger_now_reads(real_service, question: str, figures: list[str]) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask(question)
    assert a.answered, a.answer
    for f in figures:
        assert f in a.answer
    assert not unsupported_figures(a.answer, a.citations)


def test_generic_place_words_are_not_place_names() -> None:
    from policy_assistant.index.lexical import place_names

    assert place_names("覆盖多大比例的城镇社区") == []
    assert place_names("萧山区的目标") == ["萧山区"]


@pytest.mark.parametrize(("question", "said"), [
    ("协作帮促资金每年要落实多少？", "累计"),  # only a cumulative figure exists
    ("全区现在每千人托位数是多少？", "目标值"),  # a target is not the current value
    ("乡村电气化村一共建几个", "每年"),  # only a yearly figure exists
])
def test_time_frame_of_the_question_must_match_the_target(real_service, question: str, said: str) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask(question)
    assert not a.answered and said in a.answer and a.citations, a.answer


def test_items_named_before_a_term_explain_it(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("方案里的农村“三大革命”是指哪三个？")
    assert a.answered and all(w in a.answer for w in ("垃圾", "污水", "厕所"))
    a = real_service.ask("“一园一主业”是什么意思")  # used, never explained
    assert not a.answered and "特色产业平台" in a.answer


def test_vague_amounts_are_not_quantities(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("每年从西部镇遴选多少名卫生人才到区级医院培训？")  # the plan says 一批
    assert not a.answered, a.answer


def test_short_followup_is_asked_again_in_the_previous_context(real_service) -> None:  # type: ignore[no-untyped-def]
    from policy_assistant.models import Message

    history = [Message(role="user", content="乡村振兴促进法规定的粮食安全战略是什么？"),
               Message(role="assistant", content="第八条规定了粮食安全战略。")]
    a = real_service.ask("最终要确保什么？", history)
    assert a.answered and "口粮绝对安全" in a.answer and a.resolved_question


def test_end_of_a_five_year_plan_is_its_last_year(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("十四五末城镇化率要到多少")
    assert a.answered and "85%以上" in a.answer


def test_penalty_question_describing_act_and_consequence(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("在污水处理设施上盖房子占压，造成严重后果的罚多少？")
    assert a.answered and "两万元以上十万元以下" in a.answer


def test_owner_who_is_not_a_government_body(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("户内处理设施由哪个单位负责养护")
    assert a.answered and "村民" in a.answer and "没有明确" not in a.answer


def test_figure_typed_by_the_asker_must_be_in_the_target(real_service) -> None:  # type: ignore[no-untyped-def]
    # 2025 has only the 150万元 threshold; 200万元 belongs to 2027
    a = real_service.ask("２５年村集体经营性收入超200万的村要占多少")
    assert not a.answered, a.answer
    a = real_service.ask("到27年集体经济年经营性收入200万元以上行政村占比多少")
    assert a.answered and "85%以上" in a.answer


def test_a_retriever_alone_ranking_a_clause_first_is_read(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("公共处理设施确实需要迁移，要报谁同意？")
    assert a.answered and "乡镇人民政府同意" in a.answer


@pytest.mark.parametrize(("question", "said"), [
    ("全区普惠托位总共有多少个", "新增"),  # only the increment is set
    ("浙江省农村生活污水处理设施有多少座", "数量"),  # "第二十二条" is no count
    ("乡村振兴促进法规定的乡村振兴日是哪天", "时间"),  # "薄弱环节" names no day
])
def test_answers_that_only_look_like_answers(real_service, question: str, said: str) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask(question)
    assert not a.answered and said in a.answer, a.answer


def test_letterhead_lines_are_not_answers(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("方案里对杭州市的目标是什么")
    # before the fix the issuer line was the best "sentence"; now no citation may be a letterhead line
    assert all(c.quote.strip() not in ("杭州市余杭区人民政府办公室", "2023年4月11日") for c in a.citations)
    assert "杭州市余杭区人民政府办公室[" not in a.answer


def test_question_about_the_whole_document_lists_its_parts(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("一号文件提出要做好哪些重点工作")
    assert a.answered and "九个部分" in a.answer and "抓紧抓好粮食和重要农产品稳产保供" in a.answer


def test_words_tying_a_document_name_to_the_topic_go_with_it() -> None:
    from policy_assistant.retrieve.planner import without_doc_names

    assert without_doc_names("条例对运维单位有哪些要求", ["浙江省农村生活污水处理设施管理条例"]).strip() == "运维单位有哪些要求"


def test_followup_stays_with_the_document_of_the_previous_answer(real_service) -> None:  # type: ignore[no-untyped-def]
    from policy_assistant.models import Message

    first = real_service.ask("粮食播种面积是多少")
    assert "22.29万亩" in first.answer
    a = real_service.ask("产量呢", [Message(role="user", content="粮食播种面积是多少"),
                                  Message(role="assistant", content=first.answer)])
    assert a.answered and "2亿斤" in a.answer  # the plan's figure, not the 一号文件's national one


def test_split_parts() -> None:
    from policy_assistant.answer.compound import split_parts

    assert split_parts("公共处理设施由谁负责建设？户内的又由谁建？") == ["公共处理设施由谁负责建设？", "户内的又由谁建？"]
    assert split_parts("托位要新增多少个？") == ["托位要新增多少个？"]
    assert split_parts("根据条例；谁负责？") == ["根据条例；谁负责？"]  # the first part asks nothing


def test_two_questions_in_one_message(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("条例里公共处理设施由谁负责建设？户内的又由谁建？")
    assert a.answered and "①乡镇人民政府" in a.answer and "②" in a.answer and "村民" in a.answer
    assert "[2]" in a.answer and len(a.citations) >= 2
    assert not unsupported_figures(a.answer, a.citations)


def test_questions_typed_without_punctuation_split_on_spaces() -> None:
    from policy_assistant.answer.compound import split_parts

    assert split_parts("体育场地设施每年新增几个 电气化村一共建几个") == ["体育场地设施每年新增几个", "电气化村一共建几个"]
    assert split_parts("托位 要新增多少个") == ["托位 要新增多少个"]  # the first piece asks nothing


@pytest.mark.parametrize(("question", "expected"), [
    ("一号文件要求做好第几次全国土壤普查工作？", "第三次"),  # an ordinal answers 第几
    ("乡村振兴促进法是全国人大常委会第几次会议通过的？", "第二十八次"),
    ("农产品生产经营者不得使用哪些东西？", "禁用的农药"),  # 东西 is no place
])
def test_ordinals_and_generic_words(real_service, question: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask(question)
    assert a.answered and expected in a.answer, a.answer


def test_penalty_question_about_an_unpunished_duty(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("户内处理设施不养护维修，条例规定怎么罚？")
    assert not a.answered and "罚则" in a.answer and a.citations[0].section_path == ["第十五条"]


def test_segmentation_pieces_weigh_little(real_service) -> None:  # type: ignore[no-untyped-def]
    # a two-character piece jieba's HMM glues across words (here 罚啥) is absent from the corpus like
    # 盖房子, but unlike a real word it says little about the topic
    from policy_assistant.index.lexical import word_known

    stats = real_service.engine().stats
    assert not stats.in_corpus("罚啥") and not word_known("罚啥") and not stats.in_corpus("盖房子")
    # both absent: the piece keeps SEGMENT_PIECE_WEIGHT of the IDF, a real word lexical.absent_term
    from policy_assistant.answer.evidence import SEGMENT_PIECE_WEIGHT

    assert stats.absent_weight > SEGMENT_PIECE_WEIGHT
    assert stats.idf("罚啥") / stats.idf("盖房子") == pytest.approx(SEGMENT_PIECE_WEIGHT / stats.absent_weight)


def test_term_of_a_task_is_not_the_plan_period(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("土地承包经营权的试点延长期限是几年")
    assert a.answered and "30年" in a.answer and "实施期" not in a.answer
    assert "2023—2027年" in real_service.ask("这个实施方案的实施期是哪几年？").answer


def test_topic_words_shared_with_the_title_stay_when_a_genre_word_names_it() -> None:
    from policy_assistant.retrieve.planner import without_doc_names

    title = "中共中央国务院关于做好2023年全面推进乡村振兴重点工作的意见"
    assert "乡村振兴责任制" in without_doc_names("一号文件里乡村振兴责任制怎么落实", [title])


def test_years_in_a_missing_year_reply_are_all_cited(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("２５年村集体经营性收入超200万的村要占多少")
    assert not a.answered
    assert not unsupported_figures(a.answer, a.citations, "２５年村集体经营性收入超200万的村要占多少")


def test_which_aspects_question_is_a_list_not_a_definition(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("乡村振兴促进法讲的农业农村优先发展，具体是哪几个方面优先？")
    assert a.answered and all(w in a.answer for w in ("干部配备", "要素配置", "资金投入", "公共服务"))


def test_a_city_in_a_title_names_its_document_and_a_guessed_place_is_not_a_word_start() -> None:
    from policy_assistant.index.lexical import place_names
    from policy_assistant.retrieve.planner import DocRef, doc_hint

    docs = [DocRef("qz", "衢州市农村生活垃圾分类管理条例"), DocRef("ls", "丽水市传统村落保护条例"),
            DocRef("zj", "浙江省农村生活污水处理设施管理条例")]
    assert doc_hint("在衢州农村，村民垃圾不分类能罚多少", docs) == {"qz"}
    assert doc_hint("依照衢州的条例应当如何处罚", docs) == {"qz"}  # the genre word narrowed by the place
    assert place_names("擅自拆除传统建筑，罚款区间是多少") == []  # "罚款区" + 间 is no place


def test_a_definition_asks_the_quoted_term_not_the_document_in_title_marks(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("《乡村振兴促进法》所称“乡村”是如何界定的？")
    assert a.answered and "城市建成区以外" in a.answer, a.answer
