"""WeChat Pay API v3 through the ``wechatpayv3`` SDK (direct merchant mode).

Native (a ``code_url`` the desktop page shows as a QR code), JSAPI (inside WeChat,
parameters for ``WeixinJSBridge``, signed with the merchant key) and H5 (a phone
browser outside WeChat, an ``h5_url`` to open). The SDK signs every request and
verifies every reply; a notification is checked here in this order, each failure a
:class:`~.base.Refused` with its own code:

1. the ``Wechatpay-*`` headers are present and the signature type is ``WECHATPAY2-SHA256-RSA2048``;
2. the signed timestamp is within ±300 s of the server's real clock (:mod:`.freshness`);
3. the serial names the platform public key or a platform certificate we hold
   (an unknown serial refreshes the certificates at most once per 5 minutes, so forged
   serials cannot make us call WeChat on every request);
4. the RSA-SHA256 signature over ``timestamp\\nnonce\\nbody\\n`` verifies (the SDK's ``rsa_verify``);
5. the resource decrypts with AEAD_AES_256_GCM under the APIv3 key (the SDK's ``aes_decrypt``);
6. the transaction is for our ``mchid`` and ``appid``;
7. the nonce was not seen before (last, so neither a forgery nor a failure burns a nonce).

The SDK is imported on first use, never when the app is imported: cold starts stay cheap.
"""

from __future__ import annotations

import binascii
import json
import secrets as random
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from .. import secrets
from ..clock import BEIJING
from .base import Checkout, Payment, ProviderUnavailable, Refused, Seen, refused
from .freshness import MemorySeen, check_replay, check_window

SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
MAX_BODY_BYTES = 64 * 1024  # a real notification is about 1 KB
CERT_REFRESH_SECONDS = 300.0
TIMEOUT = (2, 4)  # connect, read (s): the Lambda has 10 s for the provider call and the ledger
CHANNELS = {"native": "NATIVE", "jsapi": "JSAPI", "h5": "H5"}


