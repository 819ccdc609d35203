"""Normalisation: Traditional→Simplified, full→half width, artefacts, script detection."""

from __future__ import annotations

from policy_assistant.ingest.normalise import (
    clean_text,
    detect_script,
    normalise,
    normalise_query,
    to_traditional,
)


def test_traditional_and_fullwidth_are_normalised() -> None:
    assert normalise_query("農村居民人均可支配收入達到５.７萬元") == "农村居民人均可支配收入达到5.7万元"
    assert normalise("（一）實施\n２０２５年") == "(一)实施\n2025年"


def test_normalisation_keeps_lines() -> None:
    text = "一、總體目標\n\n到2025年，達到85%以上。"
    assert len(normalise(text).split("\n")) == len(text.split("\n"))


def test_script_detection() -> None:
    assert detect_script("余杭區區域承載能力提升和深化工程實施方案，為全面提升區域承載能力") == "traditional"
    assert detect_script("余杭区区域承载能力提升和深化工程实施方案，为全面提升区域承载能力") == "simplified"


def test_web_artefacts_dropped_but_content_kept() -> None:
    text = "正文第一句。\n附件:余政辦〔2023〕29號 (1).wps\n\n\n分享:\n"
    cleaned = clean_text(text)
    assert "分享" not in cleaned
    assert "29號" in cleaned


def test_answer_in_traditional() -> None:
    assert to_traditional("农村居民人均可支配收入") == "農村居民人均可支配收入"
