"""The donor's private link to their pledge: status, pay again, cancel while unpaid, ask for a receipt.

The pledge id is public (the donor wall shows it), so it cannot be the key to the
pledge. When a pledge is made, the route derives a **donor token** from the project
and the pledge's ``Idempotency-Key`` (which only the donor's browser knows):
``SHA-256("donor-link", project, key)``, 32 hex digits. A retry with the same key
gets the same token, so the pledge's idempotent replay stays exact; neither the token
nor the key can be computed from the pledge id. The table keeps only the token's
digest, ``donor_token_ref`` on the pledge item, written in the pledge's own transaction.

The site puts the token in the link's fragment (``/pledge/#<pledge_id>.<token>``):
a fragment is never sent to a server, so it stays out of access logs and Referer
headers. The API takes it in the ``Donor-Token`` header, never in a path or query.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime
from typing import Any

from . import clock, errors, keys
from .pledges import donor_view
from .records import Records

HEADER = "donor-token"
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def token_for(project_id: str, idempotency_key: str) -> str:
    return hashlib.sha256(f"donor-link\x1f{project_id}\x1f{idempotency_key}".encode()).hexdigest()[:32]


def token_ref(token: str) -> str:
    """What the pledge item keeps of its donor token (a digest, never the token)."""
    return keys.digest("donor-token", token)


def require(records: Records, pledge_id: str, headers: Any) -> dict[str, Any]:
    """The pledge item when ``Donor-Token`` is this pledge's token; DonorLinkInvalid otherwise."""
    token = ((headers.get(HEADER) if headers is not None else None) or "").strip().lower()
    if not _TOKEN.match(token):
        raise errors.DonorLinkInvalid()
    item = records.get_many([keys.pledge(pledge_id)], consistent=True).get(keys.pledge(pledge_id))
    if item is None or not hmac.compare_digest(str(item.get("donor_token_ref", "")), token_ref(token)):
        raise errors.DonorLinkInvalid()  # the same answer for an unknown pledge: nothing to probe
    return item


def expires_at(item: dict[str, Any]) -> datetime:
    """When an unpaid pledge lapses (the ledger writes ``expires_at`` on every pledge)."""
    return datetime.fromisoformat(str(item["expires_at"]).replace("Z", "+00:00"))


def view(item: dict[str, Any], now: datetime, *, receipt_requested: bool) -> dict[str, Any]:
    """What the donor sees through their link: the ledger's donor view, and whether a receipt was asked for."""
    return {**donor_view(item, clock.iso(now)), "receipt_requested": receipt_requested}