class WeChatPay:
    """One merchant's WeChat Pay, configured from the ``wechat`` section of the provider secret."""

    name = "wechat"

    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        seen: Seen | None = None,
        now: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        (self.mchid, self.appid, self.apiv3_key, self._merchant_key, self._merchant_serial, self.notify_url) = (
            secrets.require(
                config,
                "wechat",
                "mchid",
                "appid",
                "apiv3_key",
                "merchant_private_key",
                "merchant_serial_no",
                "notify_url",
            )
        )
        if len(self.apiv3_key.encode()) != 32:
            raise secrets.errors.NotConfigured(
                "wechat.apiv3_key 必须是 32 字节", "wechat.apiv3_key must be 32 bytes (AES-256)"
            )
        self._public_key_pem = config.get("platform_public_key") or None
        self._public_key_id = config.get("platform_public_key_id") or None
        if bool(self._public_key_pem) != bool(self._public_key_id):
            raise secrets.errors.NotConfigured(
                "wechat.platform_public_key 与 platform_public_key_id 要么都填，要么都不填",
                "wechat.platform_public_key and platform_public_key_id go together (or neither: platform certificates)",
            )
        self.gateway = str(config.get("gateway") or "").rstrip("/") or None  # None: the SDK's own
        self.h5_app_name = str(config.get("h5_app_name") or "青益")
        self.h5_app_url = str(config.get("h5_app_url") or "")
        self.timeout = _timeout(config.get("timeout_seconds"), TIMEOUT)
        self.seen: Seen = seen or MemorySeen()
        self._now = now
        self._monotonic = monotonic
        self._client: Any = None
        self._refreshed_at = -CERT_REFRESH_SECONDS

    # ---- the SDK ------------------------------------------------------------------------

    def _sdk(self) -> Any:
        """The SDK client, built on first use (with platform certificates it downloads them then)."""
        if self._client is None:
            from wechatpayv3.utils import load_private_key, load_public_key

            try:
                load_private_key(self._merchant_key)
                load_public_key(self._public_key_pem)
            except Exception:  # the SDK raises bare Exception for a key it cannot read
                raise secrets.errors.NotConfigured(
                    "wechat 的商户私钥或平台公钥不是有效的 PEM",
                    "wechat's merchant private key or platform public key is not valid PEM",
                ) from None
            self._client = self._guard(lambda: _build_sdk(self))
            self._refreshed_at = self._monotonic()
        return self._client

    def _guard(self, call: Callable[[], Any]) -> Any:
        """Run an SDK call; a timeout, connection failure or unverifiable reply becomes ProviderUnavailable."""
        import requests

        try:
            return call()
        except requests.exceptions.RequestException as exc:
            raise ProviderUnavailable(
                f"微信支付没有及时应答（{type(exc).__name__}），请稍后再试 / "
                f"WeChat Pay did not answer in time ({type(exc).__name__}); try again shortly"
            ) from None
        except (Refused, ProviderUnavailable):
            raise
        except Exception as exc:  # the SDK raises bare Exception, e.g. for a reply whose signature fails
            raise ProviderUnavailable(
                f"微信支付的应答无法验证（{exc}），未做任何记录 / WeChat Pay's reply could not be verified ({exc}); nothing recorded"
            ) from None

    def _reply(self, code: int, message: Any) -> dict[str, Any]:
        """A decoded JSON reply; 5xx is ProviderUnavailable, other non-2xx a Refused naming WeChat's code."""
        try:
            data = json.loads(message) if message else {}
        except (TypeError, ValueError):
            data = {}
        if code >= 500 or code == 429:
            raise ProviderUnavailable(
                f"微信支付暂时不可用（HTTP {code}），请稍后再试 / WeChat Pay is unavailable (HTTP {code}); try again shortly"
            )
        if not 200 <= code < 300:
            wx_code = str(data.get("code") or code) if isinstance(data, dict) else str(code)
            if wx_code == "ORDERPAID":
                raise refused("already_paid", "这笔认捐已经付过款", "this pledge is already paid", 409)
            raise refused(
                "provider_refused",
                f"微信支付拒绝了这个请求（{wx_code}）",
                f"WeChat Pay refused the request ({wx_code})",
                409,
            )
        if not isinstance(data, dict):
            raise ProviderUnavailable("微信支付的应答格式不对 / WeChat Pay's reply is not a JSON object")
        return data

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
        """Place the order. ``payer_hint``: the payer's openid for ``jsapi``, their client IP for ``h5``."""
        if channel not in CHANNELS:
            raise refused("unknown_channel", f"微信支付没有 {channel} 方式", f"WeChat Pay has no channel {channel!r}")
        if channel in {"jsapi", "h5"} and not payer_hint:
            what = ("openid", "openid") if channel == "jsapi" else ("客户端 IP", "client IP")
            raise refused(
                "payer_hint_required", f"{channel} 需要付款人的 {what[0]}", f"{channel} needs the payer's {what[1]}"
            )
        from wechatpayv3 import WeChatPayType

        sdk = self._sdk()
        extra: dict[str, Any] = {}
        if channel == "jsapi":
            extra["payer"] = {"openid": payer_hint}
        if channel == "h5":
            h5: dict[str, str] = {"type": "Wap", "app_name": self.h5_app_name}
            if self.h5_app_url:
                h5["app_url"] = self.h5_app_url
            extra["scene_info"] = {"payer_client_ip": payer_hint, "h5_info": h5}
        code, message = self._guard(
            lambda: sdk.pay(
                description=description[:127] or pledge_id,
                out_trade_no=pledge_id,
                amount={"total": int(amount_fen), "currency": "CNY"},
                time_expire=expires_at.astimezone(BEIJING).isoformat(timespec="seconds"),
                notify_url=self.notify_url,
                pay_type=getattr(WeChatPayType, CHANNELS[channel]),
                **extra,
            )
        )
        data = self._reply(code, message)
        if channel == "native" and isinstance(data.get("code_url"), str):
            return Checkout(self.name, "qr", data["code_url"], None, expires_at)
        if channel == "h5" and isinstance(data.get("h5_url"), str):
            return Checkout(self.name, "redirect", data["h5_url"], None, expires_at)
        if channel == "jsapi" and isinstance(data.get("prepay_id"), str):
            return Checkout(self.name, "jsapi", None, self._bridge_params(sdk, data["prepay_id"]), expires_at)
        raise ProviderUnavailable("微信支付的下单应答缺少字段 / WeChat Pay's order reply lacks its link")

    def _bridge_params(self, sdk: Any, prepay_id: str) -> dict[str, str]:
        """What ``WeixinJSBridge.invoke('getBrandWCPayRequest', ...)`` takes, signed with the merchant key."""
        timestamp = str(int(self._now()))
        nonce = random.token_hex(16)
        package = f"prepay_id={prepay_id}"
        sign = sdk.sign([self.appid, timestamp, nonce, package])
        return {
            "appId": self.appid,
            "timeStamp": timestamp,
            "nonceStr": nonce,
            "package": package,
            "signType": "RSA",
            "paySign": sign,
        }

    def query(self, pledge_id: str) -> Payment | None:
        """The order's state at WeChat: a Payment once paid, None while unpaid, closed or unknown."""
        sdk = self._sdk()
        code, message = self._guard(lambda: sdk.query(out_trade_no=pledge_id))
        if code == 404:
            return None
        data = self._reply(code, message)
        return self._payment(data, source="query")

    # ---- notifications ------------------------------------------------------------------

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> Payment | None:
        if len(body) > MAX_BODY_BYTES:
            raise refused("notification_too_large", "支付通知过大", "the notification is too large", 413)
        h = {str(k).lower(): str(v) for k, v in dict(headers).items()}
        timestamp, nonce, signature, serial = (
            h.get(f"wechatpay-{n}", "").strip() for n in ("timestamp", "nonce", "signature", "serial")
        )
        if not (timestamp and nonce and signature and serial):
            raise refused(
                "missing_signature_headers",
                "支付通知缺少 Wechatpay-Timestamp/Nonce/Signature/Serial 头",
                "the notification lacks a Wechatpay-Timestamp, -Nonce, -Signature or -Serial header",
                401,
            )
        if h.get("wechatpay-signature-type", SIGNATURE_TYPE) != SIGNATURE_TYPE:
            raise refused(
                "unsupported_signature_type",
                f"不支持的签名类型，只接受 {SIGNATURE_TYPE}",
                f"unsupported signature type; only {SIGNATURE_TYPE} is accepted",
                401,
            )
        if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12 or len(nonce) > 64:
            raise refused(
                "malformed_notification", "支付通知的时间戳或随机串格式不对", "the timestamp or nonce is malformed"
            )
        check_window(int(timestamp), now=self._now)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise refused(
                "malformed_notification", "支付通知不是 UTF-8 文本", "the notification is not UTF-8 text"
            ) from None
        from wechatpayv3.utils import rsa_verify

        key = self._platform_key(serial)
        if not rsa_verify(timestamp, nonce, text, signature, key):
            raise refused(
                "bad_signature",
                "支付通知的签名不对（不是微信支付签发的），拒收",
                "the notification's signature does not verify (not signed by WeChat Pay)",
                401,
            )
        resource = self._resource(text)
        payment = self._payment(resource, source="notification")
        check_replay(self.seen, self.name, nonce)
        return payment

    def _platform_key(self, serial: str) -> Any:
        if self._public_key_id and serial == self._public_key_id:
            return self._sdk()._core._public_key
        if not self._public_key_id:
            found = self._certificate(serial)
            if found is None and self._monotonic() - self._refreshed_at >= CERT_REFRESH_SECONDS:
                core = self._sdk()._core
                self._guard(core._update_certificates)
                self._refreshed_at = self._monotonic()
                found = self._certificate(serial)
            if found is not None:
                return found.public_key()
        raise refused(
            "unknown_platform_serial",
            "支付通知的证书序列号不是微信支付平台的，拒收",
            "the notification names a platform key or certificate serial we do not hold",
            401,
        )

    def _certificate(self, serial: str) -> Any:
        try:
            wanted = int(serial, 16)
        except ValueError:
            return None
        for cert in self._sdk()._core._certificates:
            if cert.serial_number == wanted:
                return cert
        return None

    def _resource(self, text: str) -> dict[str, Any]:
        from wechatpayv3.utils import aes_decrypt

        def malformed(what_zh: str, what_en: str) -> Refused:
            return refused(
                "malformed_notification", f"支付通知格式不对：{what_zh}", f"the notification is malformed: {what_en}"
            )

        try:
            envelope = json.loads(text)
        except ValueError:
            raise malformed("不是 JSON", "not JSON") from None
        resource = envelope.get("resource") if isinstance(envelope, dict) else None
        if not isinstance(resource, dict) or envelope.get("resource_type") != "encrypt-resource":
            raise malformed("没有加密的 resource", "no encrypted resource")
        if resource.get("algorithm") != "AEAD_AES_256_GCM":
            raise malformed("加密算法不是 AEAD_AES_256_GCM", "the algorithm is not AEAD_AES_256_GCM")
        fields = [resource.get(k) for k in ("nonce", "ciphertext")]
        associated = resource.get("associated_data", "")
        if not all(isinstance(f, str) and f for f in fields) or not isinstance(associated, str):
            raise malformed("resource 缺少 nonce 或 ciphertext", "the resource lacks its nonce or ciphertext")
        try:
            plain = aes_decrypt(
                nonce=fields[0], ciphertext=fields[1], associated_data=associated, apiv3_key=self.apiv3_key
            )
        except (ValueError, TypeError, binascii.Error, OverflowError):
            plain = None
        if plain is None:
            raise refused(
                "bad_ciphertext",
                "支付通知无法用 APIv3 密钥解密（密文被改动或密钥不对），拒收",
                "the notification does not decrypt with the APIv3 key (tampered ciphertext or wrong key)",
            )
        try:
            data = json.loads(plain)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise malformed("解密后不是 JSON 对象", "the decrypted resource is not a JSON object")
        return data

    def _payment(self, data: Mapping[str, Any], *, source: str) -> Payment | None:
        """A Payment from a transaction object (notification resource or query reply)."""
        if data.get("mchid") != self.mchid or data.get("appid") != self.appid:
            raise refused(
                "wrong_merchant",
                "这笔交易不属于本商户号或应用",
                "this transaction is for another merchant id or app id",
                401 if source == "notification" else 409,
            )
        if data.get("trade_state") != "SUCCESS":
            return None
        try:
            amount = data["amount"]
            paid = amount.get("payer_total", amount["total"])
            openid = data["payer"]["openid"]
            fields = (data["out_trade_no"], data["transaction_id"], openid, data["success_time"])
            if not all(isinstance(f, str) and f for f in fields) or type(paid) is not int or paid < 0:
                raise TypeError
            paid_at = datetime.fromisoformat(data["success_time"])
        except (KeyError, TypeError, AttributeError, ValueError):
            raise refused(
                "malformed_notification",
                "交易信息缺少订单号、交易号、金额、付款人或支付时间",
                "the transaction lacks its order number, transaction id, amount, payer or payment time",
            ) from None
        if paid_at.tzinfo is None:
            paid_at = paid_at.replace(tzinfo=BEIJING)
        return Payment(self.name, fields[0], fields[1], paid, openid, paid_at)

    def acknowledge(self) -> tuple[int, dict[str, str], bytes]:
        # API v3: "HTTP 200 or 204, no body needed"; anything else and WeChat retries.
        return 204, {}, b""


