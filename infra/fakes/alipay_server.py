"""A fake Alipay OpenAPI gateway (``/gateway.do``) on 127.0.0.1.

What it checks and does, as the real service does:

* every request's ``sign`` is RSA2 (RSA-SHA256) over the other parameters sorted by
  name (``sign`` excluded, empty values skipped), verified with the app's public key;
  ``timestamp`` is Beijing time (``yyyy-MM-dd HH:mm:ss``);
* ``alipay.trade.page.pay`` / ``alipay.trade.wap.pay`` (the donor's browser arriving
  with the signed URL) open the cashier: this fake's pay page, marked 本地模拟支付;
* ``alipay.trade.query`` answers ``{"alipay_trade_query_response": {...}, "sign": "..."}``,
  the signature over the exact JSON text of the response object, with the Alipay key;
* notifications: a form POST to ``notify_url`` whose ``sign`` is RSA2 over the other
  parameters sorted by name, ``sign`` and ``sign_type`` excluded, empty values skipped;
  then the browser goes to ``return_url`` with signed return parameters.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from html import escape
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from . import PAGE, Handler, LoopbackServer, deliver, private_pem, public_pem, require_loopback, rsa_key

BEIJING = timezone(timedelta(hours=8))
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
TIMESTAMP_TOLERANCE_SECONDS = 900  # catches a request stamped in UTC instead of Beijing time


def content(params: dict[str, str], *, exclude: tuple[str, ...]) -> str:
    """Alipay's string to sign: sorted ``k=v`` joined by ``&``, unencoded, empties skipped."""
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in exclude and v != "")


def rsa2_sign(key: rsa.RSAPrivateKey, text: str) -> str:
    return base64.b64encode(key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa2_verify(key: rsa.RSAPrivateKey, text: str, sign: str) -> bool:
    try:
        key.public_key().verify(base64.b64decode(sign), text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def beijing_now() -> str:
    return datetime.now(BEIJING).strftime(TIME_FORMAT)


@dataclass
class AlipayKeys:
    """The app's key pair (the merchant keeps the private half) and Alipay's (we keep the public half)."""

    app_id: str = "2021000000000001"
    seller_id: str = "2088000000000001"
    app_key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa_key("alipay-app"))
    alipay_key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa_key("alipay-platform"))


