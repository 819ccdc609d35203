"""WeCom crypto against Tencent's published sample, wechatpy's test vectors, and wechatpy as a live peer."""

from __future__ import annotations

import base64
import json
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from policy_assistant.errors import BadInput, ConfigError, Unauthorized
from policy_assistant.wecom.crypto import (
    WeComCrypto,
    WeComCryptoError,
    WeComReceiveIdError,
    WeComSignatureError,
    parse_flat_xml,
    sign,
)

# Tencent's WXBizMsgCrypt sample and the "加解密方案说明" page of the WeCom docs.
TX_TOKEN = "QDG6eK"
TX_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
TX_CORP = "wx5823bf96d3bd56c7"
TX_VERIFY = {
    "msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
    "timestamp": "1409659589",
    "nonce": "263014780",
    "echostr": "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==",
}
TX_ECHO_PLAIN = "1616140317555161061"
TX_POST_SIG = "477715d11cdb4164915debcba66cb864d751f3e6"
TX_POST_TS = "1409659813"
TX_POST_NONCE = "1372623149"
TX_POST_BODY = (
    "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA["
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/"
    "sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+"
    "LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9"
    "EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2"
    "YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>"
)
TX_POST_PLAIN = (
    "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n"
    "<FromUserName><![CDATA[mycreate]]></FromUserName>\n"
    "<CreateTime>1409659813</CreateTime>\n"
    "<MsgType><![CDATA[text]]></MsgType>\n"
    "<Content><![CDATA[hello]]></Content>\n"
    "<MsgId>4561255354251345929</MsgId>\n"
    "<AgentID>218</AgentID>\n"
    "</xml>"
)

# wechatpy's tests/test_crypto.py (work/enterprise crypto).
WP_TOKEN = "123456"
WP_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
WP_CORP = "wx49f0ab532d5d035a"
WP_ECHO = "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q=="
WP_REPLY = """<xml>
<MsgType><![CDATA[text]]></MsgType>
<Content><![CDATA[test]]></Content>
<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>
<ToUserName><![CDATA[messense]]></ToUserName>
<AgentID>1</AgentID>
<CreateTime>1411525903</CreateTime>
</xml>"""
WP_REPLY_ENCRYPTED = """<xml>
<Encrypt><![CDATA[9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3]]></Encrypt>
<MsgSignature><![CDATA[407518b7649e86ef23978113f92d27afa9296533]]></MsgSignature>
<TimeStamp>1411525903</TimeStamp>
<Nonce><![CDATA[461056294]]></Nonce>
</xml>"""
WP_INBOUND = """<xml><ToUserName><![CDATA[wx49f0ab532d5d035a]]></ToUserName>
<Encrypt><![CDATA[RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=]]></Encrypt>
<AgentID><![CDATA[1]]></AgentID>
</xml>"""


def tencent(**kw: object) -> WeComCrypto:
    # Published vectors are from 2014: the freshness window is switched off to replay them.
    return WeComCrypto(TX_TOKEN, TX_KEY, TX_CORP, max_skew_s=None, **kw)  # type: ignore[arg-type]


def wechatpy_vectors() -> WeComCrypto:
    return WeComCrypto(WP_TOKEN, WP_KEY, WP_CORP, max_skew_s=None)


def test_tencent_sample_url_verification_returns_the_published_echostr():
    p = TX_VERIFY
    assert tencent().verify_url(p["msg_signature"], p["timestamp"], p["nonce"], p["echostr"]) == TX_ECHO_PLAIN


def test_tencent_sample_message_signature_and_plaintext():
    crypto = tencent()
    encrypt = parse_flat_xml(TX_POST_BODY)["Encrypt"]
    assert sign(TX_TOKEN, TX_POST_TS, TX_POST_NONCE, encrypt) == TX_POST_SIG
    assert crypto.decrypt_message(TX_POST_BODY, TX_POST_SIG, TX_POST_TS, TX_POST_NONCE) == TX_POST_PLAIN


def test_wechatpy_vector_encrypt_message_is_byte_identical():
    out = wechatpy_vectors().encrypt_message(WP_REPLY, "461056294", "1411525903", prefix=b"1234567890123456")
    assert out == WP_REPLY_ENCRYPTED


def test_wechatpy_vector_decrypt_message():
    msg = parse_flat_xml(
        wechatpy_vectors().decrypt_message(
            WP_INBOUND, "74d92dfeb87ba7c714f89d98870ae5eb62dff26d", "1411525903", "461056294"
        )
    )
    assert msg["Content"] == "test"
    assert msg["FromUserName"] == "messense"


def test_wechatpy_vector_check_signature_and_its_wrong_nonce_twin():
    crypto = wechatpy_vectors()
    sig, ts = "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96", "1411443780"
    assert crypto.verify_url(sig, ts, "437374425", WP_ECHO) == "5927782489442352469"
    with pytest.raises(WeComSignatureError):
        crypto.verify_url(sig, ts, "437374424", WP_ECHO)


