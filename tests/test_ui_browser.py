"""The page in headless Chromium against `policy-assistant serve`: ask, see the cited answer, rate, browse, upload.

Needs Debian's ``chromium`` (and ``fonts-wqy-microhei`` for readable screenshots). When it is missing the
test installs it with apt-get if running as root, and is skipped only where that is impossible.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

QUESTION = "到2025年农村居民人均可支配收入目标是多少?"
REGULATION = "某某市农村公厕管理办法\n\n第一条 为加强管理，制定本办法。\n第二条 市城市管理局负责全市农村公厕的监督考核。\n"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOT = Path(os.environ.get("PA_TEST_SCREENSHOT", "/tmp/page.png"))


def chromium_path() -> str:
    """Debian's Chromium, installed on the spot when missing and possible; otherwise the test is skipped."""
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found:
        return found
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("Chromium is not installed and cannot be installed here (needs root and apt-get): "
                    "run `apt-get install -y chromium fonts-wqy-microhei`")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run(["apt-get", "update"], env=env, check=True, timeout=300, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "chromium", "fonts-wqy-microhei"], env=env, check=True,
                       timeout=600, capture_output=True)
    except (subprocess.SubprocessError, OSError) as exc:
        pytest.skip(f"Chromium could not be installed with apt-get ({exc})")
    found = shutil.which("chromium")
    if not found:
        pytest.skip("apt-get ran but no chromium binary appeared")
    return found


COUNT_RE = r"/共\s*(\d+)\s*条指标/"


def shown_count(page: Any) -> int:
    """The number in "共 N 条指标" once the table is filled (not the timer shown while it loads)."""
    page.wait_for_function(f"() => {COUNT_RE}.test(document.querySelector('#pa-target-count').innerText)")
    match = re.search(r"共\s*(\d+)\s*条指标", page.locator("#pa-target-count").inner_text())
    assert match
    return int(match.group(1))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = chromium_path()
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def page(browser, live_server) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN", accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    pg.goto(live_server.url + "/")
    pg.locator("#pa-question textarea").wait_for()
    yield pg
    context.close()


def ask(page: Any, question: str) -> Any:
    """Ask in the page once it has loaded this browser's session; the answer bubble once its sources show."""
    page.wait_for_function("() => !document.querySelector('#pa-chat .pending')")
    page.wait_for_timeout(500)  # the page's load events (session, earlier exchanges) have run
    before = page.locator("#pa-chat .thought-group").count()
    page.locator("#pa-question textarea").fill(question)
    page.locator("#pa-send").click()
    page.wait_for_function(f"() => document.querySelectorAll('#pa-chat .thought-group').length > {before}")
    return page.locator("#pa-chat [data-testid='bot']").filter(has_not=page.locator(".thought-group")).last


def test_page_answers_the_income_question_figure_first_with_collapsible_sources(page: Any, live_server) -> None:  # type: ignore[no-untyped-def]
    answer = ask(page, QUESTION)
    first_line = answer.inner_text().strip().splitlines()[0]
    assert "5.7万元" in first_line and "2025" in first_line  # the figure and its year lead the answer
    assert answer.locator("strong").first.inner_text().startswith(first_line[:6])  # and are bold
    assert "出处" in answer.inner_text() and "二、总体目标" in answer.inner_text()
    source = page.locator("#pa-chat .thought-group").first
    assert "二、总体目标" in source.locator(".title").inner_text()
    assert "原文" not in source.inner_text()  # collapsed
    source.locator(".title").click()
    page.wait_for_function("() => /原文/.test(document.querySelector('#pa-chat .thought-group').innerText)")
    assert "5.7" in source.inner_text()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    page.locator("#pa-like").click()
    page.get_by_text("感谢您的评价").wait_for()
    page.locator("#pa-chat button[aria-label='踩']").first.click()  # the thumbs under the answer (zh-CN labels)
    page.get_by_text("感谢您的反馈").wait_for()
    page.locator("#pa-reason").get_by_text("数字或事实不对").click()  # 👎 asks why
    page.locator("#pa-reason-send").click()
    page.get_by_text("已记录原因").wait_for()
    with sqlite3.connect(live_server.data_dir / "feedback.sqlite3") as db:
        rows = db.execute("SELECT rating, question, answer, comment FROM feedback ORDER BY id").fetchall()
    assert [r[0] for r in rows] == [1, -1] and rows[1][3] == "数字或事实不对"
    assert all(r[1] == QUESTION and "5.7万元" in r[2] for r in rows)

    answer.click()  # 原文查看: the cited section, the quoted passage marked
    page.locator("#pa-passage mark#pa-hl").wait_for()
    assert "5.7" in page.locator("#pa-passage mark#pa-hl").inner_text()


