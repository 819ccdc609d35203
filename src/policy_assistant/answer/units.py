"""What kind of figure a question asks for (亩, 元, %, 百分点, 人, 个…) and whether an answer states one.

"高标准农田示范区总面积是多少亩" is not answered by "示范区5个", nor "收入比2022年增长百分之几" by
"收入达到6.5万元": the figure found measures something else, so the documents do not say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..ingest.normalise import normalise_line

_NUM = r"(?<![第\d.零〇一二两三四五六七八九十百千万亿])(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万亿]+)\s*(?:多|余|几)?\s*[万亿千百]?"  # not 第二十二条


@dataclass(frozen=True)
class UnitClass:
    """A family of units: how to spot the question asking for it and a figure stating it."""

    name: str  # in the refusal: "文件没有给出{name}的具体数字"
    asked: re.Pattern[str]
    stated: re.Pattern[str]


def _stated(units: str) -> re.Pattern[str]:
    return re.compile(_NUM + r"\s*(?:" + units + ")")


UNIT_CLASSES = [
    # a change in a rate: "提高几个百分点" (a level such as 85% does not answer it)
    UnitClass("百分点", re.compile(r"(几|多少)个?百分点"), _stated(r"个?百分点")),
    UnitClass("比例", re.compile(r"百分之几|百分之多少|(几|多少)成(?!本|效|果|绩|员)|多少%|比例是?多少|比重|占比|增长率|增幅"),
              re.compile(_NUM + r"\s*(?:%|％|成(?!本|效|果|绩|员))|百分之[零〇一二两三四五六七八九十百]+|\d+(?:\.\d+)?\s*个?百分点")),
    UnitClass("面积", re.compile(r"多少(万|千)?(亩|公顷|平方米|平方公里)|几(万|千)?(亩|公顷)|面积(是|有|达到?|为)?多少|多大面积|多少面积"),
              _stated(r"亩|公顷|平方米|平方公里|平米|m2|km2")),
    UnitClass("金额", re.compile(r"多少钱|多少(万|亿)?元|多少(资金|补助|补贴|奖励|奖补|经费|费用)|(资金|补助|补贴|奖励|经费)(是|有|为)?多少|投入(了|是)?多少|金额"),
              _stated(r"元|万元|亿元")),
    UnitClass("人数", re.compile(r"多少(万)?[人名](?!民|才|员|居|口|称|单)|几(万)?[人名](?!民|才|员|居|口|称|单)|人口(有|是|为)?多少|多少人口|人数"),
              _stated(r"人|名|万人")),
    UnitClass("重量", re.compile(r"多少(万|亿)?(吨|斤|公斤|千克)"), _stated(r"吨|斤|公斤|千克")),
    # a count of things: "有多少个行政村" is not answered by "行政村占比85%"
    UnitClass("数量", re.compile(r"(多少|(?<![第哪])几)(个|家|座|所|处|户|条|项|批)(?!方面|部分|章|节|百分点|小时|工作日|月)"),
              re.compile(_NUM + r"\s*(?:个|家|座|所|处|户|条|项|批|支|张|类|种|名|人)"
                         r"|\d+(?:\.\d+)?\s*[万千]?\s*(?:村|镇|园|区|场|基地|中心|站)"  # 千村示范 is a name
                         r"|(?<![第\d百千万一二两三四五六七八九十])[二两三四五六七八九十]{1,2}(?:镇|县|乡|省|市)")),  # 西部五镇
    # how long, in what: "期限是几年" is not answered by "二十四小时内"
    UnitClass("年限", re.compile(r"(?<!哪)几年|多少年(?!代)"), re.compile(r"(?<!\d)(?:\d{1,2}|[一二两三四五六七八九十]+)\s*(?:多|余)?\s*(?:个)?年(?!\d)")),
    UnitClass("天数", re.compile(r"几天|多少天|几个工作日|多少个工作日"), _stated(r"天|日|个工作日|工作日")),
    UnitClass("小时数", re.compile(r"几小时|几个小时|多少小时|多少个小时"), _stated(r"小时|个小时")),
    UnitClass("长度", re.compile(r"多少(公里|千米|米)|多长(?!时间)"), _stated(r"公里|千米|米")),
]


def asked_unit(norm_question: str) -> UnitClass | None:
    """The unit family a (normalised) question asks its figure in, if it names one."""
    for u in UNIT_CLASSES:
        if u.asked.search(norm_question):
            return u
    return None


def states_unit(text: str, unit: UnitClass) -> bool:
    """True when ``text`` states a figure in ``unit``'s family."""
    return bool(unit.stated.search(normalise_line(re.sub(r"\[\d+\]", "", text))))


