"""Uploading and deleting documents through the API: answerable at once, bad files refused, index untouched."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api_helpers import counts, upload
from policy_assistant.api.app import create_app

REGULATION = """某某市农村公厕管理办法

第一条 为了加强农村公厕管理，改善农村人居环境，根据有关法律法规，结合本市实际，制定本办法。
第二条 本办法适用于本市行政区域内农村公厕的规划、建设、维护和管理活动。
第三条 农村公厕建设应当坚持政府主导、村民参与、因地制宜、建管并重的原则。
第四条 镇人民政府负责本辖区内农村公厕的日常巡查和保洁监督。
第五条 市城市管理局负责全市农村公厕的统筹规划、建设标准制定和监督考核工作。
第六条 本办法自2024年1月1日起施行。
"""
OWNER_Q = "农村公厕的统筹规划和监督考核由哪个部门负责?"
INCOME_Q = "到2025年农村居民人均可支配收入目标是多少?"


@pytest.fixture(scope="module")
def client(writable_settings) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(create_app(writable_settings, ui=False)) as c:
        yield c


def pdf_bytes(text: str | None, password: str | None = None) -> bytes:
    """A one-page PDF (reportlab); no text layer when ``text`` is None; encrypted with ``password``."""
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    if text is None:
        c.rect(100, 100, 200, 200, fill=1)
    else:
        c.drawString(72, 720, text)
    c.showPage()
    c.save()
    if password is None:
        return buf.getvalue()
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(buf.getvalue())).pages:
        writer.add_page(page)
    writer.encrypt(user_password=password, owner_password=password + "-owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_uploaded_regulation_is_answerable_at_once_and_not_after_delete(client: TestClient, writable_settings) -> None:  # type: ignore[no-untyped-def]
    before = counts(client)
    r: Any = upload(client, "某某市农村公厕管理办法.txt", REGULATION.encode("utf-8"), "text/plain")
    assert r.status_code == 201, r.text
    doc = r.json()["document"]
    assert doc["title"] == "某某市农村公厕管理办法" and doc["n_chunks"] > 0
    assert r.json()["report"]["added"] == [doc["doc_id"]]
    assert counts(client)[0] == before[0] + 1
    assert doc["doc_id"] in {d["doc_id"] for d in client.get("/v1/documents").json()["documents"]}

    answer = client.post("/v1/ask", json={"question": OWNER_Q}).json()
    assert answer["answered"] and "市城市管理局" in answer["answer"], answer
    cited = [c for c in answer["citations"] if c["doc_id"] == doc["doc_id"]]
    assert cited and "第五条" in " ".join(cited[0]["section_path"]) + cited[0]["quote"]
    hits = client.get("/v1/search", params={"q": "农村公厕 统筹规划", "k": 3}).json()["hits"]
    assert hits[0]["doc_id"] == doc["doc_id"]

    r = client.delete(f"/v1/documents/{doc['doc_id']}")
    assert r.status_code == 200 and r.json()["deleted"] == doc["doc_id"]
    assert counts(client)[:2] == before[:2]
    again = client.post("/v1/ask", json={"question": OWNER_Q}).json()
    assert "市城市管理局" not in again["answer"]
    assert all(c["doc_id"] != doc["doc_id"] for c in again["citations"])
    assert not (writable_settings.data_dir / "uploads" / doc["doc_id"]).exists()
    assert client.delete(f"/v1/documents/{doc['doc_id']}").status_code == 404


BAD_UPLOADS: list[tuple[str, str, Any, int, str]] = [
    # (case, file name, content (bytes or a maker), expected status, expected error code)
    ("corrupt pdf", "坏文件.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ntrailer garbage \x00\x01", 422, "document_error"),
    ("encrypted pdf", "加密.pdf", lambda: pdf_bytes("secret plan", password="s3cret"), 422, "document_error"),
    ("pdf without text", "扫描件.pdf", lambda: pdf_bytes(None), 422, "document_error"),
    ("empty file", "空文件.txt", b"", 422, "document_error"),
    ("program renamed pdf", "setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(range(256)) * 8, 415, "unsupported_file_type"),
    ("program", "setup.exe", b"MZ\x90\x00" + b"\x00" * 64, 415, "unsupported_file_type"),
    ("slides", "汇报.pptx", b"PK\x03\x04" + b"\x00" * 64, 415, "unsupported_file_type"),
    ("broken spreadsheet", "表格.xlsx", b"PK\x03\x04" + b"\x00" * 64, 422, "document_error"),
    ("garbage docx", "文件.docx", b"not a zip at all", 422, "document_error"),
    ("path traversal", "../../x.txt", "第一条 内容有效。".encode(), 400, "bad_input"),
    ("windows traversal", "..\\..\\x.txt", "第一条 内容有效。".encode(), 400, "bad_input"),
    ("50 MB", "大文件.txt", lambda: b"a" * (50 * 1024 * 1024), 413, "file_too_large"),
]


@pytest.mark.parametrize(("case", "name", "content", "status", "code"), BAD_UPLOADS, ids=[b[0] for b in BAD_UPLOADS])
def test_bad_upload_gets_a_clear_4xx_and_leaves_the_index_alone(
    client: TestClient, writable_settings, tmp_path: Path, case: str, name: str, content: Any, status: int, code: str  # type: ignore[no-untyped-def]
) -> None:
    uploads = writable_settings.data_dir / "uploads"

    def stored() -> set[str]:
        return {p.name for p in uploads.iterdir() if not p.name.startswith(".")} if uploads.exists() else set()

    before, files_before = counts(client), stored()
    data = content() if callable(content) else content
    r = upload(client, name, data)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code and error["message"] and error["message_zh"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message_zh"])  # said in Chinese
    assert counts(client) == before
    root = writable_settings.data_dir.parent
    assert not list(root.rglob("x.txt")) and not (writable_settings.data_dir / "x.txt").exists()
    assert stored() == files_before


def test_body_without_content_length_is_cut_off_at_the_limit(writable_settings) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    small = writable_settings.model_copy(update={"max_upload_mb": 0.05})  # 51 KB
    app = create_app(small, ui=False, warm=False)
    boundary = "pa-test-boundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.txt\"\r\n"
            "Content-Type: text/plain\r\n\r\n").encode()
    chunk, n_chunks = b"a" * 16384, 64  # 1 MB in all
    sent = []

    async def body() -> AsyncIterator[bytes]:
        yield head
        for _ in range(n_chunks):
            sent.append(1)
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            return await c.post("/v1/documents", content=body(),
                                headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})

    r = asyncio.run(go())
    assert r.status_code == 413 and r.json()["error"]["code"] == "file_too_large"
    assert len(sent) < 10  # stopped reading after ~115 KB of 1 MB


def test_declared_content_length_over_the_limit_is_refused_before_reading(client: TestClient) -> None:
    r = client.post("/v1/documents", content=b"x" * 10,
                    headers={"Content-Type": "multipart/form-data; boundary=b", "Content-Length": str(10**9)})
    assert r.status_code == 413 and "上限" in r.json()["error"]["message_zh"]


def test_upload_must_be_multipart_with_a_file_field(client: TestClient) -> None:
    r = client.post("/v1/documents", content=REGULATION.encode(), headers={"Content-Type": "text/plain"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_input"
    r = client.post("/v1/documents", data={"note": "no file"}, files={"other": ("a.txt", b"x")})
    assert r.status_code == 400 and "file" in r.json()["error"]["message"]


def test_questions_keep_being_answered_during_concurrent_uploads(client: TestClient) -> None:
    before = counts(client)
    texts = {f"某某县第{i}号农村公厕管理办法.md": REGULATION.replace("某某市", f"某某县第{i}号").encode() for i in range(2)}

    def ask(_: int) -> tuple[int, str]:
        r = client.post("/v1/ask", json={"question": INCOME_Q})
        return r.status_code, r.json().get("answer", "")

    with ThreadPoolExecutor(max_workers=6) as pool:
        uploads = [pool.submit(upload, client, name, data, "text/markdown") for name, data in texts.items()]
        answers = list(pool.map(ask, range(12)))
        results = [u.result() for u in uploads]
    assert [r.status_code for r in results] == [201, 201], [r.text for r in results]
    assert all(status == 200 and "5.7万元" in text for status, text in answers)
    assert counts(client)[0] == before[0] + 2
    ids = [r.json()["document"]["doc_id"] for r in results]
    with ThreadPoolExecutor(max_workers=2) as pool:
        assert [r.status_code for r in pool.map(lambda d: client.delete(f"/v1/documents/{d}"), ids)] == [200, 200]
    assert counts(client)[:2] == before[:2]
