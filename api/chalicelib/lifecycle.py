"""After the pledge: payment confirmed (pledged → paid) and cancellation (→ cancelled).

Cancelling returns the match to exactly the sub-pools and cap shards it came
from, and takes the pledge out of the totals, the donor's marker and the
donor's caps, in one transaction conditioned on the status it read.
"""

from __future__ import annotations

import time
from typing import Any

from . import clock, donors, errors, keys
from .escrow import return_ops
from .records import Records
from .store import ABSENT, Op, Put, Update, eq
from .totals import marker_write

#: How long a used payment-notification nonce is remembered (longer than the notification's time window).
NONCE_TTL_SECONDS = 3600


class Lifecycle:
    def __init__(self, records: Records, shards: int) -> None:
        self.records = records
        self.shards = shards

    def pledge_item(self, pledge_id: str) -> dict[str, Any]:
        item = self.records.get(keys.pledge(pledge_id))
        if item is None:
            raise errors.UnknownPledge()
        return item

    def confirm_paid(
        self,
        pledge_id: str,
        *,
        payment_ref: str | None = None,
        amount_fen: int | None = None,
        nonce: str | None = None,
    ) -> dict[str, Any]:
        """pledged → paid (idempotent: an already paid pledge stays paid)."""

        def attempt(_n: int) -> dict[str, Any]:
            item = self.pledge_item(pledge_id)
            if amount_fen is not None and amount_fen != item["amount_fen"]:
                raise errors.AmountMismatch()
            if item["status"] == "cancelled":
                raise errors.PledgeCancelled()
            ops: list[Op] = []
            if nonce is not None:
                ops.append(
                    Put(
                        keys.nonce(nonce),
                        {"pledge_id": pledge_id, "ttl": int(time.time()) + NONCE_TTL_SECONDS},
                        (ABSENT,),
                    )
                )
            try:
                if item["status"] == "paid":
                    if ops:
                        self.records.transact(ops)
                    return item
                paid_at = clock.iso(self.records.now())
                ops.append(
                    Update(
                        keys.pledge(pledge_id),
                        set={"status": "paid", "paid_at": paid_at, "payment_ref": payment_ref},
                        conds=(eq("status", "pledged"),),
                    )
                )
                shard = keys.shard_of(pledge_id + "#paid", self.shards)
                ops.append(Update(keys.project_total(item["project_id"], shard), add={"paid_fen": item["amount_fen"]}))
                if item.get("team_id"):
                    ops.append(Update(keys.team_total(item["team_id"], shard), add={"paid_fen": item["amount_fen"]}))
                self.records.transact(ops)
            except errors.ConditionFailed as failed:
                if nonce is not None and 0 in failed.failed:
                    raise errors.NotificationReplayed() from failed
                raise
            return {**item, "status": "paid", "paid_at": paid_at, "payment_ref": payment_ref}

        return self.records.retry.run(attempt)

    def cancel(self, pledge_id: str, *, reason: str | None = None) -> dict[str, Any]:
        """pledged/paid → cancelled: the match goes back to its sub-pools, cap shards and the donor's caps."""

        def attempt(_n: int) -> dict[str, Any]:
            item = self.pledge_item(pledge_id)
            if item["status"] == "cancelled":
                return item
            ops = self._cancel_ops(item, reason)
            self.records.transact(ops)
            cancelled_at = ops[0].set["cancelled_at"]  # type: ignore[union-attr]
            return {**item, "status": "cancelled", "cancelled_at": cancelled_at, "cancel_reason": reason}

        return self.records.retry.run(attempt)

    def _cancel_ops(self, item: dict[str, Any], reason: str | None) -> list[Op]:
        pledge_id, project_id = item["pledge_id"], item["project_id"]
        campaign_id, team_id = item.get("campaign_id"), item.get("team_id")
        donor_ref, amount, match = item["donor_ref"], int(item["amount_fen"]), int(item.get("match_fen", 0))
        wanted: list[Any] = [keys.project_donor(project_id, donor_ref)]
        if campaign_id and match:
            wanted.append(keys.donor(donor_ref, campaign_id))
        found = self.records.get_many(wanted, consistent=True)
        ops: list[Op] = [
            Update(
                keys.pledge(pledge_id),
                set={"status": "cancelled", "cancelled_at": clock.iso(self.records.now()), "cancel_reason": reason},
                conds=(eq("status", item["status"]),),
            )
        ]
        draws = item.get("draws") or {}
        cid = campaign_id or ""  # draws exist only for pledges made inside a campaign
        ops += return_ops(lambda s: keys.pool_shard(cid, s), draws.get("pool", []))
        ops += return_ops(lambda s: keys.cap_shard(cid, project_id, s), draws.get("cap", []))
        shard = keys.shard_of(pledge_id + "#cancel", self.shards)
        marker = found.get(keys.project_donor(project_id, donor_ref))
        marker_op, last_of_donor, last_of_team_donor = marker_write(project_id, donor_ref, marker, team_id, -1)
        change = {"raised_fen": -amount, "matched_fen": -match, "pledge_count": -1}
        if item["status"] == "paid":
            change["paid_fen"] = -amount
        ops.append(Update(keys.project_total(project_id, shard), add={**change, "donor_count": -int(last_of_donor)}))
        ops.append(marker_op)
        if team_id:
            ops.append(Update(keys.team_total(team_id, shard), add={**change, "donor_count": -int(last_of_team_donor)}))
        if campaign_id and match:
            current = found.get(keys.donor(donor_ref, campaign_id))
            if current is not None:
                ops.append(donors.after_release(donor_ref, campaign_id, current, item["day"], match))
        return ops
