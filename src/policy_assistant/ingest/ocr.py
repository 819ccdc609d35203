"""OCR for scanned pages and images: Tesseract (``chi_sim``/``chi_tra``) through its command line, offline.

A PDF page without a text layer is rendered with PDFium (``pypdfium2``), straightened (a small skew found
by the projection profile of the dark pixels), and read by Tesseract in TSV mode, which gives each word's
confidence. The page keeps its number; its mean word confidence travels with its text, so a citation says
"扫描件第2页，OCR". Where Tesseract or its Chinese data is missing, :class:`OcrUnavailable` says how to get it.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DocumentError

if TYPE_CHECKING:
    import numpy as np
    from PIL.Image import Image

INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-chi-tra"
PAGE_TIMEOUT_S = 120  # one page; a hung Tesseract is stopped, never the whole service
MAX_SKEW_DEG = 5.0
SKEW_STEP_DEG = 0.5
# Tesseract puts spaces around punctuation: "( 2024-2026年 )", "附件 : 分工表"
_PUNCT_SPACE = re.compile(r"(?<![|])\s+(?=[()（）:：，,。、“”；;》])|(?<=[()（）:：，,。、“”；;《])\s+(?![|])")
# Tesseract puts spaces between Chinese characters and around figures: "到 2025 年" is "到2025年"
_CJK_SPACE = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef\d%.])\s+(?=[\u3000-\u9fff\uff00-\uffef])"
                        r"|(?<=[\u3000-\u9fff\uff00-\uffef])\s+(?=[\d%])")


class OcrUnavailable(DocumentError):
    """A scanned document, and no OCR engine here: the message says how to enable it (422)."""


@dataclass(frozen=True)
class OcrPage:
    """The text Tesseract read on one page, and its mean word confidence (0–100)."""

    text: str
    confidence: float


@lru_cache(maxsize=1)
def _tesseract_langs() -> frozenset[str]:
    exe = shutil.which("tesseract")
    if exe is None:
        return frozenset()
    try:
        out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(line.strip() for line in (out.stdout + out.stderr).splitlines()[1:] if line.strip())


def check_available(name: str, langs: str) -> None:
    """Raise :class:`OcrUnavailable` unless Tesseract and every language of ``langs`` (chi_sim+eng) are here."""
    have = _tesseract_langs()
    missing = [lang for lang in langs.split("+") if lang not in have]
    if not have or missing:
        what = "Tesseract is not installed" if not have else f"Tesseract lacks the language data {', '.join(missing)}"
        raise OcrUnavailable(
            f"{name}: a scanned document needs OCR, and {what}; install it ({INSTALL_HINT}) or set PA_OCR_LANGS",
            f"{name}：这是扫描件，需要 OCR 文字识别，但本机未安装 Tesseract 或其中文语言包；请安装（{INSTALL_HINT}）",
        )


def deskew(image: Image) -> Image:
    """The page turned by the small angle (±5°) that makes its text lines most horizontal."""
    import numpy as np
    from PIL import Image as PilImage

    gray = image.convert("L")
    small = gray.resize((max(1, gray.width // 4), max(1, gray.height // 4)))
    dark = (np.asarray(small) < 128).astype(np.float32)
    if dark.sum() < 50:
        return gray
    best_angle, best_score = 0.0, -1.0
    angle = -MAX_SKEW_DEG
    while angle <= MAX_SKEW_DEG + 1e-9:
        turned = PilImage.fromarray((dark * 255).astype(np.uint8)).rotate(angle, resample=PilImage.Resampling.BILINEAR,
                                                                           expand=False)
        rows = np.asarray(turned, dtype=np.float32).sum(axis=1)
        score = float(np.var(rows))  # sharp line/gap alternation when the lines are level
        if score > best_score:
            best_angle, best_score = angle, score
        angle += SKEW_STEP_DEG
    if abs(best_angle) < SKEW_STEP_DEG / 2:
        return gray
    return gray.rotate(best_angle, resample=PilImage.Resampling.BICUBIC, expand=True, fillcolor=255)


@dataclass(frozen=True)
class _Rules:
    """A page's grey pixels, its dark ones, and the longest dark run of every row and column (measured once)."""

    pixels: np.ndarray
    dark: np.ndarray
    row_runs: np.ndarray
    col_runs: np.ndarray

    @classmethod
    def of(cls, image: Image) -> _Rules:
        import numpy as np

        pixels = np.asarray(image.convert("L")).copy()
        dark = pixels < 128
        return cls(pixels, dark, _runs(dark, axis=1), _runs(dark, axis=0))


