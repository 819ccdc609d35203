"""Targets ledger: every quantitative target of a document, with its year, comparator, unit and source.

A time phrase (到2025年, 2023年, 十四五期间, 每年) governs the clauses after it; 到YYYY年 carries over
to later sentences of the same section until the next time phrase, the others end with their sentence.
"""

from __future__ import annotations

import hashlib
import re

from ..ingest.normalise import normalise_line
from ..models import Chunk, Document, Section, Target
from ..numerals import cn_to_int, format_number
from .clauses import chunk_sentences

UNITS = [
    "万亿斤", "亿斤", "万亿元", "亿元", "万元", "元", "万吨", "吨", "万头", "头", "万亩", "亩", "平方公里", "公里", "千米",
    "平方米", "米", "万人次", "人次", "万人", "人", "个百分点", "%", "‰", "个工作日", "个月", "小时", "分钟", "天", "日",
    "万户", "户", "万个", "个", "条", "家", "宗", "所", "座", "处", "项", "名", "倍", "支", "批", "张", "辆", "套", "间", "床", "年",
]
# counted things in tens of thousands: 4.7万名, 3万家
UNITS += ["万" + u for u in ("名", "家", "座", "条", "所", "处", "项", "宗", "批", "支", "张", "辆", "套", "间", "床", "只")]
_UNIT_RE = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
_CN_NUM = "零〇一二两三四五六七八九十百千万"
_NUMBER = re.compile(
    rf"(?P<num>\d+(?:\.\d+)?|[{_CN_NUM}]{{1,8}})\s*(?P<approx>余|多)?\s*(?P<unit>{_UNIT_RE})?"
)
_PRE_COMPARATORS = [
    ("不少于", "不少于"), ("不低于", "不低于"), ("不超过", "不超过"), ("不高于", "不超过"), ("超过", "超过"), ("超", "超过"),
    ("稳定在", "稳定在"), ("控制在", "控制在"), ("保持在", "稳定在"), ("提高到", "达到"), ("提升至", "达到"), ("提高至", "达到"),
    ("达到", "达到"), ("达", "达到"), ("累计", "累计"), ("下降", "下降"), ("减少", "下降"), ("增长", "增长"), ("提高", "提高"),
]
_POST_COMPARATORS = ("以上", "左右", "以内", "以下", "多")
# a number without a unit is a figure only after these: 收入倍差下降0.01, 收入比从2003年的2.43缩小到2022年的1.90
_BARE_VALUE_BEFORE = re.compile(r"(下降|提高|增长|达到|达|超过|超|缩小到|扩大到|降至|降到|增至|提高到|为|从\d{4}年的?|到\d{4}年的?)$")
# "到2025年" opens a target's time scope; "由2003年…提高到2022年" states a change that happened
_SCOPE_YEAR = re.compile(r"(?<!提高)(?<!增加)(?<!增长)(?<!上升)(?<!扩大)(?<!缩小)(?<!下降)(?<!减少)(?<!提升)"
                         r"(?:到|至|力争到|争取到|截至)\s*(\d{4})\s*年(?:底|末)?")
_BARE_YEAR = re.compile(r"(?<![比较于\d])(\d{4})\s*年(?!\d)")
# the same year as an indicator carries it ("信息化率2025年底达到50%"): with its 底/末, all of it left out
_BARE_YEAR_IN_INDICATOR = re.compile(r"(?<![比较于\d])\d{4}\s*年(?:底|末)?(?!\d)")
_BASELINE = re.compile(r"(?:比|较|相比)\s*\d{4}\s*年")
_PERIOD = re.compile(r"(十[一二三四五六七八九]五|\"十[一二三四五六七八九]五\")(?:期间|时期|末)?")
_EVERY_YEAR = re.compile(r"每年|年均|每年度")
_CLAUSE_SPLIT = re.compile(r"[，,；;:：]")
_LEAD_VERBS = re.compile(r"^(?:并|且|同时|力争|争取|确保|实现|全面|基本|有效|进一步|持续|全区|全市|全省|全国|累计)+")
_CN_UNITS_OK = {"小时", "元", "万元", "亿元", "日", "天", "个工作日", "个月", "倍", "个百分点", "公里", "米", "平方米", "人", "年"}


