"""Optional LLM mode: an OpenAI-compatible chat model (vLLM, Ollama, Xinference, DashScope) writes the
answer from the same evidence as the extractive answer; a numeric check then makes sure every figure
it states appears in a cited source, and falls back to the extractive answer when one does not."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import MissingDependency
from ..models import Answer, Citation, Message
from .verify import unsupported_figures

log = logging.getLogger(__name__)
_MARKER = re.compile(r"\[(\d+)\]")


def create_chat_model(settings: Settings) -> Any:
    """LangChain's OpenAI-compatible chat model for the configured endpoint."""
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:  # pragma: no cover - it is a core dependency
        raise MissingDependency("langchain-openai is not installed; pip install langchain-openai",
                                "未安装 langchain-openai：pip install langchain-openai") from exc
    return ChatOpenAI(
        base_url=settings.llm_base_url, model=settings.llm_model or "", api_key=settings.llm_api_key or "EMPTY",  # type: ignore[arg-type]
        temperature=settings.llm_temperature, timeout=settings.llm_timeout_s, max_retries=1,
    )


def _template(settings: Settings, name: str) -> str:
    path = Path(settings.prompts_dir) / name
    if path.exists():
        return path.read_text(encoding="utf-8")
    # packaged copy next to the repo root, for installs run from elsewhere
    fallback = Path(__file__).resolve().parents[3] / "prompts" / name
    return fallback.read_text(encoding="utf-8")


def build_messages(settings: Settings, question: str, history: list[Message], draft: Answer) -> list[tuple[str, str]]:
    """The chat messages: system rules, then the numbered sources, the extractive draft and the question."""
    sources = "\n".join(
        f"[{i}] 《{c.title}》{' › '.join(c.section_path)}：{c.quote}" for i, c in enumerate(draft.citations, 1)
    )
    turns = "\n".join(f"{'用户' if m.role == 'user' else '助手'}：{m.content}" for m in history[-6:]) or "（无）"
    user = _template(settings, "answer_user.md").format(
        sources=sources or "（无）", draft=draft.answer, history=turns, question=draft.resolved_question or question
    )
    return [("system", _template(settings, "answer_system.md")), ("human", user)]


def check(text: str, citations: list[Citation]) -> tuple[bool, set[str]]:
    """Whether an LLM answer is grounded: cites only existing sources and states no unsupported figure."""
    cited = {int(n) for n in _MARKER.findall(text)}
    if any(n < 1 or n > len(citations) for n in cited):
        return False, {f"[{n}]" for n in cited if n < 1 or n > len(citations)}
    used = [citations[n - 1] for n in sorted(cited)] or citations
    missing = unsupported_figures(text, used)
    return not missing, missing


def llm_answer(settings: Settings, question: str, history: list[Message], draft: Answer, model: Any = None) -> Answer:
    """Ask the LLM; return its answer when it passes the check, else the extractive ``draft``."""
    try:
        chat = model or create_chat_model(settings)
        reply = chat.invoke(build_messages(settings, question, history, draft))
        text = str(getattr(reply, "content", reply)).strip()
    except Exception as exc:  # noqa: BLE001 - any endpoint failure falls back to the grounded answer
        log.warning("LLM call failed, using the extractive answer: %s", exc)
        return draft
    return _accept(text, draft)


def llm_answer_stream(settings: Settings, question: str, history: list[Message], draft: Answer,
                      model: Any = None) -> Iterator[dict[str, Any]]:
    """Stream LLM tokens; the final event carries the checked answer (the draft when the check fails).

    Tokens are buffered until the check passes at the end, so an ungrounded figure is never shown:
    the deltas are released only for an accepted answer, otherwise the draft's text is streamed.
    """
    pieces: list[str] = []
    try:
        chat = model or create_chat_model(settings)
        for chunk in chat.stream(build_messages(settings, question, history, draft)):
            piece = str(getattr(chunk, "content", chunk))
            if piece:
                pieces.append(piece)
    except Exception as exc:  # noqa: BLE001
        log.warning("LLM stream failed, using the extractive answer: %s", exc)
        pieces = []
    final = _accept("".join(pieces).strip(), draft) if pieces else draft
    text = final.answer
    for part in re.split(r"(?<=[。；\n])", text) if final is draft else pieces:
        if part:
            yield {"type": "delta", "text": part}
    yield {"type": "answer", "answer": final}


def _accept(text: str, draft: Answer) -> Answer:
    ok, missing = check(text, draft.citations) if text else (False, set())
    if not ok:
        log.warning("LLM answer rejected (unsupported: %s); falling back to the extractive answer", sorted(missing))
        return draft
    return draft.model_copy(update={"answer": text, "mode": "llm"})
