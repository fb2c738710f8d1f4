"""A pledge's life after it is made, apart from its payment (:mod:`confirmation`).

``pledged`` → ``paid`` → ``refunded``; ``pledged`` → ``expired`` or ``cancelled``.
Money that needs an operator (``needs_review``, ``paid_after_close``) → ``refunded``.

* Cancelling an unpaid pledge marks it cancelled and takes it out of pending:
  it holds nothing else.
* Refunding a paid pledge (the operator's cancel) returns the match to exactly
  the sub-pools and cap shards it came from, and takes the payment out of the
  totals, the payer's marker and the payer's caps, in one transaction
  conditioned on the status it read.
* Expiring is tidying up: readers already treat a pledge past ``expires_at``
  as expired (:func:`pledges.effective_status`); the scheduled job marks them,
  a bounded number per run, found through the pending index (never a scan).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import clock, donors, errors, keys
from .escrow import return_ops
from .pledges import donor_view
from .records import Records
from .store import Op, Update, eq
from .totals import marker_write

#: What one run of the expiry job marks at most (the next run, 5 minutes later, does the rest).
EXPIRE_LIMIT = 1000
UNPAID = ("pledged", "expired")
NEEDS_OPERATOR = ("needs_review", "paid_after_close")


class Lifecycle:
    def __init__(self, records: Records, shards: int) -> None:
        self.records = records
        self.shards = shards

    def pledge_item(self, pledge_id: str) -> dict[str, Any]:
        """The pledge with its private receipt contact (from its own, expiring item)."""
        found = self.records.get_many([keys.pledge(pledge_id), keys.contact(pledge_id)], consistent=True)
        item = found.get(keys.pledge(pledge_id))
        if item is None:
            raise errors.UnknownPledge()
        contact = found.get(keys.contact(pledge_id))
        return {**item, "contact": contact.get("contact") if contact else None}

    def view(self, pledge_id: str) -> dict[str, Any]:
        return donor_view(self.pledge_item(pledge_id), clock.iso(self.records.now()))

    # ---- cancel / refund ----

    def cancel(self, pledge_id: str, *, reason: str | None = None) -> dict[str, Any]:
        """Unpaid → cancelled; paid (or money awaiting an operator) → refunded, match given back. Idempotent."""

        def attempt(_n: int) -> dict[str, Any]:
            item = self.pledge_item(pledge_id)
            if item["status"] in ("cancelled", "refunded"):
                return item
            at = clock.iso(self.records.now())
            if item["status"] in UNPAID:
                ops = self._close_ops(item, "cancelled", at, extra={"cancelled_at": at, "cancel_reason": reason})
            else:
                ops = self._refund_ops(item, at, reason)
            self.records.transact(ops)
            return {**item, **ops[0].set}  # type: ignore[union-attr]

        return self.records.retry.run(attempt)

    def _close_ops(self, item: dict[str, Any], status: str, at: str, *, extra: dict[str, Any]) -> list[Op]:
        """An unpaid pledge closes: off the pending index (onto its project's wall index, which shows
        only paid pledges, so exports still find it), and out of the pending totals if still counted."""
        pledge_id = item["pledge_id"]
        changes = {
            "status": status,
            **extra,
            "gsi1pk": keys.wall_partition(item["project_id"], keys.shard_of(pledge_id, keys.WALL_SHARDS)),
            "gsi1sk": f"{at}#{pledge_id}",
        }
        ops: list[Op] = [Update(keys.pledge(pledge_id), set=changes, conds=(eq("status", item["status"]),))]
        if item["status"] == "pledged":
            shard = keys.shard_of(pledge_id + "#total", self.shards)
            back = {"closed_fen": int(item["amount_fen"]), "closed_count": 1}
            ops.append(Update(keys.project_total(item["project_id"], shard), add=back))
            if item.get("team_id"):
                ops.append(Update(keys.team_total(item["team_id"], shard), add=back))
        return ops

    def _refund_ops(self, item: dict[str, Any], at: str, reason: str | None) -> list[Op]:
        pledge_id, project_id = item["pledge_id"], item["project_id"]
        changes: dict[str, Any] = {
            "status": "refunded",
            "refunded_at": at,
            "cancelled_at": at,
            "cancel_reason": reason,
            "needs_refund": False,
            "refunded_from": item["status"],
        }
        if item["status"] == "paid":  # the match goes back: the record keeps what it was
            changes.update(
                match_fen=0,
                refunded_match_fen=int(item.get("match_fen", 0)),
                draws={"pool": [], "cap": []},
                returned_draws=item.get("draws") or {},
            )
        ops: list[Op] = [Update(keys.pledge(pledge_id), set=changes, conds=(eq("status", item["status"]),))]
        if item["status"] in NEEDS_OPERATOR:  # never counted, never matched: only the status changes
            return ops
        campaign_id, team_id = item.get("campaign_id"), item.get("team_id")
        payer_ref, amount, match = item["payer_ref"], int(item["amount_fen"]), int(item.get("match_fen", 0))
        wanted: list[Any] = [keys.project_donor(project_id, payer_ref)]
        if campaign_id and match:
            wanted.append(keys.donor(payer_ref, campaign_id))
        found = self.records.get_many(wanted, consistent=True)
        draws = item.get("draws") or {}
        cid = campaign_id or ""  # draws exist only for payments matched inside a campaign
        ops += return_ops(lambda s: keys.pool_shard(cid, s), draws.get("pool", []))
        ops += return_ops(lambda s: keys.cap_shard(cid, project_id, s), draws.get("cap", []))
        shard = keys.shard_of(pledge_id + "#refund", self.shards)
        marker = found.get(keys.project_donor(project_id, payer_ref))
        marker_op, last_of_payer, last_of_team_payer = marker_write(project_id, payer_ref, marker, team_id, -1)
        change = {"paid_fen": -amount, "matched_fen": -match, "pledge_count": -1}
        ops.append(Update(keys.project_total(project_id, shard), add={**change, "donor_count": -int(last_of_payer)}))
        ops.append(marker_op)
        if team_id:
            ops.append(Update(keys.team_total(team_id, shard), add={**change, "donor_count": -int(last_of_team_payer)}))
        if campaign_id and match:
            current = found.get(keys.donor(payer_ref, campaign_id))
            if current is not None:
                ops.append(donors.after_release(payer_ref, campaign_id, current, item["day"], match))
        return ops

    # ---- expiry ----

    def expire(self, now: datetime | None = None, limit: int = EXPIRE_LIMIT) -> int:
        """Mark up to ``limit`` unpaid pledges past ``expires_at`` as expired; how many it marked.

        Reads the pending index's shards, oldest expiry first, only as far as ``now``. A pledge
        paid meanwhile is left alone (the condition on its status refuses the write).
        """
        moment = now or self.records.now()
        at = clock.iso(moment)
        marked = 0
        for shard in range(keys.PENDING_SHARDS):
            if marked >= limit:
                break
            due = self.records.query(
                keys.pending_partition(shard), index="gsi1", sk_below=f"{at}#~", limit=limit - marked
            )
            for row in due:
                if row.get("status") != "pledged":
                    continue
                ops = self._close_ops(row, "expired", at, extra={"expired_at": at})
                try:
                    self.records.transact(ops)
                except errors.StoreError:
                    continue  # paid meanwhile, or busy: the next run looks again
                marked += 1
        return marked
