"""Donation receipts (捐赠票据): the donor asks through their private link, the charity issues them.

A receipt is issued by the charity (the fundraising organisation), not by Qingyi: the
donor gives the payer's name (a person or an organisation), for an organisation its
unified social credit code (统一社会信用代码), and where to send the electronic receipt.
Those details are private: kept on a ``RECEIPT#<programme_id>`` item with a ``ttl``
(chalicelib.retention), never in a public answer, and exported for the charity by an
operator of that programme (``GET /admin/exports/receipts.csv``, audited).
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from . import clock, errors, fields, retention
from .pledges import clean_text
from .records import Records
from .store import Put

FIELDS = ("payer_kind", "payer_name", "credit_code", "email")
KINDS = ("person", "organisation")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[A-Za-z]{2,24}$")
#: 18 characters: digits and capitals except I, O, Z, S, V (GB 32100-2015)
_CREDIT_CODE = re.compile(r"^[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$")
COLUMNS = (
    "pledge_id",
    "project_id",
    "amount_fen",
    "paid_at",
    "payment_ref",
    "payer_kind",
    "payer_name",
    "credit_code",
    "email",
    "requested_at",
)


def parse(data: dict[str, Any]) -> dict[str, str | None]:
    fields.only(data, FIELDS)
    fields.require(data, ("payer_kind", "payer_name", "email"))
    kind, name, email, code = (data.get(k) for k in ("payer_kind", "payer_name", "email", "credit_code"))
    if kind not in KINDS:
        raise errors.InvalidReceipt(
            "payer_kind 应为 person 或 organisation", "payer_kind must be person or organisation"
        )
    if not isinstance(name, str) or not 1 <= len(clean_text(name)) <= 60:
        raise errors.InvalidReceipt("payer_name 应为 1–60 个字的姓名或单位名称", "payer_name must be 1–60 characters")
    if not isinstance(email, str) or len(email) > 254 or not _EMAIL.match(email.strip()):
        raise errors.InvalidReceipt("email 不是有效的电子邮箱地址", "email is not a valid address")
    if kind == "organisation":
        if not isinstance(code, str) or not _CREDIT_CODE.match(code.strip().upper()):
            raise errors.InvalidReceipt(
                "单位开票需要 18 位统一社会信用代码 credit_code", "an organisation needs its 18-character credit_code"
            )
        code = code.strip().upper()
    elif code is not None:
        raise errors.InvalidReceipt("个人开票不填 credit_code", "a person's receipt takes no credit_code")
    return {"payer_kind": kind, "payer_name": clean_text(name), "credit_code": code, "email": email.strip()}


def key(programme_id: str, pledge_id: str) -> tuple[str, str]:
    return (f"RECEIPT#{programme_id}", f"PLEDGE#{pledge_id}")


def request(records: Records, programme_id: str, item: dict[str, Any], details: dict[str, str | None]) -> None:
    """Keep the request (a second request replaces the first: the donor corrected a detail)."""
    if item.get("status") != "paid":
        raise errors.ReceiptNotAvailable()
    now = records.now()
    records.write(
        Put(
            key(programme_id, item["pledge_id"]),
            {
                "pledge_id": item["pledge_id"],
                "project_id": item["project_id"],
                "amount_fen": int(item["amount_fen"]),
                "paid_at": item.get("paid_at"),
                "payment_ref": item.get("payment_ref"),
                **details,
                "requested_at": clock.iso(now),
                "ttl": retention.expires_at(now),
            },
        )
    )


def requested(records: Records, programme_id: str, pledge_id: str) -> bool:
    return records.get(key(programme_id, pledge_id)) is not None


def export_csv(records: Records, programme_ids: list[str]) -> str:
    from .exports import _cell

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for programme_id in sorted(programme_ids):
        for row in records.query(f"RECEIPT#{programme_id}"):
            writer.writerow([_cell(row.get(c)) for c in COLUMNS])
    return "\ufeff" + buffer.getvalue()
