"""The ledger: pledges, matches, payments and cancellations, atomically.

:func:`matching.decide_match` proposes a match from a snapshot of the state;
this module makes it true with one DynamoDB transaction whose conditions
re-check every limit the proposal relied on:

* the pool is an escrow split into ``shards`` sub-pools; a match draws from
  one (or, near the end, several) with ``remaining_fen >= draw``;
* a project cap is an escrow of the same shape (team bonuses add to it);
* the donor's state (matches per day, matched pledges, recent pledges for
  the velocity check) is one item written with its version as condition;
* distinct-donor markers are conditioned on what was read;
* the pledge itself is written only if it does not exist (idempotency).

If any condition fails, the ledger re-reads (consistently) and recomputes;
after a bounded number of attempts it gives up with :class:`errors.ServiceBusy`
(503), having written nothing. Cancelling returns the match to exactly the
sub-pools and cap shards it came from.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import clock, errors, idempotency, keys
from .catalogue import Catalogue
from .matching import REASON_TEXT, MatchState, decide_match, donor_day, is_open, project_cap_fen
from .pledges import PledgeRequest
from .rules import Campaign
from .store import ABSENT, Op, Put, Update, eq, ge

VELOCITY_SECONDS = 60
SOURCE_BUCKET_SECONDS = 10
RECENT_KEPT = 50
NONCE_TTL_SECONDS = 3600


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


@dataclass
class Escrow:
    """An amount split over shard items: what each shard still holds, and what was put in."""

    remaining: list[int]
    granted: list[int]

    @property
    def remaining_fen(self) -> int:
        return sum(max(0, r) for r in self.remaining)

    @property
    def committed_fen(self) -> int:
        return sum(self.granted) - sum(self.remaining)

    def plan(self, amount: int, preferred: int) -> list[tuple[int, int]] | None:
        """Which shards to draw ``amount`` from; None if the escrow holds less.

        The preferred shard (from the pledge id) first. If it cannot cover the
        whole amount, the rest comes from the next shard, going round from the
        preferred one, that can cover it alone, so pledges near the end spread
        over the shards instead of all hitting the fullest one; only when no
        single shard can, the fullest shards are combined.
        """
        n = len(self.remaining)
        have = [max(0, r) for r in self.remaining]
        first = min(amount, have[preferred])
        draws = [(preferred, first)] if first else []
        need = amount - first
        if need == 0:
            return draws
        ring = [(preferred + step) % n for step in range(1, n)]
        single = next((s for s in ring if have[s] >= need), None)
        if single is not None:
            return draws + [(single, need)]
        for s in sorted(ring, key=lambda s: -have[s]):
            take = min(need, have[s])
            if take:
                draws.append((s, take))
                need -= take
            if need == 0:
                return draws
        return None


class _Refused(Exception):
    """A pledge's transaction was refused; ``kinds`` says which parts of the snapshot were stale."""

    def __init__(self, kinds: set[str]) -> None:
        super().__init__(sorted(kinds))
        self.kinds = kinds


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


def _marker_write(
    project_id: str, donor_ref: str, marker: dict[str, Any] | None, team_id: str | None, step: int
) -> tuple[Op, bool, bool]:
    """The donor's marker for this project (live pledges, per team too), versioned.

    Returns the write and whether the project's / the team's distinct-donor count changes
    (a first live pledge when ``step`` is +1, the last one when it is -1).
    """
    current = dict(marker or {})
    version = int(current.get("version", 0))
    live = int(current.get("live", 0))
    teams = {k: int(v) for k, v in (current.get("teams") or {}).items()}
    project_changes = (live == 0) if step > 0 else (live == 1)
    team_changes = False
    if team_id:
        team_live = teams.get(team_id, 0)
        team_changes = (team_live == 0) if step > 0 else (team_live == 1)
        teams[team_id] = max(0, team_live + step)
    new = {"version": version + 1, "live": max(0, live + step), "teams": teams}
    cond = (ABSENT,) if marker is None else (eq("version", version),)
    return Put(keys.project_donor(project_id, donor_ref), new, cond), project_changes, team_changes