def _scope_of(text: str) -> tuple[str, int | None, bool] | None:
    """(scope phrase, year, carries over) of a clause that opens with a time phrase, else None."""
    t = _BASELINE.sub("", text)
    m = _SCOPE_YEAR.search(t)
    if m:
        return m.group(0), int(m.group(1)), True
    m = _PERIOD.search(t)
    if m:
        return m.group(0), None, False
    m = _EVERY_YEAR.search(t)
    if m:
        return m.group(0), None, False
    m = _BARE_YEAR.search(t)
    if m and 1990 <= int(m.group(1)) <= 2100:
        return m.group(0), int(m.group(1)), False
    return None


def _comparator(before: str, after: str) -> str:
    pre = ""
    for word, canon in _PRE_COMPARATORS:
        if before.endswith(word):
            pre = canon
            break
    post = next((p for p in _POST_COMPARATORS if after.startswith(p)), "")
    if pre == "下降" and post == "以上":
        return "下降…以上"
    if post in ("以上", "左右", "以内", "以下"):
        return post
    if post == "多":
        return "以上"
    return pre


def _value(num: str) -> float | None:
    if num[0].isdigit():
        return float(num)
    v = cn_to_int(num)
    return float(v) if v is not None else None


def extract_targets(document: Document, root: Section, chunks: list[Chunk]) -> list[Target]:
    """All quantitative targets of one document.

    Args:
        document: the document (for ids and title).
        root: its outline (unused today beyond ids; kept for section-aware rules).
        chunks: its chunks in document order.
    Returns:
        Target records in document order.
    """
    out: list[Target] = []
    doc_year = _document_year(document, chunks)
    rules = bool(_RULES_TITLE.search(document.title.strip("》 ")))
    plan = bool(_PLAN_TITLE.search(document.title.strip("》 ")))
    carried: tuple[str, int | None] | None = None
    carried_sentence = ""
    last_section = None
    for chunk in chunks:
        if chunk.section_id != last_section:
            carried = None
            last_section = chunk.section_id
        for sent in chunk_sentences(chunk):
            sentence_scope: tuple[str, int | None] | None = carried
            scope_sentence = carried_sentence if carried else ""
            said = ""  # the sentence's last indicator: "信息化率2025年底达到50%，2027年达到58%以上" elides it
            for clause in _CLAUSE_SPLIT.split(sent.norm):
                scope = _scope_of(clause)
                if scope is not None:
                    phrase, year, carries = scope
                    sentence_scope = (phrase, year)
                    scope_sentence = ""
                    if carries:
                        carried = (phrase, year)
                        carried_sentence = sent.text
                for target in _clause_targets(clause, sentence_scope, said):
                    said = target["indicator"]
                    target["clause"] = clause
                    target["scope_sentence"] = scope_sentence
                    target["kind"] = target_kind(clause, sent.norm, target["unit"], target.pop("_after"),
                                                 target["year"], doc_year, target["scope"], rules, plan,
                                                 target.pop("_before"))
                    out.append(_record(document, chunk, sent.text, sent.norm, target, len(out)))
    return out


def _document_year(document: Document, chunks: list[Chunk]) -> int | None:
    """The year the document was written: its date, else the first year of the period its title names (a
    plan "(2024—2026年)" is written as it starts), else the latest year it mentions (a report's)."""
    if re.match(r"\d{4}", document.meta.date or ""):
        return int(document.meta.date[:4])
    # (OCR reads a dash between two years as 一)
    period = re.search(r"((?:19|20)\d{2})\s*年?\s*[-—–~至到一]\s*(?:19|20)\d{2}", normalise_line(document.title))
    if period:
        return int(period.group(1))
    years = [int(y) for c in chunks for y in re.findall(r"(?<!\d)((?:19|20)\d{2})\s*年", c.norm_text)]
    return max(years) if years else None


