"""Per-kind answer builders: targets from the ledger, owners, section lists, dates, best clauses."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable

from ..index.lexical import place_names, word_known
from ..index.snapshot import Snapshot
from ..ingest.normalise import normalise_line
from ..knowledge.articles import ITEM_START, PENALTY_ASK, article_number
from ..knowledge.clauses import Sentence, chunk_sentences
from ..knowledge.owners import BODY_RE
from ..knowledge.tables import split_deadline
from ..models import Answer, Chunk, Hit, Owner, Section, Target
from ..numerals import cn_numeral
from .compose import Citations, miss, path_text, refusal, short_title
from .evidence import ALT, TermStats, coverage, term_match
from .penalty import find_penalty
from .question import (
    DEFINITION,
    DURATION,
    ORG,
    QUANTITY,
    Question,
    asks_issuer,
    content_terms,
    title_years,
    typed_figures,
)
from .roles import asked_roles
from .scope import asked_indicators, contrast_conflict, indicator_conflict
from .units import UnitClass, asked_unit, states_figure, states_unit
from .weights import load_weights

_CN_COUNT = "零一二三四五六七八九十"
_DATE_RE = re.compile(r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日")
_FIGURE = re.compile(r"\d|[一二三四五六七八九十两百千万]+(?:元|年|个|条|人|户|次|倍|小时|天)")
# what a "when" question asks about, and the words a dated sentence must then contain
_EVENTS = [
    (re.compile(r"施行|生效|实施日期"), ("施行", "生效")),
    (re.compile(r"修订|修正|修改"), ("修订", "修正", "修改")),
    (re.compile(r"废止|失效"), ("废止", "失效")),
    (re.compile(r"通过|会议"), ("通过",)),
]


def _no_trace(rule: str, detail: str) -> None:
    """Trace sink of an unbound handler set (nothing is recorded)."""


def cn_count(n: int) -> str:
    """A count in Chinese numerals (a structural fact, not a figure from the text)."""
    if n <= 10:
        return _CN_COUNT[n]
    if n < 20:
        return "十" + (_CN_COUNT[n - 10] if n > 10 else "")
    if n < 100:
        return _CN_COUNT[n // 10] + "十" + (_CN_COUNT[n % 10] if n % 10 else "")
    return str(n)


def typed_measures(q: Question) -> tuple[str, ...]:
    """The figures the asker typed with what they measure ("超过10吨" → 10吨): a penalty for 10吨 is not
    one fining 10元."""
    text = q.own_text if q.own_text is not None else q.norm
    return tuple(m.group(0) for m in re.finditer(r"(\d+(?:\.\d+)?)([\u4e00-\u9fff%]?)", text)
                 if not re.fullmatch(r"(19|20)\d\d", m.group(1)))


def anchor_bonus(q: Question, text: str, miss: float = -0.05) -> float:
    """Figures the asker typed ("36个数字乡村", "65公里") anchor the evidence: reward a text stating them all."""
    wanted = typed_figures(q)
    if not wanted:
        return 0.0
    return 0.15 if all(states_figure(w, text) for w in wanted) else miss




_FORWARD_ASK = re.compile(r"要|目标|计划|力争|争取|确保|达到|任务")
_HISTORY = re.compile(r"由\d{4}年|从\d{4}年")
# how much better (coverage) the best-matching task must be than any owned clause to be answered as ownerless
OWNERLESS_MARGIN = 0.2
# a task-table row is the owner of a body clause when this share of its task's words occur in the clause and its
# headings, by this margin over the next row
TABLE_ROW_MIN = 0.6
TABLE_ROW_MARGIN = 0.15
# a word naming who acts, of any kind the owner ledger does not model (a person's post, a level of government)
_ACTOR_WORD = re.compile(r"政府|党委|部门|单位|机构|机关|[^社]局|委员会|办公室|中心|企业|公司|书记|组长|村委|居委|村民|农户|合作社|协会|负总责")
# a clause that says who acts without naming a government body: "村民以及其他…单位和个人负责户内处理设施的养护"
_NAMES_WHO = re.compile(r"[\u4e00-\u9fff]{2,}(?:负责|承担)|由[^，,。；;]{2,40}(?:负责|实施|组织|决定|审批|承担)")
# a letterhead line: the issuing office, a date, a document number
_HEADER_LINE = re.compile(r"[\u4e00-\u9fff]{2,30}(?:人民政府|办公室|委员会|办公厅|常务委员会)|\d{4}年\d{1,2}月\d{1,2}日|[\u4e00-\u9fff]{1,6}〔\d{4}〕\d+号")
NAMES_WHO_TOLERANCE = 0.1  # such a clause wins unless an owned clause fits clearly better
SECONDARY_TASK_PENALTY = 0.2  # for an owner whose main task misses the question's words
OWNER_RERANK = 12  # owner clauses re-scored with the phrase and condition features
OTHER_DOCUMENT_MARGIN = 0.1  # another document's record of the same indicator and year, this close, is said too
# what a question piece must not hold to count as its wording: the asking words and the role words
_NOT_WORDING = re.compile(r"[谁哪么吗呢吧?？,，。、\s]|什么|多少|几|负责|牵头|部门|单位|主管|管理|由|归")


def _question_pieces(norm: str) -> list[str]:
    """The question's runs of wording (no asking or role words), longest first, of at least 4 characters."""
    runs = [r for r in _NOT_WORDING.split(norm) if len(r) >= 4]
    pieces = {r[i:j] for r in runs for i in range(len(r)) for j in range(i + 4, len(r) + 1)}
    return sorted(pieces, key=len, reverse=True)


def _phrase_feature(pieces: list[str], sentence: str) -> float:
    """0 to 1: the longest piece of the question's wording the sentence holds verbatim (4 chars → 0.25, 7+ → 1)."""
    found = next((p for p in pieces if p in sentence), "")
    return min(1.0, (len(found) - 3) / 4) if found else 0.0


def _in_condition(owner: str, sentence: str) -> float:
    """1 when the body is named inside a condition: its clause ends in 的 before a comma ("决定由X…的，")."""
    at = sentence.find(owner)
    if at < 0:
        return 0.0
    end = re.search(r"[，,；;。]", sentence[at:])
    clause = sentence[at:at + end.start()] if end else sentence[at:]
    return 1.0 if clause.endswith("的") and end is not None and end.group(0) in "，," else 0.0
# "有哪些目标/指标": a question about the ledger itself
_LEDGER_ASK = re.compile(r"目标|指标")
MAX_LEDGER_LINES = 12
OWNER_LIST_MARGIN = 0.05  # another body whose clause fits within this of the best is named too
MAX_OTHER_OWNERS = 2
_QUOTED_TERM = re.compile(r"[“\"「『][^”\"」』]{1,12}[”\"」』]")
UNIT_BONUS = 0.1  # a sentence stating a figure in the unit asked for
# an article this short (characters) is quoted whole when one of its sentences answers
ARTICLE_WHOLE_MAX = 220


