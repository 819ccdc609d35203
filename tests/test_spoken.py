"""Spoken questions: the colloquial lexicon, spoken fillers, 那/哪 and 法/罚 slips, follow-ups that stay
in the conversation's document. Pure parts offline, then on the real corpus."""

from __future__ import annotations

import pytest

from policy_assistant.answer.question import analyse, without_fillers
from policy_assistant.answer.spelling import Speller, frame_typos, interrogative_typos
from policy_assistant.retrieve.colloquial import Colloquial, load, parse


@pytest.mark.parametrize(("typed", "meant"), [
    ("千万工程是那年开始实施的", "千万工程是哪年开始实施的"),
    ("宅基地的事归那个部门管", "宅基地的事归哪个部门管"),
    ("商业综合体要集那些功能为一体", "商业综合体要集哪些功能为一体"),
])
def test_na_typed_for_which_is_read_as_which(typed: str, meant: str) -> None:
    assert interrogative_typos(typed)[0] == meant


@pytest.mark.parametrize("question", [
    "那个部门还负责什么",  # another question word: 那 points back
    "那2027年呢",
    "那年的目标是多少？",
    "托位要新增多少个",
])
def test_na_is_left_when_something_else_asks(question: str) -> None:
    assert interrogative_typos(question) == (question, [])


def test_fa_typed_for_fine_only_in_the_asking() -> None:
    assert frame_typos("往设施倒渣土要法多少") == "往设施倒渣土要罚多少"
    assert frame_typos("乘坐公交违法款") == "乘坐公交违法款"  # 违法 is a word
    assert frame_typos("本法多少条") == "本法多少条"


def test_lexicon_file_format() -> None:
    entries = parse("# comment\n盖房子 建房 房屋 盖房子\n脏水 污水\n单独\n")
    assert entries == {"盖房子": ("建房", "房屋"), "脏水": ("污水",)}
    assert "盖房子" in load()  # the packaged lexicon


def test_lexicon_adds_only_forms_the_corpus_uses() -> None:
    corpus = "新建、改造房屋的，应当雨污分流。农村公路。"
    lex = Colloquial({"盖房子": ("建房", "房屋"), "路": ("公路", "道路")}, lambda form: form in corpus)
    assert lex.expand_query("新盖房子有啥要求") == "新盖房子有啥要求 房屋"
    assert lex.expand_terms(["盖房子", "盖房", "要求"]) == ["盖房子|房屋", "要求"]  # 盖房: a piece of 盖房子
    # a one-character word counts only when it stands alone
    assert lex.spoken("路上") == [] and lex.spoken("这条路谁修") == ["路"]
    assert lex.expand_terms(["这条"], "这条路谁修") == ["这条", "路|公路"]


def test_spoken_fillers_leave_the_topic() -> None:
    terms = analyse("闲置农房盘活以后可以拿来做什么").terms
    kept = without_fillers(terms, lambda t: t in "闲置农房盘活")
    assert "闲置" in kept and "农房" in kept
    assert not {"以后", "可以"} & set(kept)  # an adverbial and a conjunction the corpus never uses
    # a direction word the corpus uses is topic ("西部五镇"); a time word always is ("今年")
    assert without_fillers(["西部", "产业"], lambda t: True) == ["西部", "产业"]
    assert "今年" in without_fillers(["今年", "现场会"], lambda t: t == "现场会")


def test_speller_splits_a_typo_glued_to_its_neighbour() -> None:
    sp = Speller("运行维护用电电价按照电网销售电价执行。推进保障制度建设。各部门要加强协作。")
    assert sp.correct("运维用电按啥电架算")[0] == "运维用电按啥电价算"
    assert sp.correct("河长制考核归哪个局")[1] == []  # 障制 is a piece of 保障制度, not a word
    assert sp.correct("哪个部门要出力支持")[1] == []  # 哪个 is not a typo of 各


