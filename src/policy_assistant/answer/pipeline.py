"""The answer pipeline: named stages over one per-request record (``record.AskRecord``).

normalise → understand → gate → plan → retrieve → expand → match → scope → compose.
Each stage reads and writes the record only; a stage that settles the answer (a refusal at a gate)
ends the run. Stages can be listed (``STAGES``) and switched off by name (``AnswerEngine(disabled=…)``),
the way spaCy's ``select_pipes`` does. Every decision that changes the answer is logged to the record's
trace with a stable rule id.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..index.lexical import ALT, place_names, word_tag, words
from ..index.snapshot import lexical_text
from ..ingest.normalise import normalise_line, normalise_query
from ..retrieve.planner import unknown_acts, without_doc_names
from .compose import Citations, display
from .evidence import foreign_terms, spoken_forms, with_full_forms, with_wholes
from .question import (
    ASKING,
    FRAME_WORDS,
    ORG,
    QUANTITY,
    analyse,
    content_terms,
    question_script,
    with_full_years,
    without_fillers,
)
from .record import AskRecord
from .spelling import frame_typos

if TYPE_CHECKING:
    from .engine import AnswerEngine

ANSWER_HITS = 15  # chunks retrieved for answering (the handlers read the best 8, plus any a single retriever ranks top 3)
FULL_FORM_HITS = 10  # retrieved chunks searched for the full forms of the question's short forms

Stage = Callable[["AnswerEngine", AskRecord], None]


def normalise(engine: AnswerEngine, rec: AskRecord) -> None:
    """Simplified, half-width text; homophone typos fixed against the corpus wording."""
    typed = normalise_query(rec.resolved)
    fixed, fixes = engine.speller.correct(frame_typos(typed))
    if fixes or fixed != typed:
        rec.log("normalise", "normalise.typo", "; ".join(f"{a}→{b}" for a, b in fixes) or f"{typed}→{fixed}")
        rec.resolved = fixed
    rec.script = question_script(rec.question)


def understand(engine: AnswerEngine, rec: AskRecord) -> None:
    """Intent and slots: kind, years, places, outline references, topic terms."""
    q = analyse(rec.resolved)
    q.script = rec.script  # type: ignore[assignment]
    if rec.in_conversation:
        q.own_text = with_full_years(normalise_query(rec.question))
    rec.q = q
    rec.log("understand", f"intent.{q.kind}",
            f"years={q.years} places={q.places} refs={q.label_refs} terms={q.terms}")


def gate(engine: AnswerEngine, rec: AskRecord) -> None:
    """Refuse before retrieval what the library cannot hold: an empty question, a place, an act or a
    term the documents never mention."""
    q = rec.q
    assert q is not None
    if not q.norm.strip(" ?？"):
        rec.refuse("gate", "gate.empty", "请输入具体问题。")
        return
    unknown_places = [p for p in place_names(q.norm) if not engine.stats.in_corpus(p) and len(p) >= 2
                      and not _inside_library_phrase(p, q.norm, engine.stats.in_corpus)]
    if unknown_places:
        regions = engine.library_regions()
        rec.refuse("gate", "gate.unknown_place", f"现有文件中没有关于“{'、'.join(unknown_places)}”的内容，无法回答。"
                   + (f"本库文件涉及{'、'.join(regions)}的政策。" if regions else ""))
        return
    acts = unknown_acts(q.norm, engine.retriever.docs, engine.retriever.aliases, engine.stats.in_corpus)
    if acts:
        rec.refuse("gate", "gate.unknown_act", f"文件库中没有《{'》《'.join(acts)}》，无法回答。")
        return
    foreign = foreign_terms(q.terms, engine.stats)
    if foreign:
        rec.refuse("gate", "gate.foreign_term", f"现有文件中没有提到“{'、'.join(foreign)}”，无法回答该问题。")


def _inside_library_phrase(place: str, norm: str, in_corpus: Callable[[str], bool]) -> bool:
    """A "place" jieba read across a word the library uses: 开|平交道口 is no 开平 (a city)."""
    for m in re.finditer(re.escape(place), norm):
        for start in range(max(0, m.start() - 3), m.end()):
            for end in range(max(m.start() + 1, start + 3), min(len(norm), m.end() + 4) + 1):
                piece = norm[start:end]
                overlaps = start < m.end() and end > m.start() and not (start <= m.start() and end >= m.end())
                if overlaps and len(piece) >= 3 and re.fullmatch(r"[\u4e00-\u9fff]+", piece) and in_corpus(piece):
                    return True
    return False


def plan(engine: AnswerEngine, rec: AskRecord) -> None:
    """Which documents the question names (they become a filter), its topic words, and the search query."""
    q = rec.q
    assert q is not None
    rec.doc_ids = engine.doc_hint(q.norm)
    rec.followup_docs = rec.previous_docs if rec.resolved != rec.question and not rec.doc_ids else None
    if rec.doc_ids:
        rec.log("plan", "plan.named_document", ",".join(sorted(rec.doc_ids)))
        # "乡村振兴促进法里的“乡村”怎么定义": the words naming the document are not the topic
        titles = [normalise_line(d.title) for d in engine.snapshot.documents if d.doc_id in rec.doc_ids]
        topic = content_terms(without_doc_names(q.norm, titles))
        if topic:
            q.terms = topic
        else:
            q.about_document = True
            rec.log("plan", "plan.about_document", "every topic word names the document")
    elif rec.followup_docs:
        rec.log("plan", "plan.followup_documents", ",".join(sorted(rec.followup_docs)))
    q.terms = without_fillers(q.terms, engine.stats.in_corpus)
    spoken_words = {t for t in q.terms if engine.retriever.colloquial.expand_terms([t]) != [t]}  # 房子: known
    recut = recut_absent(q.terms, q.norm, lambda w: engine.stats.in_corpus(w) or w in spoken_words)
    added = [t for t in recut if t not in q.terms]
    if recut != q.terms:
        # "运维归", "农|房盖": pieces jieba glued across word edges, cut again on the library's own words
        rec.log("plan", "plan.recut", f"{q.terms} → {recut}")
        q.terms = recut
    spoken = {t: spoken_forms(t, engine.stats.text) for t in q.terms  # ("河里" is where, not a short form)
              if ALT not in t and t not in spoken_words and not engine.stats.in_corpus(t) and t[-1] not in _LOCATIVE}
    spoken = {t: forms for t, forms in spoken.items() if forms}
    if spoken:
        # "违建" → 违法建设: a spoken short form of the library's wording, searched and matched in that wording
        rec.log("plan", "plan.spoken_form", "; ".join(f"{t} → {'、'.join(f)}" for t, f in spoken.items()))
        q.terms = [ALT.join([t, *spoken[t]]) if t in spoken else t for t in q.terms]
        added += [f for forms in spoken.values() for f in forms]
    rec.resolved_query_extra = " ".join(added)
    if rec.in_conversation and q.kind != "locate":
        # a follow-up read in context: the asker's own topic words say what is new, so they count twice
        own = {t for t in content_terms(normalise_query(rec.question)) if engine.stats.in_corpus(t)}
        q.terms = q.terms + [t for t in q.terms if t in own]
    query = rec.resolved
    if q.kind == "owner":
        # "是农业局还是发改局负责": the departments offered are candidate answers; search for the task
        for org in (t for t in q.terms if ORG.fullmatch(t)):
            query = normalise_query(query).replace(org, " ")
        query = query.replace("还是", " ")
    rec.query = query + (" " + rec.resolved_query_extra if rec.resolved_query_extra else "")
    if q.kind == "target" and QUANTITY.search(q.frame):
        # "养老床位要新增多少张": a figure of a thing the library never names is a figure it does not give
        absent = [t for t in q.terms if _absent_noun(engine, t, q.norm)]
        if absent:
            rec.refuse("plan", "plan.absent_noun", f"现有文件中没有提到“{'、'.join(absent)}”，没有相关的具体数字。")


def _absent_noun(engine: AnswerEngine, term: str, norm: str) -> bool:
    """True for a dictionary noun of the question that no document uses in any form ("床位"), unless it
    is a mis-cut: a corpus word straddles its edge ("多大规模" cut as 大规 + 模)."""
    if ALT in term or word_tag(term) != "n" or engine.stats.in_corpus(term):
        return False
    if term[-1] in "省市县区镇乡村" or place_names(term):
        return False  # "全市", "杭州市": where, which the scope checks answer with the place named
    if engine.retriever.colloquial.expand_terms([term]) != [term]:
        return False
    if len(term) == 2 and re.search(f"{re.escape(term[0])}[\u4e00-\u9fff]{{0,5}}{re.escape(term[1])}", engine.stats.text):
        return False  # "挖路": a spoken compression of a wording the library uses ("挖掘公路")
    at = norm.find(term)
    if at < 0:
        return False
    end = at + len(term)
    straddling = [norm[at - 1:at + 1], norm[end - 1:end + 1]] if at > 0 else [norm[end - 1:end + 1]]
    return not any(len(w) == 2 and engine.stats.in_corpus(w) for w in straddling)


RECUT_MAX = 6  # longest library word tried when cutting a glued piece again
_LOCATIVE = set("里边上中内外旁头")
_FUNCTION_START = set("要是在和与对向把被将就也都还的了着过会能可想")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


def recut_absent(terms: list[str], norm: str, in_corpus: Callable[[str], bool]) -> list[str]:
    """Terms the library never uses, replaced by the library words found across their edges.

    jieba glues words it does not know to their neighbours ("运维归" of "运维归哪个部门", "房盖" of
    "农房盖超层了"). Around each such term (two characters either side), the question is cut again by
    forward maximum matching on strings the library holds; the pieces overlapping the term replace it.
    A term with no such piece is kept as it is.
    """
    out: list[str] = []
    orphans, pos = set(), 0  # where jieba left a single character standing alone
    for w in words(norm):
        if len(w) == 1 and _CJK_RUN.fullmatch(w):
            orphans.add(pos)
        pos += len(w)
    for t in terms:
        at = norm.find(t)
        if ALT in t or len(t) < 2 or at < 0 or not _CJK_RUN.fullmatch(t) or in_corpus(t):
            out.append(t)
            continue
        hi = min(len(norm), at + len(t) + 2)
        # from the term's own start first ("运维|归"); reaching left only when that finds nothing and jieba
        # left one character orphaned right before it ("农|房盖"; not "农民|干活", whose left word is whole)
        pieces = _pieces(norm, at, hi, at, at + len(t), in_corpus)
        if not pieces and at - 1 in orphans:
            pieces = _pieces(norm, at - 1, hi, at, at + len(t), in_corpus)
        new = [p for p in pieces if p not in out and p not in terms]
        out.extend(new if new else [t])
    return out


def _pieces(norm: str, lo: int, hi: int, start: int, end: int, in_corpus: Callable[[str], bool]) -> list[str]:
    """Library words cutting ``norm[lo:hi]`` by forward maximum matching that begin ``norm[start:end]`` or
    reach into it from the left."""
    i, out = lo, []
    while i < hi:
        size = next((n for n in range(min(RECUT_MAX, hi - i), 1, -1)
                     if _CJK_RUN.fullmatch(norm[i:i + n]) and in_corpus(norm[i:i + n])), 0)
        if not size:
            i += 1
            continue
        piece = norm[i:i + size]
        if i < start and piece[0] in _FUNCTION_START:
            i += size  # "要建" of 要|建座: a function word's tail reaching in is no better than the glued piece
            continue
        # a piece begins the term ("运维" of 运维归) or reaches into it from the left ("农房" of 农|房盖); one
        # starting inside it ("年的" of 今年的, "制考核" of 河长制考核) is another word's tail, not a cut
        if i <= start < i + size and piece not in FRAME_WORDS and not ASKING.fullmatch(piece):
            out.append(piece)
        i += size
    return out


def retrieve(engine: AnswerEngine, rec: AskRecord) -> None:
    """Hybrid retrieval (the retriever plans too: named document, aliases, penalties)."""
    k = max(ANSWER_HITS, rec.top_k or engine.settings.top_k)
    rec.hits = engine.retriever.search(rec.query, k=k, hint=rec.followup_docs)
    top = ", ".join(f"{h.chunk.doc_id}#{h.chunk.section_id}" for h in rec.hits[:3])
    rec.log("retrieve", "retrieve.hybrid", f"{len(rec.hits)} hits; top: {top}")


def expand(engine: AnswerEngine, rec: AskRecord) -> None:
    """Topic terms widened to the wording the retrieved clauses use (村委会 → 村(居)民委员会, 盖房子 → 建房)."""
    q = rec.q
    assert q is not None
    retrieved = "\n".join(lexical_text(h.chunk) for h in rec.hits[:FULL_FORM_HITS])
    before = list(q.terms)
    q.terms = with_wholes(with_full_forms(q.terms, retrieved), retrieved)
    q.terms = engine.retriever.colloquial.expand_terms(q.terms, q.norm)
    if q.terms != before:
        rec.log("expand", "expand.forms", f"{before} → {q.terms}")


def match(engine: AnswerEngine, rec: AskRecord) -> None:
    """The kind's handler over the records (targets, owners, penalties, dates) and the clauses."""
    q = rec.q
    assert q is not None
    rec.cites = Citations(rec.script)
    handlers = engine.handlers.bind(rec.doc_ids or rec.followup_docs, engine.min_support,
                                    lambda rule, detail: rec.log("match", rule, detail))
    answer = handlers.dispatch(q, rec.hits, rec.cites)
    answer.question = rec.question
    answer.resolved_question = rec.note
    if not answer.answered and answer.reason is None:
        answer.reason = "match.no_answer"
    rec.answer = answer


