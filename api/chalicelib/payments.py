"""Signed payment notifications from the payment provider.

The provider POSTs JSON ``{"pledge_id", "amount_fen", "nonce", "payment_ref"}``
with headers ``X-Qingyi-Timestamp`` (Unix seconds) and ``X-Qingyi-Signature``
(hex HMAC-SHA256, key ``QINGYI_PAYMENT_SECRET``, over ``timestamp + "." + raw body``).
A notification more than 300 s away from the server's real time is refused,
and each nonce is accepted once (the ledger stores it with the payment, in the
same transaction), so a captured notification cannot be replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from typing import Any

from . import errors, fields, settings

WINDOW_SECONDS = 300
TIMESTAMP_HEADER = "x-qingyi-timestamp"
SIGNATURE_HEADER = "x-qingyi-signature"
_NONCE = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


@dataclass(frozen=True)
class Notification:
    pledge_id: str
    amount_fen: int
    nonce: str
    payment_ref: str | None


def secret() -> bytes:
    return settings.payment_secret().encode("utf-8")


def sign(key: bytes, timestamp: str, raw_body: bytes) -> str:
    return hmac.new(key, timestamp.encode("ascii") + b"." + raw_body, hashlib.sha256).hexdigest()


def verify(headers: Any, raw_body: bytes, *, now: float | None = None) -> None:
    """Raise :class:`errors.SignatureInvalid` unless the signature and timestamp are good."""
    key = secret()
    timestamp = (headers.get(TIMESTAMP_HEADER) or "").strip()
    signature = (headers.get(SIGNATURE_HEADER) or "").strip().lower()
    if signature.startswith("sha256="):
        signature = signature[7:]
    if not timestamp.isdigit() or not signature:
        raise errors.SignatureInvalid()
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > WINDOW_SECONDS:
        raise errors.SignatureInvalid("支付通知已过期或时间不对", "the notification's timestamp is outside ±300 s")
    if not hmac.compare_digest(sign(key, timestamp, raw_body), signature):
        raise errors.SignatureInvalid()


def parse(data: dict[str, Any]) -> Notification:
    fields.only(data, ("pledge_id", "amount_fen", "nonce", "payment_ref"))
    fields.require(data, ("pledge_id", "amount_fen", "nonce"))
    amount = data["amount_fen"]
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 1:
        raise errors.InvalidAmount()
    if not isinstance(data["pledge_id"], str) or not isinstance(data["nonce"], str) or not _NONCE.match(data["nonce"]):
        raise errors.InvalidField(
            "pledge_id 和 nonce 必须是字符串（nonce 8–128 个字符）",
            "pledge_id and nonce must be strings (nonce 8–128 chars)",
        )
    ref = data.get("payment_ref")
    if ref is not None and (not isinstance(ref, str) or len(ref) > 100):
        raise errors.InvalidField(
            "payment_ref 最多 100 个字符", "payment_ref must be a string of at most 100 characters"
        )
    return Notification(pledge_id=data["pledge_id"], amount_fen=amount, nonce=data["nonce"], payment_ref=ref)
