"""The page's handlers in-process (chat streaming, feedback, ledger filters and downloads, documents)."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from fastapi.testclient import TestClient

from policy_assistant.api.app import create_app
from policy_assistant.feedback import FeedbackStore
from policy_assistant.models import Answer, Citation
from policy_assistant.service import PolicyService
from policy_assistant.ui.chat import THINKING, make_like, make_rate, make_reason, make_respond, restore
from policy_assistant.ui.context import PageContext
from policy_assistant.ui.conversations import ConversationStore
from policy_assistant.ui.documents import delete_document, summary, upload_files
from policy_assistant.ui.export import export_docx, export_markdown
from policy_assistant.ui.format import TARGET_HEADERS, answer_markdown, source_messages, target_rows
from policy_assistant.ui.ledger import ALL, Exports, filter_choices, query_targets
from policy_assistant.ui.page import build_page
from policy_assistant.ui.passage import passage_html

INCOME_Q = "到2025年农村居民人均可支配收入目标是多少?"
REGULATION = "某某市农村公厕管理办法\n\n第一条 为加强管理，制定本办法。\n第二条 市城市管理局负责全市农村公厕的监督考核。\n"


@pytest.fixture(scope="module")
def ctx(writable_settings) -> PageContext:  # type: ignore[no-untyped-def]
    return PageContext(service=PolicyService(writable_settings), settings=writable_settings,
                       write_lock=threading.Lock(), feedback=FeedbackStore.in_data_dir(writable_settings.data_dir))


def run_chat(ctx: PageContext, question: str, messages: list[dict[str, Any]], turns: list[Any],
             session: str = "") -> list[tuple[Any, ...]]:
    return list(make_respond(ctx)(question, messages, turns, session))


def test_page_builds_with_three_tabs(ctx: PageContext) -> None:
    page = build_page(ctx)
    labels = [getattr(b, "label", None) for b in page.blocks.values()]
    assert {"智能问答", "指标一览", "责任清单", "文档管理"} <= set(labels)


def test_chat_streams_then_shows_the_figure_first_with_collapsible_sources(ctx: PageContext) -> None:
    steps = run_chat(ctx, INCOME_Q, [], [])
    box, chat, messages, turns = steps[0]
    assert box == "" and chat[-1]["content"] == THINKING and chat[-2] == {"role": "user", "content": INCOME_Q}
    assert any("5.7万元" in s[1][-1]["content"] for s in steps[1:-1])  # streamed
    _, chat, messages, turns = steps[-1]
    reply = chat[1]["content"]
    first_line = reply.split("\n")[0]
    assert first_line.startswith("**") and "5.7万元" in first_line and "2025" in first_line  # figure and year first
    assert "出处：" in reply and "二、总体目标" in reply and "<" not in reply  # no HTML: copies as text
    sources = chat[2:]
    assert sources and all(m["metadata"]["title"].startswith("[") and "原文" in m["content"] for m in sources)
    assert chat == messages and len(turns) == 1 and turns[0]["message"] == 1
    assert turns[0]["sources"] == list(range(2, 2 + len(sources)))
    assert Answer.model_validate(turns[0]["answer"]).answered


def test_chat_offers_follow_ups_the_engine_answers(ctx: PageContext) -> None:
    _, chat, _, turns = run_chat(ctx, "托位要新增多少个?", [], [])[-1]
    options = [o["value"] for o in chat[1].get("options", [])]
    assert 1 <= len(options) <= 3
    history = [m for t in turns for m in ({"role": "user", "content": t["question"]},
                                           {"role": "assistant", "content": t["answer"]["answer"]})]
    from policy_assistant.models import Message
    for q in options:  # each suggestion is answered in this conversation
        assert ctx.service.ask(q, [Message(**m) for m in history]).answered, q


def test_follow_up_uses_the_earlier_turns(ctx: PageContext) -> None:
    _, _, messages, turns = run_chat(ctx, INCOME_Q, [], [])[-1]
    first = len(messages)
    _, chat, messages, turns = run_chat(ctx, "那2027年呢?", messages, turns)[-1]
    assert len(turns) == 2 and turns[1]["message"] == first + 1 and chat[first]["role"] == "user"
    assert "2027" in (turns[1]["answer"]["resolved_question"] or "")


def test_conversation_is_kept_per_session_and_restored(ctx: PageContext) -> None:
    session, chat, _, turns = restore(ctx, "")
    assert len(session) == 32 and chat == [] and turns == []
    _, _, messages, turns = run_chat(ctx, INCOME_Q, [], [], session)[-1]
    again, chat, _, restored = restore(ctx, session)  # a reload
    assert again == session and len(restored) == 1 and restored[0]["question"] == INCOME_Q
    assert "5.7万元" in chat[1]["content"] and restored[0]["message"] == 1
    assert restore(ctx, "0" * 32)[3] == []  # another browser sees nothing of it


def test_conversation_store_rejects_bad_ids_and_keeps_the_last_turns(tmp_path: Path) -> None:
    from policy_assistant.ui import conversations

    store = ConversationStore(tmp_path / "c.sqlite3")
    with pytest.raises(ValueError):
        store.add("../x", "q", {})
    assert store.turns("'; DROP TABLE turns; --") == []
    sid = "a" * 32
    for i in range(conversations.MAX_TURNS + 5):
        store.add(sid, f"q{i}", {"answer": str(i)})
    kept = store.turns(sid)
    assert len(kept) == conversations.MAX_TURNS and kept[-1][0] == f"q{conversations.MAX_TURNS + 4}"
    store.clear(sid)
    assert store.turns(sid) == []


def test_conversation_exports_as_markdown_and_word(ctx: PageContext) -> None:
    _, _, _, turns = run_chat(ctx, INCOME_Q, [], [])[-1]
    md = export_markdown(turns).read_text(encoding="utf-8")
    assert INCOME_Q in md and "5.7万元" in md and "原文" in md and "<" not in md
    from docx import Document as Word

    text = "\n".join(p.text for p in Word(str(export_docx(turns))).paragraphs)
    assert INCOME_Q in text and "5.7万元" in text and "二、总体目标" in text


def test_passage_view_opens_the_cited_section_with_the_quote_marked(ctx: PageContext) -> None:
    _, _, _, turns = run_chat(ctx, INCOME_Q, [], [])[-1]
    answer = Answer.model_validate(turns[0]["answer"])
    html = passage_html(ctx.service.snapshot, answer.citations[0])
    assert "<mark id='pa-hl'>" in html and "5.7" in html.split("<mark id='pa-hl'>")[1].split("</mark>")[0]
    hostile = Citation(doc_id="d", title="《<script>x</script>》", section_path=[], quote="<img src=x onerror=alert(1)>")
    assert "<img" not in passage_html(ctx.service.snapshot, hostile) and "<script>" not in passage_html(ctx.service.snapshot, hostile)


def test_empty_question_changes_nothing(ctx: PageContext) -> None:
    steps = run_chat(ctx, "  ", [], [])
    assert len(steps) == 1 and steps[0][1] == [] and steps[0][3] == []


def test_thumbs_store_question_answer_and_rating_and_a_dislike_asks_why(ctx: PageContext) -> None:
    _, _, _, turns = run_chat(ctx, INCOME_Q, [], [])[-1]
    assert "感谢" in make_rate(ctx, True)(turns)[0]
    like = make_like(ctx)
    note, row, entry = like(turns, gr.LikeData(None, {"index": 1, "value": "x", "liked": False}))
    assert "感谢" in note and row["visible"] is True and entry
    assert "只能评价" in like(turns, gr.LikeData(None, {"index": 0, "value": "x", "liked": True}))[0]
    assert "感谢" in like(turns, gr.LikeData(None, {"index": 2, "value": "x", "liked": True}))[0]  # a source rates its answer
    assert "取消" in like(turns, gr.LikeData(None, {"index": 1, "value": "x", "liked": ""}))[0]  # un-selected
    assert "还没有" in make_rate(ctx, False)([])[0]
    said, row, *_ = make_reason(ctx)(entry, "数字或事实不对", " 应为6.5万元 ")
    assert "已记录原因" in said and row["visible"] is False
    assert "请选择" in make_reason(ctx)(entry, None, "")[0]
    entries = ctx.feedback.entries(limit=3)
    disliked = next(e for e in entries if e.id == entry)
    assert disliked.rating == -1 and disliked.comment == "数字或事实不对；应为6.5万元"
    assert disliked.question == INCOME_Q and "5.7万元" in disliked.answer and disliked.citations
    assert disliked.index_version and disliked.source == "page"
    assert (ctx.settings.data_dir / "feedback.sqlite3").exists()


def test_feedback_store_counts_and_plain_text_answers(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "sub" / "feedback.sqlite3")
    assert store.counts() == {"up": 0, "down": 0}
    store.record("问题", "回答", True, source="api", comment="好")
    store.record("问题2", "回答2", False)
    assert store.counts() == {"up": 1, "down": 1}
    newest = store.entries()[0]
    assert (newest.question, newest.answer, newest.answered, newest.citations) == ("问题2", "回答2", None, [])


def test_chat_messages_keep_document_text_inert() -> None:
    answer = Answer(question="q", answer="答<b>案</b>", answered=True, citations=[
        Citation(doc_id="d", title="《标题<script>》", section_path=["第五条"], page=3, quote="原文 <img src=x onerror=alert(1)>")])
    out = answer_markdown(answer)
    assert "<b>" not in out and "\\<b\\>" in out  # backslash-escaped: shown as characters
    (source,) = source_messages(answer)
    assert "<img" not in source["content"].replace("\\<img", "") and "第3页" in source["metadata"]["title"]
    assert "第五条" in source["metadata"]["title"] and "\\<script\\>" in source["metadata"]["title"]


def test_chat_message_shows_how_the_question_was_read() -> None:
    answer = Answer(question="宅机地<b>", answer="回答", answered=True, resolved_question="宅基地<b>盘活是谁负责")
    out = answer_markdown(answer)
    assert out.startswith("按“宅基地\\<b\\>盘活是谁负责”理解：") and out.endswith("**回答**")
    assert "理解" not in answer_markdown(Answer(question="q", answer="回答", answered=True))


def test_ledger_filters_and_downloads(ctx: PageContext) -> None:
    years, docs = filter_choices(ctx)
    # the page lists targets (kind=target): the plan, the 一号文件 and the report's two forward figures
    assert years[0] == ALL and "2025" in years and docs[0] == (ALL, ALL) and len(docs) >= 3
    items = query_targets(ctx, "2025", ALL, "收入")
    assert items and all(t.year == 2025 for t in items)
    rows = target_rows(items)
    assert len(rows[0]) == len(TARGET_HEADERS)
    assert any(r[1] == "农村居民人均可支配收入" and r[2] == "达到5.7万元" for r in rows)
    assert len(query_targets(ctx, ALL, ALL, None)) > len(items)
    csv_path, xlsx_path = Exports().write(items)
    text = Path(csv_path).read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert table[0][:3] == ["年份", "时间范围", "指标"] and len(table) == len(items) + 1
    assert Path(xlsx_path).read_bytes()[:2] == b"PK"


def test_duties_tab_lists_departments_with_roles(ctx: PageContext) -> None:
    from policy_assistant.ui.duties import HEADERS, duty_rows

    items = ctx.service.duties(doc="zj-rural-sewage-regulation-2019", actor="生态环境")
    rows = duty_rows(items)
    assert rows and len(rows[0]) == len(HEADERS)
    assert all("生态环境" in r[0] for r in rows) and any(r[1] == "监督" for r in rows)


def test_documents_upload_and_delete_report_in_chinese(ctx: PageContext, tmp_path: Path) -> None:
    before = ctx.service.health()["documents"]
    good = tmp_path / "某某市农村公厕管理办法.txt"
    good.write_text(REGULATION, encoding="utf-8")
    bad = tmp_path / "坏文件.pdf"
    bad.write_bytes(b"%PDF-1.4 broken")
    big = tmp_path / "大文件.txt"
    big.write_bytes(b"a" * int(ctx.settings.max_upload_mb * 1024 * 1024 + 10))
    calls: list[Any] = []
    message = upload_files(ctx, [str(good), str(bad), str(big)], lambda *a, **k: calls.append((a, k)))  # type: ignore[arg-type]
    lines = message.split("\n\n")
    assert lines[0].startswith("【成功】某某市农村公厕管理办法.txt：已加入")
    assert lines[1].startswith("【失败】坏文件.pdf：") and "PDF" in lines[1]
    assert lines[2].startswith("【失败】大文件.txt：") and "超过上限" in lines[2]
    assert len(calls) == 4 and "正在解析" in calls[0][1]["desc"]
    assert ctx.service.health()["documents"] == before + 1
    assert f"**{before + 1}** 份文件" in summary(ctx)
    doc = next(d for d in ctx.service.documents() if d.title == "某某市农村公厕管理办法")
    assert delete_document(ctx, doc.doc_id).startswith("【成功】")
    assert delete_document(ctx, doc.doc_id).startswith("【失败】") and "未找到" in delete_document(ctx, doc.doc_id)
    assert "未删除" in delete_document(ctx, None)
    assert "请先选择" in upload_files(ctx, None, lambda *a, **k: None)  # type: ignore[arg-type]
    assert ctx.service.health()["documents"] == before


@pytest.fixture(scope="module")
def page_client(writable_settings) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(create_app(writable_settings, ui=True)) as c:
        yield c


def test_page_is_served_at_the_root_beside_the_api(page_client: TestClient) -> None:
    r = page_client.get("/")
    assert r.status_code == 200 and "<html" in r.text.lower()
    config = page_client.get("/config").json()
    assert config["title"] == "政策文件问答助手"
    assert page_client.get("/healthz").json()["ready"] is True
    assert page_client.get("/v1/models").status_code == 200
    assert page_client.get("/docs").status_code == 200


def test_page_asks_for_a_key_when_api_keys_are_set(writable_settings) -> None:  # type: ignore[no-untyped-def]
    settings = writable_settings.model_copy(update={"api_keys": "page-key"})
    with TestClient(create_app(settings, ui=True, warm=False)) as c:
        assert c.get("/config").status_code == 401
        r = c.post("/login", data={"username": "官员", "password": "wrong"})
        assert r.status_code == 400
        r = c.post("/login", data={"username": "官员", "password": "page-key"})
        assert r.status_code == 200
        assert c.get("/config").status_code == 200
