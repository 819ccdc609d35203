"""Loaders: every supported format yields the document's text, and bad files fail with a clear error."""

from __future__ import annotations

import io
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from policy_assistant.errors import (
    DocumentError,
    FileTooLarge,
    MissingDependency,
    NotFound,
    UnsupportedFileType,
)
from policy_assistant.ingest import loaders
from policy_assistant.ingest.loaders import SUPPORTED_SUFFIXES, decode_text, load_bytes, load_file

OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc, .wps, .xls: the old Office container
POLICY = "一、总体目标\n到2025年，农村居民人均可支配收入达到5.7万元。\n（一）县农业农村局牵头负责。"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def make_pdf(pages: list[list[str]]) -> bytes:
    """A real PDF with Chinese text, using reportlab's built-in CID font (no font file needed)."""
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    for lines in pages:
        pdf.setFont("STSong-Light", 14)
        for i, line in enumerate(lines):
            pdf.drawString(72, 750 - 24 * i, line)
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


def make_docx(build) -> bytes:
    document = docx.Document()
    build(document)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- plain text


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        (POLICY.encode("utf-8"), "utf-8"),
        (POLICY.encode("utf-8-sig"), "utf-8-sig"),
        (POLICY.encode("utf-16"), "utf-16"),
        (POLICY.encode("gb18030"), "gb18030"),
    ],
)
def test_txt_encodings_decode_to_the_same_text(tmp_path, encoded, encoding):
    loaded = load_file(write(tmp_path, "plan.txt", encoded))
    assert loaded.text == POLICY
    assert loaded.encoding == encoding
    assert loaded.fmt == "txt"
    assert not loaded.text.startswith("\ufeff")
    assert loaded.page_at(0) is None


@pytest.mark.parametrize("short", ["通知", "总体目标", "牵头单位：县财政局", "一、"])
def test_short_gbk_text_is_not_misdetected(short):
    assert load_bytes("a.txt", short.encode("gbk")).text == short


def test_big5_traditional_text_is_not_read_as_gbk():
    text = "一、總體目標\n到2025年，農村居民人均可支配收入達到5.7萬元。縣農業農村局牽頭負責。"
    loaded = load_bytes("tw.txt", text.encode("big5"))
    assert loaded.text == text
    assert loaded.encoding == "big5"


def test_gbk_traditional_characters_stay_gbk():
    text = "一、總體目標，農業農村局牽頭負責。"
    assert load_bytes("a.txt", text.encode("gbk")).text == text


def test_newlines_are_unified_and_text_kept_verbatim():
    raw = "第一条　为了…\r\n第二条 本法。\r（一）全角　空格  保留\n"
    assert (
        load_bytes("law.txt", raw.encode("gb18030")).text
        == "第一条　为了…\n第二条 本法。\n（一）全角　空格  保留\n"
    )


def test_markdown_is_read_as_text():
    loaded = load_bytes("plan.md", "# 标题\n\n## 第一章　总则\n\n第一条 内容。".encode())
    assert loaded.fmt == "md"
    assert loaded.text == "# 标题\n\n## 第一章　总则\n\n第一条 内容。"


@pytest.mark.parametrize("text", ["café résumé naïve", "Привет, мир", "Ελληνικά"])
def test_utf8_without_chinese_stays_utf8(text):
    assert decode_text(text.encode()) == (text, "utf-8")


def test_decode_text_returns_text_and_encoding():
    assert decode_text("到2025年".encode("gb18030")) == ("到2025年", "gb18030")
    assert decode_text(b"plain\r\n") == ("plain\n", "utf-8")


@pytest.mark.parametrize(
    "junk", [b"abc\x00\x01\x02def" * 10, bytes(range(256)) * 4, bytes(range(1, 256)) * 4]
)
def test_binary_junk_in_txt_is_refused(junk):
    with pytest.raises(DocumentError, match=r"junk\.txt.*binary"):
        load_bytes("junk.txt", junk)


# ---------------------------------------------------------------- HTML

