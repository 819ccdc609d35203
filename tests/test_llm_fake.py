"""LLM mode with a scripted FAKE chat model (no endpoint): prompt assembly, citation check, fallback."""

from __future__ import annotations

from typing import Any

from policy_assistant.answer.llm import build_messages, check, llm_answer, llm_answer_stream
from policy_assistant.config import Settings
from policy_assistant.models import Answer, Citation, Message


class FakeChatModel:
    """A scripted stand-in for an OpenAI-compatible chat model: returns queued replies, records prompts."""

    def __init__(self, replies: list[str]) -> None:
        self.replies = list(replies)
        self.prompts: list[Any] = []

    def invoke(self, messages: Any) -> Any:
        self.prompts.append(messages)
        return type("Reply", (), {"content": self.replies.pop(0)})()

    def stream(self, messages: Any) -> Any:
        self.prompts.append(messages)
        text = self.replies.pop(0)
        for i in range(0, len(text), 4):
            yield type("Chunk", (), {"content": text[i:i + 4]})()


def _settings() -> Settings:
    return Settings(llm_base_url="http://127.0.0.1:9/v1", llm_model="fake", _env_file=None)  # type: ignore[call-arg]


def _draft() -> Answer:
    return Answer(
        question="2025年农村居民人均可支配收入目标?",
        answer="到2025年，农村居民人均可支配收入达到5.7万元[1]。",
        answered=True,
        citations=[Citation(doc_id="plan", title="实施方案", section_path=["二、总体目标"],
                            quote="到2025年,農村居民人均可支配收入達到5.7萬元。")],
    )


def test_fake_model_prompt_contains_sources_draft_and_history() -> None:
    fake = FakeChatModel(["到2025年，目标是5.7万元[1]。"])
    history = [Message(role="user", content="之前的问题"), Message(role="assistant", content="之前的回答")]
    answer = llm_answer(_settings(), "2025年农村居民人均可支配收入目标?", history, _draft(), fake)
    system, user = fake.prompts[0]
    assert system[0] == "system" and "[n]" in system[1]
    assert "[1] 《实施方案》二、总体目标" in user[1] and "5.7萬元" in user[1]
    assert "之前的问题" in user[1] and "2025年农村居民人均可支配收入目标?" in user[1]
    assert answer.mode == "llm" and answer.answer == "到2025年，目标是5.7万元[1]。"


def test_fake_model_with_an_invented_figure_falls_back_to_the_extractive_answer() -> None:
    fake = FakeChatModel(["到2025年目标是6万元[1]。"])
    answer = llm_answer(_settings(), "q", [], _draft(), fake)
    assert answer.mode == "extractive" and "5.7万元" in answer.answer


def test_citation_markers_must_exist() -> None:
    ok, bad = check("见[3]。", _draft().citations)
    assert not ok and bad == {"[3]"}
    ok, _ = check("达到5.7万元[1]", _draft().citations)
    assert ok


def test_fake_model_stream_concatenates_to_the_final_answer() -> None:
    fake = FakeChatModel(["到2025年，农村居民人均可支配收入达到5.7万元[1]。"])
    events = list(llm_answer_stream(_settings(), "q", [], _draft(), fake))
    final = events[-1]["answer"]
    assert final.mode == "llm"
    assert "".join(e["text"] for e in events[:-1]) == final.answer


def test_fake_model_stream_with_ungrounded_figure_streams_the_extractive_answer() -> None:
    fake = FakeChatModel(["目标是99万元[1]。"])
    events = list(llm_answer_stream(_settings(), "q", [], _draft(), fake))
    final = events[-1]["answer"]
    assert final.mode == "extractive"
    assert "99" not in "".join(e["text"] for e in events[:-1])


def test_unreachable_endpoint_falls_back() -> None:
    answer = llm_answer(_settings(), "q", [], _draft(), None)  # 127.0.0.1:9 refuses at once
    assert answer.mode == "extractive"


def test_build_messages_uses_the_resolved_question() -> None:
    draft = _draft().model_copy(update={"resolved_question": "2027年农村居民人均可支配收入目标"})
    _, user = build_messages(_settings(), "那2027年呢?", [], draft)
    assert "2027年农村居民人均可支配收入目标" in user[1]