class FakeAlipay(LoopbackServer):
    def __init__(self, keys: AlipayKeys | None = None, *, port: int = 0) -> None:
        super().__init__(_AlipayHandler, port)
        self.keys = keys or AlipayKeys()
        self.orders: dict[str, dict[str, Any]] = {}
        self.requests: list[str] = []  # the method of every gateway call, for tests
        self.deliveries: list[tuple[int, bytes]] = []
        self.delay_seconds = 0.0
        self.fail_status: int | None = None
        self.sign_replies_with: rsa.RSAPrivateKey | None = None
        self._lock = threading.Lock()

    def secret_section(
        self, notify_url: str, *, return_url: str | None = None, timeout_seconds: float | None = None
    ) -> dict[str, Any]:
        """The ``alipay`` section of the provider secret for an app of this fake."""
        section: dict[str, Any] = {
            "app_id": self.keys.app_id,
            "seller_id": self.keys.seller_id,
            "app_private_key": private_pem(self.keys.app_key),
            "alipay_public_key": public_pem(self.keys.alipay_key),
            "notify_url": notify_url,
            "gateway": self.url + "/gateway.do",
        }
        if return_url:
            section["return_url"] = return_url
        if timeout_seconds is not None:
            section["timeout_seconds"] = timeout_seconds
        return section

    def open_trade(self, params: dict[str, str]) -> str:
        """A trade as the cashier creates it when the donor's browser arrives (WAIT_BUYER_PAY)."""
        biz = json.loads(params["biz_content"])
        no = biz["out_trade_no"]
        with self._lock:
            if no not in self.orders:
                self.orders[no] = {
                    "total_amount": biz["total_amount"],
                    "subject": biz["subject"],
                    "notify_url": params.get("notify_url", ""),
                    "return_url": params.get("return_url", ""),
                    "product_code": biz["product_code"],
                    "status": "WAIT_BUYER_PAY",
                    "gmt_create": beijing_now(),
                }
        return no

    def trade(self, out_trade_no: str) -> dict[str, str]:
        order = self.orders[out_trade_no]
        data = {
            "out_trade_no": out_trade_no,
            "trade_status": order["status"],
            "total_amount": order["total_amount"],
        }
        if order["status"] in {"TRADE_SUCCESS", "TRADE_FINISHED"}:
            data.update(
                trade_no=order["trade_no"],
                buyer_id=order["buyer_id"],
                buyer_logon_id="don***@example.org",
                buyer_pay_amount=order["buyer_pay_amount"],
                receipt_amount=order["buyer_pay_amount"],
                send_pay_date=order["gmt_payment"],
            )
        return data

    def notification(
        self,
        out_trade_no: str,
        *,
        key: rsa.RSAPrivateKey | None = None,
        notify_time: str | None = None,
        **overrides: str,
    ) -> tuple[dict[str, str], bytes]:
        """The form Alipay POSTs for a trade (overrides make bad ones for tests)."""
        order = self.orders[out_trade_no]
        params = {
            "notify_time": notify_time or beijing_now(),
            "notify_type": "trade_status_sync",
            "notify_id": order.get("notify_id") or secrets.token_hex(17),
            "charset": "utf-8",
            "version": "1.0",
            "sign_type": "RSA2",
            "app_id": self.keys.app_id,
            "auth_app_id": self.keys.app_id,
            "seller_id": self.keys.seller_id,
            "out_trade_no": out_trade_no,
            "subject": order["subject"],
            "gmt_create": order["gmt_create"],
            "fund_bill_list": json.dumps([{"amount": order["total_amount"], "fundChannel": "ALIPAYACCOUNT"}]),
            **self.trade(out_trade_no),
        }
        if "gmt_payment" in order:
            params["gmt_payment"] = order["gmt_payment"]
        params.pop("send_pay_date", None)
        params.update(overrides)
        params["sign"] = rsa2_sign(key or self.keys.alipay_key, content(params, exclude=("sign", "sign_type")))
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        return headers, urlencode(params).encode("utf-8")

    def pay(self, out_trade_no: str, *, paid_fen: int | None = None, deliver_to: bool = True) -> dict[str, Any]:
        """The donor paying at the cashier; then, unless told not to, the notification."""
        with self._lock:
            order = self.orders[out_trade_no]
            if order["status"] == "WAIT_BUYER_PAY":
                paid = order["total_amount"] if paid_fen is None else str(Decimal(paid_fen) / 100)
                order.update(
                    status="TRADE_SUCCESS",
                    trade_no=datetime.now(BEIJING).strftime("%Y%m%d") + "22001" + secrets.token_hex(7)[:13],
                    buyer_id="2088" + str(secrets.randbelow(10**12)).zfill(12),
                    buyer_pay_amount=paid,
                    gmt_payment=beijing_now(),
                    notify_id=secrets.token_hex(17),
                )
        if deliver_to and order["notify_url"]:
            headers, body = self.notification(out_trade_no)
            self.deliveries.append(deliver(order["notify_url"], body, headers))
        return order

    def return_query(self, out_trade_no: str) -> str:
        """The signed parameters the browser carries back to ``return_url``."""
        order = self.orders[out_trade_no]
        params = {
            "charset": "utf-8",
            "out_trade_no": out_trade_no,
            "method": "alipay.trade.page.pay.return",
            "total_amount": order["total_amount"],
            "trade_no": order["trade_no"],
            "auth_app_id": self.keys.app_id,
            "version": "1.0",
            "app_id": self.keys.app_id,
            "sign_type": "RSA2",
            "seller_id": self.keys.seller_id,
            "timestamp": beijing_now(),
        }
        params["sign"] = rsa2_sign(self.keys.alipay_key, content(params, exclude=("sign", "sign_type")))
        return urlencode(params)


