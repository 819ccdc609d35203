"""The official `openai` client, unchanged, against `policy-assistant serve` on a loopback port."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from fastapi.testclient import TestClient

from policy_assistant.api.app import create_app

QUESTION = "到2025年农村居民人均可支配收入目标是多少?"


@pytest.fixture(scope="module")
def client(live_server) -> openai.OpenAI:  # type: ignore[no-untyped-def]
    return openai.OpenAI(base_url=f"{live_server.url}/v1", api_key="not-needed", max_retries=0, timeout=60)


def test_models_list_names_the_assistant(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["policy-assistant"]


def test_chat_completion_answers_with_numbered_sources_and_citations(client: openai.OpenAI) -> None:
    resp = client.chat.completions.create(model="policy-assistant", messages=[{"role": "user", "content": QUESTION}])
    content = resp.choices[0].message.content or ""
    assert "5.7万元" in content
    assert "\n\n来源：\n- [1] 《" in content and "二、总体目标" in content
    citations = (resp.model_extra or {})["citations"]
    assert citations and citations[0]["doc_id"] == "yuhang-qianwan-plan-2023-2027" and "5.7" in citations[0]["quote"]
    assert resp.choices[0].finish_reason == "stop" and resp.usage is not None


def test_streamed_chunks_concatenate_to_the_same_answer(client: openai.OpenAI) -> None:
    messages: list[Any] = [{"role": "system", "content": "请用中文回答"}, {"role": "user", "content": QUESTION}]
    plain = client.chat.completions.create(model="policy-assistant", messages=messages)
    chunks = list(client.chat.completions.create(model="policy-assistant", messages=messages, stream=True))
    assert len(chunks) > 2
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == plain.choices[0].message.content
    assert (chunks[-1].model_extra or {})["citations"] == (plain.model_extra or {})["citations"]


def test_errors_reach_the_client_as_openai_exceptions(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model="policy-assistant", messages=[{"role": "user", "content": " "}])
    assert "empty question" in str(err.value)


def test_client_with_and_without_the_api_key(built_settings, real_service) -> None:  # type: ignore[no-untyped-def]
    settings = built_settings.model_copy(update={"api_keys": "secret-key"})
    with TestClient(create_app(settings, real_service, ui=False, warm=False)) as http:
        wrong = openai.OpenAI(base_url="http://testserver/v1", api_key="wrong", http_client=http, max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            wrong.models.list()
        right = openai.OpenAI(base_url="http://testserver/v1", api_key="secret-key", http_client=http, max_retries=0)
        resp = right.chat.completions.create(model="policy-assistant", messages=[{"role": "user", "content": QUESTION}])
        assert "5.7万元" in (resp.choices[0].message.content or "")


def test_max_tokens_cuts_the_content_with_finish_reason_length(client: openai.OpenAI) -> None:
    resp = client.chat.completions.create(model="policy-assistant", max_tokens=20,
                                          messages=[{"role": "user", "content": QUESTION}])
    assert resp.choices[0].finish_reason == "length" and len(resp.choices[0].message.content or "") == 20
    chunks = list(client.chat.completions.create(model="policy-assistant", max_tokens=20, stream=True,
                                                 messages=[{"role": "user", "content": QUESTION}]))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len(text) == 20 and chunks[-1].choices[0].finish_reason == "length"


@pytest.mark.parametrize("extra", [{"n": 2}, {"tools": [{"type": "function", "function": {"name": "f"}}]},
                                   {"response_format": {"type": "json_schema", "json_schema": {"name": "x"}}}])
def test_what_cannot_be_honoured_is_refused_with_400(client: openai.OpenAI, extra: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="policy-assistant", messages=[{"role": "user", "content": QUESTION}],
                                       **extra)


def test_an_unknown_model_is_404_and_validation_errors_have_the_error_shape(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": QUESTION}])
    with pytest.raises(openai.UnprocessableEntityError) as err:
        client.chat.completions.create(model="policy-assistant", messages=[])
    assert err.value.body and "message" in err.value.body  # type: ignore[operator]


def test_cors_preflight_from_a_configured_origin(built_settings, real_service) -> None:  # type: ignore[no-untyped-def]
    settings = built_settings.model_copy(update={"cors_origins": "http://lobe.example"})
    with TestClient(create_app(settings, real_service, ui=False, warm=False)) as http:
        r = http.options("/v1/chat/completions", headers={
            "Origin": "http://lobe.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type"})
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "http://lobe.example"
        other = http.options("/v1/chat/completions", headers={
            "Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
        assert other.headers.get("access-control-allow-origin") != "http://evil.example"


OPEN_WEBUI_TITLE = """### Task:
Generate a concise, 3-5 word title with an emoji summarizing the chat history.
### Guidelines:
- The title should clearly represent the main theme or subject of the conversation.
### Output:
JSON format: { "title": "your concise title here" }
### Chat History:
<chat_history>
USER: 到2025年农村居民人均可支配收入目标是多少?
ASSISTANT: 到2025年，农村居民人均可支配收入达到5.7万元[1]。
</chat_history>"""


def test_a_title_generation_prompt_gets_a_short_title_not_a_refusal(client: openai.OpenAI) -> None:
    import json

    resp = client.chat.completions.create(model="policy-assistant", messages=[{"role": "user", "content": OPEN_WEBUI_TITLE}])
    title = json.loads(resp.choices[0].message.content or "{}")["title"]
    assert 0 < len(title) <= 16 and title.startswith("到2025年") and "没有" not in title
    tags = client.chat.completions.create(model="policy-assistant", messages=[{"role": "user", "content": OPEN_WEBUI_TITLE.replace(
        "Generate a concise, 3-5 word title with an emoji summarizing", "Generate 1-3 broad tags categorizing the main themes of").replace(
        '{ "title": "your concise title here" }', '{ "tags": ["tag1"] }')}])
    assert json.loads(tags.choices[0].message.content or "{}")["tags"]


def test_a_question_wrapped_in_a_rag_template_is_answered_as_the_question(client: openai.OpenAI) -> None:
    wrapped = ("### Task:\nRespond to the user query using the provided context.\n<context>\n(检索到的内容)\n</context>\n"
               f"<user_query>\n{QUESTION}\n</user_query>")
    resp = client.chat.completions.create(model="policy-assistant", messages=[{"role": "user", "content": wrapped}])
    assert "5.7万元" in (resp.choices[0].message.content or "")


def test_a_stream_says_how_a_corrected_question_was_read_and_leads_with_the_figure(client: openai.OpenAI) -> None:
    chunks = list(client.chat.completions.create(
        model="policy-assistant", messages=[{"role": "user", "content": "每年盘活闲置宅机地多少宗"}], stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    lines = [x for x in text.split("\n") if x.strip()]
    assert lines[0] == "按“每年盘活闲置宅基地多少宗”理解："  # the reading line, in the stream too
    assert lines[1].startswith("**") and "200宗" in lines[1]  # then the figure, bold


def test_dify_external_knowledge_retrieval(live_server) -> None:  # type: ignore[no-untyped-def]
    """The request Dify sends to an External Knowledge API (docs.dify.ai), and the records it reads."""
    import httpx

    body = {"knowledge_id": "policy-assistant", "query": "农村居民人均可支配收入目标",
            "retrieval_setting": {"top_k": 3, "score_threshold": 0.0}}
    r = httpx.post(f"{live_server.url}/v1/dify/retrieval", json=body, headers={"Authorization": "Bearer x"}, timeout=60)
    assert r.status_code == 200
    records = r.json()["records"]
    assert 1 <= len(records) <= 3 and records[0]["score"] == 1.0
    assert all(isinstance(x["metadata"], dict) and x["content"] and x["title"] for x in records)  # never null metadata
    assert any("5.7" in x["content"] for x in records)
    one_doc = {**body, "knowledge_id": "zj-rural-sewage-regulation-2019", "query": "污水处理设施"}
    r = httpx.post(f"{live_server.url}/v1/dify/retrieval", json=one_doc, timeout=60)
    assert {x["metadata"]["doc_id"] for x in r.json()["records"]} == {"zj-rural-sewage-regulation-2019"}
    high = {**body, "retrieval_setting": {"top_k": 5, "score_threshold": 1.0}}
    assert len(httpx.post(f"{live_server.url}/v1/dify/retrieval", json=high, timeout=60).json()["records"]) == 1
    r = httpx.post(f"{live_server.url}/v1/dify/retrieval", json={**body, "knowledge_id": "nope"}, timeout=60)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