def without_rules(rules: _Rules) -> tuple[Image, bool]:
    """The page with the ruled lines of a table whitened (Tesseract reads cell text, not the grid), and
    whether there were any: rows or columns of dark pixels longer than a fifth of the page."""
    import numpy as np
    from PIL import Image as PilImage

    pixels, dark = rules.pixels.copy(), rules.dark
    rows = rules.row_runs > pixels.shape[1] // 5
    cols = rules.col_runs > pixels.shape[0] // 5
    if not rows.any() and not cols.any():
        return PilImage.fromarray(pixels), False
    pixels[rows, :] = np.where(dark[rows, :], 255, pixels[rows, :])
    pixels[:, cols] = np.where(dark[:, cols], 255, pixels[:, cols])
    return PilImage.fromarray(pixels), True


def _runs(dark: np.ndarray, axis: int) -> np.ndarray:
    """The longest run of dark pixels in each row (axis=1) or column (axis=0)."""
    import numpy as np

    lines = dark if axis == 1 else dark.T
    best = np.zeros(lines.shape[0], dtype=np.int64)
    current = np.zeros(lines.shape[0], dtype=np.int64)
    for k in range(lines.shape[1]):
        current = np.where(lines[:, k], current + 1, 0)
        best = np.maximum(best, current)
    return best


def _tesseract(image: Image, langs: str, psm: int = 6) -> list[list[str]]:
    """Tesseract's TSV rows for ``image`` (each a list of its 12 columns), words only."""
    exe = shutil.which("tesseract")
    if exe is None:
        raise OcrUnavailable("tesseract disappeared", "未找到 Tesseract")
    with tempfile.TemporaryDirectory(prefix="pa-ocr-") as tmp:
        path = Path(tmp) / "page.png"
        image.save(path)
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # pages and cells run side by side; one thread each
        try:
            out = subprocess.run([exe, str(path), "stdout", "-l", langs, "--psm", str(psm), "tsv"], capture_output=True,
                                 text=True, timeout=PAGE_TIMEOUT_S, check=False, env=env)
        except subprocess.TimeoutExpired as exc:
            raise DocumentError(f"OCR of a page took over {PAGE_TIMEOUT_S} s", "扫描页文字识别超时") from exc
    rows = [r.split("\t") for r in out.stdout.splitlines()[1:]]
    return [r for r in rows if len(r) >= 12 and r[0] == "5" and r[11].strip()]


