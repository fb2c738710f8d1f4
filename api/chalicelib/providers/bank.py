"""Bank transfer to the charity's corporate account (对公转账), confirmed by an operator.

There is no provider to call: the checkout shows the account and a reference the donor
writes in the transfer's memo (附言); when the money shows on the statement, an operator
records the reference, the payer's account, the amount and the bank's serial number.
The "notification" is that operator's JSON (the route has checked the operator's
token); :meth:`BankTransfer.parse_notification` validates it into a Payment, with the
payer account as the verified payer identity for caps and velocity.

The reference carries the whole pledge id plus two check digits (ISO 7064 mod 97-10,
as in IBANs), so a mistyped reference is refused instead of confirming another pledge.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .. import secrets
from ..clock import BEIJING
from .base import Checkout, Payment, refused

PREFIX = "QY"
_PLEDGE = re.compile(r"^p_[0-9a-f]{24}$")
_REFERENCE = re.compile(r"^QY([0-9A-F]{24})([0-9]{2})$")
_ACCOUNT = re.compile(r"^[0-9]{8,32}$")
_SERIAL = re.compile(r"^[0-9A-Za-z_-]{4,64}$")
FIELDS = {"reference", "payer_account", "amount_fen", "paid_at", "bank_serial"}


def _check_digits(digits: str) -> str:
    value = int(digits, 16)
    return f"{98 - (value * 100) % 97:02d}"


def reference(pledge_id: str) -> str:
    """The memo a donor writes: ``QY`` + the pledge id's 24 hex digits + 2 check digits."""
    if not _PLEDGE.match(pledge_id):
        raise refused("invalid_pledge_id", "认捐编号格式不对", "the pledge id is not one of ours")
    hexpart = pledge_id[2:].upper()
    return f"{PREFIX}{hexpart}{_check_digits(hexpart)}"


def pledge_of(text: str) -> str:
    """The pledge id a reference names, or Refused when it is mistyped."""
    cleaned = re.sub(r"[\s-]", "", str(text)).upper()
    match = _REFERENCE.match(cleaned)
    if not match or _check_digits(match.group(1)) != match.group(2):
        raise refused(
            "bad_reference",
            "转账附言里的认捐参考号不对（可能抄错了一位），请对照银行流水再输入",
            "the transfer reference is not valid (a character may be mistyped); check it against the statement",
        )
    return "p_" + match.group(1).lower()


class BankTransfer:
    """The charity's account, configured from the ``bank`` section of the provider secret."""

    name = "bank"

    def __init__(self, config: Mapping[str, Any], **_: Any) -> None:
        self.account_name, self.bank_name, self.account_number = secrets.require(
            config, "bank", "account_name", "bank_name", "account_number"
        )

    def create_order(
        self,
        *,
        pledge_id: str,
        amount_fen: int,
        description: str,
        expires_at: datetime,
        channel: str = "bank",
        payer_hint: str | None = None,
    ) -> Checkout:
        params = {
            "account_name": self.account_name,
            "bank_name": self.bank_name,
            "account_number": self.account_number,
            "reference": reference(pledge_id),
            "amount_fen": int(amount_fen),
        }
        return Checkout(self.name, "bank", None, params, expires_at)

    def confirm(
        self, *, reference: str, payer_account: str, amount_fen: int, paid_at: datetime, bank_serial: str
    ) -> Payment:
        """The operator's record of a transfer seen on the statement, validated."""
        pledge_id = pledge_of(reference)
        account = re.sub(r"\s", "", str(payer_account))
        if not _ACCOUNT.match(account):
            raise refused("bad_payer_account", "付款账号应为 8–32 位数字", "the payer account must be 8–32 digits")
        if type(amount_fen) is not int or amount_fen < 1:
            raise refused("invalid_amount", "金额应为正整数（分）", "the amount must be a positive integer of fen")
        if not isinstance(bank_serial, str) or not _SERIAL.match(bank_serial):
            raise refused(
                "bad_bank_serial", "银行流水号应为 4–64 位字母或数字", "the bank serial must be 4–64 letters or digits"
            )
        if paid_at.tzinfo is None:
            paid_at = paid_at.replace(tzinfo=BEIJING)
        # The bank serial is the transaction id: confirming the same statement line twice
        # repeats it, and the ledger counts a transaction once.
        return Payment(self.name, pledge_id, f"bank:{bank_serial}", amount_fen, account, paid_at)

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> Payment | None:
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise refused("invalid_json", "请求体不是有效的 JSON", "the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise refused("invalid_body", "请求体应为 JSON 对象", "the body must be a JSON object")
        unknown, missing = sorted(set(data) - FIELDS), sorted(FIELDS - set(data))
        if unknown or missing:
            raise refused(
                "invalid_body",
                f"字段不对：多了 {unknown or '无'}，缺少 {missing or '无'}",
                f"wrong fields: unknown {unknown or 'none'}, missing {missing or 'none'}",
            )
        try:
            paid_at = datetime.fromisoformat(str(data["paid_at"]))
        except ValueError:
            raise refused(
                "bad_paid_at", "到账时间应为 ISO 时间，如 2026-12-01T10:00:00+08:00", "paid_at must be an ISO time"
            ) from None
        return self.confirm(
            reference=str(data["reference"]),
            payer_account=str(data["payer_account"]),
            amount_fen=data["amount_fen"],
            paid_at=paid_at,
            bank_serial=data["bank_serial"],
        )

    def acknowledge(self) -> tuple[int, dict[str, str], bytes]:
        return 200, {"Content-Type": "application/json"}, b'{"ok":true}'

    def query(self, pledge_id: str) -> Payment | None:
        # No bank API: the statement is the source, read by an operator, so nothing to ask.
        return None
