"""The pledge transaction: read, decide, plan the draws, write everything at once.

1. One consistent batch read: the pledge (a replay?), the donor's marker and
   state, the source's counters, and the escrow shards when the cached
   snapshot is stale.
2. :func:`matching.decide_match` proposes the match from that snapshot.
3. The draws are planned over the escrow shards (:meth:`escrow.Escrow.plan`).
4. One transaction writes the pledge ("must not exist": the idempotency
   record), the draws (each "shard still holds it"), the totals, the donor's
   marker and state (each "version unchanged") and the source counter.

If any condition fails, only the parts it was about are read again, and the
decision is made again; after a bounded number of attempts the answer is
503 with nothing written.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import clock, donors, errors, idempotency, keys
from .catalogue import Catalogue
from .escrow import Escrow, Escrows, draw_ops
from .matching import REASON_TEXT, MatchDecision, MatchState, decide_match, donor_day, is_open
from .pledges import PledgeRequest
from .records import Records
from .retry import Again
from .rules import Campaign
from .store import ABSENT, Op, Put, Update
from .totals import Totals, marker_write

SOURCE_BUCKET_SECONDS = 10
#: Source counters live a little longer than the velocity rule looks back.
SOURCE_TTL_SECONDS = 2 * donors.VELOCITY_SECONDS + 3600


def first_response(item: dict[str, Any]) -> dict[str, Any]:
    """The 201 body a pledge got when it was made (a retry with the same key gets it again)."""
    reason = item.get("match_reason")
    return {
        "pledge_id": item["pledge_id"],
        "status": "pledged",
        "amount_fen": item["amount_fen"],
        "match_fen": item["match_fen"],
        "match_reason": reason,
        "match_note": None if reason is None else "；".join(REASON_TEXT[reason]),
        "flagged": bool(item.get("flagged")),
        "campaign_id": item.get("campaign_id"),
        "created_at": item["created_at"],
    }


class Stale(Exception):
    """The transaction was refused; ``kinds`` says which parts of the snapshot were stale."""

    def __init__(self, kinds: set[str]) -> None:
        super().__init__(sorted(kinds))
        self.kinds = kinds


@dataclass
class Attempt:
    """One try at a pledge: the moment, the campaign, and what the rules need read."""

    pledge_id: str
    project_id: str
    request: PledgeRequest
    donor_ref: str
    source_ref: str | None
    now: datetime
    campaign: Campaign | None
    open_now: bool
    tracks_donor: bool
    tracks_source: bool
    bucket: int
    since_ms: int
    found: dict[Any, Any] = field(default_factory=dict)

    @property
    def buckets(self) -> range:
        span = donors.VELOCITY_SECONDS // SOURCE_BUCKET_SECONDS
        return range(self.bucket - span, self.bucket + 1)

    def source_keys(self) -> list[Any]:
        return [keys.source_bucket(self.source_ref, b) for b in self.buckets] if self.source_ref else []


@dataclass
class Plan:
    decision: MatchDecision
    pool: Escrow | None = None
    cap: Escrow | None = None
    cap_header: dict[str, Any] | None = None
    donor_state: dict[str, Any] | None = None
    pool_draws: list[tuple[int, int]] = field(default_factory=list)
    cap_draws: list[tuple[int, int]] = field(default_factory=list)


class Pledging:
    def __init__(
        self, records: Records, escrows: Escrows, totals: Totals, catalogue: Callable[[], Catalogue], shards: int
    ) -> None:
        self.records = records
        self.escrows = escrows
        self.totals = totals
        self.catalogue = catalogue
        self.shards = shards

    def pledge(
        self, project_id: str, request: PledgeRequest, idempotency_key: str, body_fingerprint: str, source: str | None
    ) -> dict[str, Any]:
        """Record a pledge and its match; the same key replays the first response."""
        catalogue = self.catalogue()
        project = catalogue.project(project_id)
        if project.accepting_pledges is not True:
            raise errors.ProjectClosed()
        if request.team_id is not None:
            team = catalogue.teams.get(request.team_id)
            if team is None or team.project_id != project_id:
                raise errors.UnknownTeam()
        pledge_id = idempotency.pledge_id(project_id, idempotency_key)
        donor_ref = keys.digest("donor", request.donor_key)
        source_ref = keys.digest("source", source) if source else None
        stale: set[str] = set()

        def attempt(_n: int) -> tuple[dict[str, Any], tuple[Campaign, str, str, int] | None]:
            nonlocal stale
            try:
                return self._try(
                    catalogue, project_id, pledge_id, request, body_fingerprint, donor_ref, source_ref, stale
                )
            except Stale as refused:
                # Re-read only what the failed conditions were about (the pledge, markers and
                # donor are read consistently on every attempt anyway).
                stale = refused.kinds
                raise Again(wait="pledge" not in stale) from refused
            except (errors.Contention, errors.Throttled):
                stale = {"pool", "cap"}
                raise

        outcome, bonus_check = self.records.retry.run(attempt)
        if bonus_check is not None:
            # The pledge stands whatever happens here; the next pledge under the team tries again.
            with contextlib.suppress(errors.StoreError, errors.ServiceBusy):
                self._maybe_grant_bonus(bonus_check)
        return outcome

    # ---- 1. read ----

    def _begin(
        self,
        catalogue: Catalogue,
        project_id: str,
        pledge_id: str,
        request: PledgeRequest,
        donor_ref: str,
        source_ref: str | None,
    ) -> Attempt:
        now = self.records.now()
        campaign = catalogue.applicable_campaign(project_id, now)
        open_now = campaign is not None and campaign.includes(project_id) and is_open(campaign, now)
        rules = campaign.rules if campaign is not None else None
        # The donor's state and the source's counters are kept only when a rule needs them.
        return Attempt(
            pledge_id=pledge_id,
            project_id=project_id,
            request=request,
            donor_ref=donor_ref,
            source_ref=source_ref,
            now=now,
            campaign=campaign,
            open_now=open_now,
            tracks_donor=bool(open_now and donors.tracked(rules)),
            tracks_source=bool(open_now and rules is not None and rules.velocity_per_minute is not None and source_ref),
            bucket=int(now.timestamp()) // SOURCE_BUCKET_SECONDS,
            since_ms=clock.epoch_ms(now) - donors.VELOCITY_SECONDS * 1000,
        )

    def _read(self, a: Attempt, stale: set[str]) -> tuple[bool, bool]:
        wanted: list[Any] = [keys.pledge(a.pledge_id), keys.project_donor(a.project_id, a.donor_ref)]
        if a.tracks_donor and a.campaign is not None:
            wanted.append(keys.donor(a.donor_ref, a.campaign.campaign_id))
        if a.tracks_source:
            wanted += a.source_keys()
        read_pool = read_cap = False
        if a.open_now and a.campaign is not None:
            read_pool = "pool" in stale or not self.escrows.is_cached("pool", a.campaign)
            if read_pool:
                wanted += self.escrows.pool_keys(a.campaign)
            read_cap = "cap" in stale or not self.escrows.is_cached("cap", a.campaign, a.project_id)
            if read_cap:
                wanted += self.escrows.cap_keys(a.campaign, a.project_id)
        a.found = self.records.get_many(wanted, consistent=True)
        return read_pool, read_cap

    # ---- 2. decide and 3. plan ----

    def _decide(self, a: Attempt, read_pool: bool, read_cap: bool) -> Plan:
        campaign = a.campaign
        if not (a.open_now and campaign is not None):
            return Plan(
                decide_match(campaign, a.project_id, a.request.amount_fen, MatchState(now=a.now, pool_remaining_fen=0))
            )
        pool = self.escrows.pool(campaign, read=a.found if read_pool else None)
        capped = self.escrows.cap(campaign, a.project_id, read=a.found if read_cap else None)
        cap, cap_header = capped if capped is not None else (None, None)
        donor_state = a.found.get(keys.donor(a.donor_ref, campaign.campaign_id))
        source_count = sum(int(a.found.get(k, {}).get("n", 0)) for k in a.source_keys()) if a.tracks_source else 0
        day = donor_day(a.now)
        state = MatchState(
            now=a.now,
            pool_remaining_fen=pool.remaining_fen,
            donor_matched_today_fen=donors.matched_today(donor_state, day),
            donor_matched_pledges=donors.matched_pledges(donor_state),
            project_matched_fen=cap.committed_fen if cap else 0,
            project_bonus_teams=len(cap_header.get("bonus_teams", [])) if cap_header else 0,
            donor_pledges_last_minute=len(donors.recent(donor_state, a.since_ms)),
            source_pledges_last_minute=source_count,
        )
        plan = Plan(
            decide_match(campaign, a.project_id, a.request.amount_fen, state), pool, cap, cap_header, donor_state
        )
        match = plan.decision.match_fen
        if match > 0:
            planned = pool.plan(match, keys.shard_of(a.pledge_id, len(pool.remaining)))
            if planned is None:  # the cached snapshot disagrees with itself: read again
                raise Stale({"pool"})
            plan.pool_draws = planned
            if cap is not None:
                planned = cap.plan(match, keys.shard_of(a.pledge_id, len(cap.remaining)))
                if planned is None:
                    raise Stale({"cap"})
                plan.cap_draws = planned
        return plan

    # ---- 4. write ----

    def _item(self, a: Attempt, plan: Plan, body_fingerprint: str) -> dict[str, Any]:
        created_at = clock.iso(a.now)
        request, decision = a.request, plan.decision
        return {
            "pledge_id": a.pledge_id,
            "project_id": a.project_id,
            "campaign_id": a.campaign.campaign_id if a.open_now and a.campaign is not None else None,
            "team_id": request.team_id,
            "amount_fen": request.amount_fen,
            "match_fen": decision.match_fen,
            "match_reason": decision.reason,
            "full_match_fen": decision.full_match_fen,
            "flagged": decision.flagged,
            "status": "pledged",
            "donor_ref": a.donor_ref,
            "display_name": request.display_name,
            "anonymous": request.anonymous,
            "message": request.message,
            "contact": request.contact,
            "created_at": created_at,
            "day": donor_day(a.now),
            "draws": {"pool": [list(d) for d in plan.pool_draws], "cap": [list(d) for d in plan.cap_draws]},
            "fingerprint": body_fingerprint,
            "gsi1pk": keys.wall_partition(a.project_id, keys.shard_of(a.pledge_id, self.shards)),
            "gsi1sk": f"{created_at}#{a.pledge_id}",
        }

    def _ops(self, a: Attempt, plan: Plan, item: dict[str, Any]) -> tuple[list[Op], list[str]]:
        """The transaction, and for each operation which part of the snapshot its condition is about."""
        match, campaign, team_id = plan.decision.match_fen, a.campaign, a.request.team_id
        ops: list[Op] = [Put(keys.pledge(a.pledge_id), item, (ABSENT,))]
        kinds = ["pledge"]
        if campaign is not None:
            cid = campaign.campaign_id
            pool_ops = draw_ops(lambda s: keys.pool_shard(cid, s), plan.pool_draws)
            cap_ops = draw_ops(lambda s: keys.cap_shard(cid, a.project_id, s), plan.cap_draws)
            ops += pool_ops + cap_ops
            kinds += ["pool"] * len(pool_ops) + ["cap"] * len(cap_ops)
        total_shard = keys.shard_of(a.pledge_id + "#total", self.shards)
        marker = a.found.get(keys.project_donor(a.project_id, a.donor_ref))
        marker_op, new_donor, new_team_donor = marker_write(a.project_id, a.donor_ref, marker, team_id, +1)
        change = {"raised_fen": a.request.amount_fen, "matched_fen": match, "pledge_count": 1}
        ops.append(Update(keys.project_total(a.project_id, total_shard), add={**change, "donor_count": int(new_donor)}))
        ops.append(marker_op)
        kinds += ["total", "marker"]
        if team_id:
            ops.append(
                Update(keys.team_total(team_id, total_shard), add={**change, "donor_count": int(new_team_donor)})
            )
            kinds.append("total")
        if a.tracks_donor and campaign is not None:
            ops.append(
                donors.after_pledge(
                    a.donor_ref,
                    campaign.campaign_id,
                    plan.donor_state,
                    item["day"],
                    match,
                    clock.epoch_ms(a.now),
                    a.since_ms,
                )
            )
            kinds.append("donor")
        if a.tracks_source and a.source_ref:
            ops.append(
                Update(
                    keys.source_bucket(a.source_ref, a.bucket),
                    add={"n": 1},
                    set={"ttl": int(a.now.timestamp()) + SOURCE_TTL_SECONDS},
                )
            )
            kinds.append("source")
        return ops, kinds

    def _try(
        self,
        catalogue: Catalogue,
        project_id: str,
        pledge_id: str,
        request: PledgeRequest,
        body_fingerprint: str,
        donor_ref: str,
        source_ref: str | None,
        stale: set[str],
    ) -> tuple[dict[str, Any], tuple[Campaign, str, str, int] | None]:
        a = self._begin(catalogue, project_id, pledge_id, request, donor_ref, source_ref)
        read_pool, read_cap = self._read(a, stale)
        existing = a.found.get(keys.pledge(pledge_id))
        if existing is not None:
            return idempotency.replay(first_response(existing), existing.get("fingerprint"), body_fingerprint), None
        plan = self._decide(a, read_pool, read_cap)
        item = self._item(a, plan, body_fingerprint)
        ops, kinds = self._ops(a, plan, item)
        try:
            self.records.transact(ops)
        except errors.ConditionFailed as failed:
            raise Stale({kinds[i] for i in failed.failed}) from failed
        # Our own draws are known: keep the cached snapshot in step (fewer refusals next time).
        for escrow, draws in ((plan.pool, plan.pool_draws), (plan.cap, plan.cap_draws)):
            for s, amount in draws:
                escrow.remaining[s] -= amount  # type: ignore[union-attr]
        campaign, team_id = a.campaign, request.team_id
        bonus_check = None
        if (
            team_id
            and campaign is not None
            and a.open_now
            and campaign.rules.team_bonus is not None
            and plan.cap_header is not None
            and team_id not in plan.cap_header.get("bonus_teams", [])
        ):
            bonus_check = (campaign, project_id, team_id, request.amount_fen)
        return first_response(item), bonus_check

    # ---- the team bonus ----

    def _maybe_grant_bonus(self, check: tuple[Campaign, str, str, int]) -> None:
        campaign, project_id, team_id, amount = check
        bonus = campaign.rules.team_bonus
        if bonus is None:
            return
        cached = self.totals.teams([team_id]).get(team_id, {})
        if int(cached.get("raised_fen", 0)) + amount < bonus.threshold_fen:
            return
        if int(self.totals.teams([team_id], fresh=True)[team_id]["raised_fen"]) < bonus.threshold_fen:
            return
        self.escrows.grant_team_bonus(campaign, project_id, team_id)
