"""How an answer reads: the figure (or the departments) first, then one line of source, then the rest.

The engine writes answers as "根据《…》…：到2025年，…达到5.7万元[1]" — the source before the fact. Every
channel (page, WeCom, OpenAI content, CLI) shows the same order instead: a headline with the figure and
year (or the bodies named), a 来源 line, then whatever else the answer says (the clause quoted, other
bodies, the article in full). This module reads the engine's own answer forms (``FORMS``), so the
channels need not; an answer in no known form (an LLM's prose) leads with its first sentence.

Prose punctuation is made Chinese full-width (``cjk_punctuation``); figures are left as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..ingest.normalise import detect_script, to_traditional
from ..models import Answer, Citation
from .compose import display, reading_note


@dataclass(frozen=True)
class Block:
    """One answer (or one part of a several-part answer): ``marker`` is ①/② for parts, else ""."""

    marker: str
    headline: str
    source: str  # "《title》path" without a label; "" when the answer names no single source
    rest: str


_TITLE = r"《[^》]{1,200}》"
# The engine's answer forms, tried in order: (name, pattern). Groups: head, source, rest.
FORMS: list[tuple[str, re.Pattern[str]]] = [
    # "区农业农村局、区发改局。依据《…》六、… › (一)…：“…”[1]此外，…"
    ("owner", re.compile(rf"^(?P<head>[^。“《]{{2,120}}。)依[据據](?P<source>{_TITLE}[^：]*?)：(?P<rest>.+)$", re.S)),
    # "是的。根据《…》二、总体目标：到2025年，…[1]。" / "根据《…》第三十四条：违反本条例…[1]"
    ("sourced", re.compile(rf"^(?P<pre>是的。|不是[^。]{{0,40}}。)?(?:根[据據]|依[据據])(?P<source>{_TITLE}[^：]*?)：(?P<head>.+)$", re.S)),
    # "《…》三、… › 3.…中“…”[1]这项任务，文件没有明确具体的责任部门。文件层面由…牵头…"
    ("ownerless", re.compile(rf"^(?P<source>{_TITLE}[^“]*?)中(?P<rest>“.+?”(?:\[\d+\])+)這?这?[项項]任[务務]，(?P<head>.+)$", re.S)),
    # "这一内容在《…》的“第二十条”部分：“…”[1]"
    ("located", re.compile(rf"^[这這]一[内內]容在(?P<title>{_TITLE})的“(?P<path>.+?)”部分：(?P<head>.+)$", re.S)),
    # "文件没有对“大食物观”作出解释，只在《…》…中这样提到：…"
    ("undefined", re.compile(rf"^(?P<head>文件[没沒]有[对對]“.+?”作出解[释釋])，只在(?P<source>{_TITLE}[^：]*?)中[这這][样樣]提到：(?P<rest>.+)$", re.S)),
    # "《乡村振兴促进法》自2021年6月1日起施行：“第七十四条…”[1]"
    ("titled", re.compile(rf"^(?P<head>{_TITLE}[^“：]{{1,60}}?)：(?P<rest>“.+)$", re.S)),
]
# what a penalty provision punishes with: the clauses the headline keeps
_SANCTION = re.compile(r"罚款|罚金|罰款|罰金|没收|沒收|吊销|吊銷|警告|拘留|处分|處分|责令|責令")
_FINE = re.compile(r"[处處][^，,；;。]{0,40}(?:罚款|罚金|罰款|罰金)")
_CLAUSE_END = re.compile(r"(?<=[，,；;。])")
_PARTS = re.compile(r"(?=[①②③④⑤⑥⑦⑧⑨⑩])")
HEADLINE_MAX = 160  # characters of a headline before it is cut at a sentence end


def blocks(answer: Answer) -> list[Block]:
    """The answer as blocks: one, or one per part of a several-part answer (①…②…)."""
    text = answer.answer.strip()
    parts = [p.strip() for p in _PARTS.split(text) if p.strip()] if text[:1] in "①②③④⑤⑥⑦⑧⑨⑩" else [text]
    out: list[Block] = []
    for part in parts:
        marker = part[0] if part[:1] in "①②③④⑤⑥⑦⑧⑨⑩" else ""
        out.append(_block(marker, part[len(marker):].strip(), answer.kind))
    return out


def _block(marker: str, text: str, kind: str) -> Block:
    for name, pattern in FORMS:
        m = pattern.match(text)
        if m is None:
            continue
        g = m.groupdict()
        if name == "located":  # "在哪一条": the place is the answer
            return _finish(marker, f"{g['title']}{g['path']}", "", g["head"])
        if name == "owner":  # every body named leads: "此外，X（第五条：…）；Y（…）"
            others = re.findall(r"(?:此外，|；)([^；（“]{2,60}?)（", g["rest"])
            head = g["head"].rstrip("。") + ("；此外：" + "、".join(dict.fromkeys(others)) if others else "")
            quote = re.match(r"“(.+?)”", g["rest"])
            fine = _sanctions(quote.group(1)) if quote and _FINE.search(quote.group(1)) else ""
            head += f"（{fine.rstrip('。；;，,')}）。" if fine else "。"
            return _finish(marker, head, g["source"], g["rest"])
        if name == "sourced":
            head = (g.get("pre") or "") + g["head"]
            if kind == "penalty" or _SANCTION.search(head) and "违反" in head[:12]:
                span = _sanctions(head)
                if span:  # the sanctions lead; the act punished and what follows the sanctions stay below
                    core = span.rstrip("]0123456789[").rstrip("。")
                    at = head.find(core)
                    rest = (head[:at] + "……" + head[at + len(core):].lstrip("；;。，,")) if at >= 0 else head
                    return _finish(marker, span, g["source"], rest)
            return _finish(marker, head, g["source"], "")
        return _finish(marker, g["head"], g.get("source") or "", g.get("rest") or "")
    return _finish(marker, text, "", "")


def _sanctions(article: str) -> str:
    """The span of a penalty provision from who punishes to the last sanction: "由…责令…，处…罚款；逾期…的，
    处…罚款" (the act punished, which the asker named, and trailing liability clauses are left to the quote)."""
    clauses = [c for c in _CLAUSE_END.split(article) if c.strip()]
    hits = [i for i, c in enumerate(clauses) if _SANCTION.search(c)]
    if not hits:
        return ""
    start = next((i for i, c in enumerate(clauses[:hits[0] + 1]) if c.lstrip().startswith("由")), hits[0])
    out = "".join(clauses[start:hits[-1] + 1]).rstrip("，,；;。")
    marker = re.search(r"\[\d+\]", article)
    return out + "。" + (marker.group(0) if marker and not out.endswith("]") else "")