# ----- on the real corpus -------------------------------------------------------------------
def test_spoken_building_question_finds_the_building_clause(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("污水管网覆盖的地方盖房子要注意什么")
    assert a.answered and "雨污分流" in a.answer
    assert any("第十三条" in " ".join(c.section_path) for c in a.citations)


def test_which_department_typed_with_na(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("污水设施排放的水质归那个部门监督")
    assert a.answered and "生态环境主管部门" in a.answer
    assert a.resolved_question and "哪个部门" in a.resolved_question


def test_spoken_owner_question_with_fillers(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("污水處理設施排出來的水質，由哪個部門監管？")
    assert a.answered and "生態環境主管部門" in a.answer


def test_fine_typed_as_fa_and_theft_as_tou(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("偷污水设施的管子要法多少钱")
    assert a.answered and "五千元" in a.answer and "两万元" in a.answer
    assert a.resolved_question and "罚" in a.resolved_question


def test_yes_no_owner_question_is_an_owner_question(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("农村“雪亮工程”是不是政法委那边牵头？")
    assert a.kind == "owner" and a.reason == "match.owner.unnamed"
    assert "没有明确" in a.answer and "区农业农村局" in a.answer


def test_short_follow_up_stays_with_the_conversations_document(real_service) -> None:  # type: ignore[no-untyped-def]
    from policy_assistant.models import Message

    history = [Message(role="user", content="促进法里的粮食安全战略是怎么说的？"),
               Message(role="assistant", content="《中华人民共和国乡村振兴促进法》第八条：国家实施以我为主、立足国内的粮食安全战略。")]
    a = real_service.ask("最后要确保啥？", history)
    assert a.answered and "谷物基本自给" in a.answer
    assert all("促进法" in c.title for c in a.citations)


def test_target_year_must_be_in_the_evidence(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("2030年农村居民人均可支配收入要达到多少")
    assert not a.answered and "2030" in a.answer
    b = real_service.ask("2025年农村居民人均可支配收入要达到多少")
    assert b.answered and "5.7万元" in b.answer


def test_follow_up_swaps_the_phrase_not_the_words_before_it() -> None:
    from policy_assistant.answer.followup import resolve
    from policy_assistant.models import Message

    history = [Message(role="user", content="乡村振兴促进法对农村建房安全有什么要求？")]
    assert resolve("那占耕地建房呢？", history) == "乡村振兴促进法对占耕地建房安全有什么要求?"


def test_yes_no_frame_is_not_a_prohibition() -> None:
    assert "不能" not in analyse("省里能不能发债券来搞乡村建设").terms
    assert "不得" not in " ".join(analyse("省里能不能发债券来搞乡村建设").terms)


@pytest.mark.parametrize(("text", "says"), [("支持西部五镇特色生态产业平台提档升级", True), ("实施“千村示范、万村整治”工程", False)])
def test_a_count_in_words_with_its_place_noun(text: str, says: bool) -> None:
    from policy_assistant.answer.units import states_quantity

    assert states_quantity(text) is says


def test_per_item_rate_needs_a_per_item_clause(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("闲置农房盘活一宗奖补多少钱")
    assert not a.answered and "每宗" in a.answer
    b = real_service.ask("一村一品示范村要建多少个")  # 一村一品 is a name, not a rate
    assert "每村" not in b.answer


def test_which_heading_follow_up_is_a_locate_question(real_service) -> None:  # type: ignore[no-untyped-def]
    from policy_assistant.models import Message

    history = [Message(role="user", content="方案里说的“跟着节气游乡村”是什么活动？"),
               Message(role="assistant", content="方案提出深入开展跟着节气游乡村活动。")]
    a = real_service.ask("这个在方案哪个标题下面？", history)
    assert a.answered and a.kind == "locate" and "乡村记忆" in a.answer


def test_spoken_level_of_government(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("省里能不能发债券搞乡村建设")
    assert a.answered and "政府债券" in a.answer


def test_a_deployment_lexicon_extends_the_packaged_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    extra = tmp_path / "colloquial.txt"
    extra.write_text("盖房子 宅基地建房\n网格员 网格\n", encoding="utf-8")
    entries = load(extra)
    assert entries["网格员"] == ("网格",)
    assert entries["盖房子"][-1] == "宅基地建房" and "房屋" in entries["盖房子"]


def test_the_report_named_loosely_is_a_document_filter() -> None:
    from policy_assistant.retrieve.planner import DocRef, doc_hint

    docs = [DocRef("report", "总结推广浙江“千万工程”经验推动学习贯彻习近平新时代中国特色社会主义思想走深走实"),
            DocRef("reg", "浙江省农村生活污水处理设施管理条例")]
    assert doc_hint("报告里说村里要配优配强哪几个岗位的干部", docs) == {"report"}
    assert doc_hint("那篇报告讲了哪些做法", docs) == {"report"}
    assert doc_hint("运维单位发现故障要向谁报告", docs) is None  # 报告 the verb


@pytest.mark.parametrize(("question", "parts"), [
    ("托位和床位哪个多", ["托位多少？", "床位多少？"]),
    ("村級寄遞物流綜合服務站和新時代鄉村電氣化村，哪個要建得多？", ["村級寄遞物流綜合服務站要建多少？", "新時代鄉村電氣化村要建多少？"]),
    ("2025年和2027年的收入目标哪个高", ["2025年的收入目标多少？", "2027年的收入目标多少？"]),
])
def test_a_comparison_asks_each_figure(question: str, parts: list[str]) -> None:
    from policy_assistant.answer.compound import split_parts

    assert split_parts(question) == parts
    assert split_parts("是农业局还是发改局负责") == ["是农业局还是发改局负责"]  # a choice of owners, not figures


def test_follow_up_with_another_item_number() -> None:
    from policy_assistant.answer.followup import resolve
    from policy_assistant.models import Message

    history = [Message(role="user", content="千万工程那篇总结里，经验启示第一条讲的是什么？")]
    assert resolve("第四条呢？", history) == "千万工程那篇总结里,经验启示第四条讲的是什么?"


def test_where_with_a_verb_asks_a_place_not_a_section() -> None:
    assert analyse("每期在哪里培训").kind != "locate"
    assert analyse("这句话在哪里").kind == "locate"
    assert analyse("这个放在方案哪个标题下面").kind == "locate"


def test_comparison_answers_both_figures(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("寄递物流综合服务站和乡村电气化村，哪个要建得多？")
    assert a.answered and "35个" in a.answer and "10个" in a.answer


def test_a_guessed_figure_is_confirmed_or_corrected(real_service) -> None:  # type: ignore[no-untyped-def]
    wrong = real_service.ask("生活垃圾回收利用率是不是要达到80%？")
    assert wrong.answered and wrong.answer.startswith("不是80%") and "76%" in wrong.answer
    right = real_service.ask("生活垃圾回收利用率是不是要达到76%？")
    assert right.answered and right.answer.startswith("是的") and "76%" in right.answer


def test_numbered_part_of_a_document_without_articles(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("千万工程那篇总结里，经验启示第四条讲的是什么？")
    assert a.answered and "调查研究" in a.answer


def test_an_item_of_a_list_is_answered_with_the_whole_list(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("那个污水条例里，除了往设施里倒废渣，还禁止哪些危害设施安全的行为？")
    assert a.answered and all(w in a.answer for w in ("损毁", "穿凿", "占压"))


def test_a_city_is_not_matched_by_a_district_sharing_a_character(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("杭州全市到2027年城镇化率要达到多少？")
    assert not a.answered and "杭州" in a.answer
    assert real_service.ask("余杭区到2027年城镇化率要达到多少？").answered


def test_named_document_words_bring_no_synonyms(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("千万工程那篇总结里，浙江的低保做到了什么程度？")
    assert a.answered and "最低生活保障" in a.answer and "城乡同标" in a.answer


def test_a_retried_follow_up_keeps_its_own_unit(real_service) -> None:  # type: ignore[no-untyped-def]
    from policy_assistant.models import Message

    history = [Message(role="user", content="乡村振兴领军人才每年培训多少人？"),
               Message(role="assistant", content="方案提出，每年培训乡村振兴领军人才50人。")]
    a = real_service.ask("每期培训几天？", history)
    assert not a.answered and "天数" in a.answer


def test_a_part_matches_clauses_about_its_whole() -> None:
    from policy_assistant.answer.evidence import with_wholes

    text = "户内处理设施包括户内化粪池、隔油池、污水管道等,公共处理设施包括接户井、污水管道、检查井、处理终端等。"
    assert with_wholes(["化粪池", "维修"], text) == ["化粪池|户内处理设施", "维修"]
    assert with_wholes(["检查井"], text) == ["检查井|公共处理设施"]
    assert with_wholes(["管道", "污水"], text) == ["管道", "污水"]  # listed under both wholes; 污水 is no item


def test_owner_of_a_part_is_the_owner_of_its_whole(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("家里化粪池坏了谁负责维修")
    assert a.answered and "村民" in a.answer and "第十五条" in a.answer


@pytest.mark.parametrize(("question", "unknown"), [
    ("浙江省乡村振兴促进条例是哪天起施行的", ["浙江省乡村振兴促进条例"]),
    ("土地管理法怎么规定宅基地的", ["土地管理法"]),
    ("杭州市污水处理条例罚多少", ["杭州市污水处理条例"]),
    ("农村污水治理条例罚多少", []),  # a loose name of the regulation
    ("乡村振兴那个法对耕地有什么要求", []),
    ("条例里哪条提到水污染防治法", []),  # cited by the corpus itself
    ("家庭简易处理设施算不算条例里说的污水处理设施", []),
    ("依法处罚的主要做法是什么", []),  # 做法 is a word, not a title
])
def test_acts_not_in_the_library(question: str, unknown: list[str]) -> None:
    from policy_assistant.retrieve.planner import DocRef, unknown_acts

    docs = [DocRef("reg", "浙江省农村生活污水处理设施管理条例"), DocRef("law", "中华人民共和国乡村振兴促进法")]
    assert unknown_acts(question, docs, {}, lambda name: name == "水污染防治法") == unknown


def test_an_act_not_in_the_library_is_refused_by_name(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("浙江省乡村振兴促进条例是哪天起施行的？")
    assert not a.answered and "浙江省乡村振兴促进条例" in a.answer
    assert real_service.ask("污水条例是哪天起施行的？").answered


def test_paragraph_of_an_article_cited_by_a_penalty() -> None:
    from policy_assistant.knowledge.articles import cited_paragraphs, paragraphs

    assert cited_paragraphs("违反本条例第二十六条第二款规定，擅自拆除的") == [(26, 2)]
    assert cited_paragraphs("违反本条例第二十二条规定") == [(22, None)]
    article = "第二十六条 禁止从事下列活动:\n(一)损毁、盗窃设施;\n(二)穿凿、堵塞设施。\n任何单位或者个人不得擅自拆除公共处理设施。"
    parts = paragraphs(article)
    assert len(parts) == 2 and "穿凿" in parts[0] and parts[1].startswith("任何单位")


def test_penalty_follows_the_paragraph_it_cites(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("把污水管道挖坏了，除了罚款还要承担什么？")
    assert a.answered and "第二十六条第一款" in a.answer and "恢复原状" in a.answer


def test_a_named_issuer_question(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("这份实施方案是以哪个单位的名义印发的？")
    assert a.answered and "余杭区人民政府办公室" in a.answer
    b = real_service.ask("条例的发文机关是谁")
    assert b.answered and "通过" in b.answer  # a regulation is passed by a congress session, not 印发


def test_a_topic_word_shared_with_the_title_stays_when_the_genre_word_is_elsewhere(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("条例管的污水处理设施，分成哪两大类？")
    assert a.answered and "集中处理设施" in a.answer and "户用处理设备" in a.answer


def test_a_village_the_documents_name_must_be_in_the_evidence(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("李祖村村集体一年经营性收入多少")
    assert not a.answered and "李祖村" in a.answer
    b = real_service.ask("李祖村引进了多少农创客")
    assert b.answered and "200余人" in b.answer


def test_a_sub_item_counted_inside_a_total_is_not_given_alone(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("快递共富驿站单独要建几个？")
    assert not a.answered and "快递共富驿站" in a.answer
    assert real_service.ask("村级寄递物流综合服务站要建多少个").answered


def test_who_drafts_a_template_is_not_who_issued_the_document() -> None:
    assert analyse("示范文本由哪个部门制定").kind == "owner"
    assert analyse("这份方案是哪个单位印发的").kind == "date"
    assert analyse("条例是什么机关制定的").kind == "date"
    assert analyse("条例由什么机关制定").kind == "date"
    assert analyse("条例里的运维合同示范文本由哪个部门制定").kind == "owner"


def test_query_miscuts_are_split() -> None:
    from policy_assistant.retrieve.planner import tidy_query

    assert tidy_query("全面打造一个什么样板区") == "全面打造一个什么 样板区"
    assert tidy_query("四好农村路要打造成几点零版") == "四好农村路要打造 成 版"
    assert tidy_query("什么样的村") == "什么样的村"


def test_a_subset_of_a_total_is_not_the_total(real_service) -> None:  # type: ignore[no-untyped-def]
    from policy_assistant.models import Message

    history = [Message(role="user", content="新改建农村公路多少公里？"),
               Message(role="assistant", content="方案提出完成新改建农村公路65公里。")]
    a = real_service.ask("其中双车道的有多少公里？", history)
    assert not a.answered and "双车道" in a.answer


def test_chat_channels_say_how_a_corrected_question_was_read(real_service) -> None:  # type: ignore[no-untyped-def]
    from policy_assistant.api.openai_compat import chat_content
    from policy_assistant.wecom.format import format_answer

    a = real_service.ask("每年盘活闲置宅机地多少宗")
    assert a.resolved_question
    for text in (format_answer(a), chat_content(a)):
        assert text.startswith("按“每年盘活闲置宅基地多少宗”理解：") and "200宗" in text
    plain = real_service.ask("每年盘活闲置宅基地多少宗")
    assert not format_answer(plain).startswith("按") and not chat_content(plain).startswith("按")


def test_the_other_side_of_a_pair_is_not_an_answer(real_service) -> None:  # type: ignore[no-untyped-def]
    a = real_service.ask("城镇居民人均可支配收入要到多少")
    assert not a.answered and "农村居民" in a.answer
    assert real_service.ask("农村居民人均可支配收入要到多少").answered
    assert real_service.ask("城乡居民收入倍差要降到多少").answered  # 城乡 is both sides


def test_a_follow_up_in_context_weighs_its_own_words_more(real_service) -> None:  # type: ignore[no-untyped-def]
    from policy_assistant.models import Message

    history = [Message(role="user", content="千万工程那篇报告里，治污方面举了什么例子？"),
               Message(role="assistant", content="报告提到金华市浦江县向水晶产业污染“开刀”。")]
    a = real_service.ask("台州那个例子呢？", history)
    assert a.answered and "仙居" in a.answer


def test_a_character_without_a_reading_is_left_alone() -> None:
    """Punctuation glued into a word ("急??", "々") has no pinyin: no homophone, no crash."""
    from policy_assistant.answer.spelling import readings

    assert readings("？") == () and readings("々") == ()
    sp = Speller("运行维护用电电价按照电网销售电价执行。")
    fixed, _ = sp.correct("电价咋定急??")
    assert fixed.startswith("电价")
