"""Scope checks: refuse an answer whose evidence does not speak to what the question pins down.

A place (临安区, 李祖村), a planning period (十五五), a year, a rate per item (一宗给多少), a part of a
total (其中…的, 含…), a quantity, a time or a unit named in the question must be matched by the cited
sources; otherwise the documents talk about something nearby, not about what was asked. Each check
returns the reason the reply gives.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

from ..index.lexical import ALT, place_names, words
from ..ingest.normalise import normalise_line, normalise_query
from ..models import Answer
from .compose import refusal
from .question import DURATION, FRAME_WORDS, PERIOD, QUANTITY, Question, question_frame, title_years
from .units import asked_unit, states_quantity, states_time, states_unit

ASKS_WHEN = re.compile(r"什么时候|何时|哪天|哪一天|哪年|哪一年|几月|几号|几月几日|什么日子|哪个月")
# "盘活一宗给多少补助", "每户补多少": a rate per item, which only a clause saying 每宗/户均 answers
_PER_UNIT_ASK = re.compile(r"(?:每|(?<![统唯同单万第之逐专划均])一)(宗|户|人|亩|村|家|吨|处|座|所|名|位)(?!一)"
                           r"[^，。?？]{0,6}(?:给|补|奖|发|罚|收|交|多少|几)")
# "其中双车道的有多少公里": a part of the total the previous answer gave
_SUBSET_ASK = re.compile(r"其中([\u4e00-\u9fff]{2,8}?)的(?:有|是|占)?(?:多少|几)")

@lru_cache(maxsize=1)
def slot_vocabulary() -> dict[str, Any]:
    """Indicator heads and opposite-side pairs, with their example questions (``resources/indicator_slots.json``)."""
    text = resources.files("policy_assistant").joinpath("resources/indicator_slots.json").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


@lru_cache(maxsize=1)
def _contrasts() -> list[tuple[str, str]]:
    """The pairs, the most specific first (农村居民/城镇居民 before 农村/城镇)."""
    return sorted(((a, b) for a, b in slot_vocabulary()["contrasts"]), key=lambda p: -len(p[0]) - len(p[1]))


# "全市", "各县": the extent of a figure, not the name of what is measured
_EXTENT = re.compile(r"^[全各本][省市区县镇乡村国]$")


def contrast_conflict(q_norm: str, text: str) -> tuple[str, str] | None:
    """(asked, said) when ``text`` is about the other side of a pair the question asks about (农村 vs 城镇)."""
    for asked, said in _contrasts():
        if asked in q_norm and said not in q_norm and asked not in text and said in text:
            return asked, said
    return None


@lru_cache(maxsize=4096)  # asked once per candidate record: the question's reading is the same each time
def asked_indicators(q_norm: str) -> tuple[tuple[str, str], ...]:
    """Every (modifier, indicator word) a question names, in order ("森林覆盖率" → 森林, 覆盖率;
    "流转规模和试点个数" → (流转, 规模), (试点, 个数))."""
    tokens = [t for t in words(q_norm) if t.strip()]
    heads = slot_vocabulary()["heads"]
    found: list[tuple[str, str]] = []
    for i, tok in enumerate(tokens):
        head = next((h for h in heads if tok.endswith(h)), None)
        if head is None:
            continue
        own = tok[: -len(head)]
        if len(own) >= 2:
            found.append((own, head))
            continue
        j = i - 1
        while j >= 0 and (tokens[j] in FRAME_WORDS or re.fullmatch(r"\d+年?|年|的|[，,]", tokens[j])
                          or place_names(tokens[j]) or _EXTENT.match(tokens[j])):
            j -= 1
        if j >= 0 and len(tokens[j]) >= 2 and re.fullmatch(r"[\u4e00-\u9fff]+", tokens[j]):
            found.append((tokens[j], tok))
    return tuple(found)


def indicator_conflict(q_norm: str, text: str) -> str | None:
    """The indicator the question names when ``text`` states another one ("森林覆盖率" vs "污水处理设施覆盖率").

    A question naming several ("流转规模和试点个数") conflicts only with a text stating none of them.
    """
    asked = asked_indicators(q_norm)
    for modifier, _name in asked:
        # an abbreviation the asker uses ("国标" for 国家标准) has its characters in order in the record's wording
        spread = ".{0,4}".join(re.escape(ch) for ch in modifier)
        if modifier in text or re.search(spread, text):
            return None
    return asked[0][0] + asked[0][1] if asked else None

# "义乌市李祖村", "安吉县余村": villages named after their county or town
_VILLAGE = re.compile(r"(?<=[市县区镇乡])([\u4e00-\u9fff]{1,3}村)(?![民委级庄集])")


# a kind of village, not a name: "和美乡村示范村" holds "村示范村" after 乡, "精品村", "中心村"
_VILLAGE_KIND = re.compile(r"示范|精品|特色|重点|中心|行政|自然|美丽|和美|未来|专业|试点|样板|传统|历史")


def named_villages(corpus_text: str) -> set[str]:
    """Villages the documents name after their county or town ("义乌市李祖村", "安吉县余村")."""
    return {v for v in _VILLAGE.findall(corpus_text)
            if not v.endswith(("农村", "乡村", "山村")) and v[0] not in "对有在和与等各本全每该村"
            and not _VILLAGE_KIND.search(v)}


def check_scope(q: Question, answer: Answer, script: str, villages: set[str]) -> Answer:
    """``answer``, or a refusal saying what the documents do not give (with the nearby clause cited)."""
    problem = scope_problem(q, answer, villages)
    if problem is None:
        return answer
    rule, reason, cite = problem
    reply = refusal(q.text, script, reason, kind=answer.kind, resolved=answer.resolved_question, rule=rule)
    if cite:
        reply.citations = answer.citations[:1]
    return reply


# a figure that is a fine, and the words that ask about one
_FINE = re.compile(r"罚款|罚金")
_ASKS_PENALTY = re.compile(r"罚|处分|处理|后果|违法|违反|违规|责任|追究|代价|交多少|赔")


def scope_problem(q: Question, answer: Answer, villages: set[str]) -> tuple[str, str, bool] | None:
    """(rule id, reason, cite the nearby clause) for the first check ``answer`` fails, or None."""
    evidence = normalise_line(" ".join(c.quote + " " + c.title for c in answer.citations))
    for place in place_names(q.norm):
        short = place[:-1] if len(place) >= 3 and place[-1] in "省市区县镇乡村" else place  # 临安区 → 临安, never 杭州 → 杭
        if place not in evidence and short not in evidence:
            return "scope.place", f"现有文件中没有关于“{place}”这方面的具体规定。", False
    for village in villages:
        if village in q.norm and village not in evidence:
            # "李祖村村集体一年经营性收入多少" answered by the district's target: not about that village
            return "scope.village", f"现有文件中没有关于“{village}”这方面的具体规定。", False
    contrast = contrast_conflict(q.norm, evidence)
    if contrast:
        # "城镇污水处理厂的检测频次" answered by a clause on 农村 facilities: the other side of the pair
        asked, said = contrast
        return "scope.contrast", f"文件的相关规定针对的是“{said}”，没有关于“{asked}”的具体规定。", True
    if answer.kind in ("target", "general") and _FINE.search(normalise_line(answer.answer)) and not _ASKS_PENALTY.search(q.frame):
        # "有偿退出补偿标准每平方米多少钱" answered by "处每平方米20元以上50元以下罚款": a fine answers only
        # a question about what a violation costs
        return "scope.fine", "文件提到了相关内容，但相关数字是罚款标准，不是所问的内容。", True
    asks_figure = answer.kind in ("target", "general") and QUANTITY.search(q.frame)
    missing = indicator_conflict(q.norm, evidence) if asks_figure else None
    if missing:
        # "森林覆盖率目标" answered by a clause on 污水处理设施覆盖率: another indicator
        return "scope.indicator", f"现有文件没有给出“{missing}”的具体数字或目标。", False
    for period in set(PERIOD.findall(q.norm)):
        if period not in evidence:
            return "scope.period", f"现有文件没有就“{period}”时期作出相关规定。", False
    quoted = normalise_line(" ".join(c.quote for c in answer.citations))
    named = set().union(*(title_years(normalise_line(c.title)) for c in answer.citations)) if answer.citations else set()
    # a figure asked for a year (a target, or a general clause read for a figure) must come from a text of it
    if (answer.kind == "target" or asks_figure) and q.years and str(max(q.years)) not in quoted \
            and max(q.years) not in named:
        # "2027年…比2022年增长百分之几" answered by a 2022 figure: the year asked about is not there
        return "scope.year", f"文件提到了相关内容，但没有给出{max(q.years)}年的具体数字。", True
    per = _PER_UNIT_ASK.search(q.frame)
    if per and answer.kind in ("target", "general") and not re.search(
            f"每{per.group(1)}|{per.group(1)}均|/{per.group(1)}", normalise_line(answer.answer)):
        # "盘活一宗给多少补助" answered by "每年盘活200宗": a total, not a rate per item
        return "scope.per_unit", f"文件提到了相关内容，但没有给出每{per.group(1)}的具体标准。", True
    quotes = " ".join(c.quote for c in answer.citations)
    subset = _SUBSET_ASK.search(normalise_query(answer.question))
    if answer.kind == "target" and subset and subset.group(1) not in normalise_line(quotes):
        # "其中双车道的有多少公里" answered by the total: the part asked about is not counted
        return "scope.subset", f"文件只给出了总数，没有单列“{subset.group(1)}”的数字。", True
    inside = only_inside_parentheses(q.terms, normalise_line(quotes))
    if answer.kind == "target" and inside:
        # "快递共富驿站单独有几个" answered by "服务站(含快递共富驿站)35个": a total that includes it
        return "scope.inside_total", f"文件只给出了包括“{inside}”在内的总数，没有单列“{inside}”的数字。", True
    asks_quantity = answer.kind in ("target", "general") and QUANTITY.search(q.frame) \
        or answer.kind == "date" and DURATION.search(q.frame)
    if asks_quantity and not states_quantity(quotes):
        return "scope.quantity", "文件提到了相关内容，但没有给出具体数字。", True
    if answer.kind in ("date", "general") and ASKS_WHEN.search(q.frame) and not states_time(quotes):
        # "乡村振兴日是哪天" answered by a clause that names no day
        return "scope.time", "文件提到了相关内容，但没有给出具体时间。", True
    # the asker's own words first: a question retried in context ("…培训多少人，每期培训几天") asks its own unit
    unit = asked_unit(question_frame(normalise_query(answer.question))) or asked_unit(q.frame)
    if unit is not None and answer.kind in ("target", "general", "date") and not states_unit(answer.answer, unit):
        # "总面积多少亩" answered by "示范区5个": the figure measures something else
        return "scope.unit", f"文件提到了相关内容，但没有给出{unit.name}方面的具体数字。", True
    return None


def only_inside_parentheses(terms: list[str], quotes: str) -> str:
    """The "(含…)" text in which the quotes alone mention a topic term ("服务站(含快递共富驿站)35个"), if any."""
    inners = re.findall(r"[(（]含([^)）]{1,30})[)）]", quotes)
    outer = re.sub(r"[(（]含[^)）]{1,30}[)）]", " ", quotes)
    for inner in inners:
        for t in terms:
            first = t.split(ALT, 1)[0]
            if len(first) >= 2 and first in inner and first not in outer:
                return inner
    return ""
