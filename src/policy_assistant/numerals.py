"""Chinese numerals: 二十四 → 24, 五千 → 5000, 一百零五 → 105, 两万 → 20000, 3.8 → 3.8."""

from __future__ import annotations

import re

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
CN_BIG = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}
CN_NUMERAL_CHARS = "".join(CN_DIGITS) + "".join(CN_UNITS) + "".join(CN_BIG)
CN_NUMERAL_RE = re.compile(f"[{CN_NUMERAL_CHARS}]+")


def cn_to_int(text: str) -> int | None:
    """Value of a Chinese numeral (一 … 九千九百九十九亿…), or None when it is not one.

    Args:
        text: e.g. "三十五", "十", "二十四", "一百零五", "五千", "两万".
    Returns:
        The integer, or None for an empty or malformed numeral.
    """
    if not text or any(ch not in CN_DIGITS and ch not in CN_UNITS and ch not in CN_BIG for ch in text):
        return None
    total = 0  # completed big-unit groups
    section = 0  # value below the current big unit
    digit: int | None = None
    for ch in text:
        if ch in CN_DIGITS:
            digit = CN_DIGITS[ch]
        elif ch in CN_UNITS:
            section += (1 if digit is None else digit) * CN_UNITS[ch]
            digit = None
        else:  # 万 / 亿
            section += digit or 0
            if section == 0:
                section = 1
            total = (total + section) * CN_BIG[ch] if CN_BIG[ch] > 10_000 else total + section * CN_BIG[ch]
            section = 0
            digit = None
    return total + section + (digit or 0)


def parse_number(text: str) -> float | None:
    """An Arabic or Chinese number as written in a policy text ("5.7", "85", "二十四", "1,200")."""
    t = text.replace(",", "").strip()
    try:
        return float(t)
    except ValueError:
        value = cn_to_int(t)
        return float(value) if value is not None else None


def format_number(value: float) -> str:
    """Shortest faithful rendering: 5.7 → "5.7", 12.0 → "12", 0.01 → "0.01"."""
    if value == int(value):
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def cn_numeral(n: int) -> str:
    """A small number (1–999) in Chinese numerals as articles are numbered: 5 → 五, 80 → 八十, 115 → 一百一十五."""
    digits = "零一二三四五六七八九"
    if not 0 < n < 1000:
        return str(n)
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out = f"{digits[hundreds]}百" if hundreds else ""
    if tens:
        out += ("" if tens == 1 and not hundreds else digits[tens]) + "十"
    elif hundreds and ones:
        out += "零"
    return out + (digits[ones] if ones else "")