def _build_sdk(adapter: WeChatPay) -> Any:
    """The SDK client, talking to the adapter's gateway from its very first request.

    ``Core.__init__`` sets its gateway to WeChat's host and, without a platform public key,
    downloads the platform certificates at once. A Core subclass keeps the configured base
    URL (the fake's loopback address in tests) in force for that first call too; with no
    gateway configured the SDK's own host stays. ``WeChatPay.__init__`` is replaced only
    to build that Core: it sets these same five attributes (wechatpayv3 2.0.4, pinned).
    """
    from wechatpayv3 import WeChatPay as Sdk
    from wechatpayv3 import WeChatPayType
    from wechatpayv3.core import Core

    gateway = adapter.gateway

    class GatewayCore(Core):
        def __setattr__(self, name: str, value: Any) -> None:
            super().__setattr__(name, gateway if name == "_gate_way" and gateway else value)

    class Client(Sdk):
        def __init__(self) -> None:
            self._type = WeChatPayType.NATIVE
            self._mchid = adapter.mchid
            self._appid = adapter.appid
            self._notify_url = adapter.notify_url
            self._partner_mode = False
            self._core = GatewayCore(
                mchid=adapter.mchid,
                cert_serial_no=adapter._merchant_serial,
                private_key=adapter._merchant_key,
                apiv3_key=adapter.apiv3_key,
                timeout=adapter.timeout,
                public_key=adapter._public_key_pem,
                public_key_id=adapter._public_key_id,
            )

    return Client()


def _timeout(value: Any, default: tuple[float, float]) -> tuple[float, float]:
    """(connect, read) seconds: the secret's ``timeout_seconds`` (the fakes' tests use a short one)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 10:
        return (min(default[0], float(value)), float(value))
    return default
