"""Alipay through ``python-alipay-sdk`` (RSA2 public-key mode).

``page`` (computer: alipay.trade.page.pay) and ``wap`` (phone browser:
alipay.trade.wap.pay) are signed URLs the donor's browser opens; no call to Alipay
happens when the order is made, Alipay creates the trade when the donor arrives.
``alipay.trade.query`` reconciles an order whose notification we missed; the SDK
verifies the reply's RSA2 signature with the Alipay public key.

A notification (a form POST) is checked in this order, each failure a Refused:

1. ``sign`` present and ``sign_type`` is RSA2;
2. RSA-SHA256 over the other parameters sorted by name, ``sign`` and ``sign_type``
   excluded, empty values skipped (Alipay's own rule), with the Alipay public key (the SDK's verify);
3. ``app_id`` (and ``seller_id`` when configured) is ours;
4. ``notify_time`` (Beijing time) is within ±300 s of the server's real clock;
5. this delivery (``notify_id`` at ``notify_time``) was not seen before. Alipay repeats
   the same ``notify_id`` on each retry until we answer ``success``, each delivery with
   its own ``notify_time``: keying on both refuses a copy and accepts an honest retry.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from .. import secrets
from ..clock import BEIJING
from .base import Checkout, Payment, ProviderUnavailable, Seen, refused
from .freshness import MemorySeen, check_replay, check_window

MAX_BODY_BYTES = 64 * 1024
TIMEOUT_SECONDS = 5
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
PAID = {"TRADE_SUCCESS", "TRADE_FINISHED"}
PRODUCTS = {
    "page": ("alipay.trade.page.pay", "FAST_INSTANT_TRADE_PAY"),
    "wap": ("alipay.trade.wap.pay", "QUICK_WAP_WAY"),
}


def yuan(fen: int) -> str:
    """Alipay's amount format: yuan with exactly two decimals."""
    return f"{fen // 100}.{fen % 100:02d}"


def fen_of(text: Any) -> int | None:
    """Integer fen from Alipay's yuan string ("12.30"), or None when it is not one."""
    if not isinstance(text, str) or len(text) > 16:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        return None
    return int(value * 100)


