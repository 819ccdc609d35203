"""OpenAI-compatible chat: /v1/models and /v1/chat/completions (plain and ``stream: true``).

The last user message is the question, earlier user/assistant messages are the history. The answer's
citations are appended to the content as a numbered 来源 list and returned in an extra ``citations`` field.
Token counts in ``usage`` are characters (close to tokens for Chinese), not a tokenizer's count.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from ..answer.layout import citation_title, label, markdown, styled
from ..errors import BadInput, NotFound, PolicyAssistantError
from ..inert import markdown_inert
from ..models import Answer, Citation, Message
from ..service import PolicyService
from .deps import get_service
from .errors import error_body
from .schemas import ChatCompletionRequest
from .sse import SSE_HEADERS, first_and_rest, sse_event
from .task_prompts import task_reply, unwrap_query

router = APIRouter(tags=["openai"])
Service = Annotated[PolicyService, Depends(get_service)]

MODEL_ID = "policy-assistant"
SOURCES_HEADING = "来源："
QUOTE_CHARS = 160
_CREATED = int(time.time())


def sources_text(citations: list[Citation], answer: Answer) -> str:
    """The numbered 来源 list appended to a chat answer ("" without citations): titles and labels in the
    asker's script, each quote as the source writes it (原文)."""
    if not citations:
        return ""
    lines = ["", "", label(SOURCES_HEADING, answer)]
    for i, c in enumerate(citations, 1):
        path = " › ".join(c.section_path)
        page = f"（{c.where()}）" if c.page else ""
        quote = c.quote if len(c.quote) <= QUOTE_CHARS else c.quote[:QUOTE_CHARS] + "……"
        title = markdown_inert(citation_title(c, answer))
        # a Markdown list: each source an item, its quote a hard-broken line of the same item
        lines.append(f"- [{i}] {title} {markdown_inert(path)}{page}".rstrip() + "  ")
        lines.append(f"  {label('原文', answer)}：“{markdown_inert(quote)}”")
    return "\n".join(lines)


def chat_content(answer: Answer) -> str:
    """What the assistant message says: the answer, then its sources."""
    return markdown(answer, markdown_inert) + sources_text(answer.citations, answer)


def _check_request(body: ChatCompletionRequest) -> None:
    """Refuse what this service cannot honour, rather than ignore it silently."""
    if body.model and body.model != MODEL_ID:
        raise NotFound(f"model {body.model!r} not found; use {MODEL_ID!r} (GET /v1/models)",
                       f"没有模型 {body.model}，请使用 {MODEL_ID}")
    if body.n is not None and body.n > 1:
        raise BadInput("n > 1 is not supported: one answer per question", "不支持一次生成多个回答（n 须为 1）")
    if body.tools:
        raise BadInput("tools (function calling) are not supported", "不支持工具调用（tools）")
    kind = (body.response_format or {}).get("type", "text")
    if kind != "text":
        raise BadInput(f"response_format {kind!r} is not supported; answers are text with sources",
                       "不支持该输出格式（response_format），回答为带来源的文本")


def split_messages(body: ChatCompletionRequest) -> tuple[str, list[Message]]:
    """The question (last user message, unwrapped from a RAG template) and the history before it (sources
    lists stripped)."""
    last = max((i for i, m in enumerate(body.messages) if m.role == "user"), default=None)
    if last is None:
        raise BadInput("no user message in 'messages'", "messages 中没有用户提问（role 为 user 的消息）")
    history: list[Message] = []
    for m in body.messages[:last]:
        if m.role in ("user", "assistant"):
            text = re.split(r"\n\n(?:来源|來源)：\n", m.text(), maxsplit=1)[0]
            history.append(Message(role=m.role, content=text))  # type: ignore[arg-type]
    return unwrap_query(body.messages[last].text()), history


def _usage(body: ChatCompletionRequest, content: str) -> dict[str, int]:
    prompt = sum(len(m.text()) for m in body.messages)
    return {"prompt_tokens": prompt, "completion_tokens": len(content), "total_tokens": prompt + len(content)}


def _extra(answer: Answer) -> dict[str, Any]:
    return {
        "citations": [c.model_dump(mode="json") for c in answer.citations],
        "answered": answer.answered,
        "answer_mode": answer.mode,
    }


