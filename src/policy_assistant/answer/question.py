"""What a question asks: its kind, years, documents, places, outline references and content terms."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from ..index.lexical import ALT, tokenize, word_known, word_tag
from ..ingest.normalise import detect_script, normalise_query
from ..numerals import cn_to_int
from ..retrieve.planner import tidy_query

Kind = Literal["target", "owner", "list", "date", "locate", "general"]

DEFINITION = re.compile(r"所说的|所称的|所指的|怎么定义|如何定义|定义是什么|怎么界定|如何界定|是什么意思|什么意思|是指什么|指的是什么|是什么含义|含义|什么是|何为|具体是哪(?!几|些)|具体指|具体包括哪|是指哪|指的是哪")
# a question that asks for a quantity: its answer must state one
QUANTITY = re.compile(r"多少|(?<![哪第])几[个条家所项人次年倍亩万千百]|多大|多长|多高|比例|比重|占比|几成|百分之|增长率")
PERIOD = re.compile(r"十[一二三四五六七八九]五")
# a question asking how long ("合同期限是几年", "提前几天"), which only a stated duration answers
DURATION = re.compile(r"(?<!哪)几年|多少年|多久|多长时间|多少时间|几个月|多少个月|几天|多少天|几个工作日|几个?小时|多少个?小时")
# a department named the way askers shorten it (农业局, 发改局, 住建委): offered as a candidate owner
ORG = re.compile(r"[\u4e00-\u9fff]{1,6}(?:局|委|办|厅|部|政府|委员会)")

_OWNER = re.compile(r"谁|哪个部门|哪些部门|哪个单位|哪些单位|什么部门|什么单位|哪个机构|哪家|哪几家|哪几个(?:部门|单位|局)|由哪(?=个|家|级|些部门|些单位|一级|方)|责任部门|责任单位|牵头单位|主管部门是|归哪|谁管|谁来|负责部门|负责单位|哪个局|哪些局|还是[^，。？?]{1,12}(负责|牵头|管)|(局|部门|单位|政府)(来)?(负责|牵头)[吗呢]?[?？]?$"
                    r"|(是不是|是否|是)[^，。？?]{1,12}(那边|这边|部门|局|委|办)?(来)?(牵头|负责|主管)[吗呢]?[?？]?$|(那边|这边)(来)?(牵头|负责|管)"
                    # "配合单位有哪些", "责任部门都有哪几个": bodies of a role, asked as a list
                    r"|(配合|协办|协同|牵头|责任|主管|负责|承办|参与)(单位|部门|机构|的)(都|还)?(有|是|包括)?(哪些|哪几个|哪几家|哪家|哪个|谁|什么)")
# "向谁报告", "通知谁": the answer is whom a clause addresses, not who is responsible
_RECIPIENT = re.compile(r"谁的|给谁|向谁|找谁|对谁|跟谁|和谁|通知谁|告知谁|报告谁|报谁(?!批|审|同意|核)|交给谁|告诉谁")
_DATE = re.compile(r"什么时候|何时|哪天|哪一天|几号|几月|哪年|日期|几月几[日号]|哪年|哪一年|施行|生效|印发|发布|通过时间|时间|文号|发文|落款|签发")
_LIST = re.compile(r"哪些|哪几|有几[章部节方大类]|几[个大]方面|几个部分|几部分|包括什么|包括哪|包含|主要内容|分为|列举|几大|分别是|都有什么|有什么(?:措施|行动|内容|要求|任务)|各是什么")
_TARGET = re.compile(r"多少|几个|目标|多大|比例|比重|占比|[率数]|达到|规模|面积|数量|金额|资金|指标|产量|收入|\d\s*[万亿]|[万亿](?:元|亩|人|吨|斤|户|个)|%|几条|几家|多高|多长|几成|几倍")
LOCATE = re.compile(r"在哪个部分|哪个部分|哪一部分|哪一条|第几条|哪一章|出自|(?:在哪里|在哪儿)(?![\u4e00-\u9fff])|(?:在哪里|在哪儿)(?:提到|规定|写|说|讲|出现|有)|哪个章节|哪一节|在文件哪|(哪个|哪一个|什么)(标题|板块|章节|小标题|条目)")
_YEAR = re.compile(r"(20\d{2}|19\d{2})\s*年?")
_PLACE = re.compile(r"([\u4e00-\u9fff]{2,4}?)(?:区|县|市|镇|街道|省)(?![\u4e00-\u9fff]*(?:政府|局|部门))")
_LABEL_REFS = [
    (re.compile(r"第\s*([一二三四五六七八九十百零]+)\s*条"), "article"),
    (re.compile(r"第\s*([一二三四五六七八九十]+)\s*章"), "chapter"),
    (re.compile(r"第\s*([一二三四五六七八九十]+)\s*节"), "section"),
    (re.compile(r"\(\s*([一二三四五六七八九十]+)\s*\)"), "paren_cn"),
    (re.compile(r"(?:^|[^\d\w第])([一二三四五六七八九十]{1,2})、"), "cn"),
    (re.compile(r"第\s*([一二三四五六七八九十]+)\s*(?:部分|大项|项|点)"), "cn"),
]
# words that frame a question but say nothing about its topic
FRAME_WORDS = frozenset(
    ["所说", "所称", "所指", "还是", "目标", "多少", "规定", "要求", "情况", "具体", "内容", "相关", "主要", "方面", "工作", "问题", "部分", "一下", "怎么样", "怎样", "如何", "哪些", "什么", "多大", "几个", "负责", "牵头", "谁", "部门", "单位", "哪个", "由谁", "里", "讲", "说", "写", "提到", "提出", "明确", "文件", "方案", "规划", "计划", "政策", "年", "到", "呢", "那", "那么", "还有", "这", "这一", "这条", "这一条", "条", "分别", "各", "是", "多", "有", "没有", "达到", "达", "实现", "需要", "应该", "应当", "应", "能", "将", "会", "落实", "做", "做好", "管", "管理", "的话", "定", "制定", "谁来", "预计", "设定", "设", "是否", "任务", "哪几", "哪几个", "几章", "几条", "几项", "几个", "时候", "什么时候", "何时", "哪天", "哪一天", "日期", "时间", "一号", "印发", "发布", "施行", "生效", "通过", "包括", "包含", "分为", "哪一年", "一年", "一天", "几号", "几月", "哪年", "管到", "期限", "意思", "含义", "意味", "解释", "定义", "有关", "关于", "幅度", "区间", "数额", "额度", "请", "告诉", "告诉我", "一下", "知道", "想", "问", "问下", "咨询", "查", "查询", "具体是", "啥", "咋", "么",
     # spoken fillers: "快递进村这块", "是不是公安那边", "有没有提到", "一共说的是"
     "这块", "这一块", "那块", "这边", "那边", "这方面", "那方面", "东西", "不是", "有没有", "有个", "一共", "总共", "共",
     "说的", "里面", "开始", "起", "啥时候", "平时", "平常", "通常", "一般来说", "这个", "那个", "这些", "那些", "个", "块", "边", "吗", "吧", "搞", "弄", "说说", "讲讲", "介绍", "出来", "以后", "之后", "一起", "要是", "如果", "的话", "硬性", "点名", "允许", "程度", "做到", "例子", "举例", "举了", "一个", "一项", "一种", "一些"]
)


# "哪几句", "几点", "多少项", "什么样": how many or which, not what about
ASKING = re.compile(r"第?[哪几多少]+[个条句点项类种章节部分方面大些次天年月日周人名家所座户亩元倍成]*|什么样|怎么样|哪样|啥样"
                     r"|多长时间|多长|多久|几个?小时|几个?工作日|多少个?工作日|多少小时"
                     r"|最少|最多|至少|最高|最低|最长|最短|确实|真的|一定|到底|究竟|已经|另外|还要|能不能|可不可以|是不是|算不算"
                     r"|干什么|干啥|干嘛|做什么|做啥|搞什么|管什么|有啥|是啥|啥意思")


# the last year of a five-year plan: "十四五末" is 2025
_PLAN_END_YEAR = {"十三五": 2020, "十四五": 2025, "十五五": 2030, "十六五": 2035}
_PLAN_END = re.compile(r"[“\"]?(十三五|十四五|十五五|十六五)[”\"]?(?:期末|末期|末)")


# "25年村集体…", "清廉村居27年目标": the year 2025/2027, not a span of years. After 到/在 any of 20–39; elsewhere
# 21–29 and 31–35 (round 20/30 are usually spans: 千万工程20年, 延长30年), not after a word of duration or
# count (近/约/共/满/了/用/每/多/达/超/历经/延长) nor before 代/来/内/间/前/后/以/多/左/余
_SHORT_YEAR = re.compile(r"(?:(?<=^)|(?<=[到在至截止于]))([2-3]\d)年(?![代来内间前后以])"
                         r"|(?<![\d第近约共满了用过每多几达超历经逾余长])(2[1-9]|3[1-5])年(?![代来内间前后以多左余])")


@dataclass
class Question:
    """A question, analysed."""

    text: str
    norm: str
    script: Literal["traditional", "simplified"]
    kind: Kind
    years: list[int] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    label_refs: list[tuple[str, int]] = field(default_factory=list)  # (kind, number)
    terms: list[str] = field(default_factory=list)  # content terms for matching
    wants_count: bool = False
    frame: str = ""  # ``norm`` with quoted phrases blanked: how the question asks, not what it quotes
    about_document: bool = False  # every topic word names the document ("一号文件要做好哪些重点工作")
    own_text: str | None = None  # a follow-up's own words (normalised), when ``norm`` was rewritten against history


_QUOTED = re.compile(r"[“\"「『]([^”\"」』]{1,30})[”\"」』]")


# "发文单位是谁", "以哪个单位的名义印发的", "谁发的文": the issuer of the document
ISSUER_ASK = re.compile(r"发文(单位|机关)|制定(单位|机关)|(哪个|什么)(单位|部门|机关)(发|制定|通过)的"
                        r"|(哪个|什么)(单位|部门|机关)[^，。？?]{0,6}(印发|发布|出台|下发|发文|发出|发的|审议通过|通过的)|谁(印)?发的|发的文"
                        r"|以[^，。？?]{0,8}名义|落款(?!日期|时间)|谁(印发|发布|出台)")


# "条例由什么机关制定": the issuer when the thing made is the document, not "示范文本由哪个部门制定"
_DRAFTED_BY = re.compile(r"(哪个|什么|哪一)(单位|部门|机关)[^，。？?]{0,4}(制定|发)")
_DOC_WORD = re.compile(r"条例|方案|法|意见|文件|这份|该文|这个|本")
_DRAFTED_THING = re.compile(r"文本|标准|规划|计划|细则|目录|清单|合同|专项|规范|名录|制度")


_RANGE = re.compile(r"(?:19|20)\d{2}\s*年?\s*[-—–~～至到]\s*(?:19|20)\d{2}\s*年?")


def title_years(title: str) -> set[int]:
    """The years a title names as its own ("关于做好2023年…工作的意见" → 2023); the bounds of a period
    ("实施方案(2023—2027年)") are not: a yearless target of that plan is no 2027 target."""
    return {int(m.group(1)) for m in _YEAR.finditer(_RANGE.sub(" ", title))}


def asks_issuer(norm: str) -> bool:
    """True when a question asks who issued the document ("发文单位是谁", "条例由什么机关制定")."""
    m = ISSUER_ASK.search(norm)
    if m and _DRAFTED_THING.search(norm[:m.start()]):
        m = None  # "水污染物排放标准是哪个部门制定的": the thing made is a standard, not the document
    return bool(m or _DRAFTED_BY.search(norm) and _DOC_WORD.search(norm)
                and not _DRAFTED_THING.search(norm))


def question_frame(norm: str) -> str:
    """A normalised question with its quoted phrases blanked ("“有多少汤泡多少馍”是什么意思" asks no quantity)."""
    return _QUOTED.sub("“…”", norm)


def question_script(text: str) -> Literal["traditional", "simplified"]:
    """Script of a question; short questions are judged on the characters that differ."""
    return detect_script(text)


def classify(norm: str) -> Kind:
    """The kind of a normalised question (owner > locate > date > list > target > general)."""
    if asks_issuer(norm):
        return "date"  # the document's metadata: who issued it ("条例由什么机关制定")
    if re.search(r"文号|发文(单位|机关)|落款|印发日期|发布日期|哪次会议|什么会议|发给|主送|下发给|印发给|发到|发的文|谁发的|"
                 r"管到|实施期|期限|起止|哪几年", norm):
        return "date"
    if re.search(r"一共|总共|共有|共计", norm) and re.search(r"多少条|几条|几章|多少章|几节", norm):
        return "list"
    if LOCATE.search(norm):
        return "locate"
    if _OWNER.search(norm) and not _RECIPIENT.search(norm):
        return "owner"
    if _LIST.search(norm) and not re.search(r"多少|目标是|指标是", norm):
        return "list"
    if DEFINITION.search(norm) and not re.search(r"多少|目标|几[个条家项]", norm):
        return "general"
    if _DATE.search(norm) and not re.search(r"多少|目标", norm):
        return "date"
    if _TARGET.search(norm):
        return "target"
    return "general"


# "我们区", "本县", "咱市": the asker's own region, which the documents name by its name, never this way
HOME_REGION = re.compile(r"(?:我们|咱们|我|本|咱)(?:区|县|市|镇|街道|乡)(?![\u4e00-\u9fff]{0,2}(?:政府|委员会|人大|局|部门))")


def analyse(text: str) -> Question:
    """Analyse a (resolved) question."""
    norm = HOME_REGION.sub("", with_full_years(normalise_query(text)))
    years = sorted({int(m.group(1)) for m in _YEAR.finditer(norm)})
    refs = []
    for pattern, kind in _LABEL_REFS:
        for m in pattern.finditer(norm):
            n = cn_to_int(m.group(1))
            if n:
                refs.append((kind, n))
    places = [m.group(0) for m in _PLACE.finditer(norm)]
    terms = content_terms(norm)
    frame = question_frame(norm)
    kind = classify(frame)
    task = _OWNED_TASK.search(norm) if kind == "owner" else None
    if task and task.group(1) not in terms:
        terms.append(task.group(1))  # "由哪个部门负责解释": 解释 is the task asked about, not a definition frame
    return Question(
        text=text, norm=norm, script=question_script(text), kind=kind, years=years, frame=frame,
        places=places, label_refs=refs, terms=terms,
        wants_count=bool(re.search(r"有几|几[个条章项]|多少[个条章项]", norm)),
    )


# the task an owner question names with a frame word: "负责解释", "谁来制定", "牵头落实"
_OWNED_TASK = re.compile(r"(?:负责|谁来|谁去|牵头)(解释|制定|落实|组织|评定|认定|核定|审核|验收|公布|发布|备案)(?:的|工作|吗|呢|[?？]|$)")


def typed_figures(q: Question) -> list[str]:
    """Figures the asker typed ("36个数字乡村", "超200万的村"), years left out; for a follow-up rewritten
    against the history, only those of the asker's own turn (the previous question's 150万元 is not an
    anchor for "那2027年呢")."""
    text = q.own_text if q.own_text is not None else q.norm
    return [m for m in re.findall(r"\d+(?:\.\d+)?", text) if not re.fullmatch(r"(19|20)\d\d", m)]


def with_full_years(norm: str) -> str:
    """A normalised question with its years written out: "十四五末" → "2025年", "25年村集体…" → "2025年…"."""
    norm = _PLAN_END.sub(lambda m: f"{_PLAN_END_YEAR[m.group(1)]}年", norm)
    return _SHORT_YEAR.sub(lambda m: f"20{m.group(1) or m.group(2)}年", norm)


# "哪两个“零”": the count is part of the asking
_WHICH_N = re.compile(r"哪[一两二三四五六七八九十]+[个条项类种大样点位]?")
# "能不能发债券": a yes/no frame, whose 不能 is no prohibition
_YES_NO = re.compile(r"能不能|能否|可不可以|是不是|有没有|会不会|要不要|用不用|需不需要|让不让|准不准|允不允许")
# a two-character piece jieba glued from a function character and a content one ("镇要", "要建")
FUNCTION_CHARS = frozenset("要的了是在有把被给让就都也还又能会去来说该得对和与跟向从")


# "法里说的乡村", "条例中": where the asker read it (a document by its genre), not what it is about
_IN_DOCUMENT = re.compile(r"(?:法|法律|条例|方案|文件|办法|意见|报告|规划|通知|规定)(?:里面?|中|当中|内|上)")


def content_terms(norm: str) -> list[str]:
    """The topic words of a normalised text: jieba tokens minus function/frame words and years."""
    out = []
    for t in tokenize(tidy_query(_YES_NO.sub(" ", _WHICH_N.sub(" ", norm)))):
        if t in FRAME_WORDS or _IN_DOCUMENT.fullmatch(t) or re.fullmatch(r"\d{4}年?|\d+", t) or len(t) == 1 and not t.isascii() or ASKING.fullmatch(t):
            continue
        if len(t) == 2 and (t[0] in FUNCTION_CHARS or t[1] in FUNCTION_CHARS) and not word_known(t):
            continue
        if t not in out:
            out.append(t)
    return out


# spoken fillers by part of speech: conjunctions, prepositions, particles, interjections ("要是", "按")
_FUNCTION_TAGS = frozenset(["c", "p", "u", "uj", "ul", "uz", "ud", "ug", "uv", "y", "e", "o"])
# pronouns, adverbs, directions, measure, number and time words ("以后", "一起", "咱们"): fillers when the
# corpus never uses them, topic words when it does ("西部五镇", "每年")
_MINOR_TAGS = frozenset(["r", "d", "f", "q", "m"])
# words that say when, who or how, never what: the above and time words ("当时", "那年")
NOT_CONTENT_TAGS = _FUNCTION_TAGS | _MINOR_TAGS | {"t"}


def without_fillers(terms: list[str], in_corpus: Callable[[str], bool]) -> list[str]:
    """Topic terms without the spoken words that only carry the asking ("闲置农房盘活以后…")."""
    out = []
    for t in terms:
        tag = word_tag(t.split(ALT, 1)[0])
        if tag in _FUNCTION_TAGS or tag in _MINOR_TAGS and not in_corpus(t):
            continue
        out.append(t)
    return out or terms