PAGE = """<!DOCTYPE html><html><head><title>网站标题</title><style>p {color: red}</style>
<script>var x = "脚本";</script></head>
<body><header>首页 | 政务公开</header><nav><a>导航</a></nav>
<div class="article"><h1>关于推进乡村振兴的实施意见</h1>
<p>一、总体目标</p><p>到2025年，农村居民人均可支配收入
达到5.7万元。</p>
<p>（一）&nbsp;强化组织领导。</p><p>1. 县农业农村局牵头。<br>2. 各乡镇负责。</p>
<!-- 注释 -->
<table><tr><th>指标</th><th>目标值</th></tr><tr><td>收入</td><td>5.7万元</td></tr></table>
<noscript>请启用脚本</noscript></div>
<footer>版权所有</footer><script>track();</script></body></html>"""

PAGE_LINES = [
    "关于推进乡村振兴的实施意见",
    "一、总体目标",
    "到2025年，农村居民人均可支配收入达到5.7万元。",
    "（一）\xa0强化组织领导。",
    "1. 县农业农村局牵头。",
    "2. 各乡镇负责。",
    "指标 | 目标值",
    "收入 | 5.7万元",
]


def test_html_keeps_paragraph_lines_and_drops_page_furniture():
    loaded = load_bytes("page.html", PAGE.encode())
    assert loaded.text.split("\n") == PAGE_LINES
    assert loaded.fmt == "html"
    for junk in ("脚本", "color", "导航", "首页", "版权", "注释", "网站标题", "track", "请启用"):
        assert junk not in loaded.text


def test_html_declared_gbk_is_decoded():
    page = PAGE.replace(
        "<head>", '<head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
    )
    loaded = load_bytes("page.htm", page.encode("gbk"))
    assert loaded.text.split("\n") == PAGE_LINES
    assert loaded.encoding == "gb18030"


def test_html_with_wrong_charset_declaration_falls_back_to_detection():
    page = PAGE.replace("<head>", '<head><meta charset="utf-8">')
    assert load_bytes("page.html", page.encode("gbk")).text.split("\n") == PAGE_LINES


def test_html_pre_keeps_its_line_breaks():
    # indentation is dropped, as on every HTML line; the line breaks are what the outline needs
    loaded = load_bytes("p.html", "<pre>第一行\n  第二行</pre><p>段落</p>".encode())
    assert loaded.text == "第一行\n第二行\n段落"


# ---------------------------------------------------------------- DOCX


def test_docx_paragraphs_and_tables_in_document_order(tmp_path):
    def build(document):
        document.add_paragraph("一、总体目标")
        document.add_paragraph("到2025年，农村居民人均可支配收入达到5.7万元。")
        rows = [["指标", "目标值", "责任单位"], ["收入", "5.7万元", "县农业农村局"]]
        table = document.add_table(rows=2, cols=3)
        for row, values in zip(table.rows, rows, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value
        document.add_paragraph("")
        document.add_paragraph("二、重点任务")

    loaded = load_file(write(tmp_path, "plan.docx", make_docx(build)))
    assert loaded.fmt == "docx"
    assert loaded.text.split("\n") == [
        "一、总体目标",
        "到2025年，农村居民人均可支配收入达到5.7万元。",
        "指标 | 目标值 | 责任单位",
        "收入 | 5.7万元 | 县农业农村局",
        "二、重点任务",
    ]


def test_docx_merged_cell_appears_once():
    def build(document):
        table = document.add_table(rows=1, cols=3)
        table.cell(0, 0).merge(table.cell(0, 1)).text = "合并"
        table.cell(0, 2).text = "单独"

    assert load_bytes("t.docx", make_docx(build)).text == "合并 | 单独"


def test_corrupt_docx_is_a_document_error():
    good = make_docx(lambda d: d.add_paragraph("内容"))
    with pytest.raises(DocumentError, match=r"bad\.docx"):
        load_bytes("bad.docx", good[: len(good) // 2])


def test_docx_that_is_not_a_zip_is_a_document_error():
    with pytest.raises(DocumentError, match=r"notes\.docx is not a valid DOCX"):
        load_bytes("notes.docx", "只是文本".encode())


# ---------------------------------------------------------------- PDF


def test_pdf_chinese_text_and_page_numbers(tmp_path):
    data = make_pdf(
        [
            ["一、总体目标", "到2025年，农村居民人均可支配收入达到5.7万元。"],
            ["二、重点任务", "（一）县农业农村局牵头负责。"],
        ]
    )
    loaded = load_file(write(tmp_path, "plan.pdf", data))
    assert loaded.fmt == "pdf"
    assert "到2025年，农村居民人均可支配收入达到5.7万元。" in loaded.text
    assert loaded.page_starts is not None and len(loaded.page_starts) == 2
    assert loaded.page_at(loaded.text.index("一、总体目标")) == 1
    assert loaded.page_at(loaded.text.index("县农业农村局牵头负责")) == 2
    assert loaded.text[loaded.page_starts[1] :].startswith("二、重点任务")


def test_pdf_kangxi_radicals_become_ideographs(monkeypatch):
    # some PDF fonts map glyphs to Kangxi radicals (⾏ U+2F8F) that look like 行 but do not match it
    monkeypatch.setattr("pypdf.PageObject.extract_text", lambda self, *a, **k: "执\u2f8f到位")
    assert load_bytes("x.pdf", make_pdf([["x"]])).text == "执行到位"


def test_encrypted_pdf_is_refused():
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([["机密"]]))))
    writer.encrypt(user_password="secret", owner_password="owner")
    buf = io.BytesIO()
    writer.write(buf)
    with pytest.raises(DocumentError, match=r"locked\.pdf: PDF is encrypted") as info:
        load_bytes("locked.pdf", buf.getvalue())
    assert "已加密" in info.value.message_zh