class _Cache:
    """A small time-bounded cache (a second or two keeps hot reads off the shards)."""

    def __init__(self, monotonic: Callable[[], float]) -> None:
        self._items: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self._monotonic = monotonic

    def get(self, key: Any, ttl: float) -> Any:
        with self._lock:
            hit = self._items.get(key)
        if hit is None or ttl <= 0 or self._monotonic() - hit[0] > ttl:
            return None
        return hit[1]

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._items[key] = (self._monotonic(), value)

    def drop(self, key: Any) -> None:
        with self._lock:
            self._items.pop(key, None)


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
        self.store = store
        self.catalogue = catalogue
        self.now = now
        self.sleep = sleep
        self.cache_seconds = cache_seconds
        self.shards = shards
        self.max_attempts = max_attempts
        self.cache = _Cache(monotonic)
        self._rng = random.Random()
        self.stats = {"attempts": 0, "retries": 0, "busy": 0}

    # ---- retry loop --------------------------------------------------------------

    def backoff(self, attempt: int) -> None:
        self.stats["retries"] += 1
        self.sleep(self._rng.uniform(0, min(0.2, 0.004 * (2**attempt))))

    def busy(self) -> errors.ServiceBusy:
        self.stats["busy"] += 1
        return errors.ServiceBusy(retry_after=1)

    # ---- escrows (pool and project caps) ----------------------------------------------

    def _escrow_shards(self, header: dict[str, Any] | None) -> int:
        return int(header["shards"]) if header else self.shards

    def ensure_pool(self, campaign: Campaign) -> int:
        """Create the campaign's sub-pools once (and top them up if the catalogue raised the pool)."""
        cache_key = ("pool-ready", campaign.campaign_id, campaign.pool_fen)
        ready = self.cache.get(cache_key, 3600)
        if ready is not None:
            return int(ready)
        for attempt in range(self.max_attempts):
            header = self.store.get(keys.pool_header(campaign.campaign_id))
            try:
                if header is None:
                    shares = _split(campaign.pool_fen, self.shards)
                    ops: list[Op] = [
                        Put(
                            keys.pool_header(campaign.campaign_id),
                            {"pool_fen": campaign.pool_fen, "shards": self.shards},
                            (ABSENT,),
                        )
                    ]
                    ops += [
                        Put(keys.pool_shard(campaign.campaign_id, s), {"granted_fen": v, "remaining_fen": v}, (ABSENT,))
                        for s, v in enumerate(shares)
                    ]
                    self.store.transact(ops)
                elif int(header["pool_fen"]) < campaign.pool_fen:
                    n = int(header["shards"])
                    shares = _split(campaign.pool_fen - int(header["pool_fen"]), n)
                    ops = [
                        Update(
                            keys.pool_header(campaign.campaign_id),
                            set={"pool_fen": campaign.pool_fen},
                            conds=(eq("pool_fen", int(header["pool_fen"])),),
                        )
                    ]
                    ops += [
                        Update(keys.pool_shard(campaign.campaign_id, s), add={"granted_fen": v, "remaining_fen": v})
                        for s, v in enumerate(shares)
                        if v
                    ]
                    self.store.transact(ops)
                else:
                    n = int(header["shards"])
                    self.cache.put(cache_key, n)
                    return n
            except (errors.ConditionFailed, errors.Contention, errors.Throttled):
                self.backoff(attempt)
        raise self.busy()

    def ensure_cap(self, campaign: Campaign, project_id: str) -> dict[str, Any] | None:
        """Create the project's cap escrow in this campaign once; None when the campaign has no project cap."""
        base = project_cap_fen(campaign, 0)
        if base is None:
            return None
        cache_key = ("cap-ready", campaign.campaign_id, project_id)
        if self.cache.get(cache_key, 3600):
            return {"ready": True}
        for attempt in range(self.max_attempts):
            header = self.store.get(keys.cap_header(campaign.campaign_id, project_id))
            if header is not None:
                self.cache.put(cache_key, True)
                return header
            shares = _split(base, self.shards)
            ops: list[Op] = [
                Put(
                    keys.cap_header(campaign.campaign_id, project_id),
                    {"base_fen": base, "bonus_teams": [], "version": 0, "shards": self.shards},
                    (ABSENT,),
                )
            ]
            ops += [
                Put(
                    keys.cap_shard(campaign.campaign_id, project_id, s),
                    {"granted_fen": v, "remaining_fen": v},
                    (ABSENT,),
                )
                for s, v in enumerate(shares)
            ]
            try:
                self.store.transact(ops)
            except (errors.ConditionFailed, errors.Contention, errors.Throttled):
                self.backoff(attempt)
        raise self.busy()

    def pool_keys(self, campaign: Campaign) -> list[Any]:
        """The sub-pool items to read (creating the sub-pools on first use)."""
        return [keys.pool_shard(campaign.campaign_id, s) for s in range(self.ensure_pool(campaign))]

    def cap_keys(self, campaign: Campaign, project_id: str) -> list[Any]:
        """The cap header and the cap shards to read (creating them on first use); [] without a project cap."""
        if project_cap_fen(campaign, 0) is None:
            return []
        self.ensure_cap(campaign, project_id)
        known = self.cache.get(("cap-shards", campaign.campaign_id, project_id), 3600) or self.shards
        header = keys.cap_header(campaign.campaign_id, project_id)
        return [header] + [keys.cap_shard(campaign.campaign_id, project_id, s) for s in range(int(known))]

    def pool(self, campaign: Campaign, *, fresh: bool = False, read: dict[Any, Any] | None = None) -> Escrow:
        """The campaign's sub-pools: cached for a moment unless ``fresh`` (then read consistently).

        ``read`` holds items already fetched (consistently) in the caller's batch.
        """
        cache_key = ("pool", campaign.campaign_id)
        if not fresh and read is None:
            hit = self.cache.get(cache_key, self.cache_seconds)
            if hit is not None:
                return hit
        shard_keys = self.pool_keys(campaign)
        found = read if read is not None else self.store.get_many(shard_keys, consistent=fresh)
        escrow = Escrow(
            remaining=[int(found.get(k, {}).get("remaining_fen", 0)) for k in shard_keys],
            granted=[int(found.get(k, {}).get("granted_fen", 0)) for k in shard_keys],
        )
        self.cache.put(cache_key, escrow)
        return escrow

    def cap(
        self, campaign: Campaign, project_id: str, *, fresh: bool = False, read: dict[Any, Any] | None = None
    ) -> tuple[Escrow, dict[str, Any]] | None:
        """The project's cap escrow in this campaign and its header (bonus teams); None without a project cap."""
        wanted = self.cap_keys(campaign, project_id)
        if not wanted:
            return None
        cache_key = ("cap", campaign.campaign_id, project_id)
        if not fresh and read is None:
            hit = self.cache.get(cache_key, self.cache_seconds)
            if hit is not None:
                return hit
        found = read if read is not None else self.store.get_many(wanted, consistent=True)
        header = found.get(wanted[0])
        if header is None or int(header["shards"]) != len(wanted) - 1:
            # first read, or the header says another shard count: read again by the header
            header = self.store.get(wanted[0])
            assert header is not None  # ensure_cap created it
            self.cache.put(("cap-shards", campaign.campaign_id, project_id), int(header["shards"]))
            wanted = self.cap_keys(campaign, project_id)
            found = self.store.get_many(wanted, consistent=True)
            header = found.get(wanted[0]) or header
        shard_keys = wanted[1:]
        value = (
            Escrow(
                remaining=[int(found.get(k, {}).get("remaining_fen", 0)) for k in shard_keys],
                granted=[int(found.get(k, {}).get("granted_fen", 0)) for k in shard_keys],
            ),
            header,
        )
        self.cache.put(cache_key, value)
        return value

    # ---- pledging -------------------------------------------------------------------

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
        for attempt in range(self.max_attempts):
            self.stats["attempts"] += 1
            try:
                outcome, bonus_check = self._try_pledge(
                    catalogue, project_id, pledge_id, request, body_fingerprint, donor_ref, source_ref, stale
                )
            except _Refused as refused:
                # Re-read only what the failed conditions were about (the pledge, markers and
                # donor are read consistently on every attempt anyway).
                stale = refused.kinds
                if "pledge" not in stale:
                    self.backoff(attempt)
                continue
            except (errors.Contention, errors.Throttled):
                stale = {"pool", "cap"}
                self.backoff(attempt)
                continue
            if bonus_check is not None:
                # The pledge stands whatever happens here; the next pledge under the team tries again.
                with contextlib.suppress(
                    errors.ConditionFailed, errors.Contention, errors.Throttled, errors.ServiceBusy
                ):
                    self._maybe_grant_bonus(bonus_check)
            return outcome
        raise self.busy()

    def _try_pledge(
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
        now = self.now()
        campaign = catalogue.applicable_campaign(project_id, now)
        open_now = campaign is not None and campaign.includes(project_id) and is_open(campaign, now)
        team_id = request.team_id
        minute_ago_ms = clock.epoch_ms(now) - VELOCITY_SECONDS * 1000
        bucket = int(now.timestamp()) // SOURCE_BUCKET_SECONDS
        rules = campaign.rules if campaign is not None else None
        # The donor's state and the source's counters are kept only when a rule needs them.
        tracks_donor = bool(
            open_now
            and rules is not None
            and (
                rules.per_donor_daily_cap_fen is not None
                or rules.per_donor_matched_pledges is not None
                or rules.velocity_per_minute is not None
            )
        )
        tracks_source = bool(open_now and rules is not None and rules.velocity_per_minute is not None and source_ref)
        span = VELOCITY_SECONDS // SOURCE_BUCKET_SECONDS

        # 1. one consistent batch read: the pledge (replay?), the donor marker, the donor's state,
        #    and the sub-pools / cap shards when the cached snapshot is stale or expired
        wanted: list[Any] = [keys.pledge(pledge_id), keys.project_donor(project_id, donor_ref)]
        if tracks_donor and campaign is not None:
            wanted.append(keys.donor(donor_ref, campaign.campaign_id))
        if tracks_source and source_ref:
            wanted += [keys.source_bucket(source_ref, b) for b in range(bucket - span, bucket + 1)]
        read_pool = read_cap = False
        if open_now and campaign is not None:
            read_pool = "pool" in stale or self.cache.get(("pool", campaign.campaign_id), self.cache_seconds) is None
            if read_pool:
                wanted += self.pool_keys(campaign)
            read_cap = "cap" in stale or (
                self.cache.get(("cap", campaign.campaign_id, project_id), self.cache_seconds) is None
            )
            if read_cap:
                wanted += self.cap_keys(campaign, project_id)
        found = self.store.get_many(wanted, consistent=True)
        existing = found.get(keys.pledge(pledge_id))
        if existing is not None:
            return idempotency.replay(first_response(existing), existing.get("fingerprint"), body_fingerprint), None

        # 2. the state the rules need, and the decision
        pool: Escrow | None = None
        cap: Escrow | None = None
        cap_header: dict[str, Any] | None = None
        donor_item: dict[str, Any] | None = None
        day = donor_day(now)
        if open_now and campaign is not None:
            pool = self.pool(campaign, read=found if read_pool else None)
            capped = self.cap(campaign, project_id, read=found if read_cap else None)
            if capped is not None:
                cap, cap_header = capped
            donor_item = found.get(keys.donor(donor_ref, campaign.campaign_id))
            recent = [t for t in (donor_item or {}).get("recent", []) if t > minute_ago_ms]
            source_count = 0
            if tracks_source and source_ref:
                source_count = sum(
                    int(found.get(keys.source_bucket(source_ref, b), {}).get("n", 0))
                    for b in range(bucket - span, bucket + 1)
                )
            state = MatchState(
                now=now,
                pool_remaining_fen=pool.remaining_fen,
                donor_matched_today_fen=int((donor_item or {}).get("days", {}).get(day, 0)),
                donor_matched_pledges=int((donor_item or {}).get("matched_pledges", 0)),
                project_matched_fen=cap.committed_fen if cap else 0,
                project_bonus_teams=len(cap_header.get("bonus_teams", [])) if cap_header else 0,
                donor_pledges_last_minute=len(recent),
                source_pledges_last_minute=source_count,
            )
            decision = decide_match(campaign, project_id, request.amount_fen, state)
        else:
            decision = decide_match(campaign, project_id, request.amount_fen, MatchState(now=now, pool_remaining_fen=0))

        match = decision.match_fen
        pool_draws: list[tuple[int, int]] = []
        cap_draws: list[tuple[int, int]] = []
        if match > 0:
            assert pool is not None and campaign is not None
            planned = pool.plan(match, keys.shard_of(pledge_id, len(pool.remaining)))
            if planned is None:  # the cached snapshot disagrees with itself: read again
                raise _Refused({"pool"})
            pool_draws = planned
            if cap is not None:
                planned = cap.plan(match, keys.shard_of(pledge_id, len(cap.remaining)))
                if planned is None:
                    raise _Refused({"cap"})
                cap_draws = planned

        # 3. the pledge and everything it moves, in one transaction
        created_at = clock.iso(now)
        wall_shard = keys.shard_of(pledge_id, self.shards)
        total_shard = keys.shard_of(pledge_id + "#total", self.shards)
        item = {
            "pledge_id": pledge_id,
            "project_id": project_id,
            "campaign_id": campaign.campaign_id if open_now and campaign is not None else None,
            "team_id": team_id,
            "amount_fen": request.amount_fen,
            "match_fen": match,
            "match_reason": decision.reason,
            "full_match_fen": decision.full_match_fen,
            "flagged": decision.flagged,
            "status": "pledged",
            "donor_ref": donor_ref,
            "display_name": request.display_name,
            "anonymous": request.anonymous,
            "message": request.message,
            "contact": request.contact,
            "created_at": created_at,
            "day": day,
            "draws": {"pool": [list(d) for d in pool_draws], "cap": [list(d) for d in cap_draws]},
            "fingerprint": body_fingerprint,
            "gsi1pk": keys.wall_partition(project_id, wall_shard),
            "gsi1sk": f"{created_at}#{pledge_id}",
        }
        ops: list[Op] = [Put(keys.pledge(pledge_id), item, (ABSENT,))]
        kinds = ["pledge"]
        if campaign is not None:
            for s, amount in pool_draws:
                ops.append(
                    Update(
                        keys.pool_shard(campaign.campaign_id, s),
                        add={"remaining_fen": -amount},
                        conds=(ge("remaining_fen", amount),),
                    )
                )
                kinds.append("pool")
            for s, amount in cap_draws:
                ops.append(
                    Update(
                        keys.cap_shard(campaign.campaign_id, project_id, s),
                        add={"remaining_fen": -amount},
                        conds=(ge("remaining_fen", amount),),
                    )
                )
                kinds.append("cap")
        marker = found.get(keys.project_donor(project_id, donor_ref))
        marker_op, new_donor, new_team_donor = _marker_write(project_id, donor_ref, marker, team_id, +1)
        change = {"raised_fen": request.amount_fen, "matched_fen": match, "pledge_count": 1}
        ops.append(Update(keys.project_total(project_id, total_shard), add={**change, "donor_count": int(new_donor)}))
        kinds.append("total")
        ops.append(marker_op)
        kinds.append("marker")
        if team_id:
            ops.append(
                Update(keys.team_total(team_id, total_shard), add={**change, "donor_count": int(new_team_donor)})
            )
            kinds.append("total")
        if tracks_donor and campaign is not None:
            ops.append(
                self._donor_write(
                    donor_ref, campaign.campaign_id, donor_item, day, match, clock.epoch_ms(now), minute_ago_ms
                )
            )
            kinds.append("donor")
        if tracks_source and source_ref:
            ops.append(
                Update(
                    keys.source_bucket(source_ref, bucket),
                    add={"n": 1},
                    set={"ttl": int(now.timestamp()) + 2 * VELOCITY_SECONDS + 3600},
                )
            )
            kinds.append("source")
        try:
            self.store.transact(ops)
        except errors.ConditionFailed as failed:
            raise _Refused({kinds[i] for i in failed.failed}) from failed
        # Our own draws are known: keep the cached snapshot in step (fewer refusals next time).
        for escrow, draws in ((pool, pool_draws), (cap, cap_draws)):
            for s, amount in draws:
                escrow.remaining[s] -= amount  # type: ignore[union-attr]
        bonus_check = None
        if (
            team_id
            and campaign is not None
            and open_now
            and campaign.rules.team_bonus is not None
            and cap_header is not None
            and team_id not in cap_header.get("bonus_teams", [])
        ):
            bonus_check = (campaign, project_id, team_id, request.amount_fen)
        return first_response(item), bonus_check

    def _donor_write(
        self,
        donor_ref: str,
        campaign_id: str,
        current: dict[str, Any] | None,
        day: str,
        match: int,
        now_ms: int,
        minute_ago_ms: int,
    ) -> Op:
        state = dict(current or {})
        version = int(state.get("version", 0))
        days = dict(state.get("days", {}))
        if match:
            days[day] = int(days.get(day, 0)) + match
        recent = [t for t in state.get("recent", []) if t > minute_ago_ms][-RECENT_KEPT:] + [now_ms]
        new = {
            "version": version + 1,
            "days": days,
            "matched_pledges": int(state.get("matched_pledges", 0)) + (1 if match else 0),
            "recent": recent,
        }
        return Put(keys.donor(donor_ref, campaign_id), new, (ABSENT,) if current is None else (eq("version", version),))

    # ---- team bonus -----------------------------------------------------------------

    def _maybe_grant_bonus(self, check: tuple[Campaign, str, str, int]) -> None:
        campaign, project_id, team_id, amount = check
        bonus = campaign.rules.team_bonus
        if bonus is None:
            return
        cached = self.team_totals([team_id], fresh=False).get(team_id, {})
        if int(cached.get("raised_fen", 0)) + amount < bonus.threshold_fen:
            return
        if int(self.team_totals([team_id], fresh=True)[team_id]["raised_fen"]) < bonus.threshold_fen:
            return
        for attempt in range(self.max_attempts):
            header = self.store.get(keys.cap_header(campaign.campaign_id, project_id))
            if header is None or team_id in header.get("bonus_teams", []):
                return
            teams = list(header.get("bonus_teams", []))
            before = project_cap_fen(campaign, len(teams)) or 0
            after = project_cap_fen(campaign, len(teams) + 1) or 0
            shares = _split(after - before, int(header["shards"]))
            ops: list[Op] = [
                Update(
                    keys.cap_header(campaign.campaign_id, project_id),
                    set={"bonus_teams": teams + [team_id], "version": int(header["version"]) + 1},
                    conds=(eq("version", int(header["version"])),),
                )
            ]
            ops += [
                Update(
                    keys.cap_shard(campaign.campaign_id, project_id, s),
                    add={"granted_fen": v, "remaining_fen": v},
                )
                for s, v in enumerate(shares)
                if v
            ]
            try:
                self.store.transact(ops)
                self.cache.drop(("cap", campaign.campaign_id, project_id))
                return
            except (errors.ConditionFailed, errors.Contention, errors.Throttled):
                self.backoff(attempt)
        # Not granted this time: the next pledge under the team tries again.

    # ---- payment and cancellation --------------------------------------------------------

    def pledge_item(self, pledge_id: str) -> dict[str, Any]:
        item = self.store.get(keys.pledge(pledge_id))
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
        for attempt in range(self.max_attempts):
            try:
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
                if item["status"] == "paid":
                    if ops:
                        self.store.transact(ops)
                    return item
                paid_at = clock.iso(self.now())
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
                self.store.transact(ops)
                return {**item, "status": "paid", "paid_at": paid_at, "payment_ref": payment_ref}
            except errors.ConditionFailed as failed:
                if nonce is not None and 0 in failed.failed:
                    raise errors.NotificationReplayed() from failed
                self.backoff(attempt)
            except (errors.Contention, errors.Throttled):
                self.backoff(attempt)
        raise self.busy()

    def cancel(self, pledge_id: str, *, reason: str | None = None) -> dict[str, Any]:
        """pledged/paid → cancelled: the match goes back to its sub-pools, cap shards and the donor's caps."""
        for attempt in range(self.max_attempts):
            try:
                item = self.pledge_item(pledge_id)
                if item["status"] == "cancelled":
                    return item
                ops = self._cancel_ops(item, reason)
                self.store.transact(ops)
                cancelled_at = ops[0].set["cancelled_at"]  # type: ignore[union-attr]
                return {**item, "status": "cancelled", "cancelled_at": cancelled_at, "cancel_reason": reason}
            except (errors.ConditionFailed, errors.Contention, errors.Throttled):
                self.backoff(attempt)
        raise self.busy()

    def _cancel_ops(self, item: dict[str, Any], reason: str | None) -> list[Op]:
        pledge_id, project_id = item["pledge_id"], item["project_id"]
        campaign_id, team_id = item.get("campaign_id"), item.get("team_id")
        donor_ref, amount, match = item["donor_ref"], int(item["amount_fen"]), int(item.get("match_fen", 0))
        paid = item["status"] == "paid"
        wanted: list[Any] = [keys.project_donor(project_id, donor_ref)]
        if campaign_id and match:
            wanted.append(keys.donor(donor_ref, campaign_id))
        found = self.store.get_many(wanted, consistent=True)
        ops: list[Op] = [
            Update(
                keys.pledge(pledge_id),
                set={"status": "cancelled", "cancelled_at": clock.iso(self.now()), "cancel_reason": reason},
                conds=(eq("status", item["status"]),),
            )
        ]
        draws = item.get("draws") or {}
        campaign_id = campaign_id or ""  # draws exist only for pledges made inside a campaign
        for s, value in draws.get("pool", []):
            ops.append(Update(keys.pool_shard(campaign_id, int(s)), add={"remaining_fen": int(value)}))
        for s, value in draws.get("cap", []):
            ops.append(Update(keys.cap_shard(campaign_id, project_id, int(s)), add={"remaining_fen": int(value)}))
        shard = keys.shard_of(pledge_id + "#cancel", self.shards)
        marker = found.get(keys.project_donor(project_id, donor_ref))
        marker_op, last_of_donor, last_of_team_donor = _marker_write(project_id, donor_ref, marker, team_id, -1)
        change = {"raised_fen": -amount, "matched_fen": -match, "pledge_count": -1}
        if paid:
            change["paid_fen"] = -amount
        ops.append(Update(keys.project_total(project_id, shard), add={**change, "donor_count": -int(last_of_donor)}))
        ops.append(marker_op)
        if team_id:
            ops.append(Update(keys.team_total(team_id, shard), add={**change, "donor_count": -int(last_of_team_donor)}))
        if campaign_id and match:
            current = found.get(keys.donor(donor_ref, campaign_id))
            if current is not None:
                days = dict(current.get("days", {}))
                days[item["day"]] = int(days.get(item["day"], 0)) - match
                version = int(current["version"])
                ops.append(
                    Put(
                        keys.donor(donor_ref, campaign_id),
                        {
                            **{k: v for k, v in current.items() if k not in ("pk", "sk")},
                            "version": version + 1,
                            "days": days,
                            "matched_pledges": int(current.get("matched_pledges", 0)) - 1,
                        },
                        (eq("version", version),),
                    )
                )
        return ops

    # ---- totals (sharded counters, aggregated on read) ------------------------------------

    def _sum_shards(self, shard_keys: Sequence[Any], fresh: bool) -> dict[str, int]:
        found = self.store.get_many(shard_keys, consistent=fresh)
        total = {"raised_fen": 0, "paid_fen": 0, "matched_fen": 0, "pledge_count": 0, "donor_count": 0}
        for item in found.values():
            for name in total:
                total[name] += int(item.get(name, 0))
        return total

    def project_totals(self, project_id: str, *, fresh: bool = False) -> dict[str, int]:
        cache_key = ("ptotal", project_id)
        if not fresh:
            hit = self.cache.get(cache_key, self.cache_seconds)
            if hit is not None:
                return hit
        total = self._sum_shards([keys.project_total(project_id, s) for s in range(self.shards)], fresh)
        self.cache.put(cache_key, total)
        return total

    def team_totals(self, team_ids: Sequence[str], *, fresh: bool = False) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for team_id in team_ids:
            cache_key = ("ttotal", team_id)
            hit = None if fresh else self.cache.get(cache_key, self.cache_seconds)
            if hit is None:
                hit = self._sum_shards([keys.team_total(team_id, s) for s in range(self.shards)], fresh)
                self.cache.put(cache_key, hit)
            out[team_id] = hit
        return out

    def campaign_figures(self, campaign: Campaign) -> dict[str, int]:
        pool = self.pool(campaign)
        granted = sum(pool.granted)
        return {"pool_fen": granted, "committed_fen": pool.committed_fen, "remaining_fen": pool.remaining_fen}

    # ---- the donor wall and exports ------------------------------------------------------------

    def pledges_of_project(
        self, project_id: str, *, before: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Pledges of a project, newest first, merged from the wall's shards."""
        rows: list[dict[str, Any]] = []
        for s in range(self.shards):
            rows += self.store.query(
                keys.wall_partition(project_id, s), index="gsi1", sk_below=before, limit=limit, newest_first=True
            )
        rows.sort(key=lambda r: r["gsi1sk"], reverse=True)
        return rows if limit is None else rows[:limit]

    def wall(self, project_id: str, *, before: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        cache_key = ("wall", project_id, before, limit)
        hit = self.cache.get(cache_key, self.cache_seconds)
        if hit is not None:
            return hit
        rows = self.pledges_of_project(project_id, before=before, limit=limit)
        cursor = rows[-1]["gsi1sk"] if len(rows) == limit else None
        visible = [r for r in rows if r.get("status") != "cancelled"]
        self.cache.put(cache_key, (visible, cursor))
        return visible, cursor
