"""Payment providers behind one interface (:mod:`.base`): WeChat Pay, Alipay, bank transfer.

``provider(name)`` gives the adapter configured from that provider's section of the
provider secret (:mod:`chalicelib.secrets`). The adapter is rebuilt only when the
secret's version changes (a rotated key), so its SDK client and downloaded platform
certificates are reused between requests. Importing this package imports no SDK.
"""

from __future__ import annotations

import threading
from typing import Any

from .. import secrets
from .base import Checkout, Payment, Provider, ProviderUnavailable, Refused, Seen, refused

NAMES = ("wechat", "alipay", "bank")

_lock = threading.Lock()
_adapters: dict[str, tuple[str, Any]] = {}


def _adapter_class(name: str) -> Any:
    if name == "wechat":
        from .wechat import WeChatPay

        return WeChatPay
    if name == "alipay":
        from .alipay import AliPay

        return AliPay
    from .bank import BankTransfer

    return BankTransfer


def provider(name: str, *, seen: Seen | None = None) -> Provider:
    """The configured adapter for ``name``; ``seen`` is the route layer's replay store."""
    if name not in NAMES:
        raise refused("unknown_provider", f"没有名为 {name} 的支付方式", f"there is no payment provider {name!r}", 404)
    try:
        section, version = secrets.provider_section(name)
    except secrets.SecretsUnavailable as exc:
        raise ProviderUnavailable(
            f"暂时读不到支付密钥（{exc}），请稍后再试 / the payment keys cannot be read right now ({exc}); try again shortly"
        ) from None
    with _lock:
        cached = _adapters.get(name)
        if cached is None or cached[0] != version:
            cached = (version, _adapter_class(name)(section))
            _adapters[name] = cached
        adapter = cached[1]
    if seen is not None:
        adapter.seen = seen
    return adapter


def reset() -> None:
    """Forget every adapter (tests; after a secret is replaced in place)."""
    with _lock:
        _adapters.clear()


__all__ = ["NAMES", "Checkout", "Payment", "Provider", "ProviderUnavailable", "Refused", "Seen", "provider", "reset"]
