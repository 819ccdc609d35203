"""Run an evaluation file through the service the API uses, score every question, summarise."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..answer.question import with_full_years
from ..answer.verify import figures, unsupported_figures
from ..config import Settings
from ..errors import BadInput, ConfigError
from ..ingest.normalise import normalise_line
from ..models import Answer, Hit
from ..service import PolicyService
from . import metrics as m
from .baseline import BaselineChunk, BaselineRetriever, read_corpus
from .dataset import KINDS, EvalItem, load_items

MODES = ("extractive", "llm")
RANK_DEPTH = 10  # hits scored per question: hit@1/3/5 and MRR@10
KS = (1, 3, 5)
Progress = Callable[[int, int], None]


@dataclass
class Thresholds:
    """CI gates; None means not checked."""

    min_fact_accuracy: float | None = None
    min_hit5: float | None = None
    min_refusal_accuracy: float | None = None
    max_numeric_violations: int | None = None


@dataclass
class QuestionResult:
    """One question: the service's answer and hits, the baseline's hits, and each metric's outcome."""

    item: EvalItem
    answer: Answer
    query: str  # what retrieval was scored on: the resolved question for follow-ups
    hits: list[Hit]
    baseline_hits: list[BaselineChunk] | None
    metrics: dict[str, Any]

    @property
    def failures(self) -> list[str]:
        """Why this question counts as failed (empty when it passed every metric that applies)."""
        mt = self.metrics
        out = []
        if mt["refusal"] is False:
            out.append("answered an unanswerable question")
        if mt["false_refusal"] is True:
            out.append("refused an answerable question")
        elif mt["fact"] is False:
            out.append("expected facts missing")
        if mt["numeric_ok"] is False:
            out.append("figure not in any citation")
        if mt["hit@5"] is False:
            out.append("expected section not in top 5")
        return out

    def to_dict(self) -> dict[str, Any]:
        it = self.item
        return {
            "id": it.id,
            "kind": it.kind,
            "style": it.style,
            "question": it.question,
            "history": [t.model_dump() for t in it.history],
            "retrieval_query": self.query,
            "expected": {
                "answerable": it.answerable,
                "facts": it.expected_facts,
                "doc": it.expected_doc,
                "section": it.expected_section,
                "alt_sections": it.alt_sections,
            },
            "answer": self.answer.model_dump(mode="json"),
            "hits": [
                {"rank": i, "chunk_id": h.chunk.chunk_id, "doc_id": h.chunk.doc_id, "section_path": h.chunk.section_path,
                 "score": round(h.score, 6)}
                for i, h in enumerate(self.hits, start=1)
            ],
            "baseline_hits": None if self.baseline_hits is None else [
                {"rank": i, "doc_id": c.doc_id, "start": c.start, "end": c.end, "text": c.text[:120]}
                for i, c in enumerate(self.baseline_hits, start=1)
            ],
            "metrics": self.metrics,
            "failures": self.failures,
            "passed": not self.failures,
        }


@dataclass
class EvalRun:
    """A finished evaluation: per-question results, the summary and how it was produced."""

    file: str
    mode: str
    results: list[QuestionResult]
    summary: dict[str, Any]
    by_kind: dict[str, dict[str, Any]]
    by_style: dict[str, dict[str, Any]]
    info: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def settings_for_mode(settings: Settings, mode: str) -> Settings:
    """Settings for an answer mode: ``extractive`` switches any configured LLM off; ``llm`` needs one."""
    if mode == "extractive":
        return settings.model_copy(update={"llm_base_url": None, "llm_model": None})
    if mode == "llm":
        if not settings.llm_enabled:
            raise ConfigError(
                "--mode llm needs an LLM: set PA_LLM_BASE_URL and PA_LLM_MODEL",
                "--mode llm 需要配置大模型：请设置 PA_LLM_BASE_URL 和 PA_LLM_MODEL",
            )
        return settings
    raise BadInput(f"unknown mode {mode!r} (extractive or llm)", f"未知模式 {mode!r}（extractive 或 llm）")


