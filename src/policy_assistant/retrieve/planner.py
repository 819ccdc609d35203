"""Query planning before retrieval: which documents a question names, what it asks about them, and
the full forms of the abbreviations the documents define.

"乡村振兴促进法什么时候施行" is a question about one document: its title words match that document's
header, not the article that answers ("本法自2021年6月1日起施行"). So the named document becomes a
filter and its name leaves the query. "千万工程" is defined by the corpus itself ("“千村示范、万村整治”
工程（以下简称“千万工程”）"), so the full form joins the query and clauses using only it are found.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..index.lexical import place_names, words
from ..models import Chunk

# (what the question says, what the document title looks like)
DOC_GENRES = [
    (re.compile(r"一号文件|中央文件|中共中央|国务院.*意见"), re.compile(r"^中共中央")),
    (re.compile(r"促进法|振兴法|这部法|该法|法律(?!、|法规|责任)|(这|那)(个|部)法(?![规则人院官治])"), re.compile(r"法$")),
    (re.compile(r"条例|条列|污水.*管理办法"), re.compile(r"条例")),
    (re.compile(r"经验|调研|总结推广|[”\"](?:报告|文章|总结|经验)|(这篇|那篇|这份|那份)(报告|文章|总结)|^报告(里|中|上)"),
     re.compile(r"经验|报告|调研")),
    (re.compile(r"实施方案|方案"), re.compile(r"方案")),
]
# genre words that also name ordinary things ("划界方案", "建设方案"): with words before them that no title
# holds, they name no document
COMMON_NOUN_GENRES = frozenset(["方案", "实施方案"])
# a title stretch right before a genre word is the document's name ("千万工程那篇总结", "污水设施条例")
_NAMES_GENRE = re.compile(r"(?:那篇|这篇|那份|这份|那个|这个|的)?(?:报告|总结|文章|条例|方案|意见|办法)")
_AFTER_NAME = re.compile(r"(?:(?<=^)|(?<=\s))(?:规定的|规定|提出的|提出|里面的|里面|里的|中的|对于|关于|对|里|中|的)")
# "“千村示范、万村整治”工程（以下简称“千万工程”）"
_ALIAS = re.compile(r"([\u4e00-\u9fff“”\"、]{2,40})[(（]\s*以下简称\s*[“\"]?([\u4e00-\u9fff]{2,12})[”\"]?\s*[)）]")


# cuts jieba gets wrong in questions: 什么样|板区 (什么 + 样板区), 打|造成 (打造 + 成), 几点零 (asks "X.0")
_MISCUTS = re.compile(r"什么(?=样[板本品])|(?<=打造)(?=成)|几点[零几]")


def tidy_query(norm: str) -> str:
    """A normalised question with the spans jieba mis-segments split where they should be."""
    return _MISCUTS.sub(lambda m: "什么 " if m.group(0) == "什么" else " ", norm)


@dataclass
class DocRef:
    """A document as the planner sees it."""

    doc_id: str
    title: str  # normalised

    @property
    def districts(self) -> list[str]:
        """The county-level places its title names, with their short forms ("余杭区", "余杭"): a question
        naming one is about this document when no other title names it."""
        out: list[str] = []
        for p in place_names(self.title):
            # "衢州市…条例": a city names its document as a district does ("衢州那个条例"); two characters
            # are a fragment or a word jieba took for a place ("入市" of 入市管理办法), not a city
            if p.endswith(("区", "县", "市")) and len(p) >= 3:
                out += [p, p[:-1]]
        return out


def doc_hint(norm_question: str, docs: list[DocRef]) -> set[str] | None:
    """Documents a question names ("一号文件", "促进法", "条例", "方案", a title, the place of a title), if any."""
    found = {d.doc_id for d in docs if len(d.title) >= 6 and d.title[:12] in norm_question}
    if found:
        return found
    for q_pat, title_pat in DOC_GENRES:
        m = q_pat.search(norm_question)
        if m:
            ids = {d.doc_id for d in docs if title_pat.search(d.title)}
            if ids and len(ids) < len(docs):
                # "依照衢州的条例": of the documents of that genre, those whose title names the place asked
                placed = _by_district(norm_question, [d for d in docs if d.doc_id in ids])
                narrowed = placed or _narrowed(ids, norm_question[:m.start()], docs)
                if narrowed or m.group(0) not in COMMON_NOUN_GENRES or norm_question[m.end():m.end() + 1] in _IN:
                    return narrowed or ids
                return None
    return _by_district(norm_question, docs)


def _narrowed(ids: set[str], before: str, docs: list[DocRef]) -> set[str]:
    """"宅基地条例": of the documents of a genre, those whose title holds the words just before the genre word."""
    stretch = re.search(r"[\u4e00-\u9fff]{2,8}$", before)
    if stretch:
        words = stretch.group(0)
        for size in range(len(words), 1, -1):
            found = {d.doc_id for d in docs if d.doc_id in ids and words[-size:] in d.title}
            if found:
                return found
        if words[-1] not in _POINTING:
            # "划界方案", "应急预案": the words before the genre word name another thing of that genre, which
            # no title of the library holds; the question names no document
            return set()
    return ids


_POINTING = set("个份篇部的这那该本此")
_IN = set("里中上内")  # "方案里": in the document of that genre  # "那个方案", "这份条例": pointing at a document, not naming one


def _by_district(norm_question: str, docs: list[DocRef]) -> set[str] | None:
    # "余杭区到2025年…": the district a document's title names (from the library's own titles)
    ids = {d.doc_id for d in docs if any(p in norm_question for p in d.districts)}
    if ids and len(ids) < len(docs):
        return ids
    return None


def without_doc_names(norm_question: str, titles: list[str]) -> str:
    """The question without the words that name a document: a stretch of a title (≥ 4 characters) or a
    genre word ("一号文件", "条例", "促进法")."""
    out = norm_question
    # with a genre word naming the document, a short stretch shared with its title that runs on into
    # other words ("一号文件里乡村振兴责任制…") is the topic, not the name
    genre = any(q_pat.search(norm_question) for q_pat, _ in DOC_GENRES)
    for title in titles:
        for size in range(min(len(title), len(out)), 3, -1):
            spans = [(i, out[i:i + size]) for i in range(len(out) - size + 1)]
            common = next((sp for i, sp in spans if sp in title
                           and (_NAMES_GENRE.match(out[i + size:])
                                or not (genre and size < 7 and (re.match(r"[\u4e00-\u9fff]", out[i + size:i + size + 1])
                                                                or _asked_about(out[i + size:]))))), None)
            if common:
                out = out.replace(common, " ")
                break
    for q_pat, _ in DOC_GENRES:
        out = q_pat.sub(" ", out)
    for title in titles:  # "方案说余杭要…": the district the document is about names it too
        for place in sorted(DocRef("", title).districts, key=len, reverse=True):
            out = out.replace(place, " ")
    # the words that tied the name to the rest ("条例对运维单位…", "促进法里的…") go with it
    return _AFTER_NAME.sub(" ", out)


def _asked_about(after: str) -> bool:
    """True when the question goes on to ask about what the stretch names ("…污水处理设施，分成哪两大类"),
    rather than the stretch ending it ("…要做好哪些重点工作") or a genre word following ("…设施条例里")."""
    if any((m := q_pat.search(after[:12])) is not None and m.start() <= 3 for q_pat, _ in DOC_GENRES):
        return False
    return bool(re.search(r"[\u4e00-\u9fff]{2}", after))


def defined_aliases(chunks: list[Chunk]) -> dict[str, str]:
    """Abbreviations the documents define ("以下简称“千万工程”"), mapped to their full forms."""
    out: dict[str, str] = {}
    for c in chunks:
        if "简称" not in c.norm_text:
            continue
        for m in _ALIAS.finditer(c.norm_text):
            run, short = m.group(1), m.group(2)
            start = run.find(short[0])
            full = run[start:].strip("“”\"") if start >= 0 else ""
            if full and full != short and short not in out:
                out[short] = full
    return out


def with_aliases(norm_query: str, aliases: dict[str, str]) -> str:
    """The query with the full form of every defined abbreviation it uses appended."""
    extra = [full for short, full in aliases.items() if short in norm_query and full not in norm_query]
    return norm_query + (" " + " ".join(extra) if extra else "")


# "浙江省乡村振兴促进条例是哪天起施行的": an act named by its title words (…条例, …法)
_ACT_END = re.compile(r"(条例|条列|法)(?![律规人院治官定制庭典])")
_NOT_NAME = frozenset(["请问", "根据", "按照", "依据", "关于", "那个", "这个", "这部", "那部", "这项", "该", "看看", "问下", "想问", "咨询", "我们", "你们", "咱们", "现在", "目前", "里", "的", "对", "和", "与", "上", "中", "规定", "提到", "说", "讲", "国家", "新", "老", "修订", "最新", "是", "有", "按", "照", "在"])


# words naming the whole country, which no place tagger marks as a place
_NATIONAL = frozenset(["中央", "全国", "中国", "中华人民共和国", "国家"])


def unknown_acts(norm_question: str, docs: list[DocRef], aliases: dict[str, str], in_corpus: Callable[[str], bool]) -> list[str]:
    """Acts the question names that are not in the library ("浙江省乡村振兴促进条例", "土地管理法").

    A name matches a document when every word of it (fillers aside) is in that document's title or is an
    abbreviation the documents define ("污水条例", "乡村振兴那个法", "千万工程方案" all match); a name the
    corpus itself mentions ("水污染防治法", cited by a regulation) is never reported.
    """
    out = []
    for m in _ACT_END.finditer(norm_question):
        run = re.search(r"[\u4e00-\u9fff]{1,20}$", norm_question[:m.start()])
        if run is None:
            continue
        tokens = words(run.group(0) + m.group(1))
        if len(tokens[-1]) == 2 and tokens[-1] != m.group(1):
            continue  # 做法, 方法, 违法: a word, not a title
        name_words: list[str] = []
        for w in reversed(words(run.group(0))):  # the title is the run of name words right before 条例/法
            if len(w) < 2 or w in _NOT_NAME or re.search(r"[哪几谁啥不]|什么|多少|属于|算", w):
                break
            name_words.insert(0, w)
        if not name_words:
            continue
        name = run.group(0)[run.group(0).rindex(name_words[0]):] + m.group(1)
        genre = "条例" if m.group(1) in ("条例", "条列") else "法"
        same_genre = [d for d in docs if d.title.endswith(genre)] or docs
        if in_corpus(name) or any(_names(d.title, name_words, aliases) for d in same_genre):
            continue
        out.append(name)
    return out


def _names(title: str, name_words: list[str], aliases: dict[str, str]) -> bool:
    """True when a loose name ("农村污水治理条例") fits a title: every place word it has, and at least half of
    its other words ("农村", "污水" of 农村/污水/治理), are in the title or are defined abbreviations."""
    places = [w for w in name_words if re.search(r"[省市县区镇]$", w) or w in _NATIONAL or place_names(w)]
    rest = [w for w in name_words if w not in places]
    if any(p not in title for p in places):
        return False
    hits = sum(1 for w in rest if w in title or w in aliases)
    return not rest or 2 * hits >= len(rest) and hits > 0