def test_on_a_phone_the_box_is_visible_copy_is_text_and_a_reload_keeps_the_exchange(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="zh-CN", permissions=["clipboard-read", "clipboard-write"])
    try:
        pg = context.new_page()
        pg.set_default_timeout(60_000)
        pg.goto(live_server.url + "/")
        box = pg.locator("#pa-question textarea")
        box.wait_for()
        where = box.bounding_box()
        assert where and where["y"] >= 0 and where["y"] + where["height"] <= 844  # on the first screen
        answer = ask(pg, "托位要新增多少个?")
        assert "360" in answer.inner_text().strip().splitlines()[0]
        pg.locator("#pa-chat button[aria-label='Copy message'], #pa-chat button[aria-label*='复制']").last.click()
        copied = pg.evaluate("navigator.clipboard.readText()")
        assert "360个以上" in copied and "<" not in copied  # text or Markdown, never HTML
        pg.reload()
        pg.locator("#pa-question textarea").wait_for()
        pg.locator("#pa-chat").get_by_text("托位要新增多少个?").wait_for()  # the earlier exchange is still there
        assert "360个以上" in pg.locator("#pa-chat").inner_text()
        pg.get_by_role("tab", name="指标一览").click()
        table = pg.locator("#pa-targets")
        table.get_by_text("农村居民人均可支配收入").first.wait_for()
        cell = table.get_by_text("农村居民人均可支配收入").first.bounding_box()
        assert cell and cell["width"] > 60  # columns keep their width (the table scrolls sideways)
    finally:
        context.close()


def test_ledger_tab_filters_and_downloads_csv(page: Any, tmp_path: Path) -> None:
    page.get_by_role("tab", name="指标一览").click()
    table = page.locator("#pa-targets")
    table.get_by_text("农村居民人均可支配收入").first.wait_for()
    total = shown_count(page)
    keyword = page.locator("#pa-keyword textarea")
    keyword.fill("污水")
    keyword.press("Enter")
    page.wait_for_function(f"() => {{ const m = document.querySelector('#pa-target-count').innerText"
                           f".match({COUNT_RE}); return m && Number(m[1]) !== {total}; }}")
    shown = shown_count(page)
    assert 0 < shown < total
    with page.expect_download() as info:
        page.locator("#pa-csv").click()
    path = tmp_path / "targets.csv"
    info.value.save_as(path)
    rows = path.read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].startswith("年份,时间范围,指标") and len(rows) - 1 >= shown
    assert all("污水" in row for row in rows[1:])


