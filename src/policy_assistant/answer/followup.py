"""Resolve elliptical follow-ups ("那2027年呢?", "谁负责?", "这一条在哪个部分?") against the history."""

from __future__ import annotations

import re

from ..index.lexical import words
from ..ingest.normalise import normalise_query
from ..models import Message
from .question import _YEAR, LOCATE, content_terms, with_full_years

_ELLIPTIC_START = re.compile(r"^(那|那么|那在|还有|另外|其中|这|这个|这一|该|它|其|那个|同样|呢)")
_ANAPHOR = re.compile(r"那部分|这部分|那个|这个|这些|那些|上述|前面|刚才|上面|它们|其中|后者|前者|那一项|这一项|当时|那时|当年|那年")
_ASKS = re.compile(r"谁|多少|哪|什么|啥|几|怎么|如何|是否|吗")
# a document named in a question: "管理条例", "乡村振兴促进法", "实施方案", "一号文件"
_DOC_REF = re.compile(r"[\u4e00-\u9fff]{0,16}?(?:条例|促进法|管理办法|办法|实施方案|方案|一号文件|意见|报告)|[\u4e00-\u9fff]{2,12}法(?![\u4e00-\u9fff])")
# words for what is measured rather than what is measured about: "产量呢?" keeps the subject (蔬菜)
_ATTRIBUTE = re.compile(r"(量|额|率|数|面积|规模|比例|收入|产值|资金|标准|时间|期限|频次)$")
_LABEL = re.compile(r"第([一二三四五六七八九十百零\d]+)(条|章|节|项|点|部分|个方面)")
_TAIL = re.compile(r"(目标)?(是多少|有多少|为多少|是什么|有哪些|是哪些|有什么|多少|几个|吗|呢)?[?？!！。.\s]*$")


# the previous question's own asking, at its end: "哪天开始施行", "由谁负责", "哪个部门牵头"
_OWN_ASK_TAIL = re.compile(r"(?:是|在|于)?(?:哪天|哪一天|什么时候|何时|哪年|哪一年|几月几[日号]|由谁|谁|哪个部门|哪个单位|哪些部门|哪个局)"
                           r"[^，,。？?]{0,6}$")


def is_elliptical(question: str) -> bool:
    """True when a question leans on the previous turn for its topic."""
    norm = normalise_query(question)
    bare = re.sub(r"[?？!！。.,，\s]", "", norm)
    if _ELLIPTIC_START.match(bare) or re.match(r"^(在)?(哪一条|哪条|哪个部分|哪一部分|哪一章|哪里|哪儿|出自哪)", bare):
        return True
    if bare.endswith("呢") and not _ASKS.search(bare) and (len(bare) <= 12 or _DOC_REF.fullmatch(bare[:-1])):
        # "产量呢?", "乡村振兴促进法呢?", "浙江那个农村污水设施条例呢": a new topic for the previous question
        return True
    if len(bare) <= 12 and _ANAPHOR.search(bare):
        return True  # "公共那部分具体有啥": points back into the previous answer
    return len(content_terms(norm)) == 0 and len(bare) <= 12


