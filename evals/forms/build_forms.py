"""Three forms of one plan, as officials receive it: a .docx with literal numbers and its task table, the
same with Word automatic numbering, and a scanned image-only PDF (skewed 1.2°, a red seal, the table as a
ruled grid). Eval tooling for the documents-as-received issue:

    .venv/bin/python evals/forms/build_forms.py evals/forms/plan2.json /tmp/forms2

then ingest the corpus plus one form into a scratch index and run ``eval`` on ``qa2.jsonl``.
Needs python-docx, Pillow and the WenQuanYi Micro Hei font (fonts-wqy-microhei)."""
import json, sys
from pathlib import Path
import docx
from docx.oxml import parse_xml
from PIL import Image, ImageDraw, ImageFont
from policy_assistant.numerals import cn_numeral

plan = json.load(open(sys.argv[1], encoding="utf-8"))
out = Path(sys.argv[2]); out.mkdir(parents=True, exist_ok=True)
NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'

def numbered_lines():
    c = [0, 0, 0]; lines = []
    for s in plan["sections"]:
        lv = s["level"]; c[lv - 1] += 1
        for k in range(lv, 3): c[k] = 0
        label = [f"{cn_numeral(c[0])}、", f"（{cn_numeral(c[1])}）", f"{c[2]}."][lv - 1]
        lines.append((lv, label, s["heading"], s["paragraphs"]))
    return lines

def add_table(d):
    t = plan["table"]; d.add_paragraph("附件：" + t["title"])
    tab = d.add_table(rows=1 + len(t["rows"]), cols=len(t["header"]))
    for j, h in enumerate(t["header"]): tab.cell(0, j).text = h
    for i, row in enumerate(t["rows"], 1):
        for j, v in enumerate(row): tab.cell(i, j).text = v

def docx_literal():
    d = docx.Document(); d.add_paragraph(plan["title"])
    for lv, label, head, paras in numbered_lines():
        d.add_paragraph(label + head)
        for p in paras: d.add_paragraph(p)
    d.add_paragraph(plan["issuer"]); d.add_paragraph(plan["date"]); add_table(d)
    d.save(out / "plan-table.docx")

def docx_auto():
    d = docx.Document()
    num = d.part.numbering_part.element
    num.insert(0, parse_xml(f"""<w:abstractNum {NS} w:abstractNumId="90">
      <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>
      <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>
      <w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%3."/></w:lvl></w:abstractNum>"""))
    num.append(parse_xml(f'<w:num {NS} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    d.add_paragraph(plan["title"])
    for lv, label, head, paras in numbered_lines():
        p = d.add_paragraph(head)
        p._p.get_or_add_pPr().append(parse_xml(f'<w:numPr {NS}><w:ilvl w:val="{lv-1}"/><w:numId w:val="90"/></w:numPr>'))
        for x in paras: d.add_paragraph(x)
    d.add_paragraph(plan["issuer"]); d.add_paragraph(plan["date"]); add_table(d)
    d.save(out / "plan-autonum.docx")

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
def scan():
    dpi = 200; w, h = int(8.27 * dpi), int(11.69 * dpi)
    f = ImageFont.truetype(FONT, int(dpi * 0.13)); fs = ImageFont.truetype(FONT, int(dpi * 0.12))
    pages, img, y = [], None, 0
    def new():
        nonlocal img, y
        if img is not None: pages.append(img)
        img = Image.new("RGB", (w, h), "white"); y = int(dpi * 0.8)
    def line(text, font=f):
        nonlocal y
        d = ImageDraw.Draw(img); maxw = w - int(dpi * 1.6); cur = ""
        for ch in text:
            if d.textlength(cur + ch, font=font) > maxw:
                if y > h - dpi: new(); d = ImageDraw.Draw(img)
                d.text((int(dpi * 0.8), y), cur, font=font, fill="black"); y += int(font.size * 1.7); cur = ""
            cur += ch
        if y > h - dpi: new(); d = ImageDraw.Draw(img)
        d.text((int(dpi * 0.8), y), cur, font=font, fill="black"); y += int(font.size * 1.7)
    new(); line(plan["title"])
    for lv, label, head, paras in numbered_lines():
        line(label + head)
        for p in paras: line(p)
    line(plan["issuer"]); line(plan["date"])
    d = ImageDraw.Draw(img); cx, cy, r = int(w * 0.6), y - int(dpi * 0.5), int(dpi * 0.7)
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(220, 30, 30), width=int(dpi * 0.05))
    new(); t = plan["table"]; line("附件：" + t["title"])
    widths = [0.5, 2.4, 1.4, 1.9, 1.1]; x0 = int(dpi * 0.5)
    for row in [t["header"], *t["rows"]]:
        d = ImageDraw.Draw(img); x = x0; rh = int(dpi * 0.62)
        for wd, cell in zip(widths, row):
            cw = int(wd * dpi); d.rectangle((x, y, x + cw, y + rh), outline="black", width=2)
            # wrap the cell text into two lines if needed
            txt, lines_, cur = cell, [], ""
            for ch in txt:
                if d.textlength(cur + ch, font=fs) > cw - 10: lines_.append(cur); cur = ""
                cur += ch
            lines_.append(cur)
            for k, ln in enumerate(lines_[:2]): d.text((x + 5, y + 5 + k * int(fs.size * 1.3)), ln, font=fs, fill="black")
            x += cw
        y += rh
    pages.append(img)
    pages = [p.rotate(1.2, expand=True, fillcolor="white") for p in pages]
    pages[0].save(out / "plan-scan.pdf", save_all=True, append_images=pages[1:], resolution=dpi)

docx_literal(); docx_auto(); scan(); print(sorted(p.name for p in out.iterdir()))