def run_eval(
    service: PolicyService,
    items: list[EvalItem],
    *,
    mode: str = "extractive",
    file: str = "",
    baseline: bool = True,
    progress: Progress | None = None,
) -> EvalRun:
    """Ask every question, search its (resolved) question, and score both.

    Args:
        service: the facade the API uses, already configured for ``mode``.
        items: validated questions.
        mode: recorded in the report (the service's settings decide what actually runs).
        file: the question file's name, for the report.
        baseline: also build and score the baseline retriever on the same questions.
        progress: called with (done, total) after each question.
    Returns:
        The run, summarised overall, by kind and by style.
    """
    t_start = time.perf_counter()
    service.ensure_index()
    snap = service.snapshot
    # load the models and engine before timing: latency is measured warm, as a running server sees it
    service.engine()
    service.search("预热", k=1)

    warnings: list[str] = []
    spans: dict[str, list[tuple[int, int]]] = {}
    for it in items:
        spans[it.id] = []
        if it.doc_id and it.doc_id not in snap.doc_by_id:
            warnings.append(f"{it.id}: expected document {it.expected_doc} is not in the index")
            continue
        for path in it.sections:
            found = m.find_sections(snap.outlines[it.doc_id], m.parse_section_path(path)) if it.doc_id else []
            if not found:
                warnings.append(f"{it.id}: section {path!r} not found in the outline of {it.doc_id}")
            spans[it.id] += [(s.start, s.end) for s in found]
            labels = m.parse_section_path(path)
            if not any(
                c.doc_id == it.doc_id
                and m.section_matches([m.heading_label(h) for h in c.norm_section_path], c.norm_text, labels)
                for c in snap.chunks
            ):  # retrieval could never hit it: say so rather than count silent misses
                warnings.append(f"{it.id}: no chunk of {it.doc_id} lies under section {path!r}")

    base: BaselineRetriever | None = None
    info: dict[str, Any] = {}
    if baseline:
        t0 = time.perf_counter()
        base = BaselineRetriever.build(read_corpus(snap.documents), service.encoder)
        info["baseline_chunks"] = len(base.chunks)
        info["baseline_build_s"] = round(time.perf_counter() - t0, 1)

    titles = [d.title for d in snap.documents]
    results: list[QuestionResult] = []
    for i, it in enumerate(items, start=1):
        answer = service.ask(it.question, it.history)
        query = answer.resolved_question or it.question
        hits = service.search(query, k=RANK_DEPTH)
        base_hits = base.search(query, RANK_DEPTH) if base is not None else None
        results.append(QuestionResult(it, answer, query, hits, base_hits, score(it, answer, hits, base_hits, spans[it.id], titles)))
        if progress:
            progress(i, len(items))

    info.update(
        {
            "index_version": snap.version,
            "embedding_model": snap.model_id,
            "documents": len(snap.documents),
            "chunks": len(snap.chunks),
            "questions": len(items),
            "llm_model": service.settings.llm_model if service.settings.llm_enabled else None,
            "answer_modes": sorted({r.answer.mode for r in results}),
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - t_start, 1),
        }
    )
    return EvalRun(
        file=file,
        mode=mode,
        results=results,
        summary=summarise(results),
        by_kind={k: summarise([r for r in results if r.item.kind == k]) for k in KINDS if any(r.item.kind == k for r in results)},
        by_style=_grouped(results, lambda r: r.item.style or "—"),
        info=info,
        warnings=warnings,
    )


def score(
    item: EvalItem,
    answer: Answer,
    hits: list[Hit],
    baseline_hits: list[BaselineChunk] | None,
    spans: list[tuple[int, int]],
    titles: list[str] | None = None,
) -> dict[str, Any]:
    """Every per-question metric; None where a metric does not apply to this question.

    Args:
        spans: text spans of the expected section and its alternatives in the expected document.
        titles: the corpus's document titles (a figure inside a title the answer names is not a claim).
    """
    mt: dict[str, Any] = {}
    answerable = item.answerable
    missing = m.missing_fact_groups(answer.answer, item.expected_facts) if answerable else []
    mt["fact"] = (not missing) if answerable else None
    mt["facts_missing"] = missing
    mt["refusal"] = (not answer.answered) if not answerable else None
    # a row expecting "文件没有明确…" and the facts around it is met by an answer stating that absence
    stated_absence = answerable and not missing and m.expects_absence(item.expected_facts)
    mt["false_refusal"] = (not answer.answered and not stated_absence) if answerable else None
    # Not claims: a figure the user typed and the answer repeats ("文件没有设定2030年的目标"), and the
    # figures of a document title the answer names (《…实施方案(2023-2027年)》 in an uncited refusal).
    unsupported = unsupported_figures(answer.answer, answer.citations)
    norm_answer = m.normalise_for_match(answer.answer)
    named = [t for t in titles or [] if t and m.normalise_for_match(t) in norm_answer]
    user_turns = [t.content for t in item.history if t.role == "user"]
    typed = " ".join([item.question, answer.resolved_question or "", *user_turns])
    # "２５年…" / "十四五末" typed by the user are the years 2025 the answer calls them
    exempt = figures(" ".join([typed, with_full_years(normalise_line(typed)), *named]))
    mt["numeric_ok"] = not (unsupported - exempt)
    mt["unsupported_figures"] = sorted(unsupported - exempt)
    mt["exempt_figures"] = sorted(unsupported & exempt)
    mt["latency_ms"] = answer.latency_ms

    # retrieval on the expected section, by outline labels (questions that name a section)
    expected = [m.parse_section_path(p) for p in item.sections]
    rank = None
    applies = bool(answerable and expected)
    if applies:
        flags = [
            h.chunk.doc_id == item.doc_id
            and any(
                m.section_matches([m.heading_label(x) for x in h.chunk.norm_section_path], h.chunk.norm_text, e)
                for e in expected
            )
            for h in hits
        ]
        rank = m.first_rank(flags)
    _ranks(mt, "", rank, applies=applies)

    # the criterion shared with the baseline: in the section's text span, or holding every fact
    if answerable:
        ours = [_passage_hit(item, spans, h.chunk.doc_id, h.chunk.start, h.chunk.start + len(h.chunk.text), h.chunk.norm_text) for h in hits]
        _ranks(mt, "common_", m.first_rank(ours), applies=True)
        if baseline_hits is not None:
            theirs = [_passage_hit(item, spans, c.doc_id, c.start, c.end, c.norm_text) for c in baseline_hits]
            _ranks(mt, "baseline_", m.first_rank(theirs), applies=True)
    return mt