# a quantity stated in words or digits, with what it counts: 十年, 千亿斤, 360个, 85%, 5.7万元 (not a bare year)
_QUANTITY = re.compile(
    r"(?<![第\d])(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万亿]+)\s*(?:多|余)?\s*[万亿千百]?\s*"
    r"(?:%|％|个|家|座|所|处|户|条|项|批|支|张|类|种|名|人|次|倍|成|年|月|天|日|周|小时|元|斤|吨|亩|公顷|平方米|公里|米|头|只|宗|套|台|辆)"
    r"|百分之[零〇一二两三四五六七八九十百点\d.]+"  # a share in words: 百分之十, 百分之七十
    r"|\d+(?:\.\d+)?\s*[万亿]"  # 4.7万 (but 千万工程 is a name)
    r"|(?<![第\d百千万一二两三四五六七八九十])[二两三四五六七八九十]{1,2}(?:镇|县|乡|省|市|村)(?![镇县乡省市])"  # 西部五镇
    r"|\d+\.\d+(?!\s*年)"  # a ratio or index: 收入比从2.43缩小到1.90
)


def states_quantity(text: str) -> bool:
    """True when ``text`` states some quantity; a year alone ("2023年") or "一批" (a batch) does not count."""
    norm = normalise_line(re.sub(r"\[\d+\]", "", text))
    return any(not re.fullmatch(r"(19|20)\d\d年|一批|一些", m.group(0).strip()) for m in _QUANTITY.finditer(norm))


# a point or span in time: 2020年1月1日, 每季度, 十个工作日前, 农历秋分日, 规定的时限内
_WHEN_STATED = re.compile(r"\d{4}\s*年|\d{1,2}\s*[月日]|[一二三四五六七八九十]+月|农历|丰收节|节日|节假日|秋分|春节|以前|之前|时限|期限|届满|期满|"
                          r"小时|工作日|天内|日内|年内|个月|每年|每月|每季度|每周|起施行")


def states_time(text: str) -> bool:
    """True when ``text`` says when (a date, a deadline, a period, a frequency)."""
    return bool(_WHEN_STATED.search(normalise_line(text)))


_CN_DIGITS = "零一二三四五六七八九"


def cn_numerals(n: int) -> list[str]:
    """How a regulation writes a whole number in words: 3 → 三, 20 → 二十, 5000 → 五千, 20000 → 两万/二万."""
    if not 0 < n < 100000:
        return []
    out = ""
    for value, unit in ((10000, "万"), (1000, "千"), (100, "百"), (10, "十")):
        digit, n = divmod(n, value)
        if digit:
            out += ("" if unit == "十" and digit == 1 and not out else _CN_DIGITS[digit]) + unit
        elif out and n:
            out += "" if out.endswith("零") else "零"
    out += _CN_DIGITS[n] if n else ""
    forms = [out]
    if out.startswith("二") and out[1:2] in ("万", "千", "百"):
        forms.append("两" + out[1:])  # 两万元, 两千元
    return forms


def states_figure(figure: str, text: str) -> bool:
    """True when ``text`` states a typed figure, in digits or in words ("3层" is stated by "三层")."""
    if figure in text:
        return True
    m = re.fullmatch(r"(\d+)(\D*)", figure)
    if m is None:
        return False
    unit = re.escape(m.group(2))
    return any(re.search(f"(?<![零一二两三四五六七八九十百千万]){cn}(?![零一二两三四五六七八九十百千]){unit}", text)
               for cn in cn_numerals(int(m.group(1))))
