"""Text normalisation: the indexed copy is Simplified, half-width, tidy; the original is kept for display.

Normalisation is line-preserving (a line of the original is a line of the normalised copy), so the
outline found on normalised lines maps back to the original by line number.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal

import opencc

# Lines that are web-page furniture, not document content ("分享:", print/close buttons, markers).
_ARTEFACT_LINE = re.compile(
    r"^\s*(?:分享|分享到|打印|打印本页|关闭|关闭窗口|【?字体[:：]?\s*大\s*中\s*小】?|扫一扫|返回顶部|"
    r"<!--.*?-->|责任编辑[:：].*|来源[:：]\s*$)\s*[:：]?\s*$"
)
_SPACES = re.compile(r"[ \t\u00a0\u2002\u2003\u2009\u200b\ufeff]+")
# A space between two CJK characters is layout noise (full-width space used as separator excepted
# in titles, which we keep as one ASCII space).
_CJK = "\u3400-\u9fff\uf900-\ufaff"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


def to_simplified(text: str) -> str:
    """Traditional → Simplified Chinese (opencc t2s); Simplified text is left unchanged."""
    return str(_t2s().convert(text))


@lru_cache(maxsize=1)
def _proper_nouns() -> re.Pattern[str] | None:
    from importlib import resources

    raw = resources.files("policy_assistant").joinpath("resources/proper_nouns.txt").read_text(encoding="utf-8")
    names = [w.strip() for w in raw.splitlines() if w.strip() and not w.startswith("#")]
    return re.compile("|".join(sorted(map(re.escape, names), key=len, reverse=True))) if names else None


def to_traditional(text: str) -> str:
    """Simplified → Traditional Chinese (opencc s2t), for answering a Traditional question.

    Proper nouns of ``resources/proper_nouns.txt`` keep their characters (余杭 stays 余杭, not 餘杭).
    """
    names = _proper_nouns()
    if names is None or not names.search(text):
        return str(_s2t().convert(text))
    out: list[str] = []
    last = 0
    for m in names.finditer(text):
        out.append(str(_s2t().convert(text[last:m.start()])))
        out.append(m.group(0))
        last = m.end()
    out.append(str(_s2t().convert(text[last:])))
    return "".join(out)


# full-width ASCII (U+FF01..U+FF5E) sits 0xFEE0 above its half-width twin; U+3000 is the ideographic space
_HALFWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: ord(" ")}
NORMALISED_LINES_CACHED = 65536  # lines of the corpus and of recent answers; each is a few hundred bytes


def to_halfwidth(text: str) -> str:
    """Full-width ASCII (digits, letters, punctuation) and the ideographic space to half-width."""
    return text.translate(_HALFWIDTH)


@lru_cache(maxsize=NORMALISED_LINES_CACHED)
def normalise_line(line: str) -> str:
    """Normalise one line: NFC, half-width, Simplified, spaces tidied (no newline changes).

    Memoised: answering normalises the same corpus sentences and headings again for every question.
    """
    line = unicodedata.normalize("NFC", line)
    line = to_halfwidth(line)
    line = to_simplified(line)
    # unify dashes and quotes that vary between sources
    line = line.replace("—", "-").replace("–", "-").replace("－", "-")
    line = _SPACES.sub(" ", line)
    line = _CJK_GAP.sub("", line)
    return line.strip()


def normalise(text: str) -> str:
    """Normalise a text for indexing and matching, keeping one output line per input line."""
    return "\n".join(normalise_line(line) for line in text.split("\n"))


def normalise_query(text: str) -> str:
    """Normalise a user question exactly like the corpus (newlines folded)."""
    return normalise_line(text.replace("\n", " "))


def is_artefact(line: str) -> bool:
    """True for a line that is web-page furniture ("分享:", "打印本页", HTML comments)."""
    return bool(_ARTEFACT_LINE.match(line))


def detect_script(text: str) -> Literal["traditional", "simplified"]:
    """Whether a text is written in Traditional or Simplified characters.

    Counts CJK characters that opencc t2s would change; a few percent means Traditional, since a
    Simplified text changes almost nowhere (only rare variant characters).
    """
    sample = "".join(ch for ch in text[:20000] if "\u4e00" <= ch <= "\u9fff")
    if not sample:
        return "simplified"
    converted = to_simplified(sample)
    changed = sum(1 for a, b in zip(sample, converted, strict=False) if a != b)
    return "traditional" if changed / len(sample) > 0.03 else "simplified"


def clean_text(text: str) -> str:
    """Tidy the original text for display: newlines unified, artefact lines and trailing spaces dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    lines = [line.rstrip() for line in text.split("\n")]
    # drop artefacts only at the edges and as whole lines: never inside a sentence
    lines = ["" if is_artefact(line) else line for line in lines]
    return "\n".join(lines).strip("\n")
