"""The payment arrives: the match is decided now, in the transaction that marks the pledge paid.

:meth:`Confirmation.confirm` takes a verified :class:`providers.base.Payment`
and, in ONE transaction conditioned on the pledge's status as read:

* marks the pledge ``paid`` (paid_at, provider, transaction_id, payer_ref),
  moves it from the pending index to its project's donor-wall index;
* writes the PAYMENT item keyed (provider, transaction_id) "must not exist",
  so a second notification for the same payment replays the first outcome;
* draws the match from the sub-pools and project-cap shards (each "shard
  still holds it"), exactly as pledge-time draws were done before;
* counts it: totals shard (paid, matched, paid pledges, donors, pending back),
  the payer's marker per project and the payer's state per campaign (daily
  cap, matched payments, velocity), each "version unchanged".

Per-donor caps and velocity are keyed on ``payer_ref`` = digest(provider,
payer_id): the verified payer, never the client's ``donor_key``.

What is not a clean payment is recorded, not lost, and matched with nothing:
an amount that differs (pledge ``needs_review``), a payment for a closed
pledge (``paid_after_close``, ``needs_refund``), a second payment for a paid
pledge (``duplicate``), a payment for no pledge we know. Each writes the
PAYMENT item into the ``RECONCILE`` index for operators, in one transaction,
and then answers with its own error code; the same notification again gets
the same answer. None of these count in the public paid figures.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import clock, donors, errors, keys
from .catalogue import Catalogue
from .escrow import Escrow, Escrows, draw_ops
from .matching import MatchDecision, MatchState, decide_match, donor_day, is_open
from .pledges import donor_view
from .providers.base import Payment
from .records import Records
from .retry import Again
from .rules import Campaign
from .store import ABSENT, Op, Put, Update, eq
from .totals import Totals, marker_write

#: Outcome of a payment -> the error the route answers with (None: matched, 200).
OUTCOMES: dict[str, type[errors.ApiError] | None] = {
    "matched": None,
    "amount_mismatch": errors.AmountMismatch,
    "paid_after_close": errors.PaidAfterClose,
    "duplicate": errors.DuplicatePayment,
    "unknown_pledge": errors.UnknownPledge,
}


class Stale(Exception):
    def __init__(self, kinds: set[str]) -> None:
        super().__init__(sorted(kinds))
        self.kinds = kinds


@dataclass
class Plan:
    decision: MatchDecision
    campaign: Campaign | None = None
    pool: Escrow | None = None
    cap: Escrow | None = None
    cap_header: dict[str, Any] | None = None
    pool_draws: list[tuple[int, int]] = field(default_factory=list)
    cap_draws: list[tuple[int, int]] = field(default_factory=list)


def moment_of(payment: Payment, item: dict[str, Any] | None, now: datetime) -> datetime:
    """When the money arrived, as far as the rules are concerned: the provider's time, but never
    in the future and never before the pledge (a wrong clock cannot buy a closed window)."""
    moment = min(payment.paid_at, now)
    if item is not None:
        created = datetime.fromisoformat(str(item["created_at"]).replace("Z", "+00:00"))
        moment = max(moment, created)
    return moment


def classify(item: dict[str, Any] | None, payment: Payment, moment_iso: str) -> str:
    """What this payment is, from the pledge as read."""
    if item is None:
        return "unknown_pledge"
    status = item["status"]
    if status in ("paid", "needs_review", "paid_after_close", "refunded"):
        return "duplicate"
    if status == "cancelled":
        return "paid_after_close"
    if str(item.get("expires_at") or "~") < moment_iso:  # status pledged or expired, paid too late
        return "paid_after_close"
    if int(payment.amount_fen) != int(item["amount_fen"]):
        return "amount_mismatch"
    return "matched"


class Confirmation:
    def __init__(
        self,
        records: Records,
        escrows: Escrows,
        totals: Totals,
        catalogue: Callable[[], Catalogue],
        shards: int,
    ) -> None:
        self.records = records
        self.escrows = escrows
        self.totals = totals
        self.catalogue = catalogue
        self.shards = shards

    def confirm(self, payment: Payment) -> dict[str, Any]:
        """Record a verified payment; the pledge view with its final ``match_fen`` (see the module notes)."""
        payer_ref = keys.payer_ref(payment.provider, payment.payer_id)
        stale: set[str] = set()

        def attempt(_n: int) -> tuple[str, dict[str, Any], tuple[Campaign, str, str, int] | None]:
            nonlocal stale
            try:
                return self._try(payment, payer_ref, stale)
            except Stale as refused:
                stale = refused.kinds
                raise Again(wait=not refused.kinds & {"pledge", "payment"}) from refused
            except (errors.Contention, errors.Throttled):
                stale = {"pool", "cap"}
                raise

        outcome, view, bonus_check = self.records.retry.run(attempt)
        if bonus_check is not None:
            # The payment stands whatever happens here; the team's next payment tries again.
            with contextlib.suppress(errors.StoreError, errors.ServiceBusy):
                self._maybe_grant_bonus(bonus_check)
        error = OUTCOMES[outcome]
        if error is not None:
            raise error()
        return view

    # ---- one attempt ----

    def _try(
        self, payment: Payment, payer_ref: str, stale: set[str]
    ) -> tuple[str, dict[str, Any], tuple[Campaign, str, str, int] | None]:
        now = self.records.now()
        pay_key = keys.payment(payment.provider, payment.transaction_id)
        found = self.records.get_many([keys.pledge(payment.pledge_id), pay_key], consistent=True)
        item, recorded = found.get(keys.pledge(payment.pledge_id)), found.get(pay_key)
        if recorded is not None:  # this very payment was recorded before: the same answer again
            return str(recorded["outcome"]), donor_view(item, clock.iso(now)) if item else {}, None
        moment = moment_of(payment, item, now)
        outcome = classify(item, payment, clock.iso(moment))
        ops: list[Op] = []
        kinds: list[str] = []
        payment_item = {
            "pledge_id": payment.pledge_id,
            "provider": payment.provider,
            "transaction_id": payment.transaction_id,
            "amount_fen": int(payment.amount_fen),
            "payer_ref": payer_ref,
            "paid_at": clock.iso(payment.paid_at),
            "recorded_at": clock.iso(now),
            "outcome": outcome,
        }
        if outcome != "matched":
            payment_item.update(
                gsi1pk=keys.RECONCILE, gsi1sk=f"{clock.iso(now)}#{payment.provider}#{payment.transaction_id}"
            )
        ops.append(Put(pay_key, payment_item, (ABSENT,)))
        kinds.append("payment")
        bonus_check, plan = None, None
        if item is None:
            new_item: dict[str, Any] | None = None
        elif outcome == "matched":
            new_item, bonus_check, plan = self._matched(payment, payer_ref, item, moment, now, stale, ops, kinds)
        else:
            new_item = self._anomaly(payment, payer_ref, item, outcome, now, ops, kinds)
        try:
            self.records.transact(ops)
        except errors.ConditionFailed as failed:
            raise Stale({kinds[i] for i in failed.failed}) from failed
        if plan is not None:  # our own draws are known: keep the cached snapshot in step
            for escrow, draws in ((plan.pool, plan.pool_draws), (plan.cap, plan.cap_draws)):
                for s, amount in draws:
                    escrow.remaining[s] -= amount  # type: ignore[union-attr]
        return outcome, donor_view(new_item, clock.iso(now)) if new_item else {}, bonus_check

    # ---- a clean payment: decide and draw the match ----

    def _matched(
        self,
        payment: Payment,
        payer_ref: str,
        item: dict[str, Any],
        moment: datetime,
        now: datetime,
        stale: set[str],
        ops: list[Op],
        kinds: list[str],
    ) -> tuple[dict[str, Any], tuple[Campaign, str, str, int] | None, Plan]:
        pledge_id, project_id, team_id = item["pledge_id"], item["project_id"], item.get("team_id")
        amount = int(item["amount_fen"])
        campaign = self.catalogue().applicable_campaign(project_id, moment)
        open_then = campaign is not None and campaign.includes(project_id) and is_open(campaign, moment)
        tracks_payer = bool(open_then and campaign is not None and donors.tracked(campaign.rules))
        since_ms = clock.epoch_ms(moment) - donors.VELOCITY_SECONDS * 1000
        wanted: list[Any] = [keys.project_donor(project_id, payer_ref)]
        if tracks_payer and campaign is not None:
            wanted.append(keys.donor(payer_ref, campaign.campaign_id))
        read_pool = read_cap = False
        if open_then and campaign is not None:
            read_pool = "pool" in stale or not self.escrows.is_cached("pool", campaign)
            if read_pool:
                wanted += self.escrows.pool_keys(campaign)
            read_cap = "cap" in stale or not self.escrows.is_cached("cap", campaign, project_id)
            if read_cap:
                wanted += self.escrows.cap_keys(campaign, project_id)
        found = self.records.get_many(wanted, consistent=True)
        payer_state = found.get(keys.donor(payer_ref, campaign.campaign_id)) if tracks_payer and campaign else None
        plan = self._plan(
            campaign if open_then else None,
            project_id,
            pledge_id,
            amount,
            moment,
            payer_state,
            found,
            read_pool,
            read_cap,
            since_ms,
        )
        match, decision = plan.decision.match_fen, plan.decision
        paid_at, day = clock.iso(moment), donor_day(moment)
        wall_shard = keys.shard_of(pledge_id, keys.WALL_SHARDS)
        changes = {
            "status": "paid",
            "paid_at": paid_at,
            **_payment_fields(payment, payer_ref, now),
            "campaign_id": campaign.campaign_id if open_then and campaign is not None else item.get("campaign_id"),
            "match_fen": match,
            "match_reason": decision.reason,
            "full_match_fen": decision.full_match_fen,
            "flagged": decision.flagged,
            "day": day,
            "draws": {"pool": [list(d) for d in plan.pool_draws], "cap": [list(d) for d in plan.cap_draws]},
            "gsi1pk": keys.wall_partition(project_id, wall_shard),
            "gsi1sk": f"{paid_at}#{pledge_id}",
        }
        ops.append(Update(keys.pledge(pledge_id), set=changes, conds=(eq("status", item["status"]),)))
        kinds.append("pledge")
        if plan.campaign is not None:
            cid = plan.campaign.campaign_id
            pool_ops = draw_ops(lambda s: keys.pool_shard(cid, s), plan.pool_draws)
            cap_ops = draw_ops(lambda s: keys.cap_shard(cid, project_id, s), plan.cap_draws)
            ops += pool_ops + cap_ops
            kinds += ["pool"] * len(pool_ops) + ["cap"] * len(cap_ops)
        marker = found.get(keys.project_donor(project_id, payer_ref))
        marker_op, new_donor, new_team_donor = marker_write(project_id, payer_ref, marker, team_id, +1)
        shard = keys.shard_of(pledge_id + "#total", self.shards)
        change = {"paid_fen": amount, "matched_fen": match, "pledge_count": 1}
        if item["status"] == "pledged":  # an expired-marked pledge was closed already
            change.update(closed_fen=amount, closed_count=1)
        ops.append(Update(keys.project_total(project_id, shard), add={**change, "donor_count": int(new_donor)}))
        ops.append(marker_op)
        kinds += ["total", "marker"]
        if team_id:
            ops.append(Update(keys.team_total(team_id, shard), add={**change, "donor_count": int(new_team_donor)}))
            kinds.append("total")
        if tracks_payer and campaign is not None:
            ops.append(
                donors.after_pledge(
                    payer_ref, campaign.campaign_id, payer_state, day, match, clock.epoch_ms(moment), since_ms
                )
            )
            kinds.append("donor")
        bonus = None
        rules = campaign.rules if campaign is not None else None
        if (
            team_id
            and open_then
            and campaign is not None
            and rules is not None
            and rules.team_bonus is not None
            and plan.cap_header is not None
            and team_id not in plan.cap_header.get("bonus_teams", [])
        ):
            bonus = (campaign, project_id, team_id, amount)
        return {**item, **changes}, bonus, plan

    def _plan(
        self,
        campaign: Campaign | None,
        project_id: str,
        pledge_id: str,
        amount: int,
        moment: datetime,
        payer_state: dict[str, Any] | None,
        found: dict[Any, Any],
        read_pool: bool,
        read_cap: bool,
        since_ms: int,
    ) -> Plan:
        if campaign is None:
            outside = self.catalogue().applicable_campaign(project_id, moment)
            return Plan(decide_match(outside, project_id, amount, MatchState(now=moment, pool_remaining_fen=0)))
        pool = self.escrows.pool(campaign, read=found if read_pool else None)
        capped = self.escrows.cap(campaign, project_id, read=found if read_cap else None)
        cap, cap_header = capped if capped is not None else (None, None)
        day = donor_day(moment)
        state = MatchState(
            now=moment,
            pool_remaining_fen=pool.remaining_fen,
            donor_matched_today_fen=donors.matched_today(payer_state, day),
            donor_matched_pledges=donors.matched_pledges(payer_state),
            project_matched_fen=cap.committed_fen if cap else 0,
            project_bonus_teams=len(cap_header.get("bonus_teams", [])) if cap_header else 0,
            donor_pledges_last_minute=len(donors.recent(payer_state, since_ms)),
        )
        plan = Plan(decide_match(campaign, project_id, amount, state), campaign, pool, cap, cap_header)
        match = plan.decision.match_fen
        if match > 0:
            planned = pool.plan(match, keys.shard_of(pledge_id, len(pool.remaining)))
            if planned is None:  # the cached snapshot disagrees with itself: read again
                raise Stale({"pool"})
            plan.pool_draws = planned
            if cap is not None:
                planned = cap.plan(match, keys.shard_of(pledge_id, len(cap.remaining)))
                if planned is None:
                    raise Stale({"cap"})
                plan.cap_draws = planned
        return plan

    # ---- money that needs an operator ----

    def _anomaly(
        self,
        payment: Payment,
        payer_ref: str,
        item: dict[str, Any],
        outcome: str,
        now: datetime,
        ops: list[Op],
        kinds: list[str],
    ) -> dict[str, Any]:
        if outcome == "duplicate":  # the pledge keeps its first payment; this one is on the RECONCILE index
            return {**item, "needs_refund": True}
        pledge_id = item["pledge_id"]
        changes = {
            "status": "needs_review" if outcome == "amount_mismatch" else "paid_after_close",
            "review_reason": outcome,
            "needs_refund": True,
            "paid_at": clock.iso(min(payment.paid_at, now)),
            **_payment_fields(payment, payer_ref, now),
            "match_fen": 0,
            # on the project's wall index (the wall shows only paid pledges), so exports find it
            "gsi1pk": keys.wall_partition(item["project_id"], keys.shard_of(pledge_id, keys.WALL_SHARDS)),
            "gsi1sk": f"{clock.iso(now)}#{pledge_id}",
        }
        ops.append(Update(keys.pledge(pledge_id), set=changes, conds=(eq("status", item["status"]),)))
        kinds.append("pledge")
        if item["status"] == "pledged":  # no longer pending
            shard = keys.shard_of(pledge_id + "#total", self.shards)
            back = {"closed_fen": int(item["amount_fen"]), "closed_count": 1}
            ops.append(Update(keys.project_total(item["project_id"], shard), add=back))
            kinds.append("total")
            if item.get("team_id"):
                ops.append(Update(keys.team_total(item["team_id"], shard), add=back))
                kinds.append("total")
        return {**item, **changes}

    # ---- the team bonus ----

    def _maybe_grant_bonus(self, check: tuple[Campaign, str, str, int]) -> None:
        campaign, project_id, team_id, amount = check
        bonus = campaign.rules.team_bonus
        if bonus is None:
            return
        cached = self.totals.teams([team_id]).get(team_id, {})
        if int(cached.get("paid_fen", 0)) + amount < bonus.threshold_fen:
            return
        if int(self.totals.teams([team_id], fresh=True)[team_id]["paid_fen"]) < bonus.threshold_fen:
            return
        self.escrows.grant_team_bonus(campaign, project_id, team_id)


def _payment_fields(payment: Payment, payer_ref: str, now: datetime) -> dict[str, Any]:
    """What a pledge records of the payment that reached it, matched or not."""
    return {
        "confirmed_at": clock.iso(now),
        "provider": payment.provider,
        "transaction_id": payment.transaction_id,
        "payment_ref": payment.transaction_id,
        "payer_ref": payer_ref,
        "paid_amount_fen": int(payment.amount_fen),
    }
