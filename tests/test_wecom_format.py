"""WeCom markdown: answers with a 来源 list, target digests, and the group-robot webhook."""

from __future__ import annotations

import json

import httpx
import pytest

from policy_assistant.errors import ConfigError
from policy_assistant.models import Answer, Citation, Target
from policy_assistant.wecom.client import WeComApiError, utf8_len
from policy_assistant.wecom.format import format_answer, format_targets_digest
from policy_assistant.wecom.webhook import WEBHOOK_MARKDOWN_LIMIT, push_markdown

PLAN = "余杭区区域承载能力提升和深化“千村示范、万村整治”工程实施方案（2023—2027年）"


def cited_answer(n_citations: int = 1) -> Answer:
    citations = [
        Citation(
            doc_id="plan",
            title=PLAN,
            section_path=["二、总体目标"],
            page=2,
            quote="到2025年，农村居民人均可支配收入达到5.7万元",
        )
    ] * n_citations
    return Answer(
        question="2025年农村居民人均可支配收入目标是多少",
        answer="到2025年，农村居民人均可支配收入达到5.7万元[1]。",
        answered=True,
        citations=citations,
    )


def test_answer_then_a_numbered_source_line_with_section_and_page():
    text = format_answer(cited_answer())
    assert text.startswith("**到2025年，农村居民人均可支配收入达到5.7万元[1]。**")  # the figure first, bold
    assert "**来源**" in text
    assert f"> [1] {PLAN} › 二、总体目标 (第2页)" in text.splitlines()


def test_many_sources_are_capped_and_counted():
    text = format_answer(cited_answer(8), max_sources=5)
    assert "> [5] " in text and "> [6] " not in text and "另有 3 条来源" in text


def test_unanswered_questions_carry_no_source_list():
    answer = Answer(question="q", answer="未在已收录文件中找到相关内容。", answered=False)
    assert format_answer(answer) == "未在已收录文件中找到相关内容。"


def target(year: int | None, indicator: str = "农村居民人均可支配收入") -> Target:
    return Target(
        target_id=f"t{year}",
        doc_id="plan",
        doc_title=PLAN,
        indicator=indicator,
        value=5.7,
        value_text="5.7",
        unit="万元",
        comparator="达到",
        year=year,
        section_id="2",
        section_path=["二、总体目标"],
        norm_section_path=["二、总体目标"],
        page=2,
        chunk_id="c1",
        sentence="到2025年，农村居民人均可支配收入达到5.7万元",
        norm_sentence="到2025年，农村居民人均可支配收入达到5.7万元",
    )


def test_targets_digest_lists_only_the_year_due():
    text = format_targets_digest([target(2025), target(2027, "村庄")], 2025)
    assert text.splitlines()[0] == "**2025年到期目标**（共 1 项）"
    assert "农村居民人均可支配收入" in text and "达到5.7万元" in text and "村庄" not in text
    assert "暂无" in format_targets_digest([target(2027)], 2025)


def test_webhook_push_trims_to_4096_bytes():
    seen: list[dict] = []

    def fake_group_robot(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200, json={"errcode": 0, "errmsg": "ok"})

    http = httpx.Client(transport=httpx.MockTransport(fake_group_robot))
    push_markdown(
        "http://robot.fake/cgi-bin/webhook/send?key=k", "**目标**\n" + "乡村振兴\n" * 2000, http=http
    )
    content = seen[0]["markdown"]["content"]
    assert seen[0]["msgtype"] == "markdown"
    assert utf8_len(content) <= WEBHOOK_MARKDOWN_LIMIT and content.endswith("（内容过长，已截断）")


def test_webhook_errors_are_reported():
    http = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, json={"errcode": 93000})))
    with pytest.raises(WeComApiError) as info:
        push_markdown("http://robot.fake/send?key=bad", "hi", http=http)
    assert info.value.errcode == 93000
    with pytest.raises(ConfigError, match="PA_WECOM_WEBHOOK_URL"):
        push_markdown(None, "hi")