def scope(engine: AnswerEngine, rec: AskRecord) -> None:
    """Refuse an answer whose evidence does not speak to what the question pins down (``scope.py``)."""
    if rec.answer is None or not rec.answer.answered or rec.q is None:
        return
    checked = engine.check_scope(rec.q, rec.answer, rec.script)
    if not checked.answered:
        rec.log("scope", checked.reason or "scope", checked.answer)
    rec.answer = checked


def compose(engine: AnswerEngine, rec: AskRecord) -> None:
    """The answer in the asker's script."""
    if rec.answer is not None and rec.answer.answered:
        rec.answer.answer = display(rec.answer.answer, rec.script)


STAGES: list[tuple[str, Stage]] = [
    ("normalise", normalise),
    ("understand", understand),
    ("gate", gate),
    ("plan", plan),
    ("retrieve", retrieve),
    ("expand", expand),
    ("match", match),
    ("scope", scope),
    ("compose", compose),
]
# stages the answer cannot be built without: switching them off is refused
REQUIRED = frozenset({"understand", "match"})
# stages that still run after an earlier stage settled the answer (they act on answered ones only)
FINISHING = frozenset({"scope", "compose"})


def stage_names() -> list[str]:
    """The stages in order."""
    return [name for name, _ in STAGES]


def run(engine: AnswerEngine, rec: AskRecord, disabled: frozenset[str] = frozenset()) -> AskRecord:
    """Run the stages over ``rec`` until one settles the answer."""
    for name, stage in STAGES:
        if name in disabled:
            continue
        if rec.done and name not in FINISHING:
            continue
        stage(engine, rec)
    return rec