def _finish(marker: str, head: str, source: str, rest: str) -> Block:
    head, rest = head.strip(), rest.strip()
    if len(head) > HEADLINE_MAX and not rest:  # a long clause: its first sentence leads, the rest follows
        cut = _first_sentence_end(head)
        if cut and cut < len(head):
            head, rest = head[:cut], head[cut:]
    return Block(marker=marker, headline=cjk_punctuation(head), source=cjk_punctuation(source.strip()),
                 rest=cjk_punctuation(rest.strip()))


def _first_sentence_end(text: str) -> int:
    depth = 0
    for i, ch in enumerate(text):
        if ch == "“":
            depth += 1
        elif ch == "”":
            depth = max(0, depth - 1)
        elif ch == "。" and depth == 0 and i >= 20:
            end = i + 1
            while end < len(text) and text[end] == "[":  # keep the [n] markers with their sentence
                close = text.find("]", end)
                if close < 0:
                    break
                end = close + 1
            return end
    return 0


def headline(answer: Answer) -> str:
    """The first line of the answer: figure and year, or the bodies named, with the part markers."""
    return " ".join(f"{b.marker}{b.headline}" for b in blocks(answer))


def citation_title(citation: Citation, answer: Answer) -> str:
    """A cited document's title in the asker's script (its quote stays as the source writes it: 原文)."""
    return "《" + display(citation.title.strip(), detect_script(answer.question)).strip("《》") + "》"


def label(text: str, answer: Answer) -> str:
    """A label ("来源") in the asker's script."""
    return to_traditional(text) if detect_script(answer.question) == "traditional" else text


def pieces(answer: Answer) -> list[tuple[str, str]]:
    """The answer in reading order as (part, text): ``note`` (how the question was read), then per block
    ``headline``, ``source`` (the 来源 line) and ``rest``. Joined, the texts are :func:`plain_text`; a
    channel styles each part its own way (the headline bold) and streams them in this order."""
    out: list[tuple[str, str]] = []
    note = reading_note(answer).strip()
    if note:
        out.append(("note", note + "\n"))
    for i, b in enumerate(blocks(answer)):
        if i:
            out.append(("gap", "\n"))
        # a refusal's first line is not a finding: it is not set apart as one
        out.append(("headline" if answer.answered else "text", f"{b.marker}{b.headline}"))
        if b.source:
            out.append(("source", f"\n{label('出处', answer)}：{b.source}"))
        if b.rest:
            out.append(("rest", f"\n{b.rest}"))
    return out


def plain_text(answer: Answer) -> str:
    """The answer as plain text: how it was read, then per block the headline, 来源 line and the rest."""
    return "".join(text for _, text in pieces(answer))


# half-width punctuation between Chinese words; figures ("1,000", "10:30", "3.8") keep theirs
_CJK = r"[\u3400-\u9fff“”》《、。]"
_PUNCT_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?<!\d),|,(?!\d)"), "，"),
    (re.compile(r";"), "；"),
    (re.compile(r"(?<!\d):|:(?!\d)"), "："),
    (re.compile(rf"(?<={_CJK})\?|\?(?=$)"), "？"),
    (re.compile(rf"(?<={_CJK})!"), "！"),
]
_PAREN = re.compile(r"\(([^()]{0,80})\)")


def cjk_punctuation(text: str) -> str:
    """Chinese prose with full-width ，；：？！ and （）; figures and Latin text keep theirs."""
    for pattern, repl in _PUNCT_RULES:
        text = pattern.sub(repl, text)
    return _PAREN.sub(lambda m: f"（{m.group(1)}）" if re.search(r"[\u3400-\u9fff]", m.group(1)) or not m.group(1)
                      else m.group(0), text)


def styled(part: str, text: str, escape: Callable[[str], str], bold: tuple[str, str] = ("**", "**")) -> str:
    """One piece for a Markdown reader: document text escaped, the headline bold, each line a paragraph."""
    lead = len(text) - len(text.lstrip("\n"))
    body = escape(text.strip("\n"))
    if part == "headline" and body:
        body = f"{bold[0]}{body}{bold[1]}"
    return "\n\n" * bool(lead) + body + ("\n\n" if text.endswith("\n") else "")


def markdown(answer: Answer, escape: Callable[[str], str]) -> str:
    """The answer as Markdown (OpenAI content, WeCom, the page): the headline bold, then 来源 and the rest."""
    return "".join(styled(part, text, escape) for part, text in pieces(answer))
