"""The pledge: a promise that reserves nothing, with the match it is *expected* to earn.

A pledge writes its own item ("must not exist": the idempotency record), the
donor's receipt contact in an item of its own that expires (``ttl``), and adds
its amount to one project (and team) *pledged* counter shard. It draws
nothing from the pool or any cap and counts against no donor cap: the match is
decided when the payment arrives (:mod:`confirmation`). The response says what
the match would be under the current rules and pool, labelled as expected
(预计配捐，以到账时为准).

An unpaid pledge expires ``pledge_expiry_minutes`` after it was made (a
campaign setting, default 30); readers treat it as expired from that instant,
and the scheduled job (:meth:`lifecycle.Lifecycle.expire`) only tidies up.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from . import clock, donor_link, errors, idempotency, keys, retention
from .catalogue import Catalogue
from .escrow import Escrows
from .matching import MatchDecision, MatchState, decide_match, is_open
from .pledges import PledgeRequest, donor_view
from .records import Records
from .retry import Again
from .rules import DEFAULT_PLEDGE_EXPIRY_MINUTES, Campaign
from .store import ABSENT, Op, Put, Update


def first_response(item: dict[str, Any], now_iso: str) -> dict[str, Any]:
    """The 201 body of a pledge (a retry with the same key gets it again, with the status now)."""
    return donor_view(item, now_iso)


def expiry_minutes(campaign: Campaign | None) -> int:
    return campaign.pledge_expiry_minutes if campaign is not None else DEFAULT_PLEDGE_EXPIRY_MINUTES


def refuse_unless_open(catalogue: Catalogue, project_id: str, request: PledgeRequest) -> None:
    """ProjectClosed or UnknownTeam before anything is written (the routes check it before counting too)."""
    project = catalogue.project(project_id)
    if project.accepting_pledges is not True:
        raise errors.ProjectClosed()
    if request.team_id is not None:
        team = catalogue.teams.get(request.team_id)
        if team is None or team.project_id != project_id:
            raise errors.UnknownTeam()


class Pledging:
    def __init__(self, records: Records, escrows: Escrows, catalogue: Callable[[], Catalogue], shards: int) -> None:
        self.records = records
        self.escrows = escrows
        self.catalogue = catalogue
        self.shards = shards

    def pledge(
        self, project_id: str, request: PledgeRequest, idempotency_key: str, body_fingerprint: str, source: str | None
    ) -> dict[str, Any]:
        """Record a pledge; the same key replays the first response. ``source`` is not kept (see web.py)."""
        catalogue = self.catalogue()
        refuse_unless_open(catalogue, project_id, request)
        pledge_id = idempotency.pledge_id(project_id, idempotency_key)

        def attempt(_n: int) -> dict[str, Any]:
            existing = self.records.get(keys.pledge(pledge_id))
            now = self.records.now()
            if existing is not None:
                return idempotency.replay(
                    first_response(existing, clock.iso(now)), existing.get("fingerprint"), body_fingerprint
                )
            campaign = catalogue.applicable_campaign(project_id, now)
            decision = self.expected(campaign, project_id, request.amount_fen, now)
            item = self._item(pledge_id, project_id, request, campaign, decision, now, body_fingerprint)
            item["donor_token_ref"] = donor_link.token_ref(donor_link.token_for(project_id, idempotency_key))
            try:
                self.records.transact(self._ops(item, request, now))
            except errors.ConditionFailed as failed:
                raise Again(wait=False) from failed  # the same key raced us: replay what it wrote
            return first_response(item, clock.iso(now))

        return self.records.retry.run(attempt)

    def expected(self, campaign: Campaign | None, project_id: str, amount_fen: int, now: Any) -> MatchDecision:
        """The match under the current rules, pool and project cap (cached snapshots; reserves nothing).

        The donor's own caps are not known yet: they are the paying account's, known at payment.
        """
        if campaign is None or not campaign.includes(project_id) or not is_open(campaign, now):
            return decide_match(campaign, project_id, amount_fen, MatchState(now=now, pool_remaining_fen=0))
        pool = self.escrows.pool(campaign)
        capped = self.escrows.cap(campaign, project_id)
        cap, header = capped if capped is not None else (None, None)
        state = MatchState(
            now=now,
            pool_remaining_fen=pool.remaining_fen,
            project_matched_fen=cap.committed_fen if cap else 0,
            project_bonus_teams=len(header.get("bonus_teams", [])) if header else 0,
        )
        return decide_match(campaign, project_id, amount_fen, state)

    def _item(
        self,
        pledge_id: str,
        project_id: str,
        request: PledgeRequest,
        campaign: Campaign | None,
        decision: MatchDecision,
        now: Any,
        body_fingerprint: str,
    ) -> dict[str, Any]:
        created_at = clock.iso(now)
        expires_at = clock.iso(now + timedelta(minutes=expiry_minutes(campaign)))
        in_campaign = campaign is not None and campaign.includes(project_id)
        return {
            "pledge_id": pledge_id,
            "project_id": project_id,
            "campaign_id": campaign.campaign_id if in_campaign and campaign is not None else None,
            "team_id": request.team_id,
            "amount_fen": request.amount_fen,
            "match_fen": 0,
            "expected_match_fen": decision.match_fen,
            "expected_reason": decision.reason,
            "full_match_fen": decision.full_match_fen,
            "status": "pledged",
            "donor_ref": keys.digest("donor", request.donor_key),
            "display_name": request.display_name,
            "anonymous": request.anonymous,
            "message": request.message,
            "has_contact": request.contact is not None,
            "created_at": created_at,
            "expires_at": expires_at,
            "fingerprint": body_fingerprint,
            "gsi1pk": keys.pending_partition(keys.shard_of(pledge_id, keys.PENDING_SHARDS)),
            "gsi1sk": f"{expires_at}#{pledge_id}",
        }

    def _ops(self, item: dict[str, Any], request: PledgeRequest, now: Any) -> list[Op]:
        pledge_id = item["pledge_id"]
        ops: list[Op] = [Put(keys.pledge(pledge_id), item, (ABSENT,))]
        if request.contact is not None:
            ops.append(
                Put(
                    keys.contact(pledge_id),
                    {
                        "pledge_id": pledge_id,
                        "contact": request.contact,
                        retention.ATTRIBUTE: retention.contact_expires_at(now),
                    },
                )
            )
        shard = keys.shard_of(pledge_id + "#total", self.shards)
        # Its own counter family: the totals shards take the payments' writes (totals.py).
        pledged = {"pledged_fen": request.amount_fen, "pledged_count": 1}
        ops.append(Update(keys.project_pledged(item["project_id"], shard), add=pledged))
        if request.team_id:
            ops.append(Update(keys.team_pledged(request.team_id, shard), add=pledged))
        return ops