class Handlers:
    """Builds answers for each question kind from one snapshot.

    The engine keeps one shared instance (its lookup tables are built once per snapshot) and calls
    ``bind`` for every request: the bound copy carries that request's document filter, support
    thresholds and trace, so concurrent requests never see each other's state.
    """

    def __init__(self, snapshot: Snapshot, stats: TermStats) -> None:
        self.snap = snapshot
        self.stats = stats
        self.chunk_index = {c.chunk_id: c for c in snapshot.chunks}
        self.sections: dict[str, dict[str, Section]] = {d: {s.sid: s for s in root.walk()} for d, root in snapshot.outlines.items()}
        self.weights = load_weights()
        # each document's task-table rows (分工表), the row's owner records under its text, grouped once
        self.table_rows: dict[str, dict[str, list[Owner]]] = {}
        for o in snapshot.owners:
            if o.source == "table":
                self.table_rows.setdefault(o.doc_id, {}).setdefault(o.sentence, []).append(o)
        self.doc_ids: set[str] | None = None
        self.min_support: dict[str, float] = {}
        self.trace: Callable[[str, str], None] = _no_trace

    def bind(self, doc_ids: set[str] | None, min_support: dict[str, float],
             trace: Callable[[str, str], None] | None = None) -> Handlers:
        """A per-request copy: shares the snapshot's tables, owns the request's filter and thresholds.

        Args:
            doc_ids: documents the question is restricted to (None: the whole library).
            min_support: per-kind support below which a handler does not answer.
            trace: ``(rule, detail)`` callback recording the handlers' decisions.
        """
        bound = copy.copy(self)
        bound.doc_ids = set(doc_ids) if doc_ids else None
        bound.min_support = dict(min_support)
        bound.trace = trace or _no_trace
        return bound

    def chunk(self, chunk_id: str | None) -> Chunk | None:
        return self.chunk_index.get(chunk_id) if chunk_id else None

    def dispatch(self, q: Question, hits: list[Hit], cites: Citations) -> Answer:
        """Route a question to its kind's handler (falling back to the best clauses); call on a bound copy."""
        answer = self._route(q, hits, cites)
        self.trace("match.route", f"kind={q.kind} → {answer.kind}, answered={answer.answered}"
                   + (f", reason={answer.reason}" if answer.reason else ""))
        return answer

    def _route(self, q: Question, hits: list[Hit], cites: Citations) -> Answer:
        if q.kind == "owner":
            return self.owner(q, hits, cites)
        if q.kind == "list" and q.years and _LEDGER_ASK.search(q.frame) and not _topical(q):
            # "余杭区到2025年有哪些目标": the targets ledger of that year, not one clause
            ans = self.year_targets(q, cites)
            if ans.answered:
                return ans
        if q.kind == "list":
            ans = self.listing(q, hits, cites)
            if not ans.answered and _QUOTED_TERM.search(q.norm):
                # "余杭要站位哪「三地」": the items named right before the quoted term
                ans = self.definition(q, q.terms, hits, Citations(cites.script))
            return ans if ans.answered else self.general(q, hits, Citations(cites.script))
        if q.kind == "date":
            ans = self.date(q, hits, cites)
            if ans.answered or ans.kind == "date-refused":
                ans.kind = "date"
                return ans
            return self.general(q, hits, Citations(cites.script))
        if q.kind == "locate":
            return self.locate(q, hits, cites)
        if q.label_refs and q.kind == "general":
            ans = self.section_text(q, hits, cites)
            if ans.answered:
                return ans
            kind, number = q.label_refs[0]
            if kind in ("article", "chapter") and not self._label_exists(kind, number):
                word = {"article": "条", "chapter": "章"}[kind]
                return refusal(q.text, cites.script, f"文件中没有第{cn_numeral(number)}{word}。", kind="general",
                               rule="match.label.absent")
        if q.kind in ("target", "general") and PENALTY_ASK.search(q.frame):
            ans = self.penalty(q, hits, cites)
            if ans.answered or ans.kind == "penalty-refused":
                ans.kind = q.kind
                return ans
        if q.kind == "target" or q.years:
            ans = self.target(q, hits, cites)
            if ans.answered or ans.kind == "target-refused":
                ans.kind = "target"
                return ans
            return self.general(q, hits, Citations(cites.script))
        return self.general(q, hits, cites)

    # ----- targets -------------------------------------------------------------------------
    def target_features(self, q: Question, t: Target, hit_rank: dict[str, int]) -> dict[str, float]:
        """The named features of a target record for a question (``weights.TARGET_FEATURES``)."""
        text = " ".join([t.clause, t.indicator, *t.norm_section_path[-1:]])
        rank = hit_rank.get(t.chunk_id)
        forward = history = 0.0
        if _FORWARD_ASK.search(q.norm):
            # a target is forward-looking; "由2003年…提高到2022年…" is history
            if _HISTORY.search(t.clause) or t.kind == "history":
                history = 1.0
            elif t.scope.startswith(("到", "每年", "十")) or t.comparator in ("以上", "不少于", "左右", "达到", "超过"):
                forward = 1.0
        return {
            "coverage": coverage(q.terms, text, self.stats),
            "wide_coverage": coverage(q.terms, t.norm_sentence + " " + " ".join(t.norm_section_path), self.stats),
            "retrieval_rank": 1.0 / rank if rank else 0.0,
            "forward": forward,
            "history": history,
            "anchor": anchor_bonus(q, t.norm_sentence),
            "year_match": (1.0 if t.year in q.years else -1.0 if t.year else 0.0) if q.years else 0.0,
        }

    def _target_score(self, q: Question, t: Target, hit_rank: dict[str, int]) -> float:
        return self.weights.target_score(self.target_features(q, t, hit_rank))

    def _slot_agreeing(self, q: Question, scored: list[tuple[float, Target]]
                       ) -> tuple[list[tuple[float, Target]], tuple[str, str] | None]:
        """Candidates that state the indicator the question names (森林覆盖率 is not 污水处理设施覆盖率) and
        are about the side of a pair it asks (农村, not 城乡/城镇); the others are dropped, with a trace.

        Returns:
            The kept candidates, and (rule id, reply) for the best one dropped, if any was.
        """
        kept: list[tuple[float, Target]] = []
        first: tuple[str, str] | None = None
        for rank, (score, t) in enumerate(scored):
            text = f"{t.clause} {t.indicator}"
            conflict = indicator_conflict(q.norm, text)
            contrast = contrast_conflict(q.norm, text)
            if conflict or contrast:
                if rank < 3:
                    if conflict:
                        why = ("match.target.indicator_absent", f"现有文件没有给出“{conflict}”的具体数字或目标。")
                    else:
                        asked, said = contrast  # type: ignore[misc]
                        why = ("match.target.contrast", f"文件的相关规定针对的是“{said}”，没有关于“{asked}”的具体规定。")
                    first = first or why
                    self.trace(why[0], f"dropped {t.clause[:40]} ({score:.2f})")
                continue
            kept.append((score, t))
        return kept, first

    def target(self, q: Question, hits: list[Hit], cites: Citations) -> Answer:
        hit_rank = {h.chunk.chunk_id: i + 1 for i, h in enumerate(hits)}
        pool = [t for t in self.snap.targets if not self.doc_ids or t.doc_id in self.doc_ids]
        scored = sorted(((self._target_score(q, t, hit_rank), t) for t in pool), key=lambda x: -x[0])
        best_before = scored[0][0] if scored else 0.0
        scored, dropped = self._slot_agreeing(q, scored)
        if dropped and best_before >= self.min_support["target"] and (
                not scored or scored[0][0] < self.min_support["target"]):
            # the best records state another indicator, or the other side of a pair: say which
            rule, msg = dropped
            return refusal(q.text, cites.script, msg, kind="target-refused", rule=rule)
        if not scored or scored[0][0] < self.min_support["target"]:
            return miss(q.text, "target-miss", "match.target.below_support")
        unit = asked_unit(q.frame)
        if unit is not None and not states_unit(scored[0][1].figure(), unit):
            # "每个村奖多少钱": the unit asked is a slot too; a record in it that the question supports wins
            # within the document the question is about (the best record's): another document's figure in
            # that unit is another topic ("全区有多少个行政村" is not the report's 1万个行政村)
            top_doc = scored[0][1].doc_id
            agree = [(s_, t) for s_, t in scored if t.doc_id == top_doc and states_unit(t.figure(), unit)]
            if agree and agree[0][0] >= self.min_support["target"]:
                self.trace("match.target.unit", f"{unit.name}: {agree[0][1].clause[:40]} over {scored[0][1].clause[:40]}")
                scored = agree
        best_score = scored[0][0]
        # the same indicator in the same section, any year: the family of the best match
        near = [t for s, t in scored if s >= best_score - 0.08]
        best = near[0]
        family = [t for t in near if t.section_id == best.section_id and _same_indicator(t, best)] or [best]
        if q.years:
            chosen = [t for t in family if t.year in q.years]
            if not chosen:
                chosen = [t for s, t in scored[:8] if t.year in q.years and s >= best_score - 0.05]
                if unit is not None:  # of those, the records in the unit asked ("治理率…多少": a rate)
                    chosen = [t for t in chosen if states_unit(t.figure(), unit)] or chosen
            if not chosen:
                # "2023年中央一号文件…": the year names the document, whose targets carry no year of their own
                chosen = [t for t in family if t.year is None and title_years(t.doc_title) & set(q.years)]
            if not chosen:
                # a baseline stated in the clause: "由2003年5431元提高到2022年37565元" answers "2003年是多少"
                chosen = [t for s_, t in scored[:8] if s_ >= best_score - 0.05
                          and any(re.search(f"{y}年(?:底|末)?(?:的|为|是)?\\d", t.clause) for y in q.years)][:1]
            if not chosen:
                # the years stated are those of the targets quoted, so every year in the reply is cited
                near_years = [t for s, t in scored[:5] if t.year and s >= best_score - 0.05 and t not in family]
                shown = family[:3] + near_years[:2]
                years = sorted({t.year for t in shown if t.year})
                said = "；".join(dict.fromkeys(self._target_line(t, cites) for t in shown))
                have = "、".join(f"{y}年" for y in years)
                msg = (f"文件没有设定{'、'.join(str(y) + '年' for y in q.years)}的该项目标。"
                       + (f"文件只设定了{have}的目标：" if have else "文件中相关的表述是：") + said + "。")
                ans = refusal(q.text, cites.script, msg, cites, kind="target-refused", rule="match.target.year_absent")
                ans.targets = family[:3]
                return ans
        else:
            chosen = sorted(family, key=lambda t: (t.year or 0))
        # companions stated in the same sentence about the same topic (新增托位360个 … 每千人托位数3.8个)
        anchor = chosen[0]
        for t in pool:
            if t.chunk_id == anchor.chunk_id and t.sentence == anchor.sentence and t not in chosen and t.year == anchor.year \
                    and coverage(q.terms, t.indicator, self.stats) >= 0.5:
                chosen.append(t)
        # a question asking for two things ("建几条，产值多少"): answer the part the first match leaves open
        places = set(place_names(q.norm))  # "浙江…从多少缩小到多少": the place is not a second thing asked
        multi = (len(QUANTITY.findall(q.frame)) >= 2 or bool(re.search(r"各|分别|以及|和[^，。？?]*(多少|几)", q.norm))
                 or len(asked_indicators(q.norm)) >= 2)  # "流转规模和试点个数"
        for _ in range(2 if multi else 0):
            said = " ".join(f"{t.scope} {t.clause} {' '.join(t.norm_section_path)}" for t in chosen)
            rest = [w for w in q.terms if self.stats.in_corpus(w) and term_match(w, said) < 1.0 and w not in places]
            if not rest or len(chosen) >= 4:
                break
            extra = [
                (coverage(rest, t.clause + " " + t.indicator, self.stats) + (0.1 if t.chunk_id == anchor.chunk_id else 0.0), t)
                for t in pool
                if t not in chosen and (not q.years or t.year in q.years or t.year is None)
            ]
            extra.sort(key=lambda x: -x[0])
            if not extra or extra[0][0] < 0.6:
                break
            chosen.append(extra[0][1])
        mismatch = _scope_mismatch(q, chosen) or _figures_missing(q, chosen)
        claim = mismatch and not _scope_mismatch(q, chosen) and _CONFIRM.search(q.frame) and len(typed_figures(q)) == 1
        if claim:
            # "回收利用率是不是要做到80%?": the figure typed is the asker's guess, not a filter; correct it
            lines = list(dict.fromkeys(self._target_line(t, cites) for t in chosen[:2]))
            head = short_title(best.doc_title, cites.script) + path_text(best.section_path, cites.script)
            typed = typed_figures(q)[0]
            m = re.search(re.escape(typed) + r"\s*(?:%|％|[万亿]?元|[万亿]|个|条|家|所|人|亩|公里|吨|宗)?", q.norm)
            text = f"不是{m.group(0) if m else typed}。根据{head}：" + "；".join(lines) + "。"
            return Answer(question=q.text, answer=text, answered=True, citations=cites.items, targets=chosen[:2], kind="target")
        if mismatch:
            said = "；".join(dict.fromkeys(self._target_line(t, cites) for t in chosen[:3]))
            ans = refusal(q.text, cites.script, f"{mismatch}文件中相关的表述是：{said}。", cites, kind="target-refused",
                          rule="match.target.slot_mismatch")
            ans.targets = chosen[:3]
            return ans
        # two figures of one clause ("面积22.29万亩、产量2亿斤") render the same line: say it once
        lines = list(dict.fromkeys(self._target_line(t, cites) for t in chosen[:4]))
        head = short_title(best.doc_title, cites.script) + path_text(best.section_path, cites.script)
        confirmed = typed_figures(q) and _CONFIRM.search(q.frame)  # "…是不是要做到76%?" and it is
        text = ("是的。" if confirmed else "") + f"根据{head}：" + "；".join(lines) + "。"
        # a question naming no document, and another document setting the same indicator for the same year
        # (a county plan and an uploaded city plan both set 2027 income): say both, each with its source
        other = None if self.doc_ids else next(
            (t for s_, t in scored[:12] if t.doc_id != best.doc_id and s_ >= best_score - OTHER_DOCUMENT_MARGIN
             and _same_indicator(t, anchor) and t.year == anchor.year and t.kind == anchor.kind), None)
        if other is not None:
            self.trace("match.target.other_document", f"{other.doc_id}: {other.clause[:40]}")
            where = short_title(other.doc_title, cites.script) + path_text(other.section_path, cites.script)
            text += f"另据{where}：{self._target_line(other, cites)}。"
            chosen = [*chosen[:3], other]
        return Answer(question=q.text, answer=text, answered=True, citations=cites.items, targets=chosen[:4], kind="target")

    def year_targets(self, q: Question, cites: Citations) -> Answer:
        """Every target the documents asked about set for the year(s) asked, one line each, in document order."""
        pool = [t for t in self.snap.targets if t.year in q.years and (not self.doc_ids or t.doc_id in self.doc_ids)
                and t.kind == "target"]
        if not pool:
            return miss(q.text, "list", "match.targets.none_for_year")
        self.trace("match.targets.year_ledger", f"{len(pool)} targets for {q.years}")
        lines = list(dict.fromkeys(self._target_line(t, cites) for t in pool[:MAX_LEDGER_LINES]))
        docs = list(dict.fromkeys(t.doc_title for t in pool))
        head = "、".join(short_title(d, cites.script) for d in docs)
        years = "、".join(f"{y}年" for y in q.years)
        more = f"（另有{len(pool) - MAX_LEDGER_LINES}项，见指标一览）" if len(pool) > MAX_LEDGER_LINES else ""
        text = f"{head}设定的{years}目标：" + "；".join(f"{i}. {line}" for i, line in enumerate(lines, 1)) + f"。{more}"
        return Answer(question=q.text, answer=text, answered=True, citations=cites.items, kind="list", targets=pool)

    def _target_line(self, t: Target, cites: Citations) -> str:
        n = cites.add_target(t, self.chunk(t.chunk_id))
        clause = t.clause.strip(" ，,。；;")
        scope = t.scope if t.scope and t.scope not in clause and not clause.startswith(t.scope) else ""
        if "累计" in clause:
            scope = scope.replace("累计", "")
        if t.year and str(t.year) not in clause and str(t.year) not in scope:
            scope = f"{t.year}年{scope}"
        return f"{scope}{'，' if scope else ''}{clause}[{n}]"

    # ----- owners --------------------------------------------------------------------------
    def _table_row_for(self, chunk: Chunk, sentence: str, role_forms: set[str]) -> list[Owner]:
        """The bodies of the task-table row (分工表) of ``chunk``'s document whose task is the one this clause
        of the body text states, in the role asked (配合单位 when asked who cooperates, else 牵头单位).

        A row's task is short ("农产品质量安全数字化追溯"); it is the clause's when most of its words occur in
        the clause or the headings above it, and clearly more than in the next row's.
        """
        rows = self.table_rows.get(chunk.doc_id, {})
        if not rows:
            return []
        # the clause, the headings above it, and an item's own heading before it in its paragraph
        # ("（一）推进农村生活污水治理。实施提标改造工程，完善运维管理机制。")
        sents = chunk_sentences(chunk)
        at = next((i for i, x in enumerate(sents) if normalise_line(x.text) == normalise_line(sentence)), 0)
        lead = sents[at - 1].norm if at > 0 and ITEM_START.match(sents[at - 1].norm) else ""
        context = " ".join([lead, normalise_line(sentence), *chunk.norm_section_path])
        scored = []
        for owners in rows.values():
            terms = content_terms(split_deadline(owners[0].task)[0])
            if terms:
                scored.append((coverage(terms, context, self.stats), owners))
        scored.sort(key=lambda x: -x[0])
        if not scored or scored[0][0] < TABLE_ROW_MIN or len(scored) > 1 and scored[0][0] - scored[1][0] < TABLE_ROW_MARGIN:
            return []
        want = "配合单位" if "配合单位" in role_forms else "牵头单位"
        return [o for o in scored[0][1] if o.form == want]

    @staticmethod
    def _other_owners(scored: list[tuple[float, Owner]], best: Owner, best_score: float) -> list[Owner]:
        """Bodies of the same document whose clause fits the task nearly as well as the best one."""
        out: list[Owner] = []
        sentences = {best.sentence}
        owners = {best.owner}
        for s_, o in scored[1:]:
            if s_ < best_score - OWNER_LIST_MARGIN or len(out) >= MAX_OTHER_OWNERS:
                break
            if o.doc_id != best.doc_id or o.sentence in sentences or o.owner in owners:
                continue
            sentences.add(o.sentence)
            owners.add(o.owner)
            out.append(o)
        return out

    def _owner_rerank(self, q: Question, scored: list[tuple[float, Owner]]) -> list[tuple[float, Owner]]:
        """The best few owner clauses again, with two features of how the clause says it
        (``weights.owner``): ``phrase`` — the question's wording found in one piece (公共处理设施, not 公共…
        污水处理…设施 scattered over a long list); ``condition`` — the body is named inside a condition
        ("…决定由运维单位…运行维护的，按照…执行"), not given the task."""
        w_phrase = self.weights.owner.get("phrase", 0.0)
        w_condition = self.weights.owner.get("condition", 0.0)
        if not scored or not (w_phrase or w_condition):
            return scored
        pieces = _question_pieces(q.norm)
        # the features order the bodies; the support compared with thresholds and ownerless clauses stays
        # the coverage score, which an ownerless clause gets too
        head = sorted(scored[:OWNER_RERANK], key=lambda x: -(
            x[0] + w_phrase * _phrase_feature(pieces, normalise_line(x[1].sentence))
            + w_condition * _in_condition(x[1].owner, normalise_line(x[1].sentence))))
        return head + scored[OWNER_RERANK:]

    def owner(self, q: Question, hits: list[Hit], cites: Citations) -> Answer:
        hit_rank = {h.chunk.chunk_id: i + 1 for i, h in enumerate(hits)}
        # the departments the asker offers ("农业局还是发改局") are candidate answers, not the task
        offered = [t for t in q.terms if ORG.fullmatch(t.split(ALT)[0])]
        terms = [t for t in q.terms if t not in ("负责", "牵头", "主管", "部门", "单位", "机构")
                 and not any(t in o for o in offered)] or q.terms
        roles = asked_roles(q.frame)
        if any(r["id"] == "role.cooperate" for r in roles):  # "牵头单位是谁，哪些部门配合": the 配合 part decides
            roles = [r for r in roles if r["id"] != "role.lead"]
        role_forms = {f for r in roles for f in (*r.get("owner_forms", ()), *r.get("fit_forms", ()))}
        not_forms = {f for r in roles for f in r.get("not_forms", ())}
        fit_names = [re.compile(r["fit_names"]) for r in roles if r.get("fit_names")]
        for role in roles:
            # "平时谁管": a clause stating that role (监督管理) fits the question better; the asking verb
            # itself ("谁来管") is not a topic word
            asking = role["pattern"].search(q.frame).group(0)
            terms = [t for t in terms if t.split(ALT)[0] not in asking]
            if "owner_forms" not in role and "not_forms" not in role:
                terms.append(ALT.join(role["forms"]))  # a duty verb (管, 批): clauses stating it fit better
            self.trace(role["id"], "/".join(role["forms"]))
        pool = [o for o in self.snap.owners if o.level == "clause" or o.form in ("牵头", "专班")]
        if self.doc_ids:
            pool = [o for o in pool if o.doc_id in self.doc_ids]

        def score(o: Owner) -> float:
            sentence = normalise_line(o.sentence)
            # "X是…的主管部门": a record of the form the role names states the role in its own words
            states = " ".join(f for r in roles if o.form in r.get("fit_forms", ()) for f in r["forms"])
            cov = coverage(terms, sentence + " " + o.task + " " + states, self.stats)
            # the document's title says what each of its clauses is about ("龙游县农村生活污水治理设施…办法"):
            # it lends part of its words, so a short clause of a titled regulation is not read out of context
            share = self.weights.owner.get("title_share", 0.0)
            cov = max(cov, (1 - share) * cov + share * coverage(
                terms, sentence + " " + o.task + " " + states + " " + normalise_line(o.doc_title), self.stats))
            # "负责公共处理设施建设，并加强对户内…的指导": the task proper comes before 并/同时
            head = re.split(r"[,，;；]|并|同时", normalise_line(o.task))[0]
            cov -= SECONDARY_TASK_PENALTY * (1 - coverage(terms, head, self.stats))
            rank = hit_rank.get(o.chunk_id or "")
            # the role asked (配合 / 牵头) is the role the record states: a lead does not answer "谁配合"
            fits = 0.0
            if o.form in role_forms or any(p.search(o.owner) for p in fit_names):
                fits = self.weights.owner["role_form"]
            elif o.form in not_forms:
                fits = -self.weights.owner["role_form"]
            # a clause that lacks the figures the asker quoted is about another task
            return cov + (0.1 / rank if rank else 0.0) + anchor_bonus(q, sentence, miss=-1.0) + fits

        scored = sorted(((score(o), o) for o in pool), key=lambda x: -x[0])
        scored = self._owner_rerank(q, scored)
        self.trace("match.owner.candidates", "; ".join(f"{o.owner}@{o.section_id} {s_:.3f}" for s_, o in scored[:5]))
        found = self._best_sentences(terms or q.terms, hits, q=q)
        # a task the question matches much better than any clause with a named owner has no owner of its own
        differs = found is not None and scored and normalise_line(found[2]) != normalise_line(scored[0][1].sentence)
        # "平时谁管": a role asked about is answered by a body stating it, not by an ownerless duty clause
        better_task = not [r for r in roles if "owner_forms" not in r and "not_forms" not in r] and differs and found is not None and (
            found[0] >= scored[0][0] + OWNERLESS_MARGIN
            # a clause that itself says who does it ("村民…负责户内处理设施建设") and fits as well
            or _NAMES_WHO.search(normalise_line(found[2])) is not None and found[0] >= scored[0][0] - NAMES_WHO_TOLERANCE)
        if scored and scored[0][0] >= self.min_support["owner"] and not better_task:
            best_score, best = scored[0]
            same = [o for s, o in scored if o.sentence == best.sentence and o.form == best.form and s >= best_score - 1e-6]
            names = "、".join(dict.fromkeys(o.owner for o in same))
            n = cites.add_owner(best, self.chunk(best.chunk_id), best_score)
            where = short_title(best.doc_title, cites.script) + path_text(best.section_path, cites.script)
            text = f"{names}。依据{where}：“{normalise_line(best.sentence)}”[{n}]"
            # every body the document gives for the task: other clauses whose duty fits nearly as well
            others = self._other_owners(scored, best, best_score)
            if others:
                self.trace("match.owner.all_bodies", "、".join(o.owner for o in others))
                extra = []
                for o in others:
                    m = cites.add_owner(o, self.chunk(o.chunk_id))
                    extra.append(f"{o.owner}（{path_text(o.section_path[-1:], cites.script)}：“{normalise_line(o.sentence)}”[{m}]）")
                text += "此外，" + "；".join(extra) + "。"
            return Answer(question=q.text, answer=text, answered=True, citations=cites.items, kind="owner")
        # no explicit owner: find the task, then say so and give the document-level lead
        if found is None or found[0] < self.min_support["general"]:
            return refusal(q.text, cites.script, "现有文件中没有找到与该问题对应的任务或责任单位的规定。", kind="owner",
                           rule="match.owner.no_task")
        score_, chunk, sentence = found
        row = self._table_row_for(chunk, sentence, role_forms)
        if row:
            # the body text states the task, the plan's 分工表 its owners: the row answers
            self.trace("match.owner.table_row", f"{row[0].task} ← {normalise_line(sentence)[:40]}")
            names = "、".join(dict.fromkeys(o.owner for o in row))
            m = cites.add_owner(row[0], self.chunk(row[0].chunk_id))
            n = cites.add(chunk, sentence, score_)
            where = short_title(row[0].doc_title, cites.script) + path_text(row[0].section_path, cites.script)
            task_at = path_text(chunk.section_path, cites.script)
            text = (f"{names}。依据{where}：“{normalise_line(row[0].sentence)}”[{m}]"
                    f"（正文{task_at}：“{normalise_line(sentence)}”[{n}]）")
            return Answer(question=q.text, answer=text, answered=True, citations=cites.items, kind="owner")
        n = cites.add(chunk, sentence, score_)
        if BODY_RE.search(normalise_line(sentence)) or _NAMES_WHO.search(normalise_line(sentence)):
            # the clause names who acts, in a form the ledger does not model ("向…报告", "由…审批")
            where = short_title(chunk.doc_title, cites.script) + path_text(chunk.section_path, cites.script)
            return Answer(question=q.text, answer=f"依据{where}：“{normalise_line(sentence)}”[{n}]", answered=True,
                          citations=cites.items, kind="owner")
        leads = [o for o in self.snap.owners if o.doc_id == chunk.doc_id and o.level == "document" and o.form in ("牵头", "负责", "专班")]
        where = short_title(chunk.doc_title, cites.script) + path_text(chunk.section_path, cites.script)
        said = normalise_line(sentence)
        said = said if len(said) <= 80 else said[:80] + "……"
        text = f"{where}中“{said}”[{n}]这项任务，文件没有明确具体的责任部门。"
        if leads:
            lead_names = "、".join(dict.fromkeys(o.owner for o in leads if o.form != "专班"))
            parts = []
            if lead_names:
                first = next(o for o in leads if o.form != "专班")
                m = cites.add_owner(first, self.chunk(first.chunk_id))
                lead_task = re.split(r"[,，;；]", normalise_line(first.task))[0]
                parts.append(f"文件层面由{lead_names}牵头（{lead_task}）[{m}]")
            force = next((o for o in leads if o.form == "专班"), None)
            if force:
                m = cites.add_owner(force, self.chunk(force.chunk_id))
                parts.append(f"{force.owner}统筹协调[{m}]")
            text += "；".join(parts) + "。"
        else:
            doc = self.snap.doc_by_id.get(chunk.doc_id)
            if doc and doc.meta.issuer:
                head = next((c for c in self.snap.chunks if c.doc_id == doc.doc_id), None)
                line = next((x for x in chunk_sentences(head) if normalise_line(doc.meta.issuer)[:6] in x.norm), None) if head else None
                m = cites.add(head, line.text if line else doc.meta.issuer)
                text += f"该文件的制定机关是{normalise_line(doc.meta.issuer)}[{m}]。"
        if _ACTOR_WORD.search(normalise_line(sentence)):
            # "由省委副书记任组长", "生猪稳产保供省负总责": the clause names someone in a form the ledger does not
            # model; quoted, it may answer the question itself
            return Answer(question=q.text, answer=text, answered=True, citations=cites.items, kind="owner")
        # the documents do not say who does this task: not an answer to "who", though the task's clause
        # and the document-level lead stay in the text as what they do say
        self.trace("match.owner.unnamed", said)
        return Answer(question=q.text, answer=text, answered=False, citations=cites.items, kind="owner",
                      reason="match.owner.unnamed")

    # ----- lists of a section's parts -----------------------------------------------------
    def find_section(self, q: Question, hits: list[Hit]) -> tuple[str, Section] | None:
        top_doc = hits[0].chunk.doc_id if hits else None
        if q.label_refs:
            candidates = []
            for doc_id, secs in self.sections.items():
                if self.doc_ids and doc_id not in self.doc_ids:
                    continue
                for sec in secs.values():
                    if _label_matches(sec, *q.label_refs[0]):
                        parts = [normalise_line(c.heading) for c in sec.children] or [normalise_line(sec.heading)]
                        score = sum(coverage(q.terms, p, self.stats) for p in parts) / len(parts)
                        score += coverage(q.terms, normalise_line(sec.heading), self.stats) + (0.2 if doc_id == top_doc else 0.0)
                        candidates.append((score, doc_id, sec))
            if candidates:
                _, doc_id, sec = max(candidates, key=lambda x: x[0])
                return doc_id, sec
        best: tuple[float, str, Section] | None = None
        terms = q.terms
        for doc_id, secs in self.sections.items():
            if self.doc_ids and doc_id not in self.doc_ids:
                continue
            for sec in secs.values():
                if not sec.children or sec.kind == "root":
                    continue
                title = normalise_line(sec.title or sec.heading)
                s = coverage(terms, title, self.stats)
                if title and title in q.norm:
                    s += 0.3  # the question names this heading outright
                s -= 0.02 * sec.level  # prefer the higher section on ties
                if top_doc == doc_id:
                    s += 0.05
                if best is None or s > best[0]:
                    best = (s, doc_id, sec)
        if best and best[0] >= self.min_support["list"]:
            if q.label_refs and q.label_refs[0][0] == "article" and 0 < q.label_refs[0][1] <= len(best[2].children):
                # "经验启示第四条" in a document without articles: the fourth part under that heading
                return best[1], best[2].children[q.label_refs[0][1] - 1]
            return best[1], best[2]
        if self.doc_ids and len(self.doc_ids) == 1:
            doc_id = next(iter(self.doc_ids))
            root = self.snap.outlines[doc_id]
            # "一号文件要做好哪些重点工作": the document's own parts, when they have titles (not 第一条…第三十六条)
            titled = 0 < len(root.children) <= 15 and all(c.title for c in root.children)
            if re.search(r"几章|哪几章|几个部分|哪几部分|哪些部分|结构", q.norm) or q.about_document and titled:
                return doc_id, root
        return None

    def count(self, q: Question, hits: list[Hit], cites: Citations) -> Answer | None:
        """"一共多少条/几章": count the document's articles or chapters."""
        m = re.search(r"(?:多少|几)([条章节])", q.norm)
        docs = self.doc_ids or ({hits[0].chunk.doc_id} if hits else set())
        if not m or len(docs) != 1:
            return None
        kind = {"条": "article", "章": "chapter", "节": "section"}[m.group(1)]
        doc_id = next(iter(docs))
        secs = [s for s in self.sections[doc_id].values() if s.kind == kind]
        if not secs:
            return None
        last = secs[-1]
        chunk = next((c for c in self.snap.chunks if c.doc_id == doc_id and c.section_id == last.sid), None)
        n = cites.add(chunk, chunk.text) if chunk else None
        title = short_title(self.snap.doc_by_id[doc_id].title, cites.script)
        text = f"{title}共{cn_count(len(secs))}{m.group(1)}（{secs[0].label}至{last.label}）"
        if kind != "article" and len(secs) <= 20:
            text += "：" + "；".join(normalise_line(s.heading) for s in secs)
        text += (f"[{n}]" if n else "") + "。"
        return Answer(question=q.text, answer=text, answered=True, citations=cites.items, kind="list")

    def listing(self, q: Question, hits: list[Hit], cites: Citations) -> Answer:
        counted = self.count(q, hits, cites)
        if counted is not None:
            return counted
        found = self.find_section(q, hits)
        if found is None:
            return miss(q.text, "list", "match.list.no_section")
        doc_id, sec = found
        if not sec.children:
            return miss(q.text, "list", "match.list.no_section")
        doc = self.snap.doc_by_id[doc_id]
        chunks = [c for c in self.snap.chunks if c.doc_id == doc_id]
        markers = []
        for child in sec.children[:12]:
            first = next((c for c in chunks if c.section_id == child.sid or c.section_id.startswith(child.sid + ".")), None)
            if first is not None:
                markers.append(cites.add(first, first.text[:120]))
        names = [normalise_line(c.heading) for c in sec.children]
        where = short_title(doc.title, cites.script) + (path_text(_path(self.sections[doc_id], sec), cites.script) if sec.kind != "root" else "")
        text = f"{where}共包括{cn_count(len(names))}个部分：" + "；".join(names) + "。"
        if markers:
            text += "".join(f"[{m}]" for m in dict.fromkeys(markers))
        return Answer(question=q.text, answer=text, answered=True, citations=cites.items, kind="list")

    def _label_exists(self, kind: str, number: int) -> bool:
        """True when a document asked about (all when none is named) has that article or chapter."""
        return any(_label_matches(sec, kind, number) for doc_id, secs in self.sections.items()
                   if not self.doc_ids or doc_id in self.doc_ids for sec in secs.values())

    def section_text(self, q: Question, hits: list[Hit], cites: Citations) -> Answer:
        """"第五条讲了什么": the text of the named section."""
        found = self.find_section(q, hits)
        if found is None:
            return miss(q.text, "general", "match.label.no_section")
        doc_id, sec = found
        chunks = [c for c in self.snap.chunks if c.doc_id == doc_id and (c.section_id == sec.sid or c.section_id.startswith(sec.sid + "."))]
        if not chunks:
            return miss(q.text, "general", "match.label.no_section")
        first = chunks[0]
        n = cites.add(first, first.text)
        body = normalise_line(first.text.replace("\n", ""))
        if len(body) > 200:
            body = body[:200] + "……"
        where = short_title(self.snap.doc_by_id[doc_id].title, cites.script) + path_text(_path(self.sections[doc_id], sec), cites.script)
        return Answer(question=q.text, answer=f"{where}规定：{body}[{n}]", answered=True, citations=cites.items, kind="general")

    def definition(self, q: Question, terms: list[str], hits: list[Hit], cites: Citations) -> Answer:
        """"X是什么意思": a sentence that defines X (所称X是指…), anywhere in the documents asked about.

        Without one the question is not answered, but the sentence that uses X is quoted as context
        ("按照“一园一主业”发展模式支持…创建特色产业平台").
        """
        # "《乡村振兴促进法》所称“乡村”": the term in quotation marks, not the document in title marks
        # of several ("“千万工程”的“四个一”工作机制"), the rarest in the library is the one asked about
        marks = re.findall(r"[“\"「『]([^”\"」』]{2,20})[”\"」』]", q.norm) or re.findall(r"《([^》]{2,20})》", q.norm)
        known_marks = [k for k in marks if self.stats.in_corpus(k)]
        quoted = min(known_marks, key=self.stats.df) if known_marks else marks[0] if marks else None
        named = _DEFINED.search(q.norm)
        known = [t for t in terms if self.stats.in_corpus(t)]
        if quoted:
            key = quoted
        elif named:
            key = named.group(1)  # "条例所说的农村生活污水包括哪些": the whole phrase, not its rarest word
        else:
            key = max(known or terms, key=self.stats.idf).split(ALT)[0]
            # the segmenter splits a counted term ("三|大革命"): the count belongs to the term
            counted = re.search(r"[一二三四五六七八九十两]{1,2}[大个项条种类]?" + re.escape(key), q.norm)
            if counted and self.stats.in_corpus(counted.group(0)):
                key = counted.group(0)
        defines = re.compile(re.escape(key) + r"[^。]{0,6}(?:是指|指的是|即|是一项|是一种)|所称[^。]{0,10}" + re.escape(key) + r"|以下简称|以下统称" + re.escape(key))
        ranked = [h.chunk for h in hits[:8]]
        ranked += [c for c in self.snap.chunks if c not in ranked and (not self.doc_ids or c.doc_id in self.doc_ids)
                   and key in c.norm_text]
        # "本条例所称农村生活污水，是指…" before "所称农村生活污水处理设施…": the key must end where the definition begins
        exact = re.compile(r"所称" + re.escape(key) + r"(?![\u4e00-\u9fff])|" + re.escape(key) + r"[,，]?(?:是指|指的是|即)")
        candidates = [(chunk, sent) for chunk in ranked for sent in chunk_sentences(chunk) if key in sent.norm]
        candidates.sort(key=lambda cs: not exact.search(cs[1].norm))  # stable: retrieval order otherwise
        mention: tuple[Chunk, str] | None = None
        for chunk, sent in candidates:
            if defines.search(sent.norm):
                rest = self._rest_of_sentence(chunk_sentences(chunk), sent.text) if sent.norm.endswith((";", "；")) else ""
                n = cites.add(chunk, sent.text + rest)
                where = short_title(chunk.doc_title, cites.script) + path_text(chunk.section_path, cites.script)
                return Answer(question=q.text, answer=f"根据{where}：{sent.norm}{rest}[{n}]", answered=True,
                              citations=cites.items, kind="general")
            mention = mention or (chunk, sent.text)
        if mention is None:
            return refusal(q.text, cites.script, f"现有文件中没有找到关于“{key}”的内容。", kind="general",
                           rule="match.definition.term_absent")
        # "深化农村生活垃圾、污水、厕所“三大革命”": the items named right before a quoted or counted term
        # ("三大革命", "四个一") are what it means; an ordinary word after a list is not defined by it
        enumerated = bool(quoted) or bool(re.match(r"[一二三四五六七八九十两]+[大个项条种类]", key))
        for chunk, sent in candidates if enumerated else []:
            before = sent.norm.split(key, 1)[0].rstrip("“\"「『")
            lead = re.split(r"[。；;:：]", before)[-1][-40:]
            if lead.count("、") >= 1 and (lead.endswith(tuple("，,、")) or re.search(r"[\u4e00-\u9fff]$", lead)):
                n = cites.add(chunk, sent.text)
                where = short_title(chunk.doc_title, cites.script) + path_text(chunk.section_path, cites.script)
                return Answer(question=q.text, answer=f"根据{where}：{sent.norm}[{n}]", answered=True,
                              citations=cites.items, kind="general")
        chunk, text = mention
        n = cites.add(chunk, text)
        where = short_title(chunk.doc_title, cites.script) + path_text(chunk.section_path, cites.script)
        return refusal(q.text, cites.script, f"文件没有对“{key}”作出解释，只在{where}中这样提到：{normalise_line(text)}[{n}]",
                       cites, kind="general", rule="match.definition.not_explained")

    # ----- dates and document facts --------------------------------------------------------
    def date(self, q: Question, hits: list[Hit], cites: Citations) -> Answer:
        docs = self.doc_ids or ({hits[0].chunk.doc_id} if hits else set())
        for doc_id in docs:
            doc = self.snap.doc_by_id[doc_id]
            title = short_title(doc.title, cites.script)
            chunks = [c for c in self.snap.chunks if c.doc_id == doc_id]
            want_effective = _asks_when(q.norm, r"施行|生效|实施日期|起施行")
            want_number = "文号" in q.norm
            want_addressees = bool(re.search(r"发给|主送|下发给|印发给|发到", q.norm))
            event = next((words for pat, words in _EVENTS if pat.search(q.norm)), None)
            if want_addressees and doc.meta.addressees:
                c = chunks[0]
                names = "、".join(doc.meta.addressees)
                first_line = next((s for s in chunk_sentences(c) if doc.meta.addressees[0][:2] in s.norm), None)
                n = cites.add(c, first_line.text if first_line else c.text[:120])
                return Answer(question=q.text, answer=f"{title}的主送单位是：{names}[{n}]。", answered=True,
                              citations=cites.items, kind="date")
            if event is not None and event[0] in ("修订", "废止"):
                said = [s for c in chunks for s in chunk_sentences(c) if any(w in s.norm for w in event)]
                if not said:
                    cites.add(chunks[0], chunks[0].text[:120])
                    return refusal(q.text, cites.script, f"{title}中没有关于{event[0]}的记载。", cites, kind="date-refused",
                                   rule="match.date.event_absent")
            want_issuer = asks_issuer(q.norm)
            period = re.search(r"(\d{4})\s*[-—–至到]\s*(\d{4})\s*年", normalise_line(doc.title))
            # "实施期是哪几年" asks about the plan itself; "试点延长期限是几年" about one of its tasks
            about_doc = not [t for t in q.terms if t not in normalise_line(doc.title) and word_known(t.split(ALT)[0])]
            if period and about_doc and re.search(r"管到|实施期|期限|起止|哪几年|到哪一年|到哪年|时间跨度", q.norm):
                c = chunks[0]
                sent = next((s for x in chunks[:3] for s in chunk_sentences(x) if period.group(0)[:4] in s.norm), None)
                n = cites.add(c, sent.text if sent else c.text[:200])
                return Answer(question=q.text, answer=f"{title}的实施期为{period.group(1)}—{period.group(2)}年[{n}]。",
                              answered=True, citations=cites.items, kind="date")
            issuance = want_issuer or want_number or want_effective or _asks_when(q.norm, r"印发|发布|落款|出台|下发|通过|文号|发文|(?<![开研散分])发的|发出")
            doc_title_norm = normalise_line(doc.title)
            topic = [t for t in q.terms if t not in doc_title_norm]
            other_doc = [t for t in topic if _DOC_TYPE.search(t) and t not in doc_title_norm]
            if issuance and other_doc:
                issuance = False  # "促进法的实施细则什么时候出台": the issuance of another document
            asks_duration = bool(DURATION.search(q.norm))
            if topic and not issuance:
                # "中期评估安排在什么时候": only a dated sentence about that topic answers it
                dated = [(coverage(topic, s.norm, self.stats), c, s) for c in chunks for s in chunk_sentences(c)
                         if re.search(r"\d{4}\s*年|\d{1,2}\s*[月日]|[一二三四五六七八九十]+月|节|时限|期限|之前|以前|届满|期满", s.norm)
                         or asks_duration and re.search(r"[\d一二三四五六七八九十两]+\s*(?:个)?(?:小时|工作日|日内|天|周|个月|年内)"
                                                        r"|(?<!\d)\d{1,2}\s*年(?!\d)|[一二三四五六七八九十两]+年", s.norm)]
                good = [d for d in dated if d[0] >= 0.5]
                if not good:
                    cites.add(chunks[0], chunks[0].text[:120])  # the document itself, so its title is cited
                    return refusal(q.text, cites.script, f"{title}中没有关于“{'、'.join(topic)}”时间安排的规定。", cites,
                                   kind="date-refused", rule="match.date.topic_absent")
                _, c, s = max(good, key=lambda d: d[0])
                n = cites.add(c, s.text)
                return Answer(question=q.text, answer=f"根据{title}{path_text(c.section_path, cites.script)}：{s.norm}[{n}]",
                              answered=True, citations=cites.items, kind="date")
            if want_number and doc.meta.doc_number:
                key = re.sub(r"\D", "", doc.meta.doc_number)
                found = next(((c, s) for c in chunks for s in chunk_sentences(c) if key and re.sub(r"\D", "", s.norm).find(key) >= 0
                              and doc.meta.doc_number[:2] in s.norm), None)
                if found is None:
                    continue
                c, sent = found
                n = cites.add(c, sent.text)
                return Answer(question=q.text, answer=f"{title}的文号是{doc.meta.doc_number}[{n}]。", answered=True, citations=cites.items, kind="date")
            if want_issuer and doc.meta.issuer:
                c = next((c for c in chunks if normalise_line(doc.meta.issuer) in c.norm_text), chunks[0])
                n = cites.add(c, c.text[:200])
                return Answer(question=q.text, answer=f"{title}由{normalise_line(doc.meta.issuer)}{'通过' if '会议' in doc.meta.issuer else '印发'}[{n}]。", answered=True, citations=cites.items, kind="date")
            for c in chunks:
                for s in chunk_sentences(c):
                    if _DATE_RE.search(s.norm) and ((want_effective and "施行" in s.norm) or (not want_effective and re.search(r"通过|印发|发布|日$", s.norm))):
                        n = cites.add(c, s.text)
                        date = _DATE_RE.search(s.norm).group(0)  # type: ignore[union-attr]
                        if want_effective:
                            text = f"{title}自{date}起施行：“{s.norm}”[{n}]"
                        elif "通过" in s.norm:
                            text = f"{title}于{date}通过：“{s.norm}”[{n}]"
                        else:
                            issuer = f"，发文机关为{normalise_line(doc.meta.issuer)}" if doc.meta.issuer and normalise_line(doc.meta.issuer) in c.norm_text else ""
                            text = f"{title}的落款日期为{date}{issuer}[{n}]。"
                        return Answer(question=q.text, answer=text, answered=True, citations=cites.items, kind="date")
        return miss(q.text, "date", "match.date.no_date")

    def locate(self, q: Question, hits: list[Hit], cites: Citations) -> Answer:
        best = self._best_sentences(q.terms, hits, q=q)
        if best is None or best[0] < self.min_support["locate"]:
            return refusal(q.text, cites.script, "现有文件中没有找到这一内容。", kind="locate", rule="match.locate.below_support")
        score, chunk, sentence = best
        n = cites.add(chunk, sentence, score)
        text = f"这一内容在{short_title(chunk.doc_title, cites.script)}的“{path_text(chunk.section_path, cites.script)}”部分：“{normalise_line(sentence)}”[{n}]"
        return Answer(question=q.text, answer=text, answered=True, citations=cites.items, kind="locate")

    # ----- penalties: the clause that punishes the act, following "违反本条例第X条" -------------
    def penalty(self, q: Question, hits: list[Hit], cites: Citations) -> Answer:
        docs = self.doc_ids or {h.chunk.doc_id for h in hits[:10]}
        hit_rank = {h.chunk.chunk_id: i + 1 for i, h in enumerate(hits)}
        found = find_penalty(self.snap, self.stats, q.terms, docs, hit_rank, typed_measures(q))
        if found is None or found.score < self.min_support["general"]:
            duty = self._best_sentences(q.terms, hits, q=q)
            if found is not None and duty is not None and duty[0] >= self.min_support["general"]:
                # the act is regulated ("负责户内处理设施的养护") but no provision punishes it
                n = cites.add(duty[1], duty[2], duty[0])
                where = short_title(duty[1].doc_title, cites.script) + path_text(duty[1].section_path, cites.script)
                return refusal(q.text, cites.script, f"文件没有对此规定罚则。相关规定见{where}：{normalise_line(duty[2])}[{n}]",
                               cites, kind="penalty-refused", rule="match.penalty.act_not_punished")
            return miss(q.text, q.kind, "match.penalty.none")
        n = cites.add(found.chunk, found.quote, found.score)
        where = short_title(found.chunk.doc_title, cites.script) + path_text(found.chunk.section_path, cites.script)
        text = f"根据{where}：{found.text}[{n}]"
        if found.act is not None:
            m = cites.add(found.act.chunk, found.act.text, found.score)
            text += f"（所指行为见{path_text(found.act.chunk.section_path, cites.script)}：“{found.act.norm}”[{m}]）"
        return Answer(question=q.text, answer=text, answered=True, citations=cites.items, kind=q.kind)

    # ----- general: the best-supported sentences -----------------------------------------
    def _best_sentences(self, terms: list[str], hits: list[Hit], prefer: str = "",
                        q: Question | None = None, unit: UnitClass | None = None) -> tuple[float, Chunk, str] | None:
        """The best-supported sentence of the top hits; ``prefer`` = "figures" or "enumeration" adds a small bonus."""
        best: tuple[float, Chunk, str] | None = None
        counted = _counted_items(q.norm) if q is not None else None
        # the fused top 8, and what either retriever alone ranks top 3 (a long list article the dense
        # model ranks 28th can be the lexical first)
        pool = hits[:8] + [h for h in hits[8:] if min(h.lexical_rank or 99, h.dense_rank or 99) <= 3]
        for rank, hit in enumerate(pool, start=1):
            sents = chunk_sentences(hit.chunk)
            path = " ".join(hit.chunk.norm_section_path)
            title = normalise_line(hit.chunk.doc_title)
            for i, s in enumerate(sents):
                if s.norm.lstrip("# ") == title or _HEADER_LINE.fullmatch(s.norm):
                    continue  # the document's own title, issuer or date line says nothing
                if hit.chunk.norm_section_path and s.norm.strip() == hit.chunk.norm_section_path[-1].strip():
                    continue  # a heading alone ("附件:余政办〔2023〕29号.wps", whose content is not included)
                window = s.norm + (sents[i + 1].norm if i + 1 < len(sents) else "")
                # a list item is read with the sentences that lead up to its list
                score = (0.75 * coverage(terms, s.lead + s.norm + " " + path, self.stats)
                         + 0.25 * coverage(terms, s.lead + window, self.stats))
                score += 0.05 / rank + (anchor_bonus(q, window) if q is not None else 0.0)
                if counted is not None and s.norm.count(counted[1]) >= counted[0]:
                    score += 0.2  # "五个振兴是哪些": a sentence naming five of them
                if prefer == "figures" and _FIGURE.search(window) or prefer == "enumeration" and s.norm.count("、") >= 2:
                    score += 0.08
                if unit is not None and score >= self.min_support["general"] and states_unit(s.norm, unit):
                    score += UNIT_BONUS  # "提前几天": of two supported clauses, the one that states days
                if best is None or score > best[0]:
                    best = (score, hit.chunk, s.text)
        return best

    def general(self, q: Question, hits: list[Hit], cites: Citations) -> Answer:
        terms = q.terms or content_terms(q.norm)
        if DEFINITION.search(q.norm) and terms:
            return self.definition(q, terms, hits, cites)
        if _QUOTED_TERM.search(q.norm) and re.search(r"哪|什么", q.frame):
            # "余杭要站位哪「三地」": the items the text names right before the quoted term
            ans = self.definition(q, terms, hits, Citations(cites.script))
            if ans.answered:
                return ans
        prefer = {"target": "figures", "list": "enumeration"}.get(q.kind, "")
        best = self._best_sentences(terms, hits, prefer, q=q, unit=asked_unit(q.frame))
        if best is None or best[0] < self.min_support["general"] or not terms:
            return refusal(q.text, cites.script, "现有文件中没有找到与该问题直接相关的规定，无法给出可靠回答。", cites, kind=q.kind,
                           rule="match.general.below_support")
        score, chunk, sentence = best
        if ITEM_START.match(normalise_line(sentence)):
            # "(三)向污水处理设施倾倒…;": one item of a list; answer from the list's lead-in ("禁止从事下列…:")
            chunk, sentence = self._enumeration_lead(chunk, sentence) or (chunk, sentence)
        n = cites.add(chunk, sentence, score)
        sents = chunk_sentences(chunk)
        extra = ""
        lead_in = normalise_line(sentence)
        if lead_in.endswith((":", "：")) or re.search(r"以下|如下|下列", lead_in):
            # "主要有以下突出成效。" / "重点用于下列事项:": the answer is the items that follow
            items = self._following_items(chunk, sentence)
            if items:
                extra = items
                cites.items[n - 1].quote = (sentence + items)[:400]
        if not extra and lead_in.endswith((";", "；")):
            # one item of an enumeration ("即实行…;…;…。"): the answer runs to the full stop
            extra = self._rest_of_sentence(sents, sentence)
            if extra:
                cites.items[n - 1].quote = (sentence + extra)[:400]
        if not extra and article_number(chunk) is not None and len(chunk.norm_text) <= ARTICLE_WHOLE_MAX:
            # a short article is one answer: "…做好收集、预处理。县级政府应当统筹采用异地处置…"
            extra = chunk.norm_text.split(lead_in, 1)[1].strip() if lead_in in chunk.norm_text else ""
            if extra:
                cites.items[n - 1].quote = (sentence + extra)[:400]
        for i, s in enumerate(sents):
            if extra:
                break
            follows = sents[i + 1] if s.text == sentence and i + 1 < len(sents) else None
            if follows is not None and (coverage(terms, follows.norm, self.stats) >= 0.3
                                        or (prefer == "figures" and s.norm.endswith((";", "；")) and _FIGURE.search(follows.norm))):
                extra = follows.norm
                cites.items[n - 1].quote = (sentence + sents[i + 1].text)[:300]
        where = short_title(chunk.doc_title, cites.script) + path_text(chunk.section_path, cites.script)
        text = f"根据{where}：{normalise_line(sentence)}{extra}[{n}]"
        return Answer(question=q.text, answer=text, answered=True, citations=cites.items, kind=q.kind)

    def _enumeration_lead(self, chunk: Chunk, sentence: str) -> tuple[Chunk, str] | None:
        """The lead-in ("禁止从事下列活动:") of the list an item belongs to, in its section's earlier text."""
        same = [c for c in self.snap.chunks if c.doc_id == chunk.doc_id and c.section_id == chunk.section_id]
        upto = same[:same.index(chunk) + 1] if chunk in same else [chunk]
        for c in reversed(upto):
            sents = chunk_sentences(c)
            if c is chunk:
                sents = sents[:next((i for i, x in enumerate(sents) if x.text == sentence), len(sents))]
            for x in reversed(sents):
                if x.norm.endswith((":", "：")) and re.search(r"下列|如下|以下", x.norm):
                    return c, x.text
                if not ITEM_START.match(x.norm):
                    return None  # the run of items ended without a lead-in
        return None

    @staticmethod
    def _rest_of_sentence(sents: list[Sentence], sentence: str) -> str:
        """The sentences after ``sentence`` up to the first full stop (the rest of an enumeration)."""
        out = ""
        after = False
        for s in sents:
            if after:
                out += s.norm
                if not s.norm.endswith((";", "；", ",", "，")) or len(out) > 300:
                    break
            after = after or s.text == sentence
        return out

    def _following_items(self, chunk: Chunk, sentence: str) -> str:
        """The items a lead-in announces: the "一是…二是…" headlines, else the text that follows."""
        text = self._following_text(chunk, sentence, limit=4000)
        heads = re.findall(r"[一二三四五六七八九十]是[^。；;]{2,60}", text)
        if len(heads) >= 2:
            return "；".join(heads[:10]) + "。"
        return text[:360]

    def _following_text(self, chunk: Chunk, sentence: str, limit: int) -> str:
        """The text after ``sentence`` in its chunk and the next chunks of the same document, up to ``limit``."""
        idx = self.snap.chunk_by_id.get(chunk.chunk_id)
        if idx is None:
            return ""
        body = chunk.norm_text
        pos = body.find(normalise_line(sentence))
        out = body[pos + len(normalise_line(sentence)):] if pos >= 0 else ""
        nxt = idx + 1
        top = chunk.section_id.split(".")[0]
        while len(out) < limit and nxt < len(self.snap.chunks) and self.snap.chunks[nxt].doc_id == chunk.doc_id \
                and self.snap.chunks[nxt].section_id.split(".")[0] == top:
            out += "\n" + self.snap.chunks[nxt].norm_text
            nxt += 1
        return out.strip()[:limit].replace("\n", "")