def test_pdf_with_empty_user_password_is_read():
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([["公开文件"]]))))
    writer.encrypt(user_password="", owner_password="owner")
    buf = io.BytesIO()
    writer.write(buf)
    assert "公开文件" in load_bytes("open.pdf", buf.getvalue()).text


@pytest.mark.parametrize("keep", [0.05, 0.5, 0.95])
def test_truncated_pdf_is_a_document_error(keep):
    data = make_pdf([["内容"]])
    with pytest.raises(DocumentError, match=r"broken\.pdf: corrupt"):
        load_bytes("broken.pdf", data[: int(len(data) * keep)])


def test_pdf_without_text_needs_ocr():
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    pdf.rect(100, 100, 200, 200, fill=1)  # a drawing, as a scanned page is an image: no text layer
    pdf.showPage()
    pdf.save()
    with pytest.raises(DocumentError, match=r"scan\.pdf.*OCR") as info:
        load_bytes("scan.pdf", buf.getvalue())
    assert "OCR" in info.value.message_zh


def test_program_renamed_pdf_is_refused(tmp_path):
    with pytest.raises(UnsupportedFileType, match=r"setup\.pdf is a program"):
        load_file(write(tmp_path, "setup.pdf", b"MZ\x90\x00\x03" + bytes(200)))


def test_text_renamed_pdf_is_refused():
    with pytest.raises(DocumentError, match=r"note\.pdf is not a valid PDF"):
        load_bytes("note.pdf", "一、总体目标".encode())


# ---------------------------------------------------------------- DOC / WPS


def test_doc_without_libreoffice_says_how_to_enable_it(monkeypatch):
    monkeypatch.setattr(loaders.shutil, "which", lambda name: None)
    with pytest.raises(MissingDependency, match=r"old\.doc.*apt-get install -y libreoffice-writer") as info:
        load_bytes("old.doc", OLE_HEADER + bytes(512))
    assert info.value.status == 501
    assert ".docx" in info.value.message_zh


def test_doc_that_is_really_a_docx_is_read_without_libreoffice(monkeypatch):
    monkeypatch.setattr(loaders.shutil, "which", lambda name: None)
    loaded = load_bytes("renamed.doc", make_docx(lambda d: d.add_paragraph("一、总体目标")))
    assert loaded.text == "一、总体目标"
    assert loaded.fmt == "doc"


def fake_soffice(tmp_path: Path, monkeypatch, body: str) -> None:
    """Put a fake `soffice` (a Python script running ``body``) alone on PATH."""
    fake = tmp_path / "bin" / "soffice"
    fake.parent.mkdir()
    fake.write_text(
        f"#!{sys.executable}\nimport shutil, sys, time\nfrom pathlib import Path\nargs = sys.argv[1:]\n{body}"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(fake.parent))


def test_wps_is_converted_by_a_fake_soffice(tmp_path, monkeypatch):
    converted = write(tmp_path, "converted.docx", make_docx(lambda d: d.add_paragraph("二、重点任务")))
    # LibreOffice writes <outdir>/<source stem>.docx; the fake does the same with a prepared file
    fake_soffice(
        tmp_path,
        monkeypatch,
        "assert '--headless' in args and args[args.index('--convert-to') + 1] == 'docx'\n"
        f"shutil.copy({str(converted)!r}, Path(args[args.index('--outdir') + 1]) / (Path(args[-1]).stem + '.docx'))\n",
    )
    loaded = load_bytes("plan.wps", OLE_HEADER + bytes(512))
    assert loaded.text == "二、重点任务"
    assert loaded.fmt == "wps"


