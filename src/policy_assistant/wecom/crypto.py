"""WeCom callback crypto (the WXBizMsgCrypt scheme): signature, AES-256-CBC, ReceiveId check."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import string
import struct
import time
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from policy_assistant.errors import BadInput, ConfigError, Unauthorized

# WeCom pads to a multiple of 32 bytes (the key length), not AES's 16: a stock PKCS#7 unpadder
# from a crypto library would reject its ciphertexts.
PAD_BLOCK = 32
_RANDOM_ALPHABET = string.ascii_letters + string.digits
_MAX_ENCRYPT_CHARS = 1_000_000


_ENCRYPT_FIELD = re.compile(r'"encrypt"\s*:\s*"([A-Za-z0-9+/=]+)"')
MAX_ENCRYPT_SCAN = 1 << 20


class WeComSignatureError(Unauthorized):
    """The request is not provably from WeCom: bad signature, stale or invalid timestamp (401)."""


class WeComReceiveIdError(WeComSignatureError):
    """The message decrypted but was meant for another corp or bot (wrong ReceiveId) (401)."""


class WeComCryptoError(BadInput):
    """The payload is malformed: not XML/JSON, no Encrypt field, bad base64, bad padding (400)."""


def sign(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """WeCom's msg_signature: sha1 over the sorted, concatenated four strings.

    Args:
        token: the callback Token from the admin console.
        timestamp: the ``timestamp`` query parameter, as sent.
        nonce: the ``nonce`` query parameter.
        encrypt: the base64 ciphertext (``echostr`` or ``Encrypt``).

    Returns:
        The lowercase hex SHA-1 digest.
    """
    joined = "".join(sorted([token, timestamp, nonce, encrypt]))
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()


def random_nonce() -> str:
    """A fresh numeric nonce like the ones WeCom sends (10 digits)."""
    return str(secrets.randbelow(9_000_000_000) + 1_000_000_000)


class WeComCrypto:
    """Verify, decrypt and encrypt WeCom callback payloads for one Token/EncodingAESKey/ReceiveId.

    ``receive_id`` is the CorpID for a self-built app and ``""`` for an AI bot (智能机器人).
    """

    def __init__(
        self,
        token: str,
        encoding_aes_key: str,
        receive_id: str,
        *,
        max_skew_s: float | None = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Build a codec; raises ``ConfigError`` when the EncodingAESKey is not 43 base64 characters.

        Args:
            token: the callback Token.
            encoding_aes_key: the 43-character EncodingAESKey.
            receive_id: CorpID (self-built app) or "" (AI bot).
            max_skew_s: reject timestamps further than this from ``clock()``; None disables the check
                (only for replaying published test vectors).
            clock: seconds since the epoch; injectable for tests.
        """
        if not token:
            raise ConfigError("WeCom Token is empty", "企业微信 Token 未配置")
        try:
            key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ConfigError(
                f"WeCom EncodingAESKey is not base64: {exc}", "企业微信 EncodingAESKey 格式不正确"
            ) from exc
        if len(encoding_aes_key) != 43 or len(key) != 32:
            raise ConfigError(
                "WeCom EncodingAESKey must be 43 characters (32 bytes once decoded)",
                "企业微信 EncodingAESKey 应为 43 位",
            )
        self.token = token
        self.receive_id = receive_id
        self.max_skew_s = max_skew_s
        self._key = key
        self._iv = key[:16]
        self._clock = clock

    # -- signature -------------------------------------------------------------------------------

    def check_signature(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        """Raise ``WeComSignatureError`` unless the signature matches and the timestamp is fresh.

        Args:
            msg_signature: the ``msg_signature`` query parameter.
            timestamp: the ``timestamp`` query parameter (seconds since the epoch).
            nonce: the ``nonce`` query parameter.
            encrypt: the ciphertext the signature covers.
        """
        expected = sign(self.token, timestamp, nonce, encrypt)
        # Constant-time compare: the signature is the only thing standing between the internet and ask().
        if not hmac.compare_digest(expected, (msg_signature or "").lower()):
            raise WeComSignatureError("WeCom signature mismatch", "企业微信签名校验失败")
        self._check_timestamp(timestamp)

    def _check_timestamp(self, timestamp: str) -> None:
        if self.max_skew_s is None:
            return
        try:
            sent = int(timestamp)
        except (TypeError, ValueError) as exc:
            raise WeComSignatureError("WeCom timestamp is not an integer", "企业微信时间戳无效") from exc
        # A captured request replayed later still carries a valid signature; the timestamp is what ages.
        if abs(self._clock() - sent) > self.max_skew_s:
            raise WeComSignatureError(
                f"WeCom timestamp {sent} is outside the {self.max_skew_s:.0f}s window",
                "企业微信请求已过期",
            )

    # -- AES ---------------------------------------------------------------------------------------

    def encrypt(self, plaintext: str | bytes, *, prefix: bytes | None = None) -> str:
        """Encrypt ``random(16) + len(4, big-endian) + msg + ReceiveId`` and base64 it.

        Args:
            plaintext: the message (XML or JSON text).
            prefix: the 16 leading bytes; random alphanumerics unless given (tests pin it to match
                published vectors).

        Returns:
            The base64 ciphertext, as it goes into ``Encrypt``/``encrypt``.
        """
        msg = plaintext.encode("utf-8") if isinstance(plaintext, str) else plaintext
        head = (
            prefix
            if prefix is not None
            else "".join(secrets.choice(_RANDOM_ALPHABET) for _ in range(16)).encode("ascii")
        )
        if len(head) != 16:
            raise ValueError("prefix must be 16 bytes")
        body = head + struct.pack(">I", len(msg)) + msg + self.receive_id.encode("utf-8")
        pad = PAD_BLOCK - len(body) % PAD_BLOCK
        body += bytes([pad]) * pad
        encryptor = Cipher(algorithms.AES(self._key), modes.CBC(self._iv)).encryptor()
        return base64.b64encode(encryptor.update(body) + encryptor.finalize()).decode("ascii")

    def decrypt(self, encrypt: str) -> str:
        """Decrypt a base64 ciphertext, check the ReceiveId, and return the message text.

        Args:
            encrypt: the base64 ciphertext.

        Returns:
            The message (XML, JSON or echostr plaintext) as text.
        """
        if len(encrypt) > _MAX_ENCRYPT_CHARS:
            raise WeComCryptoError("WeCom ciphertext too long", "企业微信消息过长")
        try:
            raw = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise WeComCryptoError("WeCom ciphertext is not base64", "企业微信消息格式错误") from exc
        if not raw or len(raw) % 16:
            raise WeComCryptoError("WeCom ciphertext length is not a multiple of 16", "企业微信消息格式错误")
        decryptor = Cipher(algorithms.AES(self._key), modes.CBC(self._iv)).decryptor()
        plain = decryptor.update(raw) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= PAD_BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise WeComCryptoError("WeCom ciphertext has bad padding (wrong key?)", "企业微信消息解密失败")
        content = plain[16:-pad]
        if len(content) < 4:
            raise WeComCryptoError("WeCom plaintext is truncated", "企业微信消息解密失败")
        (length,) = struct.unpack(">I", content[:4])
        if length > len(content) - 4:
            raise WeComCryptoError("WeCom plaintext length field is out of range", "企业微信消息解密失败")
        msg, receive_id = content[4 : 4 + length], content[4 + length :]
        if not hmac.compare_digest(receive_id, self.receive_id.encode("utf-8")):
            raise WeComReceiveIdError(
                "WeCom ReceiveId does not match this corp/bot", "企业微信 ReceiveId 不匹配"
            )
        try:
            return msg.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WeComCryptoError("WeCom plaintext is not UTF-8", "企业微信消息解密失败") from exc

    # -- the three operations of the official library ----------------------------------------------

    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """Answer WeCom's URL verification GET.

        Args:
            msg_signature: query parameter.
            timestamp: query parameter.
            nonce: query parameter.
            echostr: query parameter (already URL-decoded).

        Returns:
            The decrypted echostr, to be returned bare as the response body.
        """
        self.check_signature(msg_signature, timestamp, nonce, echostr)
        return self.decrypt(echostr)

    def decrypt_message(
        self, xml_or_encrypt: str | bytes, msg_signature: str, timestamp: str, nonce: str
    ) -> str:
        """Verify and decrypt an inbound XML callback (self-built app).

        Args:
            xml_or_encrypt: the POST body (``<xml>…<Encrypt>…</Encrypt></xml>``) or the bare ciphertext.
            msg_signature: query parameter.
            timestamp: query parameter.
            nonce: query parameter.

        Returns:
            The decrypted inner XML.
        """
        encrypt = extract_xml_encrypt(xml_or_encrypt)
        self.check_signature(msg_signature, timestamp, nonce, encrypt)
        return self.decrypt(encrypt)

    def encrypt_message(
        self, plaintext: str, nonce: str, timestamp: str | int | None = None, *, prefix: bytes | None = None
    ) -> str:
        """Encrypt a passive reply into the signed XML envelope WeCom expects.

        Args:
            plaintext: the reply XML.
            nonce: a nonce (the request's, or a fresh one).
            timestamp: seconds since the epoch; now when None.
            prefix: fixed 16 random bytes, for reproducing published vectors only.

        Returns:
            ``<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>`` as text.
        """
        ts = str(timestamp if timestamp is not None else int(self._clock()))
        encrypt = self.encrypt(plaintext, prefix=prefix)
        signature = sign(self.token, ts, nonce, encrypt)
        # The same layout as Tencent's sample and wechatpy, so byte-for-byte vectors compare.
        return (
            "<xml>\n"
            f"<Encrypt><![CDATA[{encrypt}]]></Encrypt>\n"
            f"<MsgSignature><![CDATA[{signature}]]></MsgSignature>\n"
            f"<TimeStamp>{ts}</TimeStamp>\n"
            f"<Nonce><![CDATA[{nonce}]]></Nonce>\n"
            "</xml>"
        )

    # -- JSON variants (AI bot) --------------------------------------------------------------------

    def decrypt_json(
        self, body: str | bytes | dict[str, Any], msg_signature: str, timestamp: str, nonce: str
    ) -> str:
        """Verify and decrypt an AI-bot callback body ``{"encrypt": "..."}``.

        Args:
            body: the POST body, raw or parsed.
            msg_signature: query parameter.
            timestamp: query parameter.
            nonce: query parameter.

        Returns:
            The decrypted JSON text.
        """
        if not isinstance(body, dict):
            # the signature is checked before the body is parsed: the one field is found by pattern, so an
            # unsigned body (100k-deep JSON, say) is never handed to the JSON parser
            raw = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
            found = _ENCRYPT_FIELD.search(raw[:MAX_ENCRYPT_SCAN])
            body = {"encrypt": found.group(1)} if found else {}
        encrypt = body.get("encrypt")
        if not isinstance(encrypt, str) or not encrypt:
            raise WeComCryptoError("WeCom JSON body has no 'encrypt'", "企业微信消息格式错误")
        self.check_signature(msg_signature, timestamp, nonce, encrypt)
        return self.decrypt(encrypt)

    def encrypt_json(
        self, plaintext: str, nonce: str, timestamp: str | int | None = None, *, prefix: bytes | None = None
    ) -> str:
        """Encrypt an AI-bot passive reply into ``{"encrypt", "msgsignature", "timestamp", "nonce"}``.

        Args:
            plaintext: the reply JSON text.
            nonce: a nonce.
            timestamp: seconds since the epoch; now when None.
            prefix: fixed 16 random bytes, for tests only.

        Returns:
            The JSON envelope as text (timestamp as a string, like Tencent's JSON library).
        """
        ts = str(timestamp if timestamp is not None else int(self._clock()))
        encrypt = self.encrypt(plaintext, prefix=prefix)
        envelope = {
            "encrypt": encrypt,
            "msgsignature": sign(self.token, ts, nonce, encrypt),
            "timestamp": ts,
            "nonce": nonce,
        }
        return json.dumps(envelope)


def extract_xml_encrypt(xml_or_encrypt: str | bytes) -> str:
    """The ``<Encrypt>`` text of an inbound XML body (or the input itself when it is not XML).

    Args:
        xml_or_encrypt: the POST body or a bare ciphertext.

    Returns:
        The base64 ciphertext.
    """
    text = xml_or_encrypt.decode("utf-8", "replace") if isinstance(xml_or_encrypt, bytes) else xml_or_encrypt
    text = text.strip()
    if not text.startswith("<"):
        if not text:
            raise WeComCryptoError("WeCom body is empty", "企业微信消息为空")
        return text
    encrypt = parse_flat_xml(text).get("Encrypt")
    if not encrypt:
        raise WeComCryptoError("WeCom XML has no <Encrypt>", "企业微信消息格式错误")
    return encrypt


def parse_flat_xml(text: str | bytes) -> dict[str, str]:
    """Parse WeCom's one-level ``<xml><Tag>value</Tag>…</xml>`` into a dict.

    Args:
        text: the XML document.

    Returns:
        Tag → text (empty string for empty elements).
    """
    upper = (text if isinstance(text, str) else text.decode("utf-8", "replace")).upper()
    # WeCom never sends a DTD; refusing one outright rules out entity-expansion tricks before parsing.
    if "<!DOCTYPE" in upper or "<!ENTITY" in upper:
        raise WeComCryptoError("WeCom XML must not contain a DTD", "企业微信消息格式错误")
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise WeComCryptoError(f"WeCom body is not well-formed XML: {exc}", "企业微信消息格式错误") from exc
    return {child.tag: (child.text or "").strip() for child in root}
