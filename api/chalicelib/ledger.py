"""The ledger: the one object the routes hold, joining the parts that keep the money.

* :mod:`escrow`: the pool and project caps, split over shard items;
* :mod:`totals`: sharded counters and distinct-donor markers;
* :mod:`donors`: a donor's state in a campaign (caps, velocity);
* :mod:`pledging`: the pledge transaction;
* :mod:`lifecycle`: payment confirmed, cancellation;
* :mod:`wall`: a project's pledges, newest first.

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
from .escrow import Escrow, Escrows
from .lifecycle import Lifecycle
from .pledges import PledgeRequest
from .pledging import Pledging
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
        self.pledging = Pledging(self.records, self.escrows, self.totals, catalogue, shards)
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

    def confirm_paid(self, pledge_id: str, **kw: Any) -> dict[str, Any]:
        return self.lifecycle.confirm_paid(pledge_id, **kw)

    def confirm_payment(self, payment: Any) -> dict[str, Any]:
        # TEMP glue until core lands: the old confirm_paid, keyed on the provider's transaction.
        return self.lifecycle.confirm_paid(
            payment.pledge_id, payment_ref=f"{payment.provider}:{payment.transaction_id}", amount_fen=payment.amount_fen
        )

    def expire_pledges(self, **_: Any) -> dict[str, Any]:
        # TEMP glue until core lands: the old ledger has no expiry.
        return {"expired": 0}

    def cancel(self, pledge_id: str, *, reason: str | None = None) -> dict[str, Any]:
        return self.lifecycle.cancel(pledge_id, reason=reason)

    def pool(self, campaign: Campaign, *, fresh: bool = False) -> Escrow:
        return self.escrows.pool(campaign, fresh=fresh)

    def campaign_figures(self, campaign: Campaign) -> dict[str, int]:
        return self.escrows.figures(campaign)

    def project_totals(self, project_id: str, *, fresh: bool = False) -> dict[str, int]:
        return self.totals.project(project_id, fresh=fresh)

    def team_totals(self, team_ids: Sequence[str], *, fresh: bool = False) -> dict[str, dict[str, int]]:
        return self.totals.teams(team_ids, fresh=fresh)

    def pledges_of_project(
        self, project_id: str, *, before: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        return self.donor_wall.pledges_of_project(project_id, before=before, limit=limit)

    def wall(self, project_id: str, *, before: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        return self.donor_wall.page(project_id, before=before, limit=limit)