def test_failed_conversion_by_a_fake_soffice_is_a_document_error(tmp_path, monkeypatch):
    fake_soffice(tmp_path, monkeypatch, "print('Error: source file could not be loaded', file=sys.stderr)\n")
    with pytest.raises(DocumentError, match=r"old\.doc: LibreOffice could not convert.*could not be loaded"):
        load_bytes("old.doc", OLE_HEADER + bytes(512))


def test_hanging_fake_soffice_is_killed_after_the_timeout(tmp_path, monkeypatch):
    fake_soffice(tmp_path, monkeypatch, "time.sleep(60)\n")
    monkeypatch.setattr(loaders, "SOFFICE_TIMEOUT_S", 0.5)
    start = time.monotonic()
    with pytest.raises(DocumentError, match=r"old\.doc: LibreOffice conversion timed out"):
        load_bytes("old.doc", OLE_HEADER + bytes(512))
    assert time.monotonic() - start < 10


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) not installed")
def test_real_doc_and_wps_are_converted_with_libreoffice(tmp_path):
    source = write(
        tmp_path,
        "plan.docx",
        make_docx(lambda d: (d.add_paragraph("一、总体目标"), d.add_paragraph("二、重点任务"))),
    )
    subprocess.run(
        ["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
         "--convert-to", "doc", "--outdir", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    doc = (tmp_path / "plan.doc").read_bytes()
    assert doc.startswith(OLE_HEADER)
    assert load_bytes("plan.doc", doc).text == "一、总体目标\n二、重点任务"
    # Kingsoft WPS files are Word-97 binaries: a .doc renamed .wps goes through the same path
    assert load_bytes("plan.wps", doc).text == "一、总体目标\n二、重点任务"


# ---------------------------------------------------------------- general checks


def test_supported_suffixes():
    assert {
        ".txt",
        ".md",
        ".markdown",
        ".html",
        ".htm",
        ".docx",
        ".pdf",
        ".doc",
        ".wps",
        ".png", ".jpg", ".jpeg", ".tif", ".tiff",  # scans, read by OCR
        ".xlsx",
    } == SUPPORTED_SUFFIXES


@pytest.mark.parametrize("name", ["empty.txt", "empty.pdf", "empty.docx", "empty.html"])
def test_zero_byte_file_is_empty(tmp_path, name):
    with pytest.raises(DocumentError, match=rf"{name}: empty document") as info:
        load_file(write(tmp_path, name, b""))
    assert "文档为空" in info.value.message_zh


@pytest.mark.parametrize(
    ("name", "data"), [("blank.txt", " \n\u3000\n".encode()), ("blank.html", b"<p> </p>")]
)
def test_whitespace_only_is_empty(name, data):
    with pytest.raises(DocumentError, match="empty document"):
        load_bytes(name, data)


def test_unknown_extension_lists_supported_types(tmp_path):
    with pytest.raises(UnsupportedFileType, match=r"data\.pptx.*\.docx.*\.pdf") as info:
        load_file(write(tmp_path, "data.pptx", b"PK\x03\x04"))
    assert info.value.status == 415


def test_missing_file_is_not_found(tmp_path):
    with pytest.raises(NotFound, match=r"gone\.txt"):
        load_file(tmp_path / "gone.txt")


def test_upper_case_suffix_is_accepted():
    assert load_bytes("通知.TXT", "内容".encode()).text == "内容"


def test_file_over_max_bytes_is_refused_before_reading(tmp_path, monkeypatch):
    path = write(tmp_path, "big.txt", "内容".encode() * 1000)

    def no_read(*args, **kwargs):
        raise AssertionError("file was opened")

    monkeypatch.setattr(Path, "open", no_read)
    with pytest.raises(FileTooLarge, match=r"big\.txt") as info:
        load_file(path, max_bytes=1000)
    assert info.value.status == 413


def make_pdf_with_table(rows: list[list[str]], before: str, after: str) -> bytes:
    """A PDF page: a line of text, a ruled table (the task-table form), another line."""
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    pdf.setFont("STSong-Light", 11)
    pdf.drawString(60, 780, before)
    widths = [40, 170, 110, 150]
    top, height = 750, 26
    for r, row in enumerate(rows):
        x = 50
        y = top - r * height
        for w, cell in zip(widths, row, strict=True):
            pdf.rect(x, y - height, w, height)
            pdf.drawString(x + 4, y - 17, cell)
            x += w
    pdf.drawString(60, top - len(rows) * height - 30, after)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def test_a_pdf_task_table_keeps_its_rows_and_header_cells():
    rows = [["序号", "重点任务", "牵头单位", "配合单位"],
            ["1", "培育乡村特色产业集群", "市农业农村局", "市发展改革委、市科技局"],
            ["2", "建设数字乡村大脑", "市数据局", "市农业农村局"]]
    text = load_bytes("方案.pdf", make_pdf_with_table(rows, "附件：重点任务分工表", "以上任务按期完成。")).text
    lines = text.split("\n")
    assert "序号 | 重点任务 | 牵头单位 | 配合单位" in lines
    assert "2 | 建设数字乡村大脑 | 市数据局 | 市农业农村局" in lines
    assert lines.index("附件：重点任务分工表") < lines.index("序号 | 重点任务 | 牵头单位 | 配合单位") < lines.index("以上任务按期完成。")


def test_a_pdf_task_table_gives_duty_records(tmp_path):
    from policy_assistant.ingest.prepare import prepare_document

    rows = [["序号", "重点任务", "牵头单位", "配合单位"],
            ["1", "培育乡村特色产业集群", "市农业农村局", "市发展改革委、市科技局"],
            ["2", "建设数字乡村大脑", "市数据局", "市农业农村局"]]
    prepared = prepare_document("方案.pdf", make_pdf_with_table(rows, "某市未来乡村建设实施方案", "附件：重点任务分工表"),
                                "upload", 1200)
    table = [o for o in prepared.owners if o.source == "table"]
    assert any(o.owner == "市数据局" and "数字乡村大脑" in o.task for o in table)  # the lead of row 2
    assert any(o.owner == "市科技局" and "特色产业集群" in o.task for o in table)  # a cooperating body of row 1


def test_an_xlsx_task_breakdown_is_read_row_by_row():
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "重点任务分工表"
    for row in (["序号", "重点任务", "牵头单位", "配合单位", "完成时限"],
                [1, "培育乡村特色产业集群", "市农业农村局", "市发展改革委、市科技局", "2026年12月"],
                [None, None, None, None, None],
                [2, "建设数字乡村大脑", "市数据局", None, "2025年6月"]):
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    text = load_bytes("分工表.xlsx", buf.getvalue()).text
    assert text.split("\n")[:3] == ["重点任务分工表", "序号 | 重点任务 | 牵头单位 | 配合单位 | 完成时限",
                                     "1 | 培育乡村特色产业集群 | 市农业农村局 | 市发展改革委、市科技局 | 2026年12月"]
    assert text.split("\n")[3] == "2 | 建设数字乡村大脑 | 市数据局 |  | 2025年6月"  # an empty cell keeps its column
    with pytest.raises(DocumentError):
        load_bytes("坏表.xlsx", b"PK\x03\x04 broken")


def test_layout_line_wraps_of_a_pdf_are_joined_but_headings_and_items_stay():
    from policy_assistant.ingest.loaders import unwrap_lines

    page = ("二、主要目标\n到2026年，全县农村卫生厕所普及率达到95%以上，农村生活污水治理率达\n到50%以上，累计创建"
            "示范村60个。\n（一）加强组织领导\n县委督查室会同县政府督查室每半年开展一次专项督查，对推进不力的乡\n镇进行通报约谈。\n"
            "1 | 农村卫生厕所改造 | 县农业农村局\n- 2 -")
    assert unwrap_lines(page).split("\n") == [
        "二、主要目标", "到2026年，全县农村卫生厕所普及率达到95%以上，农村生活污水治理率达到50%以上，累计创建示范村60个。",
        "（一）加强组织领导", "县委督查室会同县政府督查室每半年开展一次专项督查，对推进不力的乡镇进行通报约谈。",
        "1 | 农村卫生厕所改造 | 县农业农村局", "- 2 -"]
