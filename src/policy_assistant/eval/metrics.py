"""Pure scoring functions of the evaluation: fact matching, section matching, rank metrics, summaries."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np

from ..ingest.normalise import normalise_query
from ..models import Section

_CN = "零〇一二两三四五六七八九十百千"
# outline labels at the start of a normalised (half-width, Simplified) heading or line
_LABELS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"^第\s*([{_CN}]+)\s*([章节条])"), "第{0}{1}"),
    (re.compile(rf"^\(\s*([{_CN}]{{1,4}})\s*\)"), "({0})"),
    (re.compile(r"^\(\s*(\d{1,2})\s*\)"), "({0})"),
    (re.compile(rf"^([{_CN}]{{1,3}})\s*[、.]"), "{0}"),
    (re.compile(r"^(\d{1,2})\s*[.、](?!\d)"), "{0}"),
]
_ARTICLE = re.compile(rf"^第[{_CN}]+条$")


# ----- text ------------------------------------------------------------------------------
def normalise_for_match(text: str) -> str:
    """The checker's view of a text: Simplified, half-width (NFKC), one line, tidy spaces."""
    return unicodedata.normalize("NFKC", normalise_query(text))


def missing_fact_groups(text: str, groups: Sequence[Sequence[str]]) -> list[list[str]]:
    """The fact groups of which no alternative occurs in ``text`` (both sides normalised).

    Args:
        text: an answer or a passage, any script or width.
        groups: expected facts; a group is satisfied by any one of its alternatives.
    Returns:
        The unsatisfied groups, in order; empty when every group is found.
    """
    norm = normalise_for_match(text)
    return [list(g) for g in groups if not any(normalise_for_match(alt) in norm for alt in g)]


# a fact group that is a statement of absence: the row expects the answer to say the documents do not name it
ABSENCE_WORDS = ("未明确", "没有明确", "未指定", "没有指定", "未写明", "没有写明", "未列明", "没有列明", "未规定", "没有规定")


def expects_absence(groups: Sequence[Sequence[str]]) -> bool:
    """True when one expected fact is "the documents do not say" ("未明确", "没有明确"…): such a row is
    answered by a statement of absence, which the engine marks ``answered=False`` with what the documents do say."""
    return any(any(w in alt for w in ABSENCE_WORDS for alt in g) for g in groups)


def facts_found(text: str, groups: Sequence[Sequence[str]]) -> bool:
    """True when every fact group has an alternative in ``text`` (False for no groups)."""
    return bool(groups) and not missing_fact_groups(text, groups)


# ----- sections --------------------------------------------------------------------------
def heading_label(heading: str) -> str:
    """The outline label a heading or line starts with, normalised: 三、… → 三, （三）… → (三),
    3.… → 3, 第十条… → 第十条; "" when it starts with none."""
    norm = normalise_for_match(heading)
    for pattern, fmt in _LABELS:
        m = pattern.match(norm)
        if m:
            return fmt.format(*m.groups())
    return ""


def parse_section_path(path: str) -> list[str]:
    """Labels of an expected section path: "三/（三）/3" → ["三", "(三)", "3"]."""
    return [normalise_for_match(p).replace(" ", "") for p in path.split("/") if p.strip()]


def section_matches(chunk_labels: Sequence[str], chunk_norm_text: str, expected: Sequence[str]) -> bool:
    """Whether a chunk lies in the expected section, comparing outline labels only.

    A chunk matches when its label path starts with the expected one (the section itself or a
    subsection of it); when the expected path holds an article (第X条), from that article on (a law
    question may name the article without its chapter); or when the chunk belongs to an enclosing
    section that absorbed the expected one (the chunker keeps a short section with its parent), which
    shows as a line of the chunk starting with the next expected label.

    Args:
        chunk_labels: labels of the chunk's heading path (see :func:`heading_label`).
        chunk_norm_text: the chunk's normalised text.
        expected: labels of the expected path (see :func:`parse_section_path`).
    """
    labels, exp = list(chunk_labels), list(expected)
    if not exp:
        return False
    if _starts_with(labels, exp):
        return True
    art = next((i for i, lab in enumerate(exp) if _ARTICLE.match(lab)), None)
    if art is not None:
        at = [j for j, lab in enumerate(labels) if lab == exp[art]]
        if at and _starts_with(labels[at[0] :], exp[art:]):
            return True
    if len(labels) < len(exp) and _starts_with(exp, labels):
        nxt = exp[len(labels)]
        return any(heading_label(line) == nxt for line in chunk_norm_text.split("\n"))
    return False