# the phrase a definition question asks about: "所说的X包括哪些", "X是什么意思", "X是指什么"
_DEFINED = re.compile(r"(?:所说的|所称的|所指的|所称|里的|中的)([\u4e00-\u9fff]{2,16}?)(?:包括|包含|是指|指的是|是什么|怎么定义|如何定义|的定义|的含义|有哪些)")
_DOC_TYPE = re.compile(r"(细则|办法|意见|通知|方案|条例|规划|决定|标准|指南|规定)$")
_WHEN = r"什么时候|啥时候|啥时|何时|哪天|哪一天|哪年|哪一年|几月|几号|日期|时间|多会儿"


def _topical(q: Question) -> list[str]:
    """Topic terms that are not the places the question names ("余杭区到2025年有哪些目标" has none)."""
    if q.about_document:
        return []
    firsts = [t.split(ALT)[0] for t in q.terms]
    # a piece the segmenter glued from a place and the next word ("区到") is no topic either
    return [t for t in firsts if word_known(t) and not any(t in p for p in q.places)]


def _asks_when(norm_question: str, event: str) -> bool:
    """True when the question asks the date of ``event`` (a regex): the event and the asking words sit in
    one clause ("什么时候施行", "施行日期"), not "条例施行前…，什么时候之前要改造完"."""
    return bool(re.search(f"(?:{_WHEN})[^，,。；;？?]{{0,6}}(?:{event})|(?:{event})[^，,。；;？?]{{0,6}}(?:{_WHEN})", norm_question)
                or re.fullmatch(f"[^，,。；;？?]*(?:{event})[^，,。；;？?]*[?？]?", norm_question) and re.search(_WHEN, norm_question))