def _chore_response(body: ChatCompletionRequest, content: str, completion_id: str, created: int, model: str) -> Any:
    if not body.stream:
        return JSONResponse({
            "id": completion_id, "object": "chat.completion", "created": created, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": _usage(body, content),
        })

    async def events() -> AsyncIterator[str]:
        for delta, finish in (({"role": "assistant", "content": content}, None), ({}, "stop")):
            yield sse_event({"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
                             "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        yield sse_event("[DONE]")

    return StreamingResponse(events(), media_type="text/event-stream", headers=SSE_HEADERS)


@router.get("/models", summary="The one model this service offers (OpenAI format)")
async def list_models() -> dict[str, Any]:
    """``{"object": "list", "data": [{"id": "policy-assistant", ...}]}``."""
    return {"object": "list", "data": [_model_card()]}


@router.get("/models/{model_id}", summary="One model (OpenAI format)")
async def get_model(model_id: str) -> dict[str, Any]:
    """The model card; 404 for other names."""
    if model_id != MODEL_ID:
        raise NotFound(f"model {model_id!r} not found; use {MODEL_ID!r}", f"没有模型 {model_id}，请使用 {MODEL_ID}")
    return _model_card()


def _model_card() -> dict[str, Any]:
    return {"id": MODEL_ID, "object": "model", "created": _CREATED, "owned_by": "policy-assistant"}


@router.post(
    "/chat/completions",
    summary="OpenAI-compatible chat completion (set `stream: true` for SSE chunks)",
    responses={200: {"content": {"application/json": {}, "text/event-stream": {}}}},
)
async def chat_completions(body: ChatCompletionRequest, service: Service) -> Any:
    """Answer the last user message; works with the official ``openai`` client unchanged."""
    _check_request(body)
    question, history = split_messages(body)
    model = body.model or MODEL_ID
    limit = body.max_completion_tokens or body.max_tokens
    completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    chore = task_reply(question)
    if chore is not None:  # a client naming or tagging the chat: answered as asked, not as a policy question
        return _chore_response(body, chore, completion_id, created, model)
    if not body.stream:
        answer = await run_in_threadpool(service.ask, question, history)
        content = chat_content(answer)
        finish = "stop"
        if limit is not None and len(content) > limit:
            content, finish = content[:limit], "length"
        return JSONResponse({
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
            "usage": _usage(body, content),
            **_extra(answer),
        })

    first, rest = await first_and_rest(service.ask_stream(question, history))
    include_usage = bool((body.stream_options or {}).get("include_usage"))

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        return sse_event({
            "id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra,
        })

    async def events() -> AsyncIterator[str]:
        yield chunk({"role": "assistant", "content": ""})
        streamed: list[str] = []
        left = limit

        def take(text: str) -> str:
            nonlocal left
            if left is None:
                return text
            text, left = text[:left], max(0, left - len(text))
            return text

        try:
            pending = [first] if first is not None else []
            async for event in _chain(pending, rest):
                if event["type"] == "delta":
                    # document text, inert and laid out as in chat_content (the headline bold)
                    text = take(styled(event.get("part", "rest"), event["text"], markdown_inert))
                    if text:
                        streamed.append(text)
                        yield chunk({"content": text})
                elif event["type"] == "answer":
                    answer: Answer = event["answer"]
                    sources = take(sources_text(answer.citations, answer))
                    if sources:
                        streamed.append(sources)
                        yield chunk({"content": sources})
                    yield chunk({}, "length" if left == 0 else "stop", **_extra(answer))
        except PolicyAssistantError as exc:
            yield sse_event(error_body(exc))
        if include_usage:
            yield sse_event({"id": completion_id, "object": "chat.completion.chunk", "created": created,
                             "model": model, "choices": [], "usage": _usage(body, "".join(streamed))})
        yield sse_event("[DONE]")

    return StreamingResponse(events(), media_type="text/event-stream", headers=SSE_HEADERS)


async def _chain(first: list[dict[str, Any]], rest: AsyncIterator[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    for item in first:
        yield item
    async for item in rest:
        yield item