def _passage_hit(item: EvalItem, spans: list[tuple[int, int]], doc_id: str, start: int, end: int, norm_text: str) -> bool:
    if doc_id != item.doc_id:
        return False
    return m.span_hit(start, end, spans) or m.facts_found(norm_text, item.expected_facts)


def _ranks(mt: dict[str, Any], prefix: str, rank: int | None, applies: bool) -> None:
    mt[f"{prefix}rank"] = rank
    for k in KS:
        mt[f"{prefix}hit@{k}"] = m.hit_at(rank, k) if applies else None
    mt[f"{prefix}rr"] = m.reciprocal_rank(rank) if applies else None


def summarise(results: list[QuestionResult]) -> dict[str, Any]:
    """Headline metrics over a set of results (rates are None where no question applies)."""
    mts = [r.metrics for r in results]
    latencies = [r.answer.latency_ms for r in results]
    s: dict[str, Any] = {
        "n": len(results),
        "n_answerable": sum(r.item.answerable for r in results),
        "n_unanswerable": sum(not r.item.answerable for r in results),
        "n_section": sum(x["hit@5"] is not None for x in mts),
        "fact_accuracy": m.rate(x["fact"] for x in mts),
        "owner_accuracy": m.rate(x["fact"] for r, x in zip(results, mts, strict=True) if r.item.kind == "owner"),
        "refusal_accuracy": m.rate(x["refusal"] for x in mts),
        "false_refusal_rate": m.rate(x["false_refusal"] for x in mts),
        "numeric_violations": sum(not x["numeric_ok"] for x in mts),
        "numeric_violations_strict": sum(bool(x["unsupported_figures"] or x["exempt_figures"]) for x in mts),
        "latency_p50_ms": m.percentile(latencies, 50),
        "latency_p95_ms": m.percentile(latencies, 95),
    }
    for prefix in ("", "common_", "baseline_"):
        for k in KS:
            s[f"{prefix}hit@{k}"] = m.rate(x.get(f"{prefix}hit@{k}") for x in mts)
        s[f"{prefix}mrr"] = m.rate(x.get(f"{prefix}rr") for x in mts)
    s["ratio_hit@5"] = m.ratio(s["common_hit@5"], s["baseline_hit@5"])
    s["ratio_mrr"] = m.ratio(s["common_mrr"], s["baseline_mrr"])
    return s


def _grouped(results: list[QuestionResult], key: Callable[[QuestionResult], str]) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[QuestionResult]] = {}
    for r in results:
        groups.setdefault(key(r), []).append(r)
    return {k: summarise(v) for k, v in groups.items()}


@dataclass
class EvalOutcome:
    """What the CLI prints: the run, where the report went, the thresholds missed."""

    run: EvalRun
    out_dir: Path
    missed: list[str]


def evaluate(
    settings: Settings,
    file: Path,
    out_dir: Path,
    *,
    mode: str = "extractive",
    baseline: bool = True,
    thresholds: Thresholds | None = None,
    progress: Progress | None = None,
) -> EvalOutcome:
    """Load ``file``, run it against ``PolicyService(settings)`` in ``mode``, write the report to ``out_dir``.

    Raises:
        DatasetError: the file is invalid. ConfigError: ``--mode llm`` without an LLM configured.
    """
    from .report import write_report

    items = load_items(file)
    service = PolicyService(settings_for_mode(settings, mode))
    run = run_eval(service, items, mode=mode, file=str(file), baseline=baseline, progress=progress)
    write_report(run, out_dir)
    th = thresholds or Thresholds()
    missed = m.missed_thresholds(
        run.summary, th.min_fact_accuracy, th.min_hit5, th.min_refusal_accuracy, th.max_numeric_violations
    )
    return EvalOutcome(run, out_dir, missed)
