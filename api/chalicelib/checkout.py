"""Paying a pledge: the provider order for it, and how the donor's browser goes on.

``POST /pledges/{pledge_id}/checkout`` with ``{"provider", "channel"}``:

* WeChat Pay: ``native`` on a computer (a QR code the donor scans), ``h5`` in a phone
  browser outside WeChat (a link that opens WeChat), ``jsapi`` inside WeChat (the
  ``WeixinJSBridge`` parameters; needs the payer's ``openid`` from the 公众号's OAuth);
* Alipay: ``page`` on a computer, ``wap`` on a phone (a signed link to the cashier);
* bank transfer: ``bank`` (the charity's account and the reference for the 附言).

Asking again (the payment page was closed) places the same order again: the provider
keys it on our order number, the pledge id, so a donor never pays one pledge twice.
Nothing in the ledger is written here; the match is decided when the money arrives.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from . import clock, errors, fields, providers
from .catalogue import Catalogue
from .donor_link import expires_at
from .pledges import effective_status
from .providers.base import Checkout, ProviderUnavailable, Refused

CHANNELS = {"wechat": ("native", "h5", "jsapi"), "alipay": ("page", "wap"), "bank": ("bank",)}
T = TypeVar("T")


def guard(call: Callable[[], T]) -> T:
    """Run a provider call; its refusals and outages become the API's errors (4xx with code, 503)."""
    try:
        return call()
    except Refused as refused:
        raise errors.PaymentRefused(refused.code, refused.message, refused.status) from None
    except ProviderUnavailable as down:
        raise errors.ProviderDown(down.message, down.retry_after) from None


def parse(data: dict[str, Any]) -> tuple[str, str, str | None]:
    fields.only(data, ("provider", "channel", "openid"))
    fields.require(data, ("provider",))
    provider, channel, openid = data.get("provider"), data.get("channel"), data.get("openid")
    if provider not in CHANNELS:
        raise errors.InvalidField("provider 应为 wechat、alipay 或 bank", "provider must be wechat, alipay or bank")
    channel = channel if channel is not None else CHANNELS[provider][0]
    if channel not in CHANNELS[provider]:
        allowed = "、".join(CHANNELS[provider])
        raise errors.InvalidField(
            f"{provider} 的 channel 应为 {allowed}", f"{provider}'s channel must be one of {allowed}"
        )
    if openid is not None and (not isinstance(openid, str) or not 1 <= len(openid) <= 128 or channel != "jsapi"):
        raise errors.InvalidField(
            "openid 只用于 jsapi，最多 128 个字符", "openid goes with jsapi only, at most 128 characters"
        )
    return provider, channel, openid


def view(checkout: Checkout, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "pledge_id": item["pledge_id"],
        "provider": checkout.provider,
        "kind": checkout.kind,
        "url": checkout.url,
        "qr_image": qr_image(checkout.url) if checkout.kind == "qr" and checkout.url else None,
        "params": checkout.params,
        "amount_fen": int(item["amount_fen"]),
        "expires_at": clock.iso(checkout.expires_at),
    }


def qr_image(url: str) -> str:
    """WeChat Native's code_url as the QR code the donor scans from a desktop screen: an SVG data: URI.

    segno (pure Python, imported only here, so other routes' cold start does not pay for it);
    error correction M and a 4-module quiet zone, as scanners on phones want.
    """
    import segno

    return str(segno.make(url, error="m").svg_data_uri(scale=5, border=4))


def start(
    item: dict[str, Any],
    catalogue: Catalogue,
    provider: str,
    channel: str,
    *,
    openid: str | None,
    client_ip: str | None,
    now: datetime,
) -> dict[str, Any]:
    """The provider order for an unpaid, unexpired pledge, as the browser needs it."""
    if effective_status(item, clock.iso(now)) != "pledged":
        raise errors.PledgeNotPayable()
    project = catalogue.project(item["project_id"])
    description = f"青益 · {project.name or project.project_id} · 认捐"
    hint = openid if channel == "jsapi" else client_ip if channel == "h5" else None
    adapter = guard(lambda: providers.provider(provider))
    checkout = guard(
        lambda: adapter.create_order(
            pledge_id=item["pledge_id"],
            amount_fen=int(item["amount_fen"]),
            description=description,
            expires_at=expires_at(item),
            channel=channel,
            payer_hint=hint,
        )
    )
    return view(checkout, item)
