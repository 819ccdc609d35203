"""Two questions in one message ("公共处理设施由谁负责建设？户内的又由谁建？"): answer each, then merge.

Each part is answered with the earlier parts as history, so an elliptical second part ("户内的又由谁建")
is resolved against the first. The answers are joined as (1)…(2)…, their citations renumbered.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..models import Answer, Citation, Message

# a part asks something: a question word, or a final 吗/呢
_ASKS = re.compile(r"谁|多少|几|什么|哪|怎么|如何|是否|吗|呢|有无|能否|可否|多大|多高|多长|多久|比例")
_BREAK = re.compile(r"(?<=[？?；;])")
# "户内的归谁建，公共的又是谁建": two questions joined by a comma, each asking (tried after ？ and ；)
_COMMA = re.compile(r"(?<=[，,])")
# "…建设什么样的农业强国，是哪几个强": a comma part that opens with a copula, a pronoun or the question
# word itself leans on the part before it, so the message is one question
_LEANS = re.compile(r"^(?:是|就是|即|也就是|那么?|这|这些|它|其|分别)|^(?:谁|多少|几|什么|哪|怎么|如何)")
_SPACES = re.compile(r"(?<=[\u4e00-\u9fff])[ \u3000]+(?=[\u4e00-\u9fff])")
MAX_PARTS = 3
_MARKS = "①②③"


# "A和B，哪个要建得多?": a comparison asks the figure of each
_COMPARE = re.compile(r"^(?P<a>[^，,？?]{2,30}?)(?:和|与|與|跟|同|还是|還是)(?P<b>[^，,？?]{2,30}?)[，,\s]*"
                      r"(?:哪个|哪個|哪一个|哪一個|哪项|哪項|谁|誰)"
                      r"(?P<verb>[^，,？?]{0,6}?)得?(?:更)?(?:多|少|大|小|高|低|长|長|短|快|慢)(?:一些|一点|一點|些)?[?？]?$")


def split_parts(question: str) -> list[str]:
    """The separate questions of a message (one item when it asks one thing)."""
    m = _COMPARE.match(question.strip())
    if m:
        verb = m.group("verb").rstrip("得")
        a, b = m.group("a"), m.group("b")
        if re.fullmatch(r"\d{4}年?", a) and "的" in b:  # "2025年和2027年的收入目标": the year shares the rest
            a = a + b[b.index("的"):]
        return [f"{a}{verb}多少？", f"{b}{verb}多少？"]
    for breaker in (_BREAK, _SPACES, _COMMA):  # "…每年新增几个 电气化村一共建几个": typed without punctuation
        parts = [p.strip() for p in breaker.split(question.strip()) if p.strip(" ？?；;")]
        if not 2 <= len(parts) <= MAX_PARTS or not all(_ASKS.search(p) for p in parts):
            continue
        if breaker is _COMMA and any(_LEANS.match(p) for p in parts[1:]):
            continue
        return parts
    return [question]


def answer_parts(parts: list[str], history: list[Message], answer_one: Callable[[str, list[Message]], Answer]) -> Answer:
    """Answer each part in turn (earlier parts as history) and merge them into one answer."""
    answers: list[Answer] = []
    hist = list(history)
    for part in parts:
        a = answer_one(part, hist)
        answers.append(a)
        hist = [*hist, Message(role="user", content=part), Message(role="assistant", content=a.answer)]
    return merge(" ".join(parts), answers)


def merge(question: str, answers: list[Answer]) -> Answer:
    """One answer from several: ①②③ paragraphs, citations renumbered in order."""
    texts: list[str] = []
    citations: list[Citation] = []
    for i, a in enumerate(answers, start=1):
        offset = len(citations)
        text = re.sub(r"\[(\d+)\]", lambda m, o=offset: f"[{int(m.group(1)) + o}]", a.answer)  # type: ignore[misc]
        texts.append(f"{_MARKS[i - 1]}{text}")  # ①②③: not figures, so the numeric check ignores them
        citations.extend(a.citations)
    first = answers[0]
    return Answer(
        question=question, answer="\n".join(texts), answered=any(a.answered for a in answers), citations=citations,
        targets=[t for a in answers for t in a.targets], kind=first.kind,
        resolved_question=None,
    )