# "是不是要做到80%", "是否达到90%", "…80%吗", "…80%对吧": the asker proposes a figure to confirm
_CONFIRM = re.compile(r"是不是|是否|对吗|对不对|对吧|没错吧|吗[?？]?$|吧[?？]?$")


def _figures_missing(q: Question, chosen: list[Target]) -> str:
    """The figures the asker typed ("收入超200万的村") that none of the targets found states, as a reason."""
    wanted = typed_figures(q)
    said = " ".join(f"{t.clause} {t.sentence}" for t in chosen)
    missing = [w for w in wanted if not re.search(f"(?<![\\d.]){re.escape(w)}(?![\\d.])", said)]
    if not missing or len(missing) < len(wanted):
        return ""
    return f"文件没有与“{'、'.join(missing)}”对应的目标。"


def _scope_mismatch(q: Question, chosen: list[Target]) -> str:
    """Why the targets found do not answer the question's time frame, or "" when they do.

    "每年要落实多少" is not answered by "累计不少于11亿元", "一共多少" not by "每年10个", and "现在是多少"
    not by a target for 2027.
    """
    def has(t: Target, pattern: str) -> bool:
        return bool(re.search(pattern, f"{t.scope} {t.clause} {t.scope_sentence}"))

    if re.search(r"每年|年均|一年|每一年", q.frame) and all(has(t, "累计") and not has(t, "每年|年均") for t in chosen):
        return "文件只给出了累计目标，没有每年的数字。"
    if re.search(r"累计|一共|总共|总计|合计", q.frame) and all(has(t, "每年|年均") and not has(t, "累计") for t in chosen):
        return "文件只给出了每年的目标，没有累计的总数。"
    if re.search(r"一共|总共|总计|合计|总数|总量|共有", q.frame) and not re.search(r"新增|新建|增加", q.frame) \
            and all(re.search(r"新增|新建|新改建|增加|新培育", t.clause) for t in chosen):
        return "文件只给出了新增的数量，没有总数。"
    if re.search(r"现在|目前|现有|当前|现状|如今", q.frame) and not re.search(r"目标|要|计划|力争|规划|任务", q.frame) \
            and all(t.year is None or t.year >= 2023 for t in chosen) \
            and all(has(t, "^到|到\\d{4}|力争|达到|以上|不少于|新增|建成|打造|培育") for t in chosen):
        return "文件给出的是目标值，没有现状数据。"
    return ""


