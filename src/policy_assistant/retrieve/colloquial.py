"""Spoken words → document wording ("盖房子" → 建房/房屋, "脏水" → 污水).

Officials ask the way they talk; the documents say 新建、改建、扩建房屋 where the question says 盖房子.
A small lexicon (``resources/colloquial.txt``, plus an optional deployment file) maps the spoken word
to the forms documents use. The retriever appends those forms to the query; the answer engine lets a
clause match a topic term through any of them. Only forms the corpus actually uses are added.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..index.lexical import ALT, tokenize


def parse(text: str) -> dict[str, tuple[str, ...]]:
    """Entries of a lexicon file: ``spoken form form …`` a line, ``#`` comments."""
    out: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        parts = line.split()
        if len(parts) >= 2:
            forms = tuple(f for f in parts[1:] if f != parts[0])
            out[parts[0]] = tuple(dict.fromkeys((*out.get(parts[0], ()), *forms)))
    return out


@lru_cache(maxsize=8)
def load(extra: Path | None = None) -> dict[str, tuple[str, ...]]:
    """The packaged lexicon, with a deployment's own entries (``PA_COLLOQUIAL_FILE``) merged in."""
    packaged = resources.files("policy_assistant") / "resources" / "colloquial.txt"
    entries = parse(packaged.read_text(encoding="utf-8"))
    if extra is not None:
        for word, forms in parse(extra.read_text(encoding="utf-8")).items():
            entries[word] = tuple(dict.fromkeys((*entries.get(word, ()), *forms)))
    return entries


class Colloquial:
    """The lexicon, restricted to document forms a corpus uses."""

    def __init__(self, entries: dict[str, tuple[str, ...]], in_corpus: Callable[[str], bool]) -> None:
        self._forms: dict[str, tuple[str, ...]] = {}
        for word, forms in entries.items():
            used = tuple(f for f in forms if in_corpus(f))
            if used:
                self._forms[word] = used
        self._by_length = sorted(self._forms, key=len, reverse=True)

    def spoken(self, norm: str) -> list[str]:
        """Spoken words in a normalised text, longest first, not overlapping. A one-character word
        (路, 修) counts only when the segmenter cuts it alone, never inside 宅基地 or 修订."""
        tokens = set(tokenize(norm))
        found: list[str] = []
        taken = norm
        for word in self._by_length:
            if len(word) == 1 and word not in tokens or word not in taken:
                continue
            found.append(word)
            taken = taken.replace(word, " ")
        return found

    def expand_query(self, norm: str) -> str:
        """The query with the document forms of its spoken words appended."""
        extra: list[str] = []
        for word in self.spoken(norm):
            extra += [f for f in self._forms[word] if f not in norm and f not in extra]
        return norm + (" " + " ".join(extra) if extra else "")

    def expand_terms(self, terms: list[str], norm: str = "") -> list[str]:
        """Topic terms with the document forms of the spoken words in them as alternatives.

        A one-character spoken word of ``norm`` ("偷") is never a topic term by itself; with document
        forms it becomes one ("偷|盗窃").
        """
        single = [ALT.join((w, *self._forms[w])) for w in self.spoken(norm) if len(w) == 1]
        out = []
        for term in terms:
            first = term.split(ALT, 1)[0]
            forms = [f for w in self.spoken(first) for f in self._forms[w]]
            known = term.split(ALT)
            extra = [f for f in dict.fromkeys(forms) if f not in known]
            out.append(ALT.join([*known, *extra]) if extra else term)
        expanded = [t.split(ALT, 1)[0] for t, old in zip(out, terms, strict=True) if t != old]
        # the pieces jieba also cut from an expanded word (托儿 of 托儿所) would count against it
        return [t for t in out if not any(t != e and t in e for e in expanded)] + single
