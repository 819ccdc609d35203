"""The answer engine: route a question to the ledgers, the outline or the best clauses, and cite.

Extractive by default (no LLM needed); an optional LLM rewrites from the same evidence and is
checked for numeric faithfulness, falling back to the extractive answer when it fails the check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..config import Settings
from ..index.lexical import place_names
from ..index.snapshot import Snapshot, lexical_text
from ..ingest.normalise import normalise_line, normalise_query
from ..models import Answer, Message
from ..retrieve.hybrid import HybridRetriever
from ..retrieve.planner import doc_hint, unknown_acts, without_doc_names
from .compose import Citations, display, refusal
from .compound import answer_parts, split_parts
from .evidence import TermStats, foreign_terms, with_full_forms, with_wholes
from .followup import in_context, resolve
from .handlers import Handlers
from .question import (
    ORG,
    Question,
    analyse,
    content_terms,
    question_script,
    without_fillers,
)
from .scope import check_scope, named_villages
from .spelling import Speller, frame_typos, interrogative_typos

# Calibrated on evals/qa_dev.jsonl (never on qa.jsonl): below these, the documents do not say.
# evals/calibrate.py swept a common scale over these; 1.1 balanced refusals against false refusals.
MIN_SUPPORT = {k: round(v * 1.1, 3) for k, v in
               {"target": 0.55, "owner": 0.5, "general": 0.5, "date": 0.4, "list": 0.4, "locate": 0.5}.items()}

ANSWER_HITS = 15  # chunks retrieved for answering (the handlers read the best 8, plus any a single retriever ranks top 3)
SHORT_FOLLOWUP = 14  # characters: a question this short may lean on the previous turn
FULL_FORM_HITS = 10  # retrieved chunks searched for the full forms of the question's short forms



class AnswerEngine:
    """Answers questions from one snapshot."""

    def __init__(self, snapshot: Snapshot, retriever: HybridRetriever, settings: Settings, llm: Any = None) -> None:
        self.snapshot = snapshot
        self.retriever = retriever
        self.settings = settings
        self.stats = TermStats(snapshot)
        self.handlers = Handlers(snapshot, self.stats)
        self._llm = llm
        self._speller: Speller | None = None
        self._village_names: set[str] | None = None

    @property
    def speller(self) -> Speller:
        """Homophone typo correction against this snapshot's wording (built on first use)."""
        if self._speller is None:
            self._speller = Speller(self.stats.text)
        return self._speller

    # ----- public ----------------------------------------------------------------------
    def answer(self, question: str, history: list[Message], top_k: int | None = None) -> Answer:
        """Answer one question; LLM mode when configured, extractive otherwise or on fallback."""
        extractive = self.extractive(question, history, top_k)
        if not self.settings.llm_enabled or not extractive.answered:
            return extractive
        from .llm import llm_answer

        return llm_answer(self.settings, question, history, extractive, self._llm)

    def answer_stream(self, question: str, history: list[Message], top_k: int | None = None) -> Iterator[dict[str, Any]]:
        """Yield text deltas then the final answer (LLM tokens when configured, else the extractive text)."""
        extractive = self.extractive(question, history, top_k)
        if self.settings.llm_enabled and extractive.answered:
            from .llm import llm_answer_stream

            yield from llm_answer_stream(self.settings, question, history, extractive, self._llm)
            return
        for piece in re.split(r"(?<=[。；\n])", extractive.answer):
            if piece:
                yield {"type": "delta", "text": piece}
        yield {"type": "answer", "answer": extractive}

    def extractive(self, question: str, history: list[Message], top_k: int | None = None) -> Answer:
        """The grounded answer built from ledgers, outline and retrieved clauses.

        Several questions in one message are answered one by one (``compound.py``).
        """
        parts = split_parts(question)
        if len(parts) > 1:
            merged = answer_parts(parts, history, lambda part, hist: self._single(part, hist, top_k))
            merged.question = question
            return merged
        return self._single(question, history, top_k)

    def _single(self, question: str, history: list[Message], top_k: int | None) -> Answer:
        """One question. A short one in a conversation that the documents do not answer on its own
        ("最终要确保什么?") is asked again in the previous question's context."""
        resolved = resolve(question, history) if history else interrogative_typos(question)[0]  # 那年 → 哪年
        docs = self._history_docs(history)
        answer = self._extractive(question, resolved, top_k, docs, in_conversation=bool(history) and resolved != question)
        previous = [m.content for m in history if m.role == "user" and m.content.strip()]
        if not previous or answer.resolved_question or len(normalise_query(question)) > SHORT_FOLLOWUP:
            return answer
        elsewhere = answer.answered and docs and not any(c.doc_id in docs for c in answer.citations)
        if answer.answered and not elsewhere:
            return answer
        # unanswered alone, or answered from another document than the conversation's ("最终要确保什么?")
        again = self._extractive(question, in_context(question, previous[-1]), top_k, docs, in_conversation=True)
        if again.answered and (not answer.answered or any(c.doc_id in (docs or ()) for c in again.citations)):
            return again
        return answer

    def _history_docs(self, history: list[Message]) -> set[str] | None:
        """The documents the last exchange was about (its answer's 《title》 or "方案"/"条例"), if any."""
        for m in reversed(history[-2:]):
            ids = self.doc_hint(normalise_query(m.content))
            if ids:
                return ids
        return None

    def _extractive(self, question: str, resolved: str, top_k: int | None, previous_docs: set[str] | None = None,
                    in_conversation: bool = False) -> Answer:
        """One question, as ``resolved`` reads it; ``in_conversation``: rewritten against the history."""
        typed = normalise_query(resolved)
        fixed, fixes = self.speller.correct(frame_typos(typed))
        if fixes or fixed != typed:  # a homophone typo (宅机地): answer what was meant, and say so in resolved_question
            resolved = fixed
        q = analyse(resolved)
        script = question_script(question)
        q.script = script
        note = resolved if resolved != question else None
        if not q.norm.strip(" ?？"):
            return refusal(question, script, "请输入具体问题。", resolved=note)

        unknown_places = [p for p in place_names(q.norm) if not self.stats.in_corpus(p) and len(p) >= 2]
        if unknown_places:
            return refusal(question, script, f"现有文件中没有关于“{'、'.join(unknown_places)}”的内容，无法回答。"
                           "本库文件涉及余杭区、浙江省及全国层面的政策。", kind=q.kind, resolved=note)
        acts = unknown_acts(q.norm, self.retriever.docs, self.retriever.aliases, self.stats.in_corpus)
        if acts:
            return refusal(question, script, f"文件库中没有《{'》《'.join(acts)}》，无法回答。", kind=q.kind, resolved=note)
        foreign = foreign_terms(q.terms, self.stats)
        if foreign:
            return refusal(question, script, f"现有文件中没有提到“{'、'.join(foreign)}”，无法回答该问题。", kind=q.kind, resolved=note)

        doc_ids = self.doc_hint(q.norm)
        followup_docs = previous_docs if resolved != question and not doc_ids else None
        if doc_ids:
            # "乡村振兴促进法里的“乡村”怎么定义": the words naming the document are not the topic
            titles = [normalise_line(d.title) for d in self.snapshot.documents if d.doc_id in doc_ids]
            topic = content_terms(without_doc_names(q.norm, titles))
            if topic:
                q.terms = topic
            else:
                q.about_document = True
        q.terms = without_fillers(q.terms, self.stats.in_corpus)
        if in_conversation and q.kind != "locate":
            # a follow-up read in context ("…治污方面举了什么例子，台州那个例子呢"): the asker's own topic
            # words say what is new, so they count twice against the previous question's
            own = {t for t in content_terms(normalise_query(question)) if self.stats.in_corpus(t)}
            q.terms = q.terms + [t for t in q.terms if t in own]
        k = max(ANSWER_HITS, top_k or self.settings.top_k)
        query = resolved
        if q.kind == "owner":
            # "是农业局还是发改局负责": the departments offered are candidate answers; search for the task
            for org in (t for t in q.terms if ORG.fullmatch(t)):
                query = normalise_query(query).replace(org, " ")
            query = query.replace("还是", " ")
        # the retriever plans too: named document, aliases, penalties; a follow-up stays with the previous documents
        hits = self.retriever.search(query, k=k, hint=followup_docs)
        # short forms the asker used for what the retrieved clauses spell out (村委会 → 村(居)民委员会)
        retrieved = "\n".join(lexical_text(h.chunk) for h in hits[:FULL_FORM_HITS])
        q.terms = with_wholes(with_full_forms(q.terms, retrieved), retrieved)
        q.terms = self.retriever.colloquial.expand_terms(q.terms, q.norm)  # 盖房子 → 盖房子|建房|房屋
        cites = Citations(script)
        answer = self.handlers.dispatch(q, hits, cites, doc_ids or followup_docs, MIN_SUPPORT)
        answer.question = question
        answer.resolved_question = note
        if answer.answered:
            answer = self._check_scope(q, answer, script)
        if answer.answered:
            answer.answer = display(answer.answer, script)
        return answer

    def _check_scope(self, q: Question, answer: Answer, script: str) -> Answer:
        """Refuse an answer whose evidence does not speak to what the question pins down (``scope.py``)."""
        if self._village_names is None:
            self._village_names = named_villages(self.stats.text)
        return check_scope(q, answer, script, self._village_names)

    def doc_hint(self, norm_question: str) -> set[str] | None:
        """Documents a question names ("一号文件", "促进法", "条例", "方案", a title), if any."""
        return doc_hint(norm_question, self.retriever.docs)

