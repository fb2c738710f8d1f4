"""The one small interface every payment provider adapter implements.

Agreed with the ledger side: an adapter turns a provider's notification or order
query into a verified :class:`Payment` (or refuses it) and a pledge into a
:class:`Checkout`; it never writes the ledger. What to do with a Payment whose
amount differs from the pledge, or that arrives for an expired pledge, is the
ledger's decision, so adapters report amounts as the provider states them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

# ``seen(nonce, ttl_seconds) -> bool``: True when the nonce was already used. The route
# layer backs it with a conditional put in the ledger table so it holds across instances.
Seen = Callable[[str, int], bool]


@dataclass(frozen=True)
class Payment:
    """A verified fact from a provider: money arrived for one pledge."""

    provider: str  # "wechat" | "alipay" | "bank"
    pledge_id: str  # our order number (out_trade_no), = the pledge id
    transaction_id: str  # the provider's own id for this payment (a second notification repeats it)
    amount_fen: int  # what the payer actually paid, integer fen
    payer_id: str  # verified payer identity: WeChat payer.openid, Alipay buyer_id,
    # bank transfer: the payer account the operator recorded
    paid_at: datetime  # timezone-aware, as the provider reports it


@dataclass(frozen=True)
class Checkout:
    """What the donor's browser does next to pay a pledge."""

    provider: str
    kind: str  # "qr" (render `url` as a QR code: WeChat Native code_url)
    # | "redirect" (open `url`: Alipay page/wap pay, WeChat H5 h5_url)
    # | "jsapi" (call WeixinJSBridge with `params`) | "bank" (show `params`)
    url: str | None
    params: dict[str, Any] | None
    expires_at: datetime


class Refused(Exception):
    """A notification or reply we will not accept: becomes a 4xx (code, message) at the route."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        self.code = code
        self.message = message
        self.status = status
        super().__init__(f"{code}: {message}")

    def body(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class ProviderUnavailable(Exception):
    """The provider timed out or answered 5xx: the route answers 503 with Retry-After, nothing written."""

    code = "provider_unavailable"
    retry_after = 30  # seconds: providers recover from a blip quickly; a donor retries by hand

    def __init__(
        self,
        message: str = "支付服务暂时无法连接，请稍后再试 / the payment provider is not answering; try again shortly",
    ) -> None:
        self.message = message
        super().__init__(message)

    def body(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class Provider(Protocol):
    name: str

    def create_order(
        self,
        *,
        pledge_id: str,
        amount_fen: int,
        description: str,
        expires_at: datetime,
        channel: str,
        payer_hint: str | None = None,
    ) -> Checkout: ...

    # channel: "native" | "jsapi" | "h5" (wechat), "page" | "wap" (alipay)

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> Payment | None: ...

    # verifies signature, timestamp window, replay (nonce) and decrypts; returns None for a
    # notification that is authentic but not a success (e.g. trade closed); raises Refused

    def acknowledge(self) -> tuple[int, dict[str, str], bytes]: ...

    # the HTTP reply the provider expects after we processed a notification

    def query(self, pledge_id: str) -> Payment | None: ...

    # ask the provider about an order (reconciling a missed notification)


def refused(code: str, zh: str, en: str, status: int = 400) -> Refused:
    """A :class:`Refused` with the house's bilingual message, Chinese first."""
    return Refused(code, f"{zh} / {en}", status)
