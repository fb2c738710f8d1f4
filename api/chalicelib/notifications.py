"""Money arriving: provider notifications, the operator's bank confirmation, and reconciliation.

``POST /payments/{provider}/notify`` (the ``notify_url`` in infra/PAYMENTS.md):

1. the adapter verifies the notification (signature, our timestamp window, decryption,
   merchant) and, last, its nonce once only, against :mod:`chalicelib.replay` (a
   conditional put in the ledger table); a refusal is 4xx with the adapter's code and
   nothing is written (the provider retries a genuine one);
2. the ledger confirms the payment in one transaction (``Ledger.confirm_payment``:
   the match is decided now, idempotent on the provider's transaction id);
3. the adapter's acknowledgement goes back (WeChat: 204; Alipay: ``success``).

A payment the ledger will not simply confirm (an amount that differs from the pledge,
a pledge that expired or was cancelled, a second payment for a paid pledge, an order
number we do not know) is *money that arrived*: the ledger records it in its
reconciliation index for an operator to refund or settle (``GET /admin/payments/issues``)
and answers with its code; the route then acknowledges, because asking the provider to
retry would never change the answer. A store that is busy or a provider we could not reach is
503 with ``Retry-After`` and nothing half-written: the ledger's transaction either
happened or did not, and the provider retries.

Reconciliation (:func:`reconcile`): every online checkout leaves an ``OPENCHECKOUT#<shard>``
entry; the schedule (and ``POST /admin/payments/reconcile``) asks the provider about
each unpaid pledge whose checkout is a few minutes old and confirms what a missed
notification would have.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from . import clock, errors, keys, providers
from .catalogue import Catalogue
from .checkout import guard
from .providers.base import Payment
from .records import Records
from .replay import seen_in
from .store import Put, Update

log = logging.getLogger("qingyi.payments")

ONLINE = ("wechat", "alipay")
#: What the ledger records for an operator and answers with its code: acknowledged, never retried.
RECORDED_CODES = {"amount_mismatch", "paid_after_close", "duplicate_payment", "unknown_pledge"}
#: Reconciliation asks about a checkout once it is this old (a notification normally takes seconds)...
RECONCILE_AFTER = timedelta(minutes=3)
#: ...and stops asking this long after it (the pledge has long expired; the monthly bill catches the rest).
RECONCILE_UNTIL = timedelta(hours=6)
CHECKOUT_SHARDS = 8
#: At most this many provider queries per run (each takes up to a few seconds; the Lambda has 60).
RECONCILE_BATCH = 50


def open_checkout_key(pledge_id: str, created_at: str) -> tuple[str, str]:
    return (f"OPENCHECKOUT#{keys.shard_of(pledge_id, CHECKOUT_SHARDS):02d}", f"{created_at}#{pledge_id}")


def confirm(ledger: Any, payment: Payment) -> dict[str, Any]:
    """Confirm through the ledger; a payment it recorded for an operator instead comes back with its code."""
    try:
        view = ledger.confirm_payment(payment)
    except errors.ApiError as recorded:
        if recorded.code not in RECORDED_CODES:
            raise
        log.warning(
            "payment %s %s for %s recorded: %s",
            payment.provider,
            payment.transaction_id,
            payment.pledge_id,
            recorded.code,
        )
        return {"pledge_id": payment.pledge_id, "status": "recorded_for_reconciliation", "issue": recorded.code}
    return {"pledge_id": payment.pledge_id, "status": str(view.get("status", "paid")), "issue": None}


def issues(ledger: Any, catalogue: Catalogue, programmes: frozenset[str] | None) -> list[dict[str, Any]]:
    """What the ledger recorded for an operator (its reconciliation index), without the payer's identity.

    ``programmes``: the caller's scope (None: platform-wide). A payment for no pledge we know belongs
    to no programme, so only the platform admin sees it.
    """
    rows = ledger.reconciliation()
    found = ledger.records.get_many({keys.pledge(r["pledge_id"]) for r in rows if r.get("pledge_id")})
    fields = ("provider", "transaction_id", "pledge_id", "amount_fen", "paid_at", "outcome", "recorded_at")
    out = []
    for row in rows:
        if programmes is not None:
            pledge = found.get(keys.pledge(str(row.get("pledge_id"))))
            if pledge is None or _programme(catalogue, pledge) not in programmes:
                continue
        out.append({k: row.get(k) for k in fields})
    return out


def _programme(catalogue: Catalogue, pledge: dict[str, Any]) -> str | None:
    project = catalogue.projects.get(str(pledge.get("project_id")))
    return project.programme_id if project is not None else None


def handle(ledger: Any, provider: str, headers: Any, body: bytes) -> tuple[int, dict[str, str], bytes]:
    """One notification from ``provider``: verify, confirm, acknowledge as that provider expects."""
    if provider not in ONLINE:
        raise errors.PaymentRefused(
            "unknown_provider",
            f"没有名为 {provider} 的支付通知地址（银行转账由运营方确认） / "
            f"there is no notification address for {provider!r} (bank transfers are confirmed by an operator)",
            404,
        )
    headers = {str(k).lower(): str(v) for k, v in dict(headers).items()}
    unsigned(provider, headers, body)
    adapter = guard(lambda: providers.provider(provider, seen=seen_in(ledger.records)))
    payment = guard(lambda: adapter.parse_notification(headers, body))
    if payment is not None:
        confirm(ledger, payment)
    return adapter.acknowledge()


def unsigned(provider: str, headers: dict[str, str], body: bytes) -> None:
    """Refuse a notification carrying no signature at all before any key is read (who asks comes first).

    The adapter verifies the signature itself; this only spares a flood of unsigned
    requests the Secrets Manager read, and answers 401 even where no key is configured.
    """
    if provider == "wechat":
        if not all(headers.get(f"wechatpay-{n}") for n in ("timestamp", "nonce", "signature", "serial")):
            raise errors.PaymentRefused(
                "missing_signature_headers",
                "支付通知缺少 Wechatpay-Timestamp/Nonce/Signature/Serial 头 / "
                "the notification lacks a Wechatpay-Timestamp, -Nonce, -Signature or -Serial header",
                401,
            )
    elif b"sign=" not in body:
        raise errors.PaymentRefused(
            "missing_signature", "支付通知没有 sign 参数 / the notification has no sign parameter", 401
        )


def note_checkout(records: Records, item: dict[str, Any], provider: str, now: datetime) -> None:
    """Remember an online checkout so reconciliation can ask the provider about it later."""
    if provider not in ONLINE:
        return
    records.write(
        Put(
            open_checkout_key(item["pledge_id"], clock.iso(now)),
            {
                "pledge_id": item["pledge_id"],
                "provider": provider,
                "ttl": int((now + RECONCILE_UNTIL).timestamp()) + 86400,
            },
        )
    )


def _query(provider: str, pledge_id: str) -> Payment | None:
    return providers.provider(provider).query(pledge_id)


def reconcile(
    ledger: Any,
    *,
    now: datetime | None = None,
    limit: int = RECONCILE_BATCH,
    catalogue: Catalogue | None = None,
    programmes: frozenset[str] | None = None,
) -> dict[str, int]:
    """Ask the providers about unpaid pledges whose checkout is a few minutes old; confirm what they report paid.

    With ``programmes`` (an admin of some programmes asking), only those programmes' pledges.
    """
    records: Records = ledger.records
    now = now or records.now()
    newest, oldest = clock.iso(now - RECONCILE_AFTER), clock.iso(now - RECONCILE_UNTIL)
    counts = {"asked": 0, "confirmed": 0, "unpaid": 0, "unavailable": 0, "done": 0}
    entries: list[dict[str, Any]] = []
    for shard in range(CHECKOUT_SHARDS):
        entries += [
            e
            for e in records.query(f"OPENCHECKOUT#{shard:02d}", sk_below=newest)
            if e["sk"] >= oldest and not e.get("done")
        ]
    entries.sort(key=lambda e: str(e["sk"]))
    for entry in entries[:limit]:
        pledge = records.get(keys.pledge(entry["pledge_id"]))
        if programmes is not None and (
            pledge is None or catalogue is None or _programme(catalogue, pledge) not in programmes
        ):
            continue  # another programme's: not this caller's to reconcile
        if pledge is None or pledge.get("status") != "pledged":
            records.write(Update((entry["pk"], entry["sk"]), set={"done": True}))
            counts["done"] += 1
            continue
        counts["asked"] += 1
        try:
            payment = guard(partial(_query, entry["provider"], entry["pledge_id"]))
        except (errors.ProviderDown, errors.PaymentRefused, errors.NotConfigured) as exc:
            log.warning("reconcile: %s for %s: %s", entry["provider"], entry["pledge_id"], exc.code)
            counts["unavailable"] += 1
            continue
        if payment is None:
            counts["unpaid"] += 1
            continue
        confirm(ledger, payment)
        records.write(Update((entry["pk"], entry["sk"]), set={"done": True}))
        counts["confirmed"] += 1
    return counts


def tick(ledger: Any) -> dict[str, Any]:
    """The schedule's work (every 5 minutes on AWS, every minute under make serve): expire, then reconcile."""
    return {"expired": ledger.expire_pledges(), "reconciled": reconcile(ledger)}
