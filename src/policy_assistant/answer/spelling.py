"""Fix pinyin-input typos in a question against the corpus wording (宅机地 → 宅基地, 禁鱼 → 禁渔).

Officials type with a pinyin IME, so the usual typo is a homophone: the right sound, the wrong
character. Only a word the segmenter does not know and the corpus never uses is corrected, and only
when swapping one character for a homophone gives a word the corpus does use. Everything else is
left as typed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache

from ..index.lexical import word_known, words
from .question import FUNCTION_CHARS

_HAN = re.compile(r"[\u4e00-\u9fff]")
_HAN_WORD = re.compile(r"[\u4e00-\u9fff]+")
_DETERMINERS = frozenset("哪几这那每一各某多")
_PLACE_END = re.compile(r"[区县市镇乡村省州]$")
MAX_SPAN = 6  # longest corpus phrase looked for around a character
CORPUS_WORD_USES = 3  # a span the corpus uses this often counts as a word even if jieba does not know it
PHRASE = 4  # a run this long that one homophone swap makes a corpus phrase is taken as a typo


@lru_cache(maxsize=65536)
def readings(ch: str) -> tuple[str, ...]:
    """Toneless pinyin readings of one character (all of them for heteronyms such as 长)."""
    from pypinyin import Style, pinyin

    found = pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore")
    return tuple(found[0]) if found else ()  # a character pypinyin has no reading for: none


class Speller:
    """Homophone correction of questions against one corpus text (normalised, Simplified)."""

    def __init__(self, corpus_text: str, vocabulary: frozenset[str] = frozenset()) -> None:
        self._text = corpus_text
        self._vocabulary = vocabulary  # the library's own words (its lexical index's tokens)
        self._bigrams: set[str] = set()
        self._by_reading: dict[str, set[str]] = defaultdict(set)
        chars: set[str] = set()
        for run in re.findall(r"[\u4e00-\u9fff]+", corpus_text):
            chars.update(run)
            self._bigrams.update(run[i:i + 2] for i in range(len(run) - 1))
        for ch in chars:
            for r in readings(ch):
                self._by_reading[r].add(ch)

    def correct(self, text: str) -> tuple[str, list[tuple[str, str]]]:
        """The question with homophone typos fixed, and the fixes as (typed word, corrected word).

        Only words the segmenter does not know (禁鱼, 宅机, 处里) are candidates; known words, function
        words and place names (临平区) are left alone. A fix swaps one character for a homophone so that
        the word occurs in the corpus; the corpus phrase around it decides between several homophones.
        """
        chars = list(text)
        fixes: list[tuple[str, str]] = []
        pos = 0
        for word in words(text):
            start, pos = pos, pos + len(word)
            if (len(word) < 2 or not _HAN_WORD.fullmatch(word) or word_known(word) or _PLACE_END.search(word)
                    or word in self._text):
                continue
            if len(word) == 2 and word[0] in FUNCTION_CHARS and word_known(word[1]):
                continue  # 会|罚 glued by jieba: a function character and the verb asked about, no typo (not 会发)
            best = self._best_fix(chars, start, pos)
            if best is None and pos - start >= 3:
                # jieba's HMM glued a typo to its neighbour ("电架算"): try the two-character spans
                spans = [(a, a + 2) for a in range(start, pos - 1)]
                found = [(f, a, b) for a, b in spans if (f := self._best_fix(chars, a, b, known=True)) is not None]
                if found:
                    best, start, pos = max(found, key=lambda x: x[0][0])
            if best is not None:
                chars[best[1]] = best[2]
                fixes.append((word, "".join(chars[start:pos])))
        self._fix_phrases(chars, fixes)
        return "".join(chars), fixes

    def _best_fix(self, chars: list[str], start: int, pos: int, known: bool = False) -> tuple[int, int, str] | None:
        """The homophone swap that turns ``chars[start:pos]`` into a corpus word: (cover, index, character).

        ``known``: the result must also be in jieba's dictionary (a piece such as 障制 of 保障制度 is not).
        """
        best: tuple[int, int, str] | None = None
        for i in range(start, pos):
            ch = chars[i]
            if (start == i and self._pairs_used(chars, i - 1)) or (i == pos - 1 and self._pairs_used(chars, i)):
                continue  # 占|比要: the character belongs to the word beside it, the cut is jieba's
            for cand in self._homophones(ch, chars, i):
                chars[i] = cand
                fixed = "".join(chars[start:pos])
                if fixed in self._text and self._is_word(chars, start, pos) and (not known or word_known(fixed)):
                    cover = self._cover(chars, i)
                    if best is None or cover > best[0]:
                        best = (cover, i, cand)
            chars[i] = ch
        return best

    def _fix_phrases(self, chars: list[str], fixes: list[tuple[str, str]]) -> None:
        """A typo inside a word the segmenter does know (清联村居 cut as 清/联村/居): a run of
        ``PHRASE`` Han characters the corpus never uses that one homophone swap turns into one it does."""
        i = 0
        while i + PHRASE <= len(chars):
            window = "".join(chars[i:i + PHRASE])
            if not _HAN_WORD.fullmatch(window) or window in self._text:
                i += 1
                continue
            found = None
            for j in range(i, i + PHRASE):
                ch = chars[j]
                if j > 0 and chars[j - 1] in _DETERMINERS and self._pairs_known(chars, j - 1):
                    continue  # 哪个|部门: the measure word of a determiner is no typo
                for cand in self._homophones(ch, chars, j):
                    chars[j] = cand
                    joins = (j > i and self._pairs_word(chars, j - 1, ch)) or (j < i + PHRASE - 1 and self._pairs_word(chars, j, ch))
                    if joins and "".join(chars[i:i + PHRASE]) in self._text:
                        found = (j, cand)
                        break
                chars[j] = ch
                if found:
                    break
            if found:
                chars[found[0]] = found[1]
                fixes.append((window, "".join(chars[i:i + PHRASE])))
                i += PHRASE
            else:
                i += 1

    def _pairs_used(self, chars: list[str], i: int) -> bool:
        """True when characters ``i`` and ``i + 1`` form a known word or a pair the corpus uses (占比)."""
        return self._pairs_known(chars, i) or 0 <= i < len(chars) - 1 and chars[i] + chars[i + 1] in self._bigrams

    def _pairs_word(self, chars: list[str], i: int, typed: str) -> bool:
        """True when characters ``i`` and ``i + 1`` form a word jieba knows, or one of the library's own words
        (运维: a token of its index, used ``CORPUS_WORD_USES`` times or more) where the pair as typed never
        occurs in the library (运为; not 活污 of 生活污水, nor 立乡 of 建立乡村, which is no word)."""
        if self._pairs_known(chars, i):
            return True
        if not 0 <= i < len(chars) - 1:
            return False
        pair = chars[i] + chars[i + 1]
        if pair not in self._vocabulary or self._text.count(pair) < CORPUS_WORD_USES:
            return False
        as_typed = [*chars]
        swapped = i if as_typed[i] != typed and _HAN.match(typed) else i + 1
        as_typed[swapped] = typed
        return as_typed[i] + as_typed[i + 1] not in self._bigrams

    @staticmethod
    def _pairs_known(chars: list[str], i: int) -> bool:
        """True when characters ``i`` and ``i + 1`` form a word jieba knows."""
        return 0 <= i < len(chars) - 1 and word_known(chars[i] + chars[i + 1])

    def _is_word(self, chars: list[str], start: int, end: int) -> bool:
        """The corrected span is a word, alone or with a neighbour (宅基 + 地), not a chance substring (其要)."""
        word = "".join(chars[start:end])
        before = chars[start - 1] if start > 0 else ""
        after = chars[end] if end < len(chars) else ""
        if self._text.count(word) >= CORPUS_WORD_USES:  # 运维: the corpus's own vocabulary
            return True
        return any(word_known(w) for w in (word, before + word, word + after, before + word + after) if len(w) >= 2)

    def _homophones(self, ch: str, chars: list[str], i: int) -> list[str]:
        """Corpus characters that sound like ``ch`` and form a corpus bigram with a neighbour."""
        left = chars[i - 1] if i > 0 else ""
        right = chars[i + 1] if i + 1 < len(chars) else ""
        out: set[str] = set()
        for r in readings(ch):
            for cand in self._by_reading.get(r, ()):
                # a fix gives content, never a pronoun or determiner: 挪个 (move) is not 那个
                if cand != ch and cand not in _DETERMINERS and (left + cand in self._bigrams or cand + right in self._bigrams):
                    out.add(cand)
        return sorted(out)

    def _cover(self, chars: list[str], i: int) -> int:  # ranks competing homophones
        """Length of the longest corpus phrase (Han characters only) that contains position ``i``."""
        a, b = self._span(chars, i, chars[i])
        return b - a

    def _span(self, chars: list[str], i: int, ch: str) -> tuple[int, int]:
        best = (i, i + 1)
        lo = i
        while lo > 0 and i - lo + 1 < MAX_SPAN and _HAN.match(chars[lo - 1]):
            lo -= 1
        hi = i + 1
        while hi < len(chars) and hi - i < MAX_SPAN and _HAN.match(chars[hi]):
            hi += 1
        word = chars[lo:hi]
        word[i - lo] = ch
        for a in range(lo, i + 1):
            for b in range(hi, i + 1, -1):
                if b - a <= best[1] - best[0] or b - a > MAX_SPAN:
                    continue
                phrase = "".join(word[a - lo:b - lo])
                if all(phrase[k:k + 2] in self._bigrams for k in range(len(phrase) - 1)) and phrase in self._text:
                    best = (a, b)
                    break
        return best


# "千万工程是那年开始实施的": 那 typed for 哪. Only when nothing else in the sentence asks.
_NA_FOR_NA = re.compile(r"那(?=一?年|一?天|个(?:部门|单位|机构|局|月|时候|地方|文件|条|章|部分)|些|里|儿|几|家|级|条|项|种|位|一(?:条|项|级|个|部分|天|年))")
_ASKS = re.compile(r"[?？吗呢吧]|多少|几|什么|啥|哪|谁|怎|如何|是否|有没有|是不是|能不能|可不可以|要不要")


# "要法多少": 罚 typed as its homophone 法 in the asking phrase (not in 本法, 违法, 办法)
_FA_FOR_FA = re.compile(r"(?<![本该此部进例办立执违守普宪用方说做合非司国刑民])法(?=多少|款|几|了?多少|金|钱|得|的?钱)")


def frame_typos(text: str) -> str:
    """Homophone slips in how a question asks, which the corpus-driven speller cannot see: 法多少 → 罚多少."""
    return _FA_FOR_FA.sub("罚", text)


def interrogative_typos(text: str) -> tuple[str, list[tuple[str, str]]]:
    """A question whose only question word is 那 typed for 哪 (那年, 那个部门), fixed.

    Used only for a question that opens a conversation: in a follow-up "那个部门…" points back.
    """
    if _ASKS.search(text):
        return text, []
    m = _NA_FOR_NA.search(text)
    if m is None:
        return text, []
    fixed = text[:m.start()] + "哪" + text[m.end():]
    return fixed, [(text[m.start():m.start() + 3], fixed[m.start():m.start() + 3])]
