"""The attack suite: what a hostile or careless client sends, answered with a clear 4xx and no damage.

A small zip bomb, files that expand past a limit, names that collide or are too long, odd JSON (lone
surrogates, deep nesting, huge bodies and histories), upload jobs that are cancelled or run out of time,
document text that holds HTML or links. Each case checks the index and the stored files afterwards.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from markdown_it import MarkdownIt

from api_helpers import counts, upload
from policy_assistant.api.app import create_app
from policy_assistant.api.jobs import JobRunner
from policy_assistant.errors import LimitExceeded
from policy_assistant.inert import markdown_inert, wecom_inert
from policy_assistant.ingest.indexer import NAME_BYTES, clean_uploads_dir
from policy_assistant.ingest.limits import Limits, check_zip
from policy_assistant.ingest.loaders import decode_text
from policy_assistant.ingest.prepare import prepare_document
from policy_assistant.models import Answer, Citation, Message
from policy_assistant.service import PolicyService
from policy_assistant.ui.format import answer_markdown, source_messages
from policy_assistant.ui.page import throttled_auth

RULES = "某某县农村河道保洁办法\n\n第一条 为加强农村河道保洁，制定本办法。\n第二条 县水利局负责全县农村河道保洁的监督考核。\n"
HOSTILE = '<img src="http://127.0.0.1:9/leak.png">[点我](http://evil.example/x) ![i](http://evil.example/i.png) www.evil.example'


@pytest.fixture(scope="module")
def client(writable_settings) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(create_app(writable_settings, ui=False)) as c:
        yield c


def stored(settings: Any) -> set[str]:
    uploads = settings.data_dir / "uploads"
    return {p.name for p in uploads.iterdir()} if uploads.exists() else set()


def docx_bytes(paragraph: str = "第一条 本办法适用于农村河道。", xml_padding: int = 0) -> bytes:
    """A real .docx (python-docx); ``xml_padding`` bytes of repeated XML are added to document.xml."""
    import docx

    buf = io.BytesIO()
    document = docx.Document()
    document.add_paragraph(paragraph)
    document.save(buf)
    if not xml_padding:
        return buf.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                run = b"<w:p><w:r><w:t>" + "农村河道保洁".encode() * 20 + b"</w:t></w:r></w:p>"
                data = data.replace(b"</w:body>", run * (xml_padding // len(run)) + b"</w:body>")
            dst.writestr(item, data)
    return out.getvalue()


# ----- files that expand past a limit ------------------------------------------------------------


def test_a_small_zip_bomb_docx_is_refused_quickly_and_changes_nothing(client: TestClient, writable_settings) -> None:  # type: ignore[no-untyped-def]
    bomb = docx_bytes(xml_padding=10 * 1024 * 1024)  # 10 MB of XML
    assert len(bomb) < 200 * 1024
    before, files = counts(client), stored(writable_settings)
    t0 = time.perf_counter()
    r = upload(client, "炸弹.docx", bomb)
    assert r.status_code == 413, r.text
    error = r.json()["error"]
    assert error["code"] == "limit_exceeded" and "PA_MAX_ZIP_RATIO" in error["message"] and error["message_zh"]
    assert time.perf_counter() - t0 < 60  # refused from the zip directory, nothing inflated
    assert counts(client) == before and stored(writable_settings) == files


def test_xml_over_the_unzipped_limit_is_refused_even_without_a_high_ratio() -> None:
    data = docx_bytes()
    with pytest.raises(LimitExceeded, match="PA_MAX_UNZIPPED_MB"):
        check_zip("小.docx", data, Limits(unzipped_xml_bytes=1000))
    check_zip("小.docx", data, Limits())  # a real document passes


@pytest.mark.parametrize(
    ("limits", "setting"),
    [(Limits(chars=50), "PA_MAX_DOC_CHARS"), (Limits(chunks=1), "PA_MAX_DOC_CHUNKS"),
     (Limits(records=0), "PA_MAX_DOC_RECORDS")],
)
def test_each_expansion_limit_names_its_setting(limits: Limits, setting: str) -> None:
    text = RULES + "".join(f"第{i}条 到2025年，村庄保洁覆盖率达到{90 + i % 9}%以上。\n" for i in range(3, 40))
    with pytest.raises(LimitExceeded, match=setting):
        prepare_document("河道.txt", text.encode(), source="(test)", max_chars=320, limits=limits)
    prepare_document("河道.txt", text.encode(), source="(test)", max_chars=320, limits=Limits())


def test_pdf_pages_over_the_limit_are_refused_before_reading() -> None:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for i in range(3):
        c.drawString(72, 720, f"page {i}")
        c.showPage()
    c.save()
    with pytest.raises(LimitExceeded, match="PA_MAX_PDF_PAGES"):
        prepare_document("三页.pdf", buf.getvalue(), source="(test)", max_chars=320, limits=Limits(pages=2))


# ----- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("names", [("slug a.txt", "slug-a.txt"), ("通知X.txt", "通知X.md"),
                                   ("报告(1).txt", "报告 1.txt")])
def test_names_with_one_id_both_stay_listed(client: TestClient, names: tuple[str, str]) -> None:
    before = counts(client)
    first = upload(client, names[0], RULES.encode())
    second = upload(client, names[1], RULES.replace("县水利局", "县农业农村局").encode())
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    ids = [first.json()["document"]["doc_id"], second.json()["document"]["doc_id"]]
    assert ids[0] != ids[1]
    listed = {d["doc_id"] for d in client.get("/v1/documents").json()["documents"]}
    assert set(ids) <= listed and counts(client)[0] == before[0] + 2
    again = upload(client, names[0], RULES.encode())  # the same file again is the same document
    assert again.json()["document"]["doc_id"] == ids[0] and counts(client)[0] == before[0] + 2
    for doc_id in ids:
        assert client.delete(f"/v1/documents/{doc_id}").status_code == 200
    assert counts(client)[:2] == before[:2]


def test_replacing_is_explicit_and_never_touches_core_documents(client: TestClient) -> None:
    first = upload(client, "河道保洁办法.txt", RULES.encode()).json()["document"]
    r = client.put(f"/v1/documents/{first['doc_id']}", params={"wait": "true"},
                   files={"file": ("河道保洁办法（修订）.txt", RULES.replace("县水利局", "县农业农村局").encode())})
    assert r.status_code == 201, r.text
    assert r.json()["document"]["doc_id"] == first["doc_id"] and r.json()["report"]["updated"] == [first["doc_id"]]
    answer = client.post("/v1/ask", json={"question": "农村河道保洁的监督考核由哪个部门负责？"}).json()
    assert "县农业农村局" in answer["answer"] and "县水利局" not in answer["answer"]
    core = next(d for d in client.get("/v1/documents").json()["documents"] if d["source"] == "library")
    r = client.put(f"/v1/documents/{core['doc_id']}", files={"file": ("x.txt", RULES.encode())})
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    r = client.put("/v1/documents/no-such-doc", files={"file": ("x.txt", RULES.encode())})
    assert r.status_code == 404
    assert client.delete(f"/v1/documents/{first['doc_id']}").status_code == 200


def test_a_100_character_chinese_name_is_accepted_and_leaves_no_temporary_folder(client: TestClient, writable_settings) -> None:  # type: ignore[no-untyped-def]
    name = "关于进一步加强农村河道保洁和长效管护工作的实施意见" * 4 + ".txt"
    assert len(name) > 100 and len(name.encode()) > 255
    r = upload(client, name, RULES.encode())
    assert r.status_code == 201, r.text
    doc = r.json()["document"]
    assert len(doc["filename"].encode()) <= NAME_BYTES and doc["filename"].endswith(".txt")
    assert not [n for n in stored(writable_settings) if n.startswith(".")]
    assert client.delete(f"/v1/documents/{doc['doc_id']}").status_code == 200


def test_documents_show_no_server_paths(client: TestClient, writable_settings) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/v1/documents")
    assert {d["source"] for d in r.json()["documents"]} <= {"library", "upload"}
    assert str(writable_settings.index_dir.parent) not in r.text and "/corpus/" not in r.text


# ----- upload jobs ---------------------------------------------------------------------------------


def test_an_upload_is_a_job_answered_202_then_polled(client: TestClient) -> None:
    r = upload(client, "河道保洁任务.md", RULES.encode(), wait=False)
    assert r.status_code == 202 and r.headers["location"].startswith("/v1/jobs/")
    job = r.json()["job"]
    for _ in range(600):
        job = client.get(job["status_url"]).json()["job"]
        if job["status"] in ("done", "failed", "cancelled"):
            break
        time.sleep(0.1)
    assert job["status"] == "done" and job["progress"] == 1.0, job
    doc_id = job["result"]["document"]["doc_id"]
    assert job["id"] in {j["id"] for j in client.get("/v1/jobs").json()["jobs"]}
    assert client.get("/v1/jobs/nope").status_code == 404
    assert client.delete(f"/v1/documents/{doc_id}").status_code == 200


def test_a_job_past_its_time_budget_is_cancelled_and_changes_nothing(client: TestClient, writable_settings) -> None:  # type: ignore[no-untyped-def]
    import threading

    service: PolicyService = client.app.state.service  # type: ignore[attr-defined]
    before, files = counts(client), stored(writable_settings)
    runner = JobRunner(service, threading.Lock(), budget_s=0.0)
    job = runner.wait(runner.submit("超时.txt", RULES.encode()))
    assert job.status == "cancelled" and job.error and job.error["error"]["code"] == "job_cancelled"
    assert counts(client) == before and stored(writable_settings) == files
    runner.shutdown()


def test_shutdown_cancels_a_waiting_job(client: TestClient, writable_settings) -> None:  # type: ignore[no-untyped-def]
    import threading

    service: PolicyService = client.app.state.service  # type: ignore[attr-defined]
    before = counts(client)
    lock = threading.Lock()
    lock.acquire()  # another write is "running": the job waits for the lock
    runner = JobRunner(service, lock, budget_s=600)
    job = runner.submit("等待.txt", RULES.encode())
    runner.shutdown()
    lock.release()
    runner.wait(job)
    assert job.status == "cancelled" and counts(client) == before


def test_leftover_upload_folders_are_tidied_at_start(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    (uploads / ".tmp-abc").mkdir(parents=True)
    (uploads / ".old-1234abcd.plan").mkdir()
    (uploads / ".old-1234abcd.plan" / "plan.txt").write_text("x", encoding="utf-8")
    (uploads / "kept").mkdir()
    done = clean_uploads_dir(uploads)
    assert sorted(done) == [".old-1234abcd.plan", ".tmp-abc"]
    assert sorted(p.name for p in uploads.iterdir()) == ["kept", "plan"]  # the unfinished swap is put back
    assert (uploads / "plan" / "plan.txt").exists()
    (uploads / "killed-upload").mkdir()  # an upload killed before it was published: no document has its id
    assert clean_uploads_dir(uploads, live_ids={"kept", "plan"}) == ["killed-upload"]
    assert sorted(p.name for p in uploads.iterdir()) == ["kept", "plan"]


def test_a_utf8_text_cut_mid_character_keeps_its_text() -> None:
    text, encoding = decode_text(RULES.encode()[:-2])  # the last "。\n" cut inside "。"
    assert encoding == "utf-8" and text.startswith("某某县农村河道保洁办法") and "监督考核" in text


# ----- odd requests --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/ask", "/v1/chat/completions"])
def test_a_lone_surrogate_is_400(client: TestClient, path: str) -> None:
    body = ('{"question": "\\ud800托位", "messages": [{"role": "user", "content": "\\ud800托位"}]}').encode()
    r = client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["message_zh"]


def test_deep_json_is_400_before_parsing(client: TestClient) -> None:
    r = client.post("/v1/ask", content=b"[" * 100_000 + b"]" * 100_000, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_input"


def test_a_huge_history_is_refused_and_the_server_keeps_answering(client: TestClient) -> None:
    history = [{"role": "user" if i % 2 == 0 else "assistant", "content": "托位" * 50_000} for i in range(80)]
    r = client.post("/v1/ask", json={"question": "托位要新增多少个？", "history": history})
    assert r.status_code == 413 and r.json()["error"]["code"] == "request_too_large"
    r = client.post("/v1/chat/completions", json={"model": "policy-assistant", "messages": [
        *history, {"role": "user", "content": "托位要新增多少个？"}]})
    assert r.status_code == 413
    r = client.post("/v1/ask", json={"question": "托位要新增多少个？"})
    assert r.status_code == 200 and r.json()["answered"]


def test_a_long_history_within_the_body_cap_is_trimmed(real_service: PolicyService) -> None:
    history = [Message(role="user" if i % 2 == 0 else "assistant", content="托位" * 50_000) for i in range(80)]
    trimmed = real_service.trim_history(history)
    settings = real_service.settings
    assert len(trimmed) == settings.max_history_turns
    assert all(len(m.content) <= settings.max_message_chars for m in trimmed)
    answer = real_service.ask("托位要新增多少个？", history)
    assert answer.answered and "360个" in answer.answer  # a complete question, answered as it stands


def test_deep_json_to_the_wecom_bot_is_refused_before_parsing(writable_settings) -> None:  # type: ignore[no-untyped-def]
    settings = writable_settings.model_copy(update={
        "wecom_token": "QDG6eK", "wecom_aes_key": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"})
    with TestClient(create_app(settings, ui=False, warm=False)) as c:
        r = c.post(settings.wecom_bot_path, params={"msg_signature": "x", "timestamp": str(int(time.time())),
                                                    "nonce": "n"},
                   content=b"[" * 100_000 + b"]" * 100_000)
        assert 400 <= r.status_code < 500


def test_wrong_page_keys_are_answered_one_at_a_time() -> None:
    auth = throttled_auth(["right-key"], delay_s=0.05)

    async def run() -> tuple[list[bool], float, bool]:
        t0 = time.perf_counter()
        wrong = await asyncio.gather(*(auth("x", f"guess-{i}") for i in range(10)))
        spent = time.perf_counter() - t0
        return list(wrong), spent, await auth("x", "right-key")

    wrong, spent, right = asyncio.run(run())
    assert not any(wrong) and right
    assert spent >= 10 * 0.05 * 0.9  # serialised: ten guesses cost ten delays, not one


# ----- document text shown to people ----------------------------------------------------------------


def hostile_answer() -> Answer:
    return Answer(question="q", answer=f"依据原文：{HOSTILE}[1]。", answered=True, citations=[
        Citation(doc_id="d", title=f"《{HOSTILE}》", section_path=[HOSTILE], page=1, quote=HOSTILE)])


def test_document_html_and_links_are_inert_on_the_page() -> None:
    # chat messages are Markdown with HTML allowed: rendered as the page renders them, nothing is live
    messages = [answer_markdown(hostile_answer()), *(m["content"] + m["metadata"]["title"]
                                                     for m in source_messages(hostile_answer()))]
    for message in messages:
        rendered = MarkdownIt("commonmark", {"html": True}).render(message)
        assert "<img" not in rendered and "<a " not in rendered and "&lt;img" in rendered
        assert not re.search(r"(?<!\\)://", message) and "www.evil" not in message


def test_document_html_and_links_are_inert_for_openai_clients_and_wecom() -> None:
    from policy_assistant.api.openai_compat import chat_content
    from policy_assistant.wecom.format import format_answer

    content = chat_content(hostile_answer())
    rendered = MarkdownIt("commonmark", {"html": True}).render(content)  # as a Markdown client shows it
    assert "<img" not in rendered and "<a " not in rendered and "&lt;img" in rendered
    assert not re.search(r"(?<!\\)://", content)  # no bare URL left for an auto-linker
    assert "[1]" in content  # the answer's own markers are kept
    wecom = format_answer(hostile_answer())
    assert "<img" not in wecom and "](" not in wecom and "http://" not in wecom
    assert markdown_inert("a<b") == "a\\<b" and wecom_inert("<font>") == "＜font＞"


def test_every_error_has_one_shape(client: TestClient) -> None:
    for r in (client.get("/v1/nowhere"), client.post("/v1/ask", json={}),
              client.post("/v1/ask", content=b"{", headers={"Content-Type": "application/json"})):
        body = r.json()
        assert set(body) == {"error"} and {"code", "message", "message_zh"} <= set(body["error"]), (r.status_code, body)
    assert json.loads(client.get("/v1/nowhere").text)["error"]["code"] == "not_found"


def test_core_documents_are_removed_only_with_an_admin_key(client: TestClient, writable_settings) -> None:  # type: ignore[no-untyped-def]
    core = next(d for d in client.get("/v1/documents").json()["documents"] if d["source"] == "library")
    before = counts(client)
    r = client.delete(f"/v1/documents/{core['doc_id']}")  # no PA_ADMIN_KEYS: core documents are never removed
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden" and "管理员" in r.json()["error"]["message_zh"]
    assert counts(client) == before
    settings = writable_settings.model_copy(update={"admin_keys": "admin-secret"})
    with TestClient(create_app(settings, ui=False, warm=False)) as admin_client:
        doc = upload(admin_client, "河道保洁细则.txt", RULES.encode()).json()["document"]
        for key in (None, "wrong"):  # with admin keys set, every removal needs one
            headers = {"X-Admin-Key": key} if key else {}
            assert admin_client.delete(f"/v1/documents/{doc['doc_id']}", headers=headers).status_code == 403
            assert admin_client.delete(f"/v1/documents/{core['doc_id']}", headers=headers).status_code == 403
        r = admin_client.delete(f"/v1/documents/{doc['doc_id']}", headers={"X-Admin-Key": "admin-secret"})
        assert r.status_code == 200