def _clause_targets(clause: str, scope: tuple[str, int | None] | None, elided: str = "") -> list[dict]:
    """The figures of one clause; ``elided`` is the indicator a clause without its own continues
    ("…信息化率2025年底达到50%，2027年达到58%以上")."""
    results = []
    prev_end = 0
    for m in _NUMBER.finditer(clause):
        num, unit, approx = m.group("num"), m.group("unit") or "", m.group("approx") or ""
        if approx and not unit:
            continue  # "200多" alone is not a figure
        start, end = m.start(), m.end()
        before, after = clause[:start], clause[end:]
        is_cn = not num[0].isdigit()
        if is_cn:
            if unit not in _CN_UNITS_OK or before.endswith(("第", "前", "后", "每")) or len(num) == 1 and unit in ("日", "年"):
                continue
            if before.count("“") > before.count("”") or before.count('"') % 2 == 1:
                continue  # inside a quoted slogan: “最初一公里”
        value = _value(num)
        if value is None:
            continue
        # a bare number counts only after 下降/提高/增长/达到 (e.g. 收入倍差下降0.01以上); years never
        # "全面实施20年来" is a duration, "2023年" a year; a bare number counts only after
        # 下降/提高/增长/达到 (e.g. 收入倍差下降0.01以上)
        if not is_cn and unit == "年":
            if len(num) == 4 or not re.search(r"(实施|持续|延长|用|历时|经过|近|超过|满)$", before):
                continue
        elif not is_cn and unit == "" and (
            re.match(r"\s*(年|月|日|号|条|章|\.\d)", after) or not _BARE_VALUE_BEFORE.search(before)
        ):
            continue
        if unit == "日" and re.search(r"月$", before):
            continue  # a date
        if before.endswith(("第", "“", "\"")) or re.match(r"\s*[+＋]", after):
            continue  # 第二轮, "1+4" 体系
        comparator = approx or _comparator(before.rstrip(), after)
        indicator = clause[prev_end:start]
        indicator = re.sub(r"(不少于|不低于|不超过|超过|稳定在|控制在|保持在|提高到|提升至|达到|达|累计|下降|超)$", "", indicator)
        indicator = _SCOPE_YEAR.sub("", indicator)
        indicator = _BARE_YEAR_IN_INDICATOR.sub("", indicator)
        indicator = _LEAD_VERBS.sub("", indicator.strip(" 、和及"))
        if not indicator and elided and prev_end == 0:
            indicator = elided
        if not indicator:
            rest = re.sub(r"^(以上|左右|以内|以下)", "", after)
            indicator = rest.strip(" 、")[:20] or clause[:start].strip(" 、")[-20:]
        scope_phrase, year = scope if scope else ("", None)
        if "累计" in clause[:end + 2]:
            # a cumulative figure is not a yearly one, whatever 每年 said earlier in the sentence
            scope_phrase = "累计" if not scope_phrase or _EVERY_YEAR.search(scope_phrase) else f"{scope_phrase}累计"
        results.append({
            "indicator": indicator[-40:], "value": value, "value_text": format_number(value) if is_cn else num,
            "unit": unit, "comparator": comparator, "year": year, "scope": scope_phrase, "_after": after, "_before": before,
        })
        prev_end = end
        while prev_end < len(clause) and clause[prev_end:prev_end + 2] in _POST_COMPARATORS:
            prev_end += 2
    return results


