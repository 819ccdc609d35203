"""The answer engine: route a question to the ledgers, the outline or the best clauses, and cite.

Extractive by default (no LLM needed); an optional LLM rewrites from the same evidence and is
checked for numeric faithfulness, falling back to the extractive answer when it fails the check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..config import Settings
from ..index.lexical import place_names, word_tag
from ..index.snapshot import Snapshot
from ..ingest.normalise import normalise_line, normalise_query
from ..models import Answer, Message, TraceStep
from ..retrieve.hybrid import HybridRetriever
from ..retrieve.planner import doc_hint
from .compose import refusal
from .compound import answer_parts, split_parts
from .evidence import TermStats
from .followup import in_context, resolve
from .handlers import Handlers
from .layout import headline, pieces
from .pipeline import REQUIRED, run, stage_names
from .question import Question, content_terms
from .record import AskRecord
from .scope import check_scope, named_villages
from .spelling import Speller, interrogative_typos
from .weights import load_weights

# Calibrated on the development sets (never on qa.jsonl): below these, the documents do not say.
# They live with the other weights in resources/weights.json (evals/fit_weights.py, evals/calibrate.py).
MIN_SUPPORT = dict(load_weights().min_support)

SHORT_FOLLOWUP = 14  # characters: a question this short may lean on the previous turn
# parts of speech of topic words (jieba's tags: nouns, names, verbal nouns)
_TOPIC_TAGS = ("n", "vn", "an", "j", "l", "i")


class AnswerEngine:
    """Answers questions from one snapshot."""

    def __init__(self, snapshot: Snapshot, retriever: HybridRetriever, settings: Settings, llm: Any = None,
                 disabled: frozenset[str] | set[str] = frozenset()) -> None:
        unknown = set(disabled) - set(stage_names())
        if unknown or set(disabled) & REQUIRED:
            raise ValueError(f"cannot switch off stages {sorted(unknown | (set(disabled) & REQUIRED))}")
        self.disabled = frozenset(disabled)
        self.min_support = MIN_SUPPORT
        self._regions: list[str] | None = None
        self.snapshot = snapshot
        self.retriever = retriever
        self.settings = settings
        self.stats = TermStats(snapshot, load_weights().lexical.get("absent_term", 1.0))
        self.handlers = Handlers(snapshot, self.stats)
        self._llm = llm
        self._speller: Speller | None = None
        self._village_names: set[str] | None = None

    @property
    def speller(self) -> Speller:
        """Homophone typo correction against this snapshot's wording (built on first use)."""
        if self._speller is None:
            lexical = self.snapshot.lexical
            self._speller = Speller(self.stats.text, lexical.vocabulary if lexical is not None else frozenset())
        return self._speller

    # ----- public ----------------------------------------------------------------------
    def answer(self, question: str, history: list[Message], top_k: int | None = None) -> Answer:
        """Answer one question; LLM mode when configured, extractive otherwise or on fallback."""
        extractive = self.extractive(question, history, top_k)
        if not self.settings.llm_enabled or not extractive.answered:
            return extractive
        from .llm import llm_answer

        return _with_headline(llm_answer(self.settings, question, history, extractive, self._llm))

    def answer_stream(self, question: str, history: list[Message], top_k: int | None = None) -> Iterator[dict[str, Any]]:
        """Yield text deltas then the final answer (LLM tokens when configured, else the extractive text)."""
        extractive = self.extractive(question, history, top_k)
        if self.settings.llm_enabled and extractive.answered:
            from .llm import llm_answer_stream

            yield from llm_answer_stream(self.settings, question, history, extractive, self._llm)
            return
        # in reading order: how it was read, the figure first, the source line, the rest (answer/layout.py)
        for part, text in pieces(extractive):
            for piece in re.split(r"(?<=[。；])", text) if part == "rest" else [text]:
                if piece:
                    yield {"type": "delta", "text": piece, "part": part}
        yield {"type": "answer", "answer": extractive}

    def extractive(self, question: str, history: list[Message], top_k: int | None = None) -> Answer:
        """The grounded answer built from ledgers, outline and retrieved clauses.

        Several questions in one message are answered one by one (``compound.py``).
        """
        parts = split_parts(question)
        if len(parts) > 1:
            traces: list[TraceStep] = _step("understand", "compound.split", " | ".join(parts))

            def one(part: str, hist: list[Message]) -> Answer:
                a = self._single(part, hist, top_k)
                traces.extend(a.trace or [])
                return a

            merged = answer_parts(parts, history, one)
            merged.question = question
            merged.trace = traces
            return _with_headline(merged)
        return _with_headline(self._single(question, history, top_k))

    def _single(self, question: str, history: list[Message], top_k: int | None) -> Answer:
        """One question. An elliptical one ("最终要确保什么?") that the documents do not answer on its own
        is asked again in the previous question's context; a complete question is answered as it stands."""
        rec = self._record(question, history, top_k)
        answer = self._run(rec)
        previous = [m.content for m in history if m.role == "user" and m.content.strip()]
        if not previous or answer.resolved_question or len(normalise_query(question)) > SHORT_FOLLOWUP:
            return answer
        if self._has_own_topic(question):
            rec.log("followup", "followup.complete", "the question has its own topic: answered as it stands")
            return answer
        docs = rec.previous_docs
        elsewhere = answer.answered and docs and not any(c.doc_id in docs for c in answer.citations)
        if answer.answered and not elsewhere:
            return answer
        # unanswered alone, or answered from another document than the conversation's
        again_rec = AskRecord(question, history, top_k, resolved=in_context(question, previous[-1]),
                              in_conversation=True, previous_docs=docs)
        again_rec.trace = [*rec.trace, *_step("followup", "followup.retry_in_context",
                                             "unanswered alone" if not answer.answered else "answered from another document")]
        again = self._run(again_rec)
        if again.answered and (not answer.answered or any(c.doc_id in (docs or ()) for c in again.citations)):
            return again
        return answer

    def _record(self, question: str, history: list[Message], top_k: int | None) -> AskRecord:
        """A fresh per-request record, with the follow-up rewritten when the question is elliptical."""
        if history:
            resolved = resolve(question, history)
            rule = "followup.rewrite" if resolved != question else "followup.none"
        else:
            resolved, fixed = interrogative_typos(question)  # 那年 → 哪年
            rule = "normalise.interrogative" if fixed else ""
        rec = AskRecord(question, history, top_k, resolved=resolved,
                        in_conversation=bool(history) and resolved != question,
                        previous_docs=self._history_docs(history))
        if rule and rule != "followup.none" or history:
            rec.log("followup", rule, resolved if resolved != question else "not elliptical: answered as it stands")
        return rec

    def _run(self, rec: AskRecord) -> Answer:
        run(self, rec, self.disabled)
        answer = rec.answer
        if answer is None:  # only when the match stage is switched off
            answer = refusal(rec.question, rec.script, "没有可用的回答阶段。", rule="pipeline.no_match")
        answer.trace = rec.trace
        return answer

    def _has_own_topic(self, question: str) -> bool:
        """True when a question names its own topic (two or more topic words the documents use)."""
        terms = [t for t in content_terms(normalise_query(question)) if len(t) >= 2 and self.stats.in_corpus(t)
                 and (word_tag(t).startswith(_TOPIC_TAGS) or not word_tag(t))]
        return len(terms) >= 2

    def _history_docs(self, history: list[Message]) -> set[str] | None:
        """The documents the last exchange was about (its answer's 《title》 or "方案"/"条例"), if any."""
        for m in reversed(history[-2:]):
            ids = self.doc_hint(normalise_query(m.content))
            if ids:
                return ids
        return None

    def library_regions(self) -> list[str]:
        """The places the library's documents are about, from their titles and issuers (for scope replies)."""
        if self._regions is None:
            found: list[str] = []
            for d in self.snapshot.documents:
                for text in (d.title, d.meta.issuer):
                    for p in place_names(normalise_line(text)):
                        if p not in found:
                            found.append(p)
            self._regions = found
        return self._regions

    def check_scope(self, q: Question, answer: Answer, script: str) -> Answer:
        """Refuse an answer whose evidence does not speak to what the question pins down (``scope.py``)."""
        if self._village_names is None:
            self._village_names = named_villages(self.stats.text)
        return check_scope(q, answer, script, self._village_names)

    def doc_hint(self, norm_question: str) -> set[str] | None:
        """Documents a question names ("一号文件", "促进法", "条例", "方案", a title), if any."""
        return doc_hint(norm_question, self.retriever.docs)


def _step(stage: str, rule: str, detail: str) -> list[TraceStep]:
    return [TraceStep(stage=stage, rule=rule, detail=detail)]


def _with_headline(answer: Answer) -> Answer:
    """The answer with its first line (figure and year, or the bodies named) set for every channel."""
    answer.headline = headline(answer) if answer.answer.strip() else ""
    return answer