def _starts_with(seq: Sequence[str], prefix: Sequence[str]) -> bool:
    return len(seq) >= len(prefix) and list(seq[: len(prefix)]) == list(prefix)


def find_sections(root: Section, expected: Sequence[str]) -> list[Section]:
    """Outline sections named by an expected label path (an article alone matches in any chapter).

    Returns:
        The matching sections; empty when the path names nothing in this outline.
    """
    if not expected:
        return []
    level = [root]
    for label in expected:
        level = [c for s in level for c in s.children if heading_label(c.heading or c.label) == label]
        if not level:
            break
    if level:
        return level
    last = expected[-1]
    if _ARTICLE.match(last):
        return [s for s in root.walk() if s.kind == "article" and heading_label(s.label) == last]
    return []


def span_hit(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    """Whether a passage [start, end) lies in one of the section spans: their overlap must cover at
    least half of the shorter of the two (a passage mostly inside the section, or a short section
    wholly inside the passage)."""
    for s, e in spans:
        overlap = min(end, e) - max(start, s)
        if overlap > 0 and overlap >= 0.5 * min(end - start, e - s):
            return True
    return False


# ----- ranks and rates -------------------------------------------------------------------
def first_rank(flags: Sequence[bool]) -> int | None:
    """1-based rank of the first relevant result, or None when none is."""
    return next((i for i, f in enumerate(flags, start=1) if f), None)


def hit_at(rank: int | None, k: int) -> bool:
    """Whether the first relevant result is within the top ``k``."""
    return rank is not None and rank <= k


def reciprocal_rank(rank: int | None) -> float:
    """1/rank of the first relevant result, 0 when none was retrieved."""
    return 1.0 / rank if rank else 0.0


def rate(values: Iterable[bool | float | None]) -> float | None:
    """Mean of the values that apply (None skipped); None when none applies."""
    kept = [float(v) for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100, linear interpolation); None for no values."""
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else None


def ratio(ours: float | None, baseline: float | None) -> float | None:
    """ours / baseline; None when either is missing or the baseline is 0."""
    if ours is None or not baseline:
        return None
    return ours / baseline


def missed_thresholds(
    summary: dict[str, float | int | None],
    min_fact_accuracy: float | None = None,
    min_hit5: float | None = None,
    min_refusal_accuracy: float | None = None,
    max_numeric_violations: int | None = None,
) -> list[str]:
    """The thresholds a run missed, as readable lines (a metric that could not be measured misses).

    Args:
        summary: needs ``fact_accuracy``, ``hit@5``, ``refusal_accuracy``, ``numeric_violations``.
    """
    missed: list[str] = []
    for key, bound in (("fact_accuracy", min_fact_accuracy), ("hit@5", min_hit5), ("refusal_accuracy", min_refusal_accuracy)):
        if bound is None:
            continue
        value = summary.get(key)
        if value is None or value < bound:
            missed.append(f"{key} {_fmt(value)} < {bound}")
    if max_numeric_violations is not None:
        value = summary.get("numeric_violations")
        if value is None or value > max_numeric_violations:
            missed.append(f"numeric_violations {_fmt(value)} > {max_numeric_violations}")
    return missed


def _fmt(value: float | int | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" if isinstance(value, float) else str(value)
