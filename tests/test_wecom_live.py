"""WeCom end to end over real sockets: our app under uvicorn on loopback, and a fake WeCom API server."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request

from policy_assistant.config import Settings
from policy_assistant.models import Answer, Citation, Message
from policy_assistant.wecom.crypto import WeComCrypto, sign
from policy_assistant.wecom.router import WeComService

pytestmark = pytest.mark.slow

TOKEN = "QDG6eK"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
CORP = "wx5823bf96d3bd56c7"
QUESTION = "2025年农村居民人均可支配收入目标是多少"


class LiveServer:
    """Run an ASGI app under uvicorn on a free loopback port, in a thread."""

    def __init__(self, app: FastAPI) -> None:
        # proto must be IPPROTO_TCP, not 0: asyncio only sets TCP_NODELAY on such sockets, and without it
        # every response with a body waits ~40 ms for a delayed ACK on loopback.
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self._thread.join(10)
        self._sock.close()


def fake_wecom_api() -> tuple[FastAPI, list[dict[str, Any]]]:
    """A fake qyapi.weixin.qq.com: /cgi-bin/gettoken and /cgi-bin/message/send, recording sends."""
    app = FastAPI()
    sent: list[dict[str, Any]] = []

    @app.get("/cgi-bin/gettoken")
    def gettoken(corpid: str, corpsecret: str) -> dict[str, Any]:
        if (corpid, corpsecret) != (CORP, "s3cret"):
            return {"errcode": 40013, "errmsg": "invalid corpid"}
        return {"errcode": 0, "errmsg": "ok", "access_token": "live-token", "expires_in": 7200}

    @app.post("/cgi-bin/message/send")
    async def message_send(request: Request, access_token: str) -> dict[str, Any]:
        if access_token != "live-token":
            return {"errcode": 40014, "errmsg": "invalid access_token"}
        sent.append(json.loads(await request.body()))
        return {"errcode": 0, "errmsg": "ok", "msgid": f"m{len(sent)}"}

    return app, sent


def fake_ask(question: str, history: list[Message]) -> Answer:
    """Scripted stand-in for PolicyService.ask with the figure the corpus states."""
    return Answer(
        question=question,
        answer="到2025年，农村居民人均可支配收入达到5.7万元[1]。",
        answered=True,
        citations=[
            Citation(
                doc_id="plan", title="千万工程实施方案", section_path=["二、总体目标"], page=2, quote="…"
            )
        ],
    )


@pytest.fixture(params=["fake_ask", "real_service"])
def ask(request: pytest.FixtureRequest) -> Callable[[str, list[Message]], Answer]:
    """The scripted fake, then the real PolicyService when tests/conftest.py provides one."""
    if request.param == "fake_ask":
        return fake_ask
    pytest.importorskip("policy_assistant.service", reason="policy_assistant.service is not written yet")
    try:
        service = request.getfixturevalue("real_service")
    except pytest.FixtureLookupError:
        pytest.skip("tests/conftest.py has no `real_service` fixture (PolicyService over corpus/) yet")
    return service.ask  # type: ignore[no-any-return]


@contextmanager
def serve_wecom(
    monkeypatch: pytest.MonkeyPatch, ask: Callable[[str, list[Message]], Answer]
) -> Iterator[dict[str, Any]]:
    """Start the fake WeCom API and our app, both on loopback, configured through PA_* variables."""
    api_app, sent = fake_wecom_api()
    with LiveServer(api_app) as api:
        # Exactly how an operator configures it, with the API base pointed at the fake.
        for name, value in {
            "PA_WECOM_TOKEN": TOKEN,
            "PA_WECOM_AES_KEY": AES_KEY,
            "PA_WECOM_CORP_ID": CORP,
            "PA_WECOM_AGENT_ID": "1000002",
            "PA_WECOM_SECRET": "s3cret",
            "PA_WECOM_API_BASE": api.url,
        }.items():
            monkeypatch.setenv(name, value)
        service = WeComService(Settings(_env_file=None), ask)
        app = FastAPI()
        app.include_router(service.router)
        try:
            with LiveServer(app) as ours, httpx.Client(base_url=ours.url, timeout=10) as client:
                yield {"client": client, "sent": sent, "service": service}
        finally:
            service.close()


@pytest.fixture
def live(
    monkeypatch: pytest.MonkeyPatch, ask: Callable[[str, list[Message]], Answer]
) -> Iterator[dict[str, Any]]:
    with serve_wecom(monkeypatch, ask) as servers:
        yield servers


@pytest.fixture
def live_fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    with serve_wecom(monkeypatch, fake_ask) as servers:
        yield servers


def signed(crypto: WeComCrypto, encrypt: str, ts: int | None = None) -> dict[str, str]:
    stamp = str(ts if ts is not None else int(time.time()))
    return {"msg_signature": sign(TOKEN, stamp, "5150", encrypt), "timestamp": stamp, "nonce": "5150"}


def text_message(content: str, msg_id: str) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId><AgentID>1000002</AgentID></xml>"
    )


def wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_live_url_verification_and_refusals_produce_no_answer(live_fake):
    live = live_fake
    client, sent = live["client"], live["sent"]
    app_crypto = WeComCrypto(TOKEN, AES_KEY, CORP)
    echostr = app_crypto.encrypt("1616140317555161061")
    started = time.perf_counter()
    r = client.get("/wecom/callback", params={**signed(app_crypto, echostr), "echostr": echostr})
    assert r.status_code == 200 and r.content == b"1616140317555161061"
    assert time.perf_counter() - started < 1.0

    encrypt = app_crypto.encrypt(text_message(QUESTION, "1"))
    body = f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    wrong = {**signed(app_crypto, encrypt), "msg_signature": "0" * 40}
    stale = signed(app_crypto, encrypt, ts=int(time.time()) - 3600)
    foreign = WeComCrypto(TOKEN, AES_KEY, "ww-another-corp").encrypt(text_message(QUESTION, "2"))
    statuses = [
        client.post("/wecom/callback", params=wrong, content=body).status_code,
        client.post("/wecom/callback", params=stale, content=body).status_code,
        client.post(
            "/wecom/callback",
            params=signed(app_crypto, foreign),
            content=f"<xml><Encrypt><![CDATA[{foreign}]]></Encrypt></xml>",
        ).status_code,
        client.post(
            "/wecom/callback", params=signed(app_crypto, encrypt), content="<xml><Encrypt>"
        ).status_code,
    ]
    assert all(400 <= s < 500 for s in statuses), statuses
    assert live["service"].wait_idle(5)
    assert sent == []


def test_live_question_posted_three_times_is_answered_once(live):
    client, sent, service = live["client"], live["sent"], live["service"]
    crypto = WeComCrypto(TOKEN, AES_KEY, CORP)
    encrypt = crypto.encrypt(text_message(QUESTION, "4561255354251345929"))
    body = f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    for _ in range(3):
        started = time.perf_counter()
        r = client.post("/wecom/callback", params=signed(crypto, encrypt), content=body)
        elapsed = time.perf_counter() - started
        assert r.status_code == 200 and elapsed < 1.0, (r.status_code, elapsed)
    assert wait_for(lambda: len(sent) >= 1, timeout=300), "no message/send call arrived"
    assert service.wait_idle(60)
    assert len(sent) == 1, sent
    content = sent[0]["markdown"]["content"]
    assert sent[0]["touser"] == "zhangsan"
    assert "5.7万元" in content and "来源" in content, content


def test_live_ai_bot_streams_the_answer(live):
    client = live["client"]
    bot = WeComCrypto(TOKEN, AES_KEY, "")

    def post(payload: dict[str, Any]) -> dict[str, Any]:
        encrypt = bot.encrypt(json.dumps(payload, ensure_ascii=False))
        r = client.post("/wecom/bot", params=signed(bot, encrypt), content=json.dumps({"encrypt": encrypt}))
        assert r.status_code == 200, r.text
        env = r.json()
        plain = bot.decrypt_json(
            {"encrypt": env["encrypt"]}, env["msgsignature"], env["timestamp"], env["nonce"]
        )
        return json.loads(plain)["stream"]  # type: ignore[no-any-return]

    stream = post(
        {
            "msgid": "bot-live-1",
            "aibotid": "bot",
            "chattype": "single",
            "from": {"userid": "zhangsan"},
            "msgtype": "text",
            "text": {"content": QUESTION},
        }
    )
    deadline = time.monotonic() + 300
    while not stream["finish"]:
        assert time.monotonic() < deadline, "stream never finished"
        time.sleep(0.2)  # WeCom polls about once a second; faster here keeps the test short
        stream = post({"msgtype": "stream", "stream": {"id": stream["id"]}})
    assert "5.7万元" in stream["content"] and "来源" in stream["content"], stream["content"]
