"""WeCom API client: token caching and refresh, byte-limit splitting, against a fake WeCom in httpx."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from policy_assistant.config import Settings
from policy_assistant.errors import ConfigError
from policy_assistant.wecom.client import (
    MESSAGE_LIMIT_BYTES,
    TRIM_MARK,
    WeComApiError,
    WeComClient,
    split_utf8,
    trim_utf8,
    utf8_len,
)


class FakeWeComApi:
    """A scripted fake of qyapi.weixin.qq.com: issues tokens, records sends, can reject tokens."""

    def __init__(self) -> None:
        self.tokens_issued = 0
        self.sent: list[dict[str, Any]] = []
        self.reject_next_send_with: int | None = None

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/cgi-bin/gettoken":
            assert request.url.params["corpid"] == "ww-corp"
            assert request.url.params["corpsecret"] == "s3cret"
            self.tokens_issued += 1
            return httpx.Response(
                200, json={"errcode": 0, "access_token": f"tok{self.tokens_issued}", "expires_in": 7200}
            )
        if request.url.path == "/cgi-bin/message/send":
            if self.reject_next_send_with:
                code, self.reject_next_send_with = self.reject_next_send_with, None
                return httpx.Response(200, json={"errcode": code, "errmsg": "access_token invalid"})
            if request.url.params["access_token"] != f"tok{self.tokens_issued}":
                return httpx.Response(200, json={"errcode": 42001, "errmsg": "access_token expired"})
            self.sent.append(json.loads(request.content))
            return httpx.Response(200, json={"errcode": 0, "errmsg": "ok", "msgid": "m1"})
        return httpx.Response(404)


def make_client(fake: FakeWeComApi, clock: list[float] | None = None, **kw: Any) -> WeComClient:
    settings = Settings(
        wecom_corp_id="ww-corp",
        wecom_secret="s3cret",
        wecom_agent_id=1000002,
        wecom_api_base="http://wecom.fake",
        _env_file=None,  # a developer's .env must not leak into the test
    )
    http = httpx.Client(transport=httpx.MockTransport(fake.handler))
    now = clock or [0.0]
    return WeComClient(settings, http, clock=lambda: now[0], **kw)


def test_token_is_cached_until_near_expiry():
    fake, clock = FakeWeComApi(), [0.0]
    client = make_client(fake, clock)
    assert client.get_token() == "tok1"
    clock[0] = 6000.0
    assert client.get_token() == "tok1" and fake.tokens_issued == 1
    clock[0] = 7000.0  # within the 300 s safety margin of the 7200 s lifetime
    assert client.get_token() == "tok2"


@pytest.mark.parametrize("errcode", [40014, 42001, 40001])
def test_send_refreshes_the_token_once_when_wecom_rejects_it(errcode):
    fake = FakeWeComApi()
    client = make_client(fake)
    client.get_token()
    fake.reject_next_send_with = errcode
    client.send_markdown("zhangsan", "你好")
    assert fake.tokens_issued == 2
    assert fake.sent == [
        {"touser": "zhangsan", "msgtype": "markdown", "agentid": 1000002, "markdown": {"content": "你好"}}
    ]


def test_other_errcodes_surface_as_wecom_api_errors():
    fake = FakeWeComApi()
    client = make_client(fake)
    fake.reject_next_send_with = 60020  # "not allow to access from your ip": the trusted-IP setting
    with pytest.raises(WeComApiError) as info:
        client.send_text("zhangsan", "hi")
    assert info.value.errcode == 60020 and fake.tokens_issued == 1


def test_long_answers_are_split_within_the_byte_limit_and_capped():
    fake = FakeWeComApi()
    client = make_client(fake, max_parts=3)
    line = "到2025年，农村居民人均可支配收入达到5.7万元。" * 4  # ~280 bytes of mostly 3-byte characters
    client.send_markdown("u", "\n".join([line] * 20))  # ~5.7 KB: three messages
    assert len(fake.sent) == 3
    assert all(utf8_len(m["markdown"]["content"]) <= MESSAGE_LIMIT_BYTES for m in fake.sent)
    fake.sent.clear()
    client.send_markdown("u", "\n".join([line] * 40))  # ~11 KB: capped at three, the last says so
    assert len(fake.sent) == 3
    assert fake.sent[-1]["markdown"]["content"].endswith(TRIM_MARK)


def test_split_prefers_lines_and_never_breaks_a_character():
    text = "\n".join(f"第{i}条：" + "政策" * 40 for i in range(30))
    parts = split_utf8(text, 500)
    assert all(utf8_len(p) <= 500 for p in parts)
    # Every part is whole lines: joining them gives the text back exactly.
    assert "\n".join(parts) == text
    one_long_line = "乡" * 1000
    parts = split_utf8(one_long_line, 2048)
    assert all(utf8_len(p) <= 2048 for p in parts) and "".join(parts) == one_long_line
    assert split_utf8("") == [] and split_utf8("short") == ["short"]


def test_trim_keeps_short_text_and_marks_cut_text():
    assert trim_utf8("abc", 10, "…") == "abc"
    cut = trim_utf8("乡村振兴" * 100, 100, "…")
    assert utf8_len(cut) <= 100 and cut.endswith("…") and cut.startswith("乡村振兴")


def test_sending_needs_corp_id_secret_and_agent_id():
    with pytest.raises(ConfigError, match="PA_WECOM_SECRET"):
        WeComClient(Settings(wecom_corp_id="c", wecom_agent_id=1, wecom_secret=None, _env_file=None))