def test_documents_tab_uploads_and_deletes(page: Any, tmp_path: Path, live_server) -> None:  # type: ignore[no-untyped-def]
    import httpx

    page.get_by_role("tab", name="文档管理").click()
    page.locator("#pa-documents").get_by_text("中华人民共和国乡村振兴促进法").wait_for()
    good = tmp_path / "某某市农村公厕管理办法.txt"
    good.write_text(REGULATION, encoding="utf-8")
    bad = tmp_path / "坏文件.pdf"
    bad.write_bytes(b"%PDF-1.4 broken")
    page.locator("#pa-upload input[type=file]").set_input_files([str(good), str(bad)])
    page.locator("#pa-upload-button").click()
    result = page.locator("#pa-upload-result")
    result.get_by_text("【失败】坏文件.pdf").wait_for()
    assert "【成功】某某市农村公厕管理办法.txt" in result.inner_text()
    page.locator("#pa-documents").get_by_text("某某市农村公厕管理办法").first.wait_for()
    assert httpx.get(live_server.url + "/healthz").json()["documents"] == 6
    page.wait_for_function("() => /收录的\\s*6\\s*份/.test(document.querySelector('#pa-intro').innerText)")  # count follows

    page.locator("#pa-delete-choice input").click()
    page.get_by_role("option", name="某某市农村公厕管理办法").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#pa-delete").click()
    result.get_by_text("【成功】已删除文件").wait_for()
    assert httpx.get(live_server.url + "/healthz").json()["documents"] == 5

    page.locator("#pa-delete-choice input").click()  # a core document, without an admin key: refused
    page.get_by_role("option", name="中华人民共和国乡村振兴促进法").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#pa-delete").click()
    result.get_by_text("【失败】").wait_for()
    assert httpx.get(live_server.url + "/healthz").json()["documents"] == 5


def test_html_in_a_document_is_shown_as_text_and_no_request_leaves_the_page(page: Any, live_server) -> None:  # type: ignore[no-untyped-def]
    """A document holding an <img> tag, a Markdown image and a link, asked about in the page: the browser
    fetches nothing from the addresses in it (a beacon server counts hits) and shows no link to them."""
    import http.server
    import socket
    import threading

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        beacon_port = sock.getsockname()[1]
    hits: list[str] = []

    class Beacon(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            hits.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", beacon_port), Beacon)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    beacon = f"http://127.0.0.1:{beacon_port}"
    hostile = (f'某某镇河道管理办法<img src="{beacon}/title.png">\n\n'
               f"第一条 为加强河道管理，制定本办法。\n"
               f'第二条 镇河道管理站负责河道日常巡查<img src="{beacon}/body.png" onerror="fetch(\'{beacon}/js\')">'
               f"，详见[巡查细则]({beacon}/link)和![示意图]({beacon}/md.png)。\n")
    r = httpx.post(live_server.url + "/v1/documents", params={"wait": "true"},
                   files={"file": ("某某镇河道管理办法.txt", hostile.encode(), "text/plain")}, timeout=300)
    assert r.status_code == 201, r.text
    doc_id = r.json()["document"]["doc_id"]
    requests: list[str] = []
    page.on("request", lambda req: requests.append(req.url))  # every request the page makes from here on
    try:
        page.reload()
        page.locator("#pa-question textarea").wait_for()
        page.get_by_role("tab", name="智能问答").click()
        answer = ask(page, "河道日常巡查由谁负责？")
        page.locator("#pa-chat").get_by_text("镇河道管理站").first.wait_for()
        for title in page.locator("#pa-chat .thought-group .title").all():
            title.click()
        answer.click()  # and in 原文查看
        page.locator("#pa-passage mark#pa-hl").wait_for()
        page.get_by_role("tab", name="文档管理").click()
        page.locator("#pa-documents").get_by_text("某某镇河道管理办法").first.wait_for(state="attached")
        page.wait_for_timeout(1000)
        chat = page.locator("#pa-chat")
        assert "<img" in chat.inner_text() or "巡查细则" in chat.inner_text()  # the text is shown, as text
        assert chat.locator(f"a[href^='{beacon}']").count() == 0 and chat.locator("img[src^='http']").count() == 0
        passage = page.locator("#pa-passage")
        assert "<img" in passage.inner_text() and passage.locator("img").count() == 0
        assert page.locator("#pa-intro img").count() == 0
    finally:
        server.shutdown()
        httpx.delete(f"{live_server.url}/v1/documents/{doc_id}", timeout=300)
    assert not hits, hits
    assert not [u for u in requests if u.startswith(beacon)], requests
