"""The ledger: the one object the routes hold, joining the parts that keep the money.

* :mod:`escrow`: the pool and project caps, split over shard items;
* :mod:`totals`: sharded counters and distinct-donor markers;
* :mod:`donors`: a donor's state in a campaign (caps, velocity);
* :mod:`pledging`: the pledge (reserves nothing; says the expected match);
* :mod:`confirmation`: the payment arrives, the match is decided and drawn;
* :mod:`lifecycle`: cancellation, refund, expiry;
* :mod:`wall`: a project's paid pledges, newest first.

They share one :class:`records.Records` (the table, a short cache, the retry
loop, the clock). See api/TABLE.md for the items.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from . import clock, keys
from .catalogue import Catalogue
from .confirmation import Confirmation
from .escrow import Escrow, Escrows
from .lifecycle import EXPIRE_LIMIT, Lifecycle
from .pledges import PledgeRequest
from .pledging import Pledging
from .providers.base import Payment
from .records import Records
from .rules import Campaign
from .totals import Totals
from .wall import Wall


class Ledger:
    def __init__(
        self,
        store: Any,
        catalogue: Callable[[], Catalogue],
        *,
        now: Callable[[], datetime] = clock.now,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        cache_seconds: float = 1.5,
        shards: int = keys.SHARDS,
        max_attempts: int = 12,
    ) -> None:
        self.records = Records(
            store, now=now, monotonic=monotonic, sleep=sleep, cache_seconds=cache_seconds, max_attempts=max_attempts
        )
        self.catalogue = catalogue
        self.shards = shards
        self.escrows = Escrows(self.records, shards)
        self.totals = Totals(self.records, shards)
        self.lifecycle = Lifecycle(self.records, shards)
        self.pledging = Pledging(self.records, self.escrows, catalogue, shards)
        self.confirmation = Confirmation(self.records, self.escrows, self.totals, catalogue, shards)
        self.donor_wall = Wall(self.records, shards)

    # ---- what tests and benchmarks look at ----

    @property
    def store(self) -> Any:
        return self.records.store

    @property
    def stats(self) -> dict[str, int]:
        return self.records.retry.stats

    @property
    def sleep(self) -> Callable[[float], None]:
        return self.records.retry.sleep

    @sleep.setter
    def sleep(self, value: Callable[[float], None]) -> None:
        self.records.retry.sleep = value

    def now(self) -> datetime:
        return self.records.now()

    # ---- what the routes call ----

    def pledge(
        self, project_id: str, request: PledgeRequest, idempotency_key: str, body_fingerprint: str, source: str | None
    ) -> dict[str, Any]:
        return self.pledging.pledge(project_id, request, idempotency_key, body_fingerprint, source)

    def pledge_item(self, pledge_id: str) -> dict[str, Any]:
        return self.lifecycle.pledge_item(pledge_id)

    def pledge_view(self, pledge_id: str) -> dict[str, Any]:
        """What the donor's private link shows: status (expired once past expires_at), expected or final match."""
        return self.lifecycle.view(pledge_id)

    def confirm_payment(self, payment: Payment) -> dict[str, Any]:
        """A verified payment arrived: mark the pledge paid and decide its match, in one transaction.

        Returns the pledge view with the final ``match_fen``. The same payment again (provider,
        transaction_id) returns the same result. A payment that is not clean is recorded for an
        operator and raises its error: :class:`errors.AmountMismatch`, :class:`errors.PaidAfterClose`,
        :class:`errors.DuplicatePayment`, :class:`errors.UnknownPledge` (all 4xx).
        """
        return self.confirmation.confirm(payment)

    def confirm_paid(
        self,
        pledge_id: str,
        *,
        payment_ref: str | None = None,
        amount_fen: int | None = None,
        payer_account: str | None = None,
    ) -> dict[str, Any]:
        """An operator's confirmation of a bank transfer (对公转账), as a Payment.

        The payer is the account the operator recorded; without one, the pledge itself stands for
        its payer (caps then cannot join it to the same account's other payments: record it).
        """
        item = self.lifecycle.pledge_item(pledge_id)
        if item["status"] == "paid" and payment_ref in (None, item.get("transaction_id")):
            return item  # the operator confirms again: nothing new
        now = self.now()
        payment = Payment(
            provider="bank",
            pledge_id=pledge_id,
            transaction_id=payment_ref or f"operator:{pledge_id}",
            amount_fen=int(item["amount_fen"]) if amount_fen is None else amount_fen,
            payer_id=payer_account or f"pledge:{pledge_id}",
            paid_at=now,
        )
        self.confirmation.confirm(payment)
        return self.lifecycle.pledge_item(pledge_id)

    def cancel(self, pledge_id: str, *, reason: str | None = None) -> dict[str, Any]:
        """Unpaid: cancelled (it held nothing). Paid: refunded, its match back to the pool and caps."""
        return self.lifecycle.cancel(pledge_id, reason=reason)

    def expire_pledges(self, now: datetime | None = None, limit: int = EXPIRE_LIMIT) -> int:
        """Mark unpaid pledges past expires_at as expired (bounded; nothing depends on it running on time)."""
        return self.lifecycle.expire(now, limit)

    def reconciliation(self, *, limit: int = 100) -> list[dict[str, Any]]:
        """Payments an operator must look at (amount differs, pledge closed, paid twice), newest first."""
        return self.records.query(keys.RECONCILE, index="gsi1", limit=limit, newest_first=True)

    def pool(self, campaign: Campaign, *, fresh: bool = False) -> Escrow:
        return self.escrows.pool(campaign, fresh=fresh)

    def project_cap(self, campaign: Campaign, project_id: str) -> Escrow | None:
        """The project's match cap escrow in the campaign (cached); None when the campaign caps no project."""
        capped = self.escrows.cap(campaign, project_id)
        return None if capped is None else capped[0]

    def campaign_figures(self, campaign: Campaign) -> dict[str, int]:
        return self.escrows.figures(campaign)

    def project_totals(self, project_id: str, *, fresh: bool = False) -> dict[str, int]:
        return self.totals.project(project_id, fresh=fresh)

    def team_totals(self, team_ids: Sequence[str], *, fresh: bool = False) -> dict[str, dict[str, int]]:
        return self.totals.teams(team_ids, fresh=fresh)

    def pledges_of_project(
        self, project_id: str, *, before: str | None = None, limit: int | None = None, unpaid: bool = False
    ) -> list[dict[str, Any]]:
        """Paid and closed pledges of a project, newest first; ``unpaid`` adds those still pending."""
        rows = self.donor_wall.pledges_of_project(project_id, before=before, limit=limit)
        if unpaid:
            rows += self.donor_wall.pending_of_project(project_id)
        return rows

    def with_contacts(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Rows with each donor's receipt contact where it is still kept (operators only)."""
        found = self.records.get_many([keys.contact(r["pledge_id"]) for r in rows if r.get("has_contact")])
        return [{**r, "contact": found.get(keys.contact(r["pledge_id"]), {}).get("contact")} for r in rows]

    def wall(self, project_id: str, *, before: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        return self.donor_wall.page(project_id, before=before, limit=limit)
