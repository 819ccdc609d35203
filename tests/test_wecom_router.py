"""WeCom callbacks in-process: a scripted fake ask and a fake WeCom API behind httpx.MockTransport."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from policy_assistant.config import Settings
from policy_assistant.errors import IndexNotReady
from policy_assistant.models import Answer, Citation, Message
from policy_assistant.wecom.aibot import EXPIRED, PENDING
from policy_assistant.wecom.app import TEXT_ONLY, WELCOME
from policy_assistant.wecom.crypto import WeComCrypto, parse_flat_xml, sign
from policy_assistant.wecom.router import WeComService

TOKEN = "QDG6eK"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
CORP = "wx5823bf96d3bd56c7"
QUESTION = "2025年农村居民人均可支配收入目标是多少"


class FakeAsk:
    """A scripted stand-in for PolicyService.ask: records calls, answers with one citation."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[Message]]] = []
        self.gate: threading.Event | None = None  # when set, ask blocks until released
        self.error: Exception | None = None

    def __call__(self, question: str, history: list[Message]) -> Answer:
        self.calls.append((question, list(history)))
        if self.gate is not None:
            self.gate.wait(10)
        if self.error is not None:
            raise self.error
        year = "2027" if "2027" in question else "2025"
        return Answer(
            question=question,
            answer=f"到{year}年，农村居民人均可支配收入达到5.7万元[1]。",
            answered=True,
            citations=[
                Citation(
                    doc_id="plan", title="千万工程实施方案", section_path=["二、总体目标"], page=2, quote="…"
                )
            ],
        )