class _AlipayHandler(Handler):
    fake: FakeAlipay

    def do_GET(self) -> None:  # noqa: N802  (the stdlib's name)
        split = urlsplit(self.path)
        if split.path == "/gateway.do":
            return self._gateway(dict(parse_qsl(split.query, keep_blank_values=True)))
        return self.html(404, PAGE.format(title="不存在 / not found", content=""))

    def do_POST(self) -> None:  # noqa: N802
        split = urlsplit(self.path)
        form = dict(parse_qsl(self.body().decode("utf-8", "replace"), keep_blank_values=True))
        if split.path == "/gateway.do":
            return self._gateway({**dict(parse_qsl(split.query, keep_blank_values=True)), **form})
        if split.path.startswith("/cashier/"):
            return self._confirm(split.path.removeprefix("/cashier/"))
        return self.html(404, PAGE.format(title="不存在 / not found", content=""))

    def _gateway(self, params: dict[str, str]) -> None:
        fake = self.fake
        method = params.get("method", "")
        fake.requests.append(method)
        browser = method in {"alipay.trade.page.pay", "alipay.trade.wap.pay"}
        if not browser:
            if fake.delay_seconds:
                fake.stopping.wait(fake.delay_seconds)
            if fake.fail_status:
                return self.reply(fake.fail_status, b"<html>502 Bad Gateway</html>", {"Content-Type": "text/html"})
        problem = self._check(params)
        if problem:
            if browser:
                return self.html(400, PAGE.format(title="支付宝 · 错误", content=f"<p>错误代码 {escape(problem)}</p>"))
            return self._response(
                method, {"code": "40002", "msg": "Invalid Arguments", "sub_code": problem}, signed=False
            )
        if browser:
            return self._cashier(fake.open_trade(params))
        if method == "alipay.trade.query":
            no = json.loads(params.get("biz_content") or "{}").get("out_trade_no", "")
            if no not in fake.orders:
                return self._response(
                    method,
                    {
                        "code": "40004",
                        "msg": "Business Failed",
                        "sub_code": "ACQ.TRADE_NOT_EXIST",
                        "sub_msg": "交易不存在",
                    },
                )
            return self._response(method, {"code": "10000", "msg": "Success", **fake.trade(no)})
        return self._response(method, {"code": "40004", "msg": "Business Failed", "sub_code": "isv.invalid-method"})

    def _check(self, params: dict[str, str]) -> str | None:
        keys = self.fake.keys
        if params.get("app_id") != keys.app_id:
            return "isv.invalid-app-id"
        if params.get("sign_type") != "RSA2" or params.get("charset", "utf-8") != "utf-8":
            return "isv.invalid-signature-type"
        if not rsa2_verify(keys.app_key, content(params, exclude=("sign",)), params.get("sign", "")):
            return "isv.invalid-signature"
        try:
            stamped = datetime.strptime(params.get("timestamp", ""), TIME_FORMAT).replace(tzinfo=BEIJING)
        except ValueError:
            return "isv.invalid-timestamp"
        if abs(stamped.timestamp() - time.time()) > TIMESTAMP_TOLERANCE_SECONDS:
            return "isv.invalid-timestamp"
        if params.get("notify_url"):
            require_loopback(params["notify_url"])
        return None

    def _response(self, method: str, data: dict[str, Any], *, signed: bool = True) -> None:
        name = method.replace(".", "_") + "_response" if method else "error_response"
        inner = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        text = '{"' + name + '":' + inner
        if signed:
            sign = rsa2_sign(self.fake.sign_replies_with or self.fake.keys.alipay_key, inner)
            text += ',"sign":"' + sign + '"'
        text += "}"
        self.reply(200, text.encode("utf-8"), {"Content-Type": "text/html;charset=utf-8"})

    def _cashier(self, no: str) -> None:
        order = self.fake.orders[no]
        done = order["status"] != "WAIT_BUYER_PAY"
        page = (
            f"<p>支付宝 · 收款方 {escape(self.fake.keys.seller_id)}</p><p>{escape(order['subject'])}</p>"
            f'<p class="amount">¥{escape(order["total_amount"])}</p>'
            + (
                "<p>已支付 / already paid</p>"
                if done
                else f'<form method="post" action="/cashier/{escape(no)}"><button type="submit">确认支付</button></form>'
            )
        )
        self.html(200, PAGE.format(title="支付宝", content=page))

    def _confirm(self, no: str) -> None:
        fake = self.fake
        if no not in fake.orders:
            return self.html(404, PAGE.format(title="订单不存在 / no such order", content=""))
        order = fake.pay(no)
        status = fake.deliveries[-1][0] if fake.deliveries else 0
        if order["return_url"]:
            require_loopback(order["return_url"])
            sep = "&" if "?" in order["return_url"] else "?"
            return self.reply(303, b"", {"Location": order["return_url"] + sep + fake.return_query(no)})
        page = f'<p class="paid">支付成功（模拟） / paid (simulated)</p><p>通知送达：HTTP {status} / notification answered HTTP {status}</p>'
        return self.html(200, PAGE.format(title="支付宝", content=page))