def test_round_trip_with_wechatpy_in_both_directions():
    peer_mod = pytest.importorskip("wechatpy.enterprise.crypto")
    peer = peer_mod.WeChatCrypto(TX_TOKEN, TX_KEY, TX_CORP)
    ours = tencent()
    message = "<xml><Content><![CDATA[2025年农村居民人均可支配收入目标是多少]]></Content></xml>"

    # ours → wechatpy
    envelope = parse_flat_xml(ours.encrypt_message(message, "12345", "1700000000"))
    assert peer.decrypt_message(envelope, envelope["MsgSignature"], "1700000000", "12345") == message

    # wechatpy → ours
    theirs = parse_flat_xml(peer.encrypt_message(message, "67890", "1700000001"))
    assert ours.decrypt_message(theirs["Encrypt"], theirs["MsgSignature"], "1700000001", "67890") == message

    # and the URL-verification path: wechatpy encrypts an echostr, we verify it
    echo = parse_flat_xml(peer.encrypt_message("echo-123", "1", "1700000002"))
    assert ours.verify_url(echo["MsgSignature"], "1700000002", "1", echo["Encrypt"]) == "echo-123"


def test_padding_is_to_32_bytes_and_lengths_round_trip():
    crypto = tencent()
    key = base64.b64decode(TX_KEY + "=")
    for size in (0, 1, 11, 12, 13, 44, 45, 100, 3000):
        text = "政" * size
        encrypt = crypto.encrypt(text)
        raw = base64.b64decode(encrypt)
        assert len(raw) % 32 == 0
        plain = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor().update(raw)
        pad = plain[-1]
        assert 1 <= pad <= 32 and plain[-pad:] == bytes([pad]) * pad
        assert struct.unpack(">I", plain[16:20])[0] == len(text.encode())
        assert crypto.decrypt(encrypt) == text


def test_json_variants_for_the_ai_bot_use_an_empty_receive_id():
    bot = WeComCrypto(TX_TOKEN, TX_KEY, "", max_skew_s=None)
    payload = json.dumps({"msgtype": "text", "text": {"content": "你好"}}, ensure_ascii=False)
    envelope = json.loads(bot.encrypt_json(payload, "nonce1", 1700000000))
    assert set(envelope) == {"encrypt", "msgsignature", "timestamp", "nonce"}
    assert envelope["timestamp"] == "1700000000"
    body = json.dumps({"encrypt": envelope["encrypt"]})
    assert bot.decrypt_json(body, envelope["msgsignature"], "1700000000", "nonce1") == payload
    # The app codec (ReceiveId = CorpID) must refuse the bot's messages and vice versa.
    with pytest.raises(WeComReceiveIdError):
        tencent().decrypt(envelope["encrypt"])
    with pytest.raises(WeComReceiveIdError):
        bot.decrypt(tencent().encrypt("x"))


def test_wrong_signature_stale_timestamp_and_bad_receive_id_are_unauthorized():
    now = 1_700_000_000.0
    crypto = WeComCrypto(TX_TOKEN, TX_KEY, TX_CORP, max_skew_s=300, clock=lambda: now)
    encrypt = crypto.encrypt("hi")
    fresh = str(int(now) - 10)
    assert crypto.verify_url(sign(TX_TOKEN, fresh, "n", encrypt), fresh, "n", encrypt) == "hi"
    with pytest.raises(WeComSignatureError):
        crypto.verify_url("0" * 40, fresh, "n", encrypt)
    stale = str(int(now) - 301)
    with pytest.raises(WeComSignatureError, match="window"):
        crypto.verify_url(sign(TX_TOKEN, stale, "n", encrypt), stale, "n", encrypt)
    with pytest.raises(WeComSignatureError):
        crypto.verify_url(sign(TX_TOKEN, "soon", "n", encrypt), "soon", "n", encrypt)
    other = WeComCrypto(TX_TOKEN, TX_KEY, "ww-other-corp", clock=lambda: now)
    with pytest.raises(WeComReceiveIdError):
        other.verify_url(sign(TX_TOKEN, fresh, "n", encrypt), fresh, "n", encrypt)
    assert issubclass(WeComSignatureError, Unauthorized) and WeComSignatureError.status == 401


@pytest.mark.parametrize(
    "body",
    [
        "<xml><Encrypt>unterminated",
        "<xml><ToUserName>x</ToUserName></xml>",
        '<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>',
        "",
    ],
)
def test_malformed_xml_is_bad_input(body):
    with pytest.raises(WeComCryptoError) as info:
        tencent().decrypt_message(body, "sig", "1", "n")
    assert isinstance(info.value, BadInput) and info.value.status == 400


def test_garbage_ciphertexts_are_bad_input_not_crashes():
    crypto = tencent()
    other_key = WeComCrypto(TX_TOKEN, "A" * 43, TX_CORP, max_skew_s=None)
    for encrypt in ("not base64!!", base64.b64encode(b"short").decode(), other_key.encrypt("hello")):
        with pytest.raises((WeComCryptoError, WeComReceiveIdError)):
            crypto.decrypt(encrypt)
    with pytest.raises(WeComCryptoError):
        crypto.decrypt_json(b"{not json", "s", "1", "n")
    with pytest.raises(WeComCryptoError):
        crypto.decrypt_json(b'{"other": 1}', "s", "1", "n")


def test_a_bad_encoding_aes_key_is_a_config_error():
    with pytest.raises(ConfigError):
        WeComCrypto(TX_TOKEN, TX_KEY[:-1], TX_CORP)
    with pytest.raises(ConfigError):
        WeComCrypto(TX_TOKEN, "!" * 43, TX_CORP)
    with pytest.raises(ConfigError):
        WeComCrypto("", TX_KEY, TX_CORP)