class FakeWeComApi:
    """Fake qyapi: gettoken and message/send, recording every message sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/cgi-bin/gettoken":
            return httpx.Response(200, json={"errcode": 0, "access_token": "tok", "expires_in": 7200})
        if request.url.path == "/cgi-bin/message/send":
            self.sent.append(json.loads(request.content))
            return httpx.Response(200, json={"errcode": 0, "errmsg": "ok"})
        return httpx.Response(404)


def wecom_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        wecom_token=TOKEN,
        wecom_aes_key=AES_KEY,
        wecom_corp_id=CORP,
        wecom_agent_id=1000002,
        wecom_secret="s3cret",
        wecom_api_base="http://wecom.fake",
        wecom_history_turns=3,
        _env_file=None,  # a developer's .env must not leak into the test
    )
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def fake_ask() -> FakeAsk:
    return FakeAsk()


@pytest.fixture
def fake_api() -> FakeWeComApi:
    return FakeWeComApi()


@pytest.fixture
def wecom(fake_ask: FakeAsk, fake_api: FakeWeComApi) -> Iterator[tuple[TestClient, WeComService]]:
    http = httpx.Client(transport=httpx.MockTransport(fake_api.handler))
    service = WeComService(wecom_settings(), fake_ask, http=http, first_reply_wait_s=0.5)
    app = FastAPI()
    app.include_router(service.router)
    with TestClient(app) as client:
        yield client, service
    service.close()


def signed(crypto: WeComCrypto, encrypt: str, *, ts: int | None = None, nonce: str = "123") -> dict[str, str]:
    stamp = str(ts if ts is not None else int(time.time()))
    return {"msg_signature": sign(TOKEN, stamp, nonce, encrypt), "timestamp": stamp, "nonce": nonce}


def app_message(content: str, msg_id: str = "1001", user: str = "zhangsan", msg_type: str = "text") -> str:
    return (
        f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId><AgentID>1000002</AgentID></xml>"
    )


def post_app(client: TestClient, inner_xml: str, *, receive_id: str = CORP, **kw: Any) -> Any:
    crypto = WeComCrypto(TOKEN, AES_KEY, receive_id)
    encrypt = crypto.encrypt(inner_xml)
    body = f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    return client.post("/wecom/callback", params=signed(crypto, encrypt, **kw), content=body)


# -- self-built app ---------------------------------------------------------------------------------


def test_url_verification_returns_the_bare_echostr(wecom):
    client, _ = wecom
    crypto = WeComCrypto(TOKEN, AES_KEY, CORP)
    echostr = crypto.encrypt("1616140317555161061")
    r = client.get("/wecom/callback", params={**signed(crypto, echostr), "echostr": echostr})
    assert r.status_code == 200 and r.content == b"1616140317555161061"
    assert r.headers["content-type"].startswith("text/plain")


def test_url_verification_refuses_bad_requests(wecom):
    client, _ = wecom
    crypto = WeComCrypto(TOKEN, AES_KEY, CORP)
    echostr = crypto.encrypt("x")
    good = {**signed(crypto, echostr), "echostr": echostr}
    assert client.get("/wecom/callback", params={**good, "msg_signature": "0" * 40}).status_code == 401
    stale = {**signed(crypto, echostr, ts=int(time.time()) - 3600), "echostr": echostr}
    assert client.get("/wecom/callback", params=stale).status_code == 401
    foreign = WeComCrypto(TOKEN, AES_KEY, "ww-another-corp").encrypt("x")
    assert (
        client.get("/wecom/callback", params={**signed(crypto, foreign), "echostr": foreign}).status_code
        == 401
    )
    assert client.get("/wecom/callback", params={"echostr": echostr}).status_code == 400


def test_a_question_retried_three_times_is_answered_once(wecom, fake_ask, fake_api):
    client, service = wecom
    for _ in range(3):
        started = time.perf_counter()
        r = post_app(client, app_message(QUESTION, msg_id="7001"))
        assert r.status_code == 200 and time.perf_counter() - started < 1.0
    assert service.wait_idle(10)
    assert len(fake_ask.calls) == 1
    assert len(fake_api.sent) == 1
    sent = fake_api.sent[0]
    assert sent["touser"] == "zhangsan" and sent["agentid"] == 1000002 and sent["msgtype"] == "markdown"
    assert "5.7万元" in sent["markdown"]["content"] and "来源" in sent["markdown"]["content"]


@pytest.mark.parametrize("problem", ["signature", "stale", "receive_id", "xml", "no_encrypt"])
def test_bad_posts_get_4xx_and_no_answer(wecom, fake_ask, fake_api, problem):
    client, service = wecom
    crypto = WeComCrypto(TOKEN, AES_KEY, CORP)
    if problem == "signature":
        encrypt = crypto.encrypt(app_message(QUESTION))
        r = client.post(
            "/wecom/callback",
            params={**signed(crypto, encrypt), "msg_signature": "f" * 40},
            content=f"<xml><Encrypt>{encrypt}</Encrypt></xml>",
        )
    elif problem == "stale":
        r = post_app(client, app_message(QUESTION), ts=int(time.time()) - 3600)
    elif problem == "receive_id":
        r = post_app(client, app_message(QUESTION), receive_id="ww-another-corp")
    elif problem == "xml":
        r = client.post("/wecom/callback", params=signed(crypto, "abc"), content="<xml><Encrypt>abc")
    else:
        r = client.post("/wecom/callback", params=signed(crypto, "abc"), content="<xml><Foo>abc</Foo></xml>")
    assert 400 <= r.status_code < 500
    assert service.wait_idle(5)
    assert fake_ask.calls == [] and fake_api.sent == []


def test_follow_up_questions_see_the_users_history(wecom, fake_ask, fake_api):
    client, service = wecom
    post_app(client, app_message(QUESTION, msg_id="1"))
    assert service.wait_idle(10)
    post_app(client, app_message("那2027年呢?", msg_id="2"))
    post_app(client, app_message("另一个人的问题", msg_id="3", user="lisi"))
    assert service.wait_idle(10)
    by_question = dict(fake_ask.calls)
    assert [m.role for m in by_question["那2027年呢?"]] == ["user", "assistant"]
    assert by_question["那2027年呢?"][0].content == QUESTION
    assert by_question["另一个人的问题"] == []
    assert [m["touser"] for m in fake_api.sent].count("zhangsan") == 2


def test_non_text_messages_get_a_polite_passive_reply(wecom, fake_ask, fake_api):
    client, _ = wecom
    r = post_app(client, app_message("", msg_id="9", msg_type="image"))
    assert r.status_code == 200
    envelope = parse_flat_xml(r.text)
    crypto = WeComCrypto(TOKEN, AES_KEY, CORP)
    reply = parse_flat_xml(
        crypto.decrypt_message(r.text, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"])
    )
    assert reply["ToUserName"] == "zhangsan" and reply["Content"] == TEXT_ONLY
    assert fake_ask.calls == [] and fake_api.sent == []


def test_events_subscribe_is_welcomed_others_are_ignored(wecom, fake_ask):
    client, _ = wecom
    subscribe = app_message("", msg_id="", msg_type="event").replace(
        "<MsgId></MsgId>", "<Event>subscribe</Event>"
    )
    r = post_app(client, subscribe)
    assert r.status_code == 200 and r.text.startswith("<xml>")
    crypto = WeComCrypto(TOKEN, AES_KEY, CORP)
    env = parse_flat_xml(r.text)
    assert WELCOME in crypto.decrypt_message(r.text, env["MsgSignature"], env["TimeStamp"], env["Nonce"])
    enter = app_message("", msg_id="", msg_type="event").replace(
        "<MsgId></MsgId>", "<Event>enter_agent</Event>"
    )
    r = post_app(client, enter)
    assert r.status_code == 200 and r.text == ""
    assert fake_ask.calls == []


def test_engine_errors_reach_the_official_as_polite_text(wecom, fake_ask, fake_api):
    client, service = wecom
    fake_ask.error = IndexNotReady("no index yet", "知识库尚未建立索引，请联系管理员。")
    post_app(client, app_message(QUESTION, msg_id="42"))
    assert service.wait_idle(10)
    assert fake_api.sent[0]["markdown"]["content"] == "知识库尚未建立索引，请联系管理员。"


def test_app_starts_without_wecom_settings_and_callbacks_say_503(fake_ask):
    service = WeComService(
        Settings(wecom_token=None, wecom_aes_key=None, wecom_corp_id=None, _env_file=None), fake_ask
    )
    app = FastAPI()
    app.include_router(service.router)
    with TestClient(app) as client:
        for path in ("/wecom/callback", "/wecom/bot"):
            assert client.get(path).status_code == 503
            assert client.post(path, content="<xml/>").status_code == 503
    service.close()


def test_receiving_without_send_credentials_is_503_but_verification_works(fake_ask):
    service = WeComService(wecom_settings(wecom_secret=None), fake_ask)
    app = FastAPI()
    app.include_router(service.router)
    crypto = WeComCrypto(TOKEN, AES_KEY, CORP)
    echostr = crypto.encrypt("ok")
    with TestClient(app) as client:
        assert (
            client.get("/wecom/callback", params={**signed(crypto, echostr), "echostr": echostr}).text == "ok"
        )
        r = post_app(client, app_message(QUESTION))
        assert r.status_code == 503 and "PA_WECOM_SECRET" in r.text
    service.close()


# -- AI bot -----------------------------------------------------------------------------------------

BOT = WeComCrypto(TOKEN, AES_KEY, "")


def post_bot(client: TestClient, payload: dict[str, Any]) -> dict[str, Any]:
    encrypt = BOT.encrypt(json.dumps(payload, ensure_ascii=False))
    r = client.post("/wecom/bot", params=signed(BOT, encrypt), content=json.dumps({"encrypt": encrypt}))
    assert r.status_code == 200, r.text
    if not r.text:
        return {}
    env = r.json()
    return json.loads(
        BOT.decrypt_json({"encrypt": env["encrypt"]}, env["msgsignature"], env["timestamp"], env["nonce"])
    )


def bot_text(content: str, msgid: str = "b1", chattype: str = "single") -> dict[str, Any]:
    return {
        "msgid": msgid,
        "aibotid": "bot-1",
        "chattype": chattype,
        "from": {"userid": "zhangsan"},
        "msgtype": "text",
        "text": {"content": content},
    }


def test_ai_bot_streams_until_the_answer_is_final(wecom, fake_ask):
    client, service = wecom
    fake_ask.gate = threading.Event()  # hold the answer so the first reply must be "please wait"
    first = post_bot(client, bot_text(QUESTION))
    assert first["msgtype"] == "stream"
    stream = first["stream"]
    assert stream["finish"] is False and stream["content"] == PENDING
    # A WeCom retry of the same msgid reports on the same stream and asks nothing new.
    assert post_bot(client, bot_text(QUESTION))["stream"]["id"] == stream["id"]
    poll = post_bot(client, {"msgtype": "stream", "stream": {"id": stream["id"]}})
    assert poll["stream"]["finish"] is False
    fake_ask.gate.set()
    assert service.wait_idle(10)
    final = post_bot(client, {"msgtype": "stream", "stream": {"id": stream["id"]}})
    assert final["stream"] == {"id": stream["id"], "finish": True, "content": final["stream"]["content"]}
    assert "5.7万元" in final["stream"]["content"] and "来源" in final["stream"]["content"]
    assert len(fake_ask.calls) == 1


def test_ai_bot_quick_answers_arrive_in_the_first_reply_and_group_mentions_are_dropped(wecom, fake_ask):
    client, _ = wecom
    reply = post_bot(client, {**bot_text(f"@政策助手 {QUESTION}", chattype="group"), "chatid": "g1"})
    assert reply["stream"]["finish"] is True and "5.7万元" in reply["stream"]["content"]
    assert fake_ask.calls[0][0] == QUESTION


def test_ai_bot_verification_events_and_non_text(wecom, fake_ask):
    client, _ = wecom
    echostr = BOT.encrypt("bot-echo")
    r = client.get("/wecom/bot", params={**signed(BOT, echostr), "echostr": echostr})
    assert r.status_code == 200 and r.text == "bot-echo"
    app_echo = WeComCrypto(TOKEN, AES_KEY, CORP).encrypt("x")  # ReceiveId CorpID: not for the bot
    assert client.get("/wecom/bot", params={**signed(BOT, app_echo), "echostr": app_echo}).status_code == 401
    welcome = post_bot(client, {"msgtype": "event", "event": {"eventtype": "enter_chat"}})
    assert welcome == {"msgtype": "text", "text": {"content": WELCOME}}
    image = post_bot(client, {"msgid": "i1", "msgtype": "image", "image": {"url": "http://x"}})
    assert image["stream"]["finish"] is True and image["stream"]["content"] == TEXT_ONLY
    gone = post_bot(client, {"msgtype": "stream", "stream": {"id": "unknown"}})
    assert gone["stream"] == {"id": "unknown", "finish": True, "content": EXPIRED}
    assert fake_ask.calls == []