def _counted_items(norm_question: str) -> tuple[int, str] | None:
    """(N, noun) for "五个振兴" / "三大革命": how many of what the question expects listed."""
    from ..numerals import cn_to_int

    m = re.search(r"([二三四五六七八九十])\s*[个大项条种类]\s*[“\"]?([\u4e00-\u9fff]{2,4})", norm_question)
    if not m or m.group(2) in ("方面", "部分", "内容"):
        return None
    n = cn_to_int(m.group(1))
    return (n, m.group(2)[-2:]) if n else None


def _same_indicator(a: Target, b: Target) -> bool:
    # "集体经济年经营性收入150万元以上行政村占比" in 2025 is the same indicator as "…200万元以上…" in 2027:
    # a threshold inside the name moves with the year
    ia, ib = (re.sub(r"[()（）]|[\d.]+(?:万|亿)?元?(?:以上|以下)?", "", t.indicator) for t in (a, b))
    return ia == ib or ia in ib or ib in ia


def _label_matches(sec: Section, kind: str, n: int) -> bool:
    from ..numerals import cn_to_int

    if kind == "article":
        return sec.kind == "article" and sec.sid.endswith(f"art{n}")
    if kind == "chapter":
        return sec.kind == "chapter" and sec.sid.endswith(f"ch{n}")
    if kind in ("cn", "paren_cn", "section"):
        return sec.kind == kind and cn_to_int(sec.label.strip("（）")) == n
    return False


def _path(secs: dict[str, Section], sec: Section) -> list[str]:
    out = []
    node: Section | None = sec
    while node is not None and node.kind != "root":
        out.append(node.heading)
        node = secs.get(node.parent) if node.parent else None
    return list(reversed(out))