def _rule_positions(mask: np.ndarray) -> list[int]:
    """Centres of the runs of True in a 1-D mask: the positions of a grid's lines."""
    out, start = [], None
    for i, on in enumerate([*mask.tolist(), False]):
        if on and start is None:
            start = i
        elif not on and start is not None:
            out.append((start + i - 1) // 2)
            start = None
    return out


def _grid(rules: _Rules) -> tuple[list[int], list[int]]:
    """The y of a ruled table's horizontal lines and the x of its vertical lines ([] when there is none)."""
    ys = _rule_positions(rules.row_runs > rules.dark.shape[1] // 5)
    xs = _rule_positions(rules.col_runs > rules.dark.shape[0] // 20)
    if len(ys) < 3 or len(xs) < 3:
        return [], []
    return ys, xs


_CELL_JUNK = re.compile(r"^[|丨\[\]“”'\"`\s]+|[|丨\[\]“”'\"`\s]+$")  # remnants of the grid at a cell's edges


def _cell_text(image: Image, langs: str) -> tuple[str, list[float]]:
    import numpy as np

    if (np.asarray(image.convert("L")) < 128).sum() < 30:  # an empty cell
        return "", []
    words = _tesseract(image, langs, psm=6)
    text = _CELL_JUNK.sub("", _PUNCT_SPACE.sub("", _CJK_SPACE.sub("", " ".join(w[11].strip() for w in words))))
    if len(text) <= 2 and not re.search(r"[\u4e00-\u9fff]", text):  # a short figure (序号 2): read as one word
        words = _tesseract(image, langs, psm=8) or words
        text = _CELL_JUNK.sub("", "".join(w[11].strip() for w in words))
    return text.replace(" ", "") if re.search(r"[\u4e00-\u9fff]", text) else text, \
        [float(w[10]) for w in words if float(w[10]) >= 0]


def read_image(image: Image, langs: str) -> OcrPage:
    """One page image through Tesseract (TSV): its lines of text and mean word confidence. A ruled table is
    read cell by cell (its grid gives the cells; a cell's wrapped lines stay one cell) and written as rows of
    cells ("1 | 农村卫生厕所改造 | 县农业农村局 | …") in its place among the page's lines."""
    page = deskew(image)
    rules = _Rules.of(page)
    ys, xs = _grid(rules)
    plain, ruled = without_rules(rules)
    unruled = plain  # cells are read with the grid whitened
    if ys:  # the text around the table: the table's area whitened, read as a page
        from PIL import ImageDraw

        plain = plain.copy()
        ImageDraw.Draw(plain).rectangle((xs[0], ys[0], xs[-1], ys[-1]), fill=255)
    lines: dict[tuple[str, str, str], list[tuple[int, int, int, str]]] = {}
    tops: dict[tuple[str, str, str], int] = {}
    confidences: list[float] = []
    for cols in _tesseract(plain, langs):
        key = (cols[2], cols[3], cols[4])
        lines.setdefault(key, []).append((int(cols[6]), int(cols[8]), int(cols[9]), cols[11].strip()))
        tops[key] = min(tops.get(key, 10**9), int(cols[7]))
        if float(cols[10]) >= 0:
            confidences.append(float(cols[10]))
    placed = [(tops[k], _line_text(words, ruled and not ys)) for k, words in lines.items()]
    if ys:
        inset = 6
        boxes = [(r, c, (xs[c] + inset, ys[r] + inset, xs[c + 1] - inset, ys[r + 1] - inset))
                 for r in range(len(ys) - 1) for c in range(len(xs) - 1)
                 if xs[c + 1] - xs[c] > 3 * inset and ys[r + 1] - ys[r] > 3 * inset]
        with ThreadPoolExecutor(max_workers=2) as pool:
            read = list(pool.map(lambda b: _cell_text(unruled.crop(b[2]), langs), boxes))
        table: dict[int, dict[int, str]] = {}
        for (r, c, _), (text, confs) in zip(boxes, read, strict=True):
            table.setdefault(r, {})[c] = text
            confidences.extend(confs)
        for r, cells in sorted(table.items()):
            row = " | ".join(cells.get(c, "") for c in range(len(xs) - 1))
            if row.strip(" |"):
                placed.append((ys[r], row))
    text = "\n".join(t for _, t in sorted(placed, key=lambda x: x[0]) if _HAN_OR_FIGURE.search(t))
    return OcrPage(text=text, confidence=round(sum(confidences) / len(confidences), 1) if confidences else 0.0)


_EMPTY_CELLS = re.compile(r"(?:\s*\|\s*){2,}")  # grid remnants read as empty cells
_HAN_OR_FIGURE = re.compile(r"[\u4e00-\u9fff]{2}|\d")  # a line of grid remnants and specks holds neither
CELL_GAP = 2.5  # a gap between words wider than this many character heights, on a ruled page, is a cell break


def _line_text(words: list[tuple[int, int, int, str]], ruled: bool) -> str:
    words = sorted(words)
    height = sorted(h for _, _, h, _ in words)[len(words) // 2] or 1
    parts = [words[0][3]]
    for (l0, w0, _, _), (l1, _, _, word) in zip(words, words[1:], strict=False):
        parts.append(" | " if ruled and l1 - (l0 + w0) > CELL_GAP * height else " ")
        parts.append(word)
    text = _PUNCT_SPACE.sub("", _CJK_SPACE.sub("", "".join(parts)))
    return _EMPTY_CELLS.sub(" | ", text).strip(" |") if ruled else text


def ocr_pdf_pages(name: str, data: bytes, pages: list[int], langs: str, dpi: int) -> dict[int, OcrPage]:
    """OCR the given 0-based pages of a PDF (two at a time); {page index: OcrPage}."""
    check_available(name, langs)
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
        images = {i: pdf[i].render(scale=dpi / 72).to_pil() for i in pages}
    except Exception as exc:  # noqa: BLE001 - PDFium raises its own error types on damaged files
        raise DocumentError(f"{name}: scanned pages could not be rendered ({exc})", f"{name}：扫描页无法渲染") from exc
    with ThreadPoolExecutor(max_workers=min(2, len(images) or 1)) as pool:
        read = dict(zip(images, pool.map(lambda im: read_image(im, langs), images.values()), strict=True))
    return read


def ocr_image_file(name: str, data: bytes, langs: str) -> list[OcrPage]:
    """OCR an image file (.png, .jpg, .tif; every frame of a multi-page TIFF)."""
    check_available(name, langs)
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            frames = [frame.convert("RGB") for frame in ImageSequence.Iterator(img)]
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise DocumentError(f"{name}: unreadable image ({exc})", f"{name}：图片文件已损坏或无法读取") from exc
    with ThreadPoolExecutor(max_workers=min(2, len(frames) or 1)) as pool:
        return list(pool.map(lambda im: read_image(im, langs), frames))
