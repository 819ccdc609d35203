"""Building blocks of an answer: citations, quotes, script conversion, section paths for display."""

from __future__ import annotations

from ..ingest.normalise import detect_script, normalise_line, to_simplified, to_traditional
from ..models import Answer, Chunk, Citation, Owner, Target

QUOTE_MAX = 300


def display(text: str, script: str) -> str:
    """Text in the asker's script (figures are untouched by the conversion)."""
    return to_traditional(text) if script == "traditional" else to_simplified(text)


def path_text(section_path: list[str], script: str) -> str:
    """"二、总体目标" / "三、… › （三）… › 3.…" in the asker's script."""
    return " › ".join(display(normalise_line(h), script) for h in section_path) or "正文"


class Citations:
    """Numbered, de-duplicated citations; ``add`` returns the [n] marker of a source."""

    def __init__(self, script: str) -> None:
        self.script = script
        self.items: list[Citation] = []
        self._index: dict[tuple[str, str], int] = {}

    def add(self, chunk: Chunk | None, quote: str, score: float = 0.0, *, doc_id: str = "", title: str = "",
            section_path: list[str] | None = None, page: int | None = None) -> int:
        if chunk is not None:
            doc_id, title, section_path, page = chunk.doc_id, chunk.doc_title, chunk.section_path, chunk.page
        quote = quote.strip()
        if len(quote) > QUOTE_MAX:
            quote = quote[:QUOTE_MAX] + "……"
        key = (doc_id, quote)
        if key in self._index:
            return self._index[key]
        self.items.append(Citation(
            doc_id=doc_id, title=title,
            section_path=[display(normalise_line(h), self.script) for h in (section_path or [])],
            page=page, quote=quote, score=round(score, 4), chunk_id=chunk.chunk_id if chunk else None,
            ocr=chunk.ocr if chunk else None,
        ))
        self._index[key] = len(self.items)
        return len(self.items)

    def add_target(self, target: Target, chunk: Chunk | None, score: float = 0.0) -> int:
        quote = target.sentence
        if target.scope_sentence and target.scope_sentence != target.sentence:
            quote = f"{target.scope_sentence}……{target.sentence}"
        return self.add(chunk, quote, score, doc_id=target.doc_id, title=target.doc_title,
                        section_path=target.section_path, page=target.page)

    def add_owner(self, owner: Owner, chunk: Chunk | None, score: float = 0.0) -> int:
        return self.add(chunk, owner.sentence, score, doc_id=owner.doc_id, title=owner.doc_title,
                        section_path=owner.section_path, page=owner.page)


def reading_note(answer: Answer) -> str:
    """"按“宅基地盘活是谁负责”理解：" when the question was answered as corrected or read in context, else ""."""
    if not answer.resolved_question or answer.resolved_question == answer.question:
        return ""
    return f"按“{display(answer.resolved_question, detect_script(answer.question))}”理解：\n"


def refusal(question: str, script: str, message: str, citations: Citations | None = None, kind: str = "general",
            resolved: str | None = None, *, rule: str) -> Answer:
    """An honest "the documents do not say" answer; ``rule`` is the stable id of the rule that refused."""
    return Answer(
        question=question, answer=display(message, script), answered=False,
        citations=citations.items if citations else [], kind=kind, resolved_question=resolved, reason=rule,
    )


def miss(question: str, kind: str, rule: str) -> Answer:
    """No answer from this handler (the caller may try another): carries the id of the rule that missed."""
    return Answer(question=question, answer="", answered=False, kind=kind, reason=rule)


def short_title(title: str, script: str) -> str:
    return "《" + display(normalise_line(title), script).strip("《》") + "》"