def resolve(question: str, history: list[Message]) -> str:
    """Rewrite a follow-up into a self-contained question; other questions come back unchanged.

    Args:
        question: the new user turn.
        history: earlier turns, oldest first.
    Returns:
        The question to answer.
    """
    previous = [m.content for m in history if m.role == "user" and m.content.strip()]
    if not previous or not is_elliptical(question):
        return question
    prev = previous[-1]
    # a follow-up of a follow-up: resolve the earlier one first
    if len(previous) > 1 and is_elliptical(prev):
        prev = resolve(prev, [Message(role="user", content=p) for p in previous[:-1]])
    prev_norm = with_full_years(normalise_query(prev))  # "25年…" and "27年呢" are years 2025 and 2027
    q_norm = with_full_years(normalise_query(question))
    q_years = [m.group(1) for m in _YEAR.finditer(q_norm)]
    p_years = [m.group(1) for m in _YEAR.finditer(prev_norm)]
    stripped = re.sub(r"^(那么|那|还有|另外|那在)", "", q_norm).strip(" ,，")
    q_label = _LABEL.search(q_norm)
    p_label = _LABEL.search(prev_norm)
    if q_label and p_label and q_label.group(2) == p_label.group(2) and len(re.sub(_LABEL, "", stripped).strip(" 呢?？")) <= 2:
        # "第四条呢?" after "经验启示第一条讲的是什么?": the same question of another item
        return prev_norm[:p_label.start()] + q_label.group(0) + prev_norm[p_label.end():]
    if q_years and p_years:
        out = prev_norm
        for py in p_years:
            out = out.replace(py, q_years[0])
        return out
    if q_years:
        tail = _TAIL.search(prev_norm)
        return f"{q_years[0]}年{_TAIL.sub('', prev_norm)}{tail.group(0) if tail else ''}"
    topic = _TAIL.sub("", prev_norm)
    rest = re.sub(r"^(其中|这一条|这条|这一项|这项|这个|这|该项|该|它|其)", "", stripped)
    # "那公共处理设施呢?" after "户内处理设施由谁负责养护?": swap the entity that shares a head noun
    entity = re.sub(r"[呢吗?？。!！\s]+$", "", rest)
    if entity and len(entity) <= 12 and not _ASKS.search(entity) and not re.search(r"负责|牵头|部分|条(?!例)", entity):
        swapped = _swap_entity(prev_norm, entity) or _swap_document(prev_norm, entity) or _swap_term(prev_norm, entity)
        if swapped:
            return swapped
        # no shared head noun: ask the previous question's question about the new entity
        tail = _TAIL.search(prev_norm)
        year = f"{p_years[0]}年" if p_years else ""
        return f"{year}{entity}{tail.group(0) if tail and tail.group(0).strip('?？ ') else '的情况'}"
    if re.search(r"在哪|哪一条|哪个部分|哪一部分|出自", q_norm) or LOCATE.search(q_norm):
        # a "where is it" follow-up is about what the previous answer quoted: search with it too
        said = [m.content for m in history if m.role == "assistant" and m.content.strip()]
        quote = re.sub(r"\[\d+\]", "", said[-1])[:120] if said else ""
        return f"{topic} {quote} {rest}".strip()
    if rest and _ASKS.search(rest):
        # "这是哪个工程里的?" after "每年要盘活多少…?": the new question asks its own thing, not the figure
        topic = re.sub(r"(?:要|需要)?(?:多少|几)[个条项家座所名人]?(?=[\u4e00-\u9fff]|$)", "", topic)
        # "那是哪次会议通过的" after "促进法哪天开始施行": nor the previous when or who
        topic = _OWN_ASK_TAIL.sub("", topic) or topic
    return f"{topic}，{rest}" if rest else topic


def _swap_entity(prev: str, entity: str) -> str | None:
    """Replace, in ``prev``, the phrase that ends with the same head noun as ``entity`` (≥ 2 shared characters).

    The phrase is the words ending with the head plus at most one two-character-or-longer word before
    them ("农村建房" in "促进法对农村建房安全…", never "法对农村建房").
    """
    tokens = words(prev)
    starts = [0]
    for t in tokens:
        starts.append(starts[-1] + len(t))
    for k in range(min(len(entity) - 1, 6), 1, -1):
        head = entity[-k:]
        for m in re.finditer(re.escape(head), prev):
            end = m.end()
            # the word boundary at or before the head's start, then one more word if it is a real word
            i = max(j for j, pos in enumerate(starts) if pos <= m.start())
            begin = starts[i]
            if i > 0 and len(tokens[i - 1]) >= 2 and re.fullmatch(r"[\u4e00-\u9fff]+", tokens[i - 1]):
                begin = starts[i - 1]
            if end not in starts:
                continue  # the head ends inside a word ("建房" of "建房屋")
            if prev[begin:end] != entity:
                return prev[:begin] + entity + prev[end:]
    return None


def _swap_document(prev: str, entity: str) -> str | None:
    """"乡村振兴促进法呢?" after "污水处理设施管理条例什么时候施行?": ask the same of the other document."""
    if not _DOC_REF.fullmatch(entity):
        return None
    m = _DOC_REF.search(prev)
    return prev[: m.start()] + entity + prev[m.end():] if m else None


def _swap_term(prev: str, entity: str) -> str | None:
    """Replace one topic word of ``prev`` with ``entity``.

    A measured attribute (产量, 收入, 覆盖率) replaces the previous attribute and keeps the subject
    ("蔬菜面积要稳定在多少" + "产量呢" → "蔬菜产量要稳定在多少"); anything else replaces the subject,
    the first topic word ("托位要新增多少个" + "床位呢" → "床位要新增多少个").
    """
    # words of a document's name ("乡村振兴促进法") are not the subject
    named = "".join(m.group(0) for m in _DOC_REF.finditer(prev))
    terms = [t for t in content_terms(prev) if t in prev and not _YEAR.fullmatch(t) and t not in named]
    if not terms or entity in terms:
        return None
    if _ATTRIBUTE.search(entity):
        attrs = [t for t in terms if _ATTRIBUTE.search(t)]
        if attrs:
            target = attrs[-1]
            return prev.replace(target, entity, 1)
        return None
    return prev.replace(terms[0], entity, 1)


def in_context(question: str, previous: str) -> str:
    """``question`` asked about the previous question's topic: "乡村振兴促进法规定的粮食安全战略，最终要确保什么"."""
    return f"{_TAIL.sub('', normalise_query(previous))}，{normalise_query(question)}"
