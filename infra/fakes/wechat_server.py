"""A fake WeChat Pay API v3 merchant gateway on 127.0.0.1.

What it checks and does, as the real service does:

* every request carries ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid=...,nonce_str=...,
  signature=...,timestamp=...,serial_no=...`` signed over ``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n``
  with the merchant's API key; the fake verifies it with the merchant's public key (401 SIGN_ERROR);
* every 2xx reply is signed with the platform key over ``TIMESTAMP\\nNONCE\\nBODY\\n``
  (``Wechatpay-Timestamp/Nonce/Signature/Serial``), the serial naming the platform
  public key id or, in certificate mode, the platform certificate;
* ``POST /v3/pay/transactions/native|jsapi|h5`` places an order (``code_url``,
  ``prepay_id`` or ``h5_url``); ``GET /v3/pay/transactions/out-trade-no/{no}?mchid=``
  answers its state (404 ORDER_NOT_EXIST); ``GET /v3/certificates`` lists the platform
  certificate encrypted with AEAD_AES_256_GCM under the APIv3 key;
* notifications: the transaction JSON encrypted with AEAD_AES_256_GCM under the APIv3
  key (associated data ``transaction``, a 12-character nonce), wrapped in the event
  envelope and signed with the platform key, POSTed to the order's ``notify_url``.

``code_url`` and ``h5_url`` point at this fake's pay page ``/pay/{out_trade_no}``
(a real ``code_url`` is a ``weixin://`` link only the WeChat app opens).
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from html import escape
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import PAGE, Handler, LoopbackServer, deliver, private_pem, public_pem, rsa_key, self_signed_certificate

BEIJING = timezone(timedelta(hours=8))
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
_AUTH = re.compile(r'(\w+)="([^"]*)"')


def rsa_sign(key: rsa.RSAPrivateKey, message: str) -> str:
    return base64.b64encode(key.sign(message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())).decode()


def aead_encrypt(apiv3_key: str, plaintext: str, associated_data: str, nonce: str | None = None) -> dict[str, str]:
    nonce = nonce or secrets.token_hex(6)  # WeChat's resource nonces are 12 characters
    data = AESGCM(apiv3_key.encode()).encrypt(nonce.encode(), plaintext.encode("utf-8"), associated_data.encode())
    return {
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(data).decode(),
        "associated_data": associated_data,
        "nonce": nonce,
    }


@dataclass
class WeChatKeys:
    """The merchant's and the platform's keys, as a merchant holds them after onboarding."""

    mchid: str = "1900000109"
    appid: str = "wx00000000000local"
    apiv3_key: str = field(default_factory=lambda: secrets.token_hex(16))  # 32 characters
    merchant_key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa_key("wechat-merchant"))
    merchant_serial: str = "3775B6A45ACD588826D15E583A95F5DD00000001"
    platform_key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa_key("wechat-platform"))
    platform_serial: int = 0x5157F09EFDC096DE15EBE81A47057A7200000001
    public_key_id: str = "PUB_KEY_ID_0119000001092026120100000000000001"

    def __post_init__(self) -> None:
        self.certificate = self_signed_certificate(
            self.platform_key, "Tenpay.com Root CA (local fake)", self.platform_serial
        )

    @property
    def certificate_serial(self) -> str:
        return format(self.platform_serial, "X")


class FakeWeChatPay(LoopbackServer):
    """The fake. ``mode``: "public_key" (微信支付公钥, the default for new merchants) or "certificate"."""

    def __init__(self, keys: WeChatKeys | None = None, *, mode: str = "public_key", port: int = 0) -> None:
        super().__init__(_WeChatHandler, port)
        assert mode in {"public_key", "certificate"}
        self.keys = keys or WeChatKeys()
        self.mode = mode
        self.orders: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path) of every API call, for tests
        self.deliveries: list[tuple[int, bytes]] = []  # (status, body) our notify_url answered
        self.delay_seconds = 0.0  # >0: API replies wait this long (a provider that times out)
        self.fail_status: int | None = None  # e.g. 503: API calls answer this
        self.sign_replies_with: rsa.RSAPrivateKey | None = None  # a wrong key: replies fail verification
        self._lock = threading.Lock()

    # ---- what the adapter is configured with ----------------------------------------------

    def secret_section(self, notify_url: str, *, timeout_seconds: float | None = None) -> dict[str, Any]:
        """The ``wechat`` section of the provider secret for a merchant of this fake."""
        section: dict[str, Any] = {
            "mchid": self.keys.mchid,
            "appid": self.keys.appid,
            "apiv3_key": self.keys.apiv3_key,
            "merchant_private_key": private_pem(self.keys.merchant_key),
            "merchant_serial_no": self.keys.merchant_serial,
            "notify_url": notify_url,
            "gateway": self.url,
        }
        if self.mode == "public_key":
            section["platform_public_key"] = public_pem(self.keys.platform_key)
            section["platform_public_key_id"] = self.keys.public_key_id
        if timeout_seconds is not None:
            section["timeout_seconds"] = timeout_seconds
        return section

    @property
    def serial(self) -> str:
        return self.keys.public_key_id if self.mode == "public_key" else self.keys.certificate_serial

    # ---- signing, as the platform does ------------------------------------------------------

    def signed_headers(
        self, body: str, *, timestamp: int | None = None, nonce: str | None = None, key: rsa.RSAPrivateKey | None = None
    ) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        nonce = nonce or secrets.token_hex(16).upper()
        signature = rsa_sign(key or self.keys.platform_key, f"{ts}\n{nonce}\n{body}\n")
        return {
            "Wechatpay-Timestamp": ts,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": signature,
            "Wechatpay-Serial": self.serial,
            "Wechatpay-Signature-Type": SIGNATURE_TYPE,
        }

    def transaction(self, out_trade_no: str) -> dict[str, Any]:
        """The transaction object WeChat reports (query reply and decrypted notification)."""
        order = self.orders[out_trade_no]
        data: dict[str, Any] = {
            "appid": order["appid"],
            "mchid": order["mchid"],
            "out_trade_no": out_trade_no,
            "trade_state": order["state"],
            "trade_state_desc": {"SUCCESS": "支付成功", "NOTPAY": "未支付", "CLOSED": "已关闭"}[order["state"]],
            "amount": {"total": order["total"], "currency": "CNY"},
            "attach": "",
        }
        if order["state"] == "SUCCESS":
            data.update(
                transaction_id=order["transaction_id"],
                trade_type=order["trade_type"],
                bank_type="OTHERS",
                success_time=order["success_time"],
                payer={"openid": order["openid"]},
            )
            data["amount"].update(payer_total=order["paid"], payer_currency="CNY")
        return data

    def notification(
        self,
        out_trade_no: str,
        *,
        transaction: dict[str, Any] | None = None,
        timestamp: int | None = None,
        nonce: str | None = None,
        key: rsa.RSAPrivateKey | None = None,
        apiv3_key: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """The headers and body WeChat POSTs for a paid order (overrides make bad ones for tests)."""
        resource = transaction or self.transaction(out_trade_no)
        success = resource.get("trade_state") == "SUCCESS"
        envelope = {
            "id": "EV-" + secrets.token_hex(10),
            "create_time": datetime.now(BEIJING).isoformat(timespec="seconds"),
            "resource_type": "encrypt-resource",
            "event_type": "TRANSACTION.SUCCESS" if success else "TRANSACTION.CLOSED",
            "summary": "支付成功" if success else "交易关闭",
            "resource": {
                "original_type": "transaction",
                **aead_encrypt(
                    apiv3_key or self.keys.apiv3_key, json.dumps(resource, ensure_ascii=False), "transaction"
                ),
            },
        }
        body = json.dumps(envelope, ensure_ascii=False)
        headers = self.signed_headers(body, timestamp=timestamp, nonce=nonce, key=key)
        headers["Content-Type"] = "application/json"
        return headers, body.encode("utf-8")

    # ---- the donor paying ---------------------------------------------------------------------

    def pay(
        self, out_trade_no: str, *, openid: str | None = None, paid_fen: int | None = None, deliver_to: bool = True
    ) -> dict[str, Any]:
        """Mark the order paid (as the donor confirming in WeChat) and, unless told not to, notify."""
        with self._lock:
            order = self.orders[out_trade_no]
            if order["state"] != "SUCCESS":
                order.update(
                    state="SUCCESS",
                    transaction_id="42000" + secrets.token_hex(12),
                    success_time=datetime.now(BEIJING).isoformat(timespec="seconds"),
                    openid=openid or order.get("openid") or "o_local_" + secrets.token_hex(8),
                    paid=order["total"] if paid_fen is None else paid_fen,
                )
        if deliver_to:
            headers, body = self.notification(out_trade_no)
            self.deliveries.append(deliver(order["notify_url"], body, headers))
        return order


class _WeChatHandler(Handler):
    fake: FakeWeChatPay

    # ---- API ------------------------------------------------------------------------------------

    def _api(self, method: str) -> None:
        fake = self.fake
        body = self.body()
        fake.requests.append((method, self.path))
        if fake.delay_seconds:
            fake.stopping.wait(fake.delay_seconds)
        if fake.fail_status:
            return self._json(fake.fail_status, {"code": "SYSTEM_ERROR", "message": "系统错误"}, signed=False)
        if not self._authorised(method, body):
            return self._json(401, {"code": "SIGN_ERROR", "message": "签名错误"}, signed=False)
        path = urlsplit(self.path).path
        if method == "GET" and path == "/v3/certificates":
            return self._certificates()
        match = re.fullmatch(r"/v3/pay/transactions/out-trade-no/([^/]+)", path)
        if method == "GET" and match:
            return self._query(match.group(1))
        match = re.fullmatch(r"/v3/pay/transactions/(native|jsapi|h5)", path)
        if method == "POST" and match:
            return self._order(match.group(1), body)
        return self._json(404, {"code": "NOT_FOUND", "message": "接口不存在"}, signed=False)

    def _authorised(self, method: str, body: bytes) -> bool:
        header = self.headers.get("Authorization", "")
        if not header.startswith(SIGNATURE_TYPE + " "):
            return False
        fields = dict(_AUTH.findall(header))
        keys = self.fake.keys
        if fields.get("mchid") != keys.mchid or fields.get("serial_no") != keys.merchant_serial:
            return False
        if abs(time.time() - int(fields.get("timestamp") or 0)) > 300:  # WeChat refuses stale requests too
            return False
        message = (
            f"{method}\n{self.path}\n{fields['timestamp']}\n{fields.get('nonce_str', '')}\n{body.decode('utf-8')}\n"
        )
        try:
            keys.merchant_key.public_key().verify(
                base64.b64decode(fields.get("signature", "")),
                message.encode("utf-8"),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (InvalidSignature, ValueError):
            return False
        return True

    def _json(self, status: int, data: dict[str, Any], *, signed: bool = True) -> None:
        text = json.dumps(data, ensure_ascii=False)
        headers = {"Content-Type": "application/json; charset=utf-8", "Request-ID": secrets.token_hex(16)}
        if signed:
            headers.update(self.fake.signed_headers(text, key=self.fake.sign_replies_with))
        self.reply(status, text.encode("utf-8"), headers)

    def _order(self, kind: str, body: bytes) -> None:
        fake, keys = self.fake, self.fake.keys
        try:
            data = json.loads(body)
            total = data["amount"]["total"]
            assert data["appid"] == keys.appid and data["mchid"] == keys.mchid
            assert isinstance(data["description"], str) and 0 < len(data["description"]) <= 127
            assert re.fullmatch(r"[0-9A-Za-z_\-|*]{6,32}", data["out_trade_no"])
            assert data["notify_url"].startswith(("http://", "https://"))
            assert type(total) is int and total > 0
            datetime.fromisoformat(data["time_expire"])
            if kind == "jsapi":
                assert data["payer"]["openid"]
            if kind == "h5":
                assert data["scene_info"]["payer_client_ip"] and data["scene_info"]["h5_info"]["type"]
        except (ValueError, KeyError, TypeError, AssertionError):
            return self._json(400, {"code": "PARAM_ERROR", "message": "参数错误"}, signed=False)
        no = data["out_trade_no"]
        with fake._lock:
            existing = fake.orders.get(no)
            if existing and existing["state"] == "SUCCESS":
                return self._json(400, {"code": "ORDERPAID", "message": "该订单已支付"}, signed=False)
            if existing and existing["total"] != total:
                return self._json(400, {"code": "INVALID_REQUEST", "message": "201 商户订单号重复"}, signed=False)
            fake.orders[no] = {
                "appid": data["appid"],
                "mchid": data["mchid"],
                "total": total,
                "description": data["description"],
                "notify_url": data["notify_url"],
                "trade_type": kind.upper(),
                "state": "NOTPAY",
                "openid": (data.get("payer") or {}).get("openid"),
            }
        pay_page = f"{fake.url}/pay/{no}"
        if kind == "native":
            return self._json(200, {"code_url": pay_page})
        if kind == "h5":
            return self._json(200, {"h5_url": pay_page})
        return self._json(200, {"prepay_id": "wx" + secrets.token_hex(16)})

    def _query(self, no: str) -> None:
        if parse_qs(urlsplit(self.path).query).get("mchid") != [self.fake.keys.mchid]:
            return self._json(400, {"code": "PARAM_ERROR", "message": "mchid 不匹配"}, signed=False)
        if no not in self.fake.orders:
            return self._json(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}, signed=False)
        return self._json(200, self.fake.transaction(no))

    def _certificates(self) -> None:
        keys = self.fake.keys
        pem = keys.certificate.public_bytes(serialization.Encoding.PEM).decode()
        cert = keys.certificate
        item = {
            "serial_no": keys.certificate_serial,
            "effective_time": cert.not_valid_before_utc.astimezone(BEIJING).isoformat(timespec="seconds"),
            "expire_time": cert.not_valid_after_utc.astimezone(BEIJING).isoformat(timespec="seconds"),
            "encrypt_certificate": aead_encrypt(keys.apiv3_key, pem, "certificate"),
        }
        return self._json(200, {"data": [item]})

    # ---- the pay page ------------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802  (the stdlib's name)
        match = re.fullmatch(r"/pay/([^/?]+)", urlsplit(self.path).path)
        if match:
            return self._pay_page(match.group(1))
        return self._api("GET")

    def do_POST(self) -> None:  # noqa: N802
        match = re.fullmatch(r"/pay/([^/?]+)", urlsplit(self.path).path)
        if match:
            return self._confirm(match.group(1))
        return self._api("POST")

    def _pay_page(self, no: str) -> None:
        order = self.fake.orders.get(no)
        if order is None:
            return self.html(404, PAGE.format(title="订单不存在 / no such order", content=""))
        back = parse_qs(urlsplit(self.path).query).get("redirect_url", [""])[0]
        amount = f"¥{order['total'] // 100}.{order['total'] % 100:02d}"
        done = order["state"] == "SUCCESS"
        content = (
            f"<p>微信支付 · 商户号 {escape(self.fake.keys.mchid)}</p><p>{escape(order['description'])}</p>"
            f'<p class="amount" data-fen="{order["total"]}">{amount}</p>'
            + (
                "<p>已支付 / already paid</p>"
                if done
                else f'<form method="post" action="/pay/{escape(no)}"><input type="hidden" name="redirect_url" value="{escape(back)}">'
                '<button type="submit">确认支付</button></form>'
            )
        )
        return self.html(200, PAGE.format(title="微信支付", content=content))

    def _confirm(self, no: str) -> None:
        if no not in self.fake.orders:
            return self.html(404, PAGE.format(title="订单不存在 / no such order", content=""))
        back = parse_qs(self.body().decode("utf-8", "replace")).get("redirect_url", [""])[0]
        self.fake.pay(no)
        status = self.fake.deliveries[-1][0] if self.fake.deliveries else 0
        link = f'<p><a href="{escape(back)}">返回 / back</a></p>' if back.startswith(("http://", "https://")) else ""
        content = f'<p class="paid">支付成功（模拟） / paid (simulated)</p><p>通知送达：HTTP {status} / notification answered HTTP {status}</p>{link}'
        return self.html(200, PAGE.format(title="微信支付", content=content))