class AliPay:
    """One Alipay app, configured from the ``alipay`` section of the provider secret."""

    name = "alipay"

    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        seen: Seen | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.app_id, self._app_key, self._alipay_key, self.notify_url = secrets.require(
            config, "alipay", "app_id", "app_private_key", "alipay_public_key", "notify_url"
        )
        self.return_url = str(config.get("return_url") or "") or None
        self.seller_id = str(config.get("seller_id") or "") or None
        self.gateway = str(config.get("gateway") or "") or None  # None: the SDK's own
        timeout = config.get("timeout_seconds")
        valid = isinstance(timeout, int | float) and not isinstance(timeout, bool) and 0 < timeout <= 10
        self.timeout = float(timeout) if valid and timeout is not None else float(TIMEOUT_SECONDS)
        self.seen: Seen = seen or MemorySeen()
        self._now = now
        self._client: Any = None

    def _sdk(self) -> Any:
        if self._client is None:
            from alipay import AliPay as Sdk
            from alipay.utils import AliPayConfig

            try:
                client = Sdk(
                    appid=self.app_id,
                    app_notify_url=self.notify_url,
                    app_private_key_string=self._app_key,
                    alipay_public_key_string=self._alipay_key,
                    sign_type="RSA2",
                    config=AliPayConfig(timeout=self.timeout),
                )
            except (ValueError, IndexError, TypeError):
                raise secrets.errors.NotConfigured(
                    "alipay 的应用私钥或支付宝公钥不是有效的 PEM",
                    "alipay's app private key or Alipay public key is not valid PEM",
                ) from None
            if self.gateway:
                client._gateway = self.gateway  # the SDK keeps its base URL here; tests use the fake's
            self._client = client
        return self._client

    def _beijing_now(self) -> str:
        # The SDK stamps requests with the machine's local time; Alipay reads Beijing time
        # and Lambda runs in UTC, so every request carries an explicit Beijing timestamp.
        return datetime.fromtimestamp(self._now(), BEIJING).strftime(TIME_FORMAT)

    # ---- orders -------------------------------------------------------------------------

    def create_order(
        self,
        *,
        pledge_id: str,
        amount_fen: int,
        description: str,
        expires_at: datetime,
        channel: str,
        payer_hint: str | None = None,
    ) -> Checkout:
        if channel not in PRODUCTS:
            raise refused("unknown_channel", f"支付宝没有 {channel} 方式", f"Alipay has no channel {channel!r}")
        method, product = PRODUCTS[channel]
        biz = {
            "subject": description[:256] or pledge_id,
            "out_trade_no": pledge_id,
            "total_amount": yuan(int(amount_fen)),
            "product_code": product,
            "time_expire": expires_at.astimezone(BEIJING).strftime(TIME_FORMAT),
        }
        extra: dict[str, str] = {"notify_url": self.notify_url, "timestamp": self._beijing_now()}
        if self.return_url:
            extra["return_url"] = self.return_url
        sdk = self._sdk()
        query = sdk.client_api(method, biz, **extra)
        return Checkout(self.name, "redirect", f"{sdk._gateway}?{query}", None, expires_at)

    def query(self, pledge_id: str) -> Payment | None:
        from http.client import HTTPException

        from alipay.exceptions import AliPayException, AliPayValidationError

        sdk = self._sdk()
        try:
            reply = sdk.server_api("alipay.trade.query", {"out_trade_no": pledge_id}, timestamp=self._beijing_now())
        except AliPayValidationError:
            raise ProviderUnavailable(
                "支付宝应答的签名无法验证，未做任何记录 / Alipay's reply signature does not verify; nothing recorded"
            ) from None
        except AliPayException as exc:  # an unsigned reply: Alipay's error for a request it refused
            code = getattr(exc, "_AliPayException__code", "?")  # the SDK keeps it name-mangled
            raise ProviderUnavailable(f"支付宝拒绝了查询（{code}） / Alipay refused the query ({code})") from None
        except ValueError:  # json.JSONDecodeError: a body that is not Alipay's JSON (a proxy's error page)
            raise ProviderUnavailable("支付宝的应答不是 JSON / Alipay's reply is not JSON") from None
        except (OSError, HTTPException) as exc:  # URLError, timeouts, refused or reset connections
            detail = type(exc).__name__
            raise ProviderUnavailable(
                f"支付宝没有及时应答（{detail}），请稍后再试 / Alipay did not answer in time ({detail}); try again shortly"
            ) from None
        code = str(reply.get("code", ""))
        if code == "40004" and reply.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
            return None  # the donor never reached the cashier: no trade at Alipay
        if code != "10000":
            raise ProviderUnavailable(
                f"支付宝查询失败（{code} {reply.get('sub_code', '')}） / Alipay's query failed ({code} {reply.get('sub_code', '')})"
            )
        if reply.get("out_trade_no") != pledge_id:
            raise refused("wrong_order", "支付宝返回的是另一笔订单", "Alipay answered about another order", 409)
        return self._payment(reply, paid_at_field="send_pay_date")

    # ---- notifications ------------------------------------------------------------------

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> Payment | None:
        if len(body) > MAX_BODY_BYTES:
            raise refused("notification_too_large", "支付通知过大", "the notification is too large", 413)
        params = self._form(body)
        sign = params.pop("sign", "")
        sign_type = params.pop("sign_type", "")
        if not sign:
            raise refused("missing_signature", "支付通知没有 sign 参数", "the notification has no sign parameter", 401)
        if sign_type != "RSA2":
            raise refused(
                "unsupported_signature_type",
                "不支持的签名类型，只接受 RSA2",
                "unsupported sign_type; only RSA2 is accepted",
                401,
            )
        if not self._verified(params, sign):
            raise refused(
                "bad_signature",
                "支付通知的签名不对（不是支付宝签发的），拒收",
                "the notification's signature does not verify (not signed by Alipay)",
                401,
            )
        if params.get("app_id") != self.app_id or (self.seller_id and params.get("seller_id") != self.seller_id):
            raise refused(
                "wrong_merchant", "这笔交易不属于本应用或收款账号", "this trade is for another app or seller", 401
            )
        notify_time = self._beijing(params.get("notify_time"))
        if notify_time is None or not params.get("notify_id"):
            raise refused(
                "malformed_notification",
                "支付通知缺少 notify_id 或 notify_time",
                "the notification lacks notify_id or notify_time",
            )
        check_window(notify_time.timestamp(), now=self._now)
        payment = self._payment(params, paid_at_field="gmt_payment")
        check_replay(self.seen, self.name, f"{params['notify_id']}@{params['notify_time']}")
        return payment

    def _form(self, body: bytes) -> dict[str, str]:
        try:
            pairs = parse_qsl(
                body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body), max_num_fields=200
            )
        except (UnicodeDecodeError, ValueError):
            raise refused(
                "malformed_notification", "支付通知不是 UTF-8 表单", "the notification is not a UTF-8 form"
            ) from None
        params = dict(pairs)
        if len(params) != len(pairs):
            raise refused("malformed_notification", "支付通知有重复的参数", "the notification repeats a parameter")
        return params

    def _verified(self, params: dict[str, str], sign: str) -> bool:
        signed = {k: v for k, v in params.items() if v != ""}
        try:
            return bool(self._sdk().verify(signed, sign))
        except Exception:  # a sign that is not base64, or of the wrong length: not Alipay's
            return False

    @staticmethod
    def _beijing(text: Any) -> datetime | None:
        try:
            return datetime.strptime(str(text), TIME_FORMAT).replace(tzinfo=BEIJING)
        except ValueError:
            return None

    def _payment(self, data: Mapping[str, Any], *, paid_at_field: str) -> Payment | None:
        if data.get("trade_status") not in PAID:
            return None  # WAIT_BUYER_PAY, TRADE_CLOSED: authentic, but no money
        # buyer_pay_amount is what the donor paid; total_amount the order's sum (they differ only
        # when a discount applies, which the ledger then sees as a mismatch).
        amount = fen_of(data.get("buyer_pay_amount") or data.get("total_amount"))
        payer = data.get("buyer_id") or data.get("buyer_open_id")  # apps created since 2023 get open ids
        paid_at = self._beijing(data.get(paid_at_field)) or self._beijing(data.get("gmt_payment"))
        out_trade_no, trade_no = data.get("out_trade_no"), data.get("trade_no")
        if amount is None or not payer or paid_at is None or not out_trade_no or not trade_no:
            raise refused(
                "malformed_notification",
                "交易信息缺少订单号、交易号、金额、付款人或支付时间",
                "the trade lacks its order number, trade number, amount, payer or payment time",
            )
        return Payment(self.name, str(out_trade_no), str(trade_no), amount, str(payer), paid_at)

    def acknowledge(self) -> tuple[int, dict[str, str], bytes]:
        # Alipay retries (over 25 hours) until the body is exactly these 7 characters.
        return 200, {"Content-Type": "text/plain; charset=utf-8"}, b"success"