# a fine or a sum a rule imposes, and a time limit: limits, not targets
_LIMIT = re.compile(r"罚款|罚金|处[^，,；;。]{0,16}元|没收|赔偿|收费")
_TIME_UNITS = ("小时", "天", "日", "个工作日", "个月", "分钟")
_WITHIN = re.compile(r"^\s*(?:以内|内|之内|前|之日起)")
# a figure reached: "由2003年…提高到2022年…", "用118天", "实施20年来", "已建成"
_PAST = re.compile(r"[由从]\d{4}\s*年|\d{4}\s*年(?:底|末)?(?:的|为|是)\d|以来|年来|已经|已(?:建成|完成|实现|达|累计|覆盖|有)|用了?\d|历时|先后|截至\d{4}年")
# a figure to reach: the words of a plan
_FORWARD = re.compile(r"力争|争取|确保|目标|(?<!行动)计划|预计|将|(?<![重主需])要(?!求)|每年|年均|十[一二三四五六七八九]五")
# a document that plans (方案, 规划, 意见, 计划): its figures are to be reached unless stated as past
_PLAN_TITLE = re.compile(r"(方案|规划|意见|计划|纲要|通知|要点)(?:[(（].{0,20}[)）])?$")


# a figure that qualifies a noun rather than being reached: "超5亿元的农业全产业链", "年经营性收入150万元以上
# 行政村占比达到100%" (the 100% is the target, 150万元 the threshold of what is counted)
# "安排不少于10%的建设用地指标": a figure the plan commits to, though it qualifies a noun
_REACHED = re.compile(r"不少于|不低于|达到|至少")
_QUALIFIES = re.compile(r"^\s*(?:以上|以下|以内|左右|多)?的|^\s*(?:以上|以下)[\u4e00-\u9fff]{1,8}?(?:占比|比例|比重|数量)")


# a document of rules (条例, 法, 办法, 规定, 细则) sets requirements and limits, not targets
_RULES_TITLE = re.compile(r"(条例|法|办法|规定|细则|规则)$")


def target_kind(clause: str, sentence: str, unit: str, after: str, year: int | None, doc_year: int | None,
                scope: str = "", rules: bool = False, plan: bool = False, before: str = "") -> str:
    """target, history or limit, from the clause's own words (see ``Target.kind``).

    Args:
        rules: the document is a regulation or law (its figures are limits it sets).
        plan: the document is a plan (its figures are to be reached).
        before: the clause's words before the figure.
    """
    if rules or _LIMIT.search(clause) or unit in _TIME_UNITS and _WITHIN.match(after):
        return "limit"
    if _QUALIFIES.match(after) and not _REACHED.search(before[-6:]) or unit == "年":
        return "limit"  # "步行15分钟的服务圈", "150万元以上行政村占比达到100%", "再延长30年": not a figure to reach
    if _PAST.search(clause):
        return "history"
    if year and doc_year and year < doc_year:
        return "history"  # "2022年全省…达51.2%", "提高到2022年…" in a 2023 report
    if not _FORWARD.search(sentence) and doc_year and re.search(r"(?:19|20)\d{2}\s*年", sentence) \
            and all(int(y) < doc_year for y in re.findall(r"((?:19|20)\d{2})\s*年", sentence)):
        return "history"  # a sentence about past years only
    if plan or scope.startswith(("到", "每年", "十")) or _FORWARD.search(sentence) or _SCOPE_YEAR.search(sentence):
        return "target"
    return "history"  # outside a plan, a figure with nothing that makes it one to reach is a fact reported


def _record(document: Document, chunk: Chunk, sentence: str, norm_sentence: str, t: dict, n: int) -> Target:
    digest = hashlib.sha1(f"{chunk.chunk_id}|{n}|{t['indicator']}|{t['value_text']}{t['unit']}".encode()).hexdigest()[:12]
    return Target(
        target_id=f"{document.doc_id[:24]}-t{digest}",
        doc_id=document.doc_id,
        doc_title=document.title,
        section_id=chunk.section_id,
        section_path=chunk.section_path,
        norm_section_path=chunk.norm_section_path,
        page=chunk.page,
        chunk_id=chunk.chunk_id,
        sentence=sentence,
        norm_sentence=norm_sentence,
        owners=[],
        **t,
    )
