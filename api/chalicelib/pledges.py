"""What a donor may send when pledging, and what the public may see of a pledge.

Validation happens before anything touches the store, so a refused request
writes nothing. Names and messages are shown on the donor wall: markup is
stripped (not escaped) and emoji are kept.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from . import errors, fields, names
from .matching import REASON_TEXT

MAX_AMOUNT_FEN = 100_000_000  # ¥1,000,000 in one pledge
MAX_BODY_BYTES = 4096
MAX_NAME = 20
MAX_MESSAGE = 200
MAX_CONTACT = 100
ANONYMOUS_NAME = "爱心人士"

FIELDS = ("amount_fen", "donor_key", "display_name", "anonymous", "team_id", "message", "contact")

_TAG = re.compile(r"<[^>]*>?")
_SPACE = re.compile(r"\s+")
_DONOR_KEY = re.compile(r"^[\x21-\x7e]{8,64}$")
_KEEP_FORMAT = {"\u200d", "\ufe0f", "\ufe0e"}  # joiners and variation selectors inside emoji


@dataclass(frozen=True)
class PledgeRequest:
    amount_fen: int
    donor_key: str
    display_name: str | None
    anonymous: bool
    team_id: str | None
    message: str | None
    contact: str | None


def clean_text(value: str) -> str:
    """Plain text from user input: entities decoded, tags and angle brackets removed, controls dropped."""
    text = _TAG.sub("", html.unescape(value))
    text = text.replace("<", "").replace(">", "")
    text = "".join(
        ch
        for ch in text
        if ch in _KEEP_FORMAT or ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs")
    )
    return _SPACE.sub(" ", text).strip()


def parse_json_object(raw: bytes | None) -> dict[str, Any]:
    if raw is not None and len(raw) > MAX_BODY_BYTES:
        raise errors.BodyTooLarge()
    try:
        data = json.loads((raw or b"").decode("utf-8"), parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.InvalidJson() from exc
    if not isinstance(data, dict):
        raise errors.InvalidBody("请求体必须是 JSON 对象", "the body must be a JSON object")
    return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _optional_text(data: dict[str, Any], name: str, limit: int, error: type[errors.ApiError]) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise error()
    cleaned = clean_text(value)
    if len(cleaned) > limit:
        raise error()
    return cleaned or None


def parse_pledge(data: dict[str, Any]) -> PledgeRequest:
    """Check a pledge body field by field; raise the first problem as a 400 with its own code."""
    fields.only(data, FIELDS)
    fields.require(data, ("amount_fen", "donor_key"))
    amount = data["amount_fen"]
    if not isinstance(amount, int) or isinstance(amount, bool) or not 1 <= amount <= MAX_AMOUNT_FEN:
        raise errors.InvalidAmount()
    donor_key = data["donor_key"]
    if not isinstance(donor_key, str) or not _DONOR_KEY.match(donor_key):
        raise errors.InvalidDonorKey()
    anonymous = data.get("anonymous", False)
    if anonymous is None:
        anonymous = False
    if not isinstance(anonymous, bool):
        raise errors.InvalidField("anonymous 必须是 true 或 false", "anonymous must be true or false")
    name: str | None = _optional_text(names.normalise_field(data, "display_name"), "display_name", MAX_NAME, errors.InvalidDisplayName)
    if anonymous:
        name = None
    elif name is None:
        if data.get("display_name") is None:
            raise errors.MissingField(
                "请填写显示名 display_name，或选择匿名 anonymous: true", "send display_name or anonymous: true"
            )
        raise errors.InvalidDisplayName()
    team_id = data.get("team_id")
    if team_id is not None and (not isinstance(team_id, str) or not team_id or len(team_id) > 100):
        raise errors.UnknownTeam()
    return PledgeRequest(
        amount_fen=amount,
        donor_key=donor_key,
        display_name=name,
        anonymous=anonymous,
        team_id=team_id,
        message=_optional_text(data, "message", MAX_MESSAGE, errors.InvalidMessage),
        contact=_optional_text(data, "contact", MAX_CONTACT, errors.InvalidContact),
    )


#: What a donor is told about the match before the money arrives (Chinese first).
EXPECTED_NOTE = "预计配捐，以到账时为准 / expected match, final when the payment arrives"
#: Every status a pledge can have (api/TABLE.md: the lifecycle).
STATUSES = ("pledged", "paid", "expired", "cancelled", "refunded", "needs_review", "paid_after_close")
#: Statuses that hold money which must go back to the payer (an operator refunds it).
REFUND_STATUSES = ("needs_review", "paid_after_close")


def effective_status(item: dict[str, Any], now_iso: str) -> str:
    """The status a reader sees: an unpaid pledge past ``expires_at`` is expired, job or no job."""
    status = str(item["status"])
    expires = item.get("expires_at")
    if status == "pledged" and isinstance(expires, str) and expires <= now_iso:
        return "expired"
    return status


def public_view(item: dict[str, Any]) -> dict[str, Any]:
    """A pledge as the donor wall shows it: never the donor key, payer, contact or source."""
    return {
        "pledge_id": item["pledge_id"],
        "display_name": ANONYMOUS_NAME
        if item.get("anonymous") or not item.get("display_name")
        else item["display_name"],
        "amount_fen": item["amount_fen"],
        "match_fen": item.get("match_fen", 0) if item["status"] == "paid" else 0,
        "team_id": item.get("team_id"),
        "message": item.get("message"),
        "status": item["status"],
        "created_at": item["created_at"],
        "paid_at": item.get("paid_at"),
    }


def donor_view(item: dict[str, Any], now_iso: str) -> dict[str, Any]:
    """A pledge as its donor (and the payment routes) see it: status, expected or final match."""
    status = effective_status(item, now_iso)
    paid = status == "paid"
    reason = item.get("match_reason") if paid else item.get("expected_reason")
    return {
        "pledge_id": item["pledge_id"],
        "project_id": item["project_id"],
        "team_id": item.get("team_id"),
        "status": status,
        "amount_fen": item["amount_fen"],
        "match_fen": int(item.get("match_fen", 0)) if paid else 0,
        "match_final": paid,
        "expected_match_fen": int(item.get("expected_match_fen", 0)),
        "expected_note": EXPECTED_NOTE,
        "match_reason": reason,
        "match_note": None if reason is None else "；".join(REASON_TEXT[reason]),
        "flagged": bool(item.get("flagged")),
        "campaign_id": item.get("campaign_id"),
        "created_at": item["created_at"],
        "expires_at": item.get("expires_at"),
        "paid_at": item.get("paid_at"),
        "provider": item.get("provider"),
        "needs_refund": bool(item.get("needs_refund")),
    }


#: What an operator sees of a pledge, in order (also the CSV export's columns).
OPERATOR_FIELDS = (
    "pledge_id",
    "project_id",
    "campaign_id",
    "team_id",
    "amount_fen",
    "match_fen",
    "match_reason",
    "full_match_fen",
    "expected_match_fen",
    "status",
    "needs_refund",
    "review_reason",
    "flagged",
    "display_name",
    "anonymous",
    "message",
    "contact",
    "donor_ref",
    "created_at",
    "expires_at",
    "paid_at",
    "provider",
    "transaction_id",
    "payer_ref",
    "paid_amount_fen",
    "payment_ref",
    "cancelled_at",
    "cancel_reason",
)


def operator_view(item: dict[str, Any]) -> dict[str, Any]:
    """Everything an operator needs to reconcile a pledge (private: operator routes only)."""
    return {k: item.get(k) for k in OPERATOR_FIELDS}


def parse_operator_note(data: dict[str, Any], field_name: str) -> str | None:
    """The one optional text field an operator action takes (payment_ref, reason)."""
    fields.only(data, (field_name,))
    value = data.get(field_name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_MESSAGE:
        raise errors.InvalidField(
            f"{field_name} 必须是不超过 200 字的文本", f"{field_name} must be text of at most 200 characters"
        )
    return clean_text(value) or None


def parse_bank_confirmation(data: dict[str, Any]) -> tuple[str | None, str | None, int | None]:
    """An operator's bank-transfer confirmation: the bank's reference, the payer's account, the amount.

    The account is what per-donor caps and the velocity rule count by for a bank transfer
    (it is stored only as a digest, ``payer_ref``). The amount is what the statement shows
    (integer fen; absent: the pledge's amount); one that differs is recorded for the operator
    and refused as ``amount_mismatch``, as a provider's notification would be.
    """
    fields.only(data, ("payment_ref", "payer_account", "amount_fen"))
    amount = data.get("amount_fen")
    if amount is not None and (not isinstance(amount, int) or isinstance(amount, bool) or amount < 1):
        raise errors.InvalidAmount()
    out: list[str | None] = []
    for name in ("payment_ref", "payer_account"):
        value = data.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > MAX_MESSAGE):
            raise errors.InvalidField(
                f"{name} 必须是不超过 200 字的文本", f"{name} must be text of at most 200 characters"
            )
        out.append(clean_text(value) or None if value is not None else None)
    return out[0], out[1], amount
