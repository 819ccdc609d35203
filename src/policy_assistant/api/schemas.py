"""Request bodies of the REST API (responses reuse the core's models: ``Answer``, ``Target``...)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..models import Message


class AskRequest(BaseModel):
    """Body of ``POST /v1/ask`` and ``POST /v1/ask/stream``."""

    question: str = Field(description="The question, Simplified or Traditional Chinese.")
    history: list[Message] = Field(default_factory=list, description="Earlier turns, oldest first, for follow-ups.")
    top_k: int | None = Field(None, ge=1, le=50, description="Passages retrieved (default PA_TOP_K).")
    explain: bool = Field(False, description="Return the pipeline's trace: `trace: [{stage, rule, detail}]`.")


class ChatMessage(BaseModel):
    """An OpenAI chat message; ``content`` is text or a list of parts (only text parts are read)."""

    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        """The message's text, parts joined."""
        if isinstance(self.content, str):
            return self.content
        if not self.content:
            return ""
        return "".join(str(p.get("text", "")) for p in self.content if p.get("type") in ("text", "input_text"))


class ChatCompletionRequest(BaseModel):
    """Body of ``POST /v1/chat/completions``; sampling options are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str | None = Field(None, description="`policy-assistant` (see /v1/models); omitted means the same.")
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    max_tokens: int | None = Field(None, ge=1, description="Cut the content at this many tokens (characters); finish_reason `length`.")
    max_completion_tokens: int | None = Field(None, ge=1, description="The newer name of `max_tokens`.")
    n: int | None = Field(None, ge=1, description="Only 1 is supported.")
    tools: list[Any] | None = Field(None, description="Not supported: a non-empty list is refused (400).")
    response_format: dict[str, Any] | None = Field(None, description="Only `{\"type\": \"text\"}` is supported.")
