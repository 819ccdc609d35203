"""Scanned documents made on the spot for the OCR tests: Chinese text drawn on white pages (a little
skewed, the last page with a red seal), saved as an image-only PDF or PNG. Needs a CJK font."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

FONTS = [Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
         Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")]
PAGES = [
    ["某某县农村生活污水治理实施方案", "一、总体目标", "到2025年，全县农村生活污水处理设施行政村覆盖率达到100%，", "出水水质达标率达到95%以上。"],
    ["二、职责分工", "县住房和城乡建设局负责农村生活污水处理设施建设的指导监督。", "县生态环境分局负责出水水质的监督管理。",
     "乡镇人民政府负责设施的日常管理。"],
    ["三、附则", "本方案自2024年3月1日起施行。", "某某县人民政府", "2024年2月20日"],
]


def font() -> Path:
    found = next((f for f in FONTS if f.exists()), None)
    if found is None:
        pytest.skip("no CJK font to draw a scan with (apt-get install fonts-wqy-microhei)")
    return found


def page(lines: list[str], seal: bool = False, angle: float = 1.5, dpi: int = 200):  # type: ignore[no-untyped-def]
    from PIL import Image, ImageDraw, ImageFont

    w, h = int(8.27 * dpi), int(11.69 * dpi)
    img = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(img)
    face = ImageFont.truetype(str(font()), int(dpi * 0.16))
    y = int(dpi * 0.9)
    for line in lines:
        draw.text((int(dpi * 0.9), y), line, font=face, fill="black")
        y += int(dpi * 0.32)
    if seal:  # a red seal over the issuer's name, as on a printed and stamped document
        cx, cy, r = int(w * 0.62), y - int(dpi * 0.5), int(dpi * 0.75)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(220, 30, 30), width=int(dpi * 0.05))
    return img.rotate(angle, expand=True, fillcolor="white")


def scanned_pdf() -> bytes:
    pages = [page(lines, seal=i == len(PAGES) - 1) for i, lines in enumerate(PAGES)]
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=200)
    return out.getvalue()


def scanned_png() -> bytes:
    out = io.BytesIO()
    page(PAGES[1], angle=-2.0).save(out, format="PNG")
    return out.getvalue()


TABLE = [["序号", "重点任务", "牵头单位", "配合单位"],
         ["1", "培育乡村特色产业", "县农业农村局", "县发展改革局、县财政局"],
         ["2", "建设数字乡村平台", "县数据局", "县农业农村局"]]


def scanned_table_pdf(dpi: int = 200) -> bytes:
    """A scanned page holding a ruled task table (cells that wrap stay in their cell), a little skewed."""
    from PIL import Image, ImageDraw, ImageFont

    w, h = int(8.27 * dpi), int(11.69 * dpi)
    img = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(img)
    face = ImageFont.truetype(str(font()), int(dpi * 0.14))
    draw.text((int(dpi * 0.8), int(dpi * 0.8)), "附件：重点任务分工表", font=face, fill="black")
    widths = [0.6, 2.4, 1.6, 2.2]
    y, rh = int(dpi * 1.3), int(dpi * 0.55)
    for row in TABLE:
        x = int(dpi * 0.6)
        for width, cell in zip(widths, row, strict=True):
            cw = int(width * dpi)
            draw.rectangle((x, y, x + cw, y + rh), outline="black", width=3)
            draw.text((x + 10, y + int(rh * 0.3)), cell, font=face, fill="black")
            x += cw
        y += rh
    out = io.BytesIO()
    img.rotate(0.8, expand=True, fillcolor="white").save(out, format="PDF", resolution=dpi)
    return out.getvalue()
