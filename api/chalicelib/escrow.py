"""Escrows: the campaign pool and each project's match cap, split over shard items.

A match draws from one sub-pool (or, near the end, several) with the
condition ``remaining_fen >= draw``, so DynamoDB, not Python, refuses an
overspend; a project cap is an escrow of the same shape (team bonuses add to
it). Cancelling gives each draw back to the shard it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import keys
from .matching import project_cap_fen
from .records import Records
from .retry import Again
from .rules import Campaign
from .store import ABSENT, Op, Put, Update, eq, ge

#: How long "this escrow exists" is remembered (it never stops existing).
READY_SECONDS = 3600


def split(total: int, parts: int) -> list[int]:
    """``total`` in ``parts`` shares that differ by at most one fen and add up exactly."""
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


def _escrow_of(found: dict[Any, Any], shard_keys: list[Any]) -> Escrow:
    return Escrow(
        remaining=[int(found.get(k, {}).get("remaining_fen", 0)) for k in shard_keys],
        granted=[int(found.get(k, {}).get("granted_fen", 0)) for k in shard_keys],
    )


def _shard_items(shares: list[int], key_of: Any) -> list[Op]:
    return [Put(key_of(s), {"granted_fen": v, "remaining_fen": v}, (ABSENT,)) for s, v in enumerate(shares)]


def _top_ups(shares: list[int], key_of: Any) -> list[Op]:
    return [Update(key_of(s), add={"granted_fen": v, "remaining_fen": v}) for s, v in enumerate(shares) if v]


def draw_ops(key_of: Any, draws: list[tuple[int, int]]) -> list[Op]:
    """Take each draw from its shard, only if the shard still holds it."""
    return [Update(key_of(s), add={"remaining_fen": -a}, conds=(ge("remaining_fen", a),)) for s, a in draws]


def return_ops(key_of: Any, draws: list[Any]) -> list[Op]:
    """Give each draw back to the shard it came from."""
    return [Update(key_of(int(s)), add={"remaining_fen": int(a)}) for s, a in draws]


class Escrows:
    def __init__(self, records: Records, shards: int) -> None:
        self.records = records
        self.shards = shards

    # ---- creating them once ----

    def ensure_pool(self, campaign: Campaign) -> int:
        """Create the campaign's sub-pools once (and top them up if the catalogue raised the pool)."""
        cid = campaign.campaign_id
        cache_key = ("pool-ready", cid, campaign.pool_fen)
        ready = self.records.cache.get(cache_key, READY_SECONDS)
        if ready is not None:
            return int(ready)

        def attempt(_n: int) -> int:
            header = self.records.get(keys.pool_header(cid))
            if header is None:
                ops: list[Op] = [
                    Put(keys.pool_header(cid), {"pool_fen": campaign.pool_fen, "shards": self.shards}, (ABSENT,))
                ]
                ops += _shard_items(split(campaign.pool_fen, self.shards), lambda s: keys.pool_shard(cid, s))
                self.records.transact(ops)
                raise Again(wait=False)  # read back what now exists
            n = int(header["shards"])
            if int(header["pool_fen"]) < campaign.pool_fen:
                ops = [
                    Update(
                        keys.pool_header(cid),
                        set={"pool_fen": campaign.pool_fen},
                        conds=(eq("pool_fen", int(header["pool_fen"])),),
                    )
                ]
                ops += _top_ups(
                    split(campaign.pool_fen - int(header["pool_fen"]), n), lambda s: keys.pool_shard(cid, s)
                )
                self.records.transact(ops)
                raise Again(wait=False)
            self.records.cache.put(cache_key, n)
            return n

        return self.records.retry.run(attempt)

    def ensure_cap(self, campaign: Campaign, project_id: str) -> dict[str, Any] | None:
        """Create the project's cap escrow in this campaign once; None when the campaign has no project cap."""
        base = project_cap_fen(campaign, 0)
        if base is None:
            return None
        cid = campaign.campaign_id
        cache_key = ("cap-ready", cid, project_id)
        if self.records.cache.get(cache_key, READY_SECONDS):
            return {"ready": True}

        def attempt(_n: int) -> dict[str, Any]:
            header = self.records.get(keys.cap_header(cid, project_id))
            if header is not None:
                self.records.cache.put(cache_key, True)
                return header
            ops: list[Op] = [
                Put(
                    keys.cap_header(cid, project_id),
                    {"base_fen": base, "bonus_teams": [], "version": 0, "shards": self.shards},
                    (ABSENT,),
                )
            ]
            ops += _shard_items(split(base, self.shards), lambda s: keys.cap_shard(cid, project_id, s))
            self.records.transact(ops)
            raise Again(wait=False)

        return self.records.retry.run(attempt)

    # ---- reading them ----

    def pool_keys(self, campaign: Campaign) -> list[Any]:
        """The sub-pool items to read (creating the sub-pools on first use)."""
        return [keys.pool_shard(campaign.campaign_id, s) for s in range(self.ensure_pool(campaign))]

    def cap_keys(self, campaign: Campaign, project_id: str) -> list[Any]:
        """The cap header and the cap shards to read (creating them on first use); [] without a project cap."""
        if project_cap_fen(campaign, 0) is None:
            return []
        self.ensure_cap(campaign, project_id)
        known = self.records.cache.get(("cap-shards", campaign.campaign_id, project_id), READY_SECONDS) or self.shards
        header = keys.cap_header(campaign.campaign_id, project_id)
        return [header] + [keys.cap_shard(campaign.campaign_id, project_id, s) for s in range(int(known))]

    def is_cached(self, what: str, campaign: Campaign, project_id: str | None = None) -> bool:
        key = ("pool", campaign.campaign_id) if what == "pool" else ("cap", campaign.campaign_id, project_id)
        return self.records.cache.get(key, self.records.cache_seconds) is not None

    def pool(self, campaign: Campaign, *, fresh: bool = False, read: dict[Any, Any] | None = None) -> Escrow:
        """The campaign's sub-pools: cached for a moment unless ``fresh`` (then read consistently).

        ``read`` holds items already fetched (consistently) in the caller's batch.
        """
        cache_key = ("pool", campaign.campaign_id)
        if not fresh and read is None:
            hit = self.records.cache.get(cache_key, self.records.cache_seconds)
            if hit is not None:
                return hit
        shard_keys = self.pool_keys(campaign)
        found = read if read is not None else self.records.get_many(shard_keys, consistent=fresh)
        escrow = _escrow_of(found, shard_keys)
        self.records.cache.put(cache_key, escrow)
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
            hit = self.records.cache.get(cache_key, self.records.cache_seconds)
            if hit is not None:
                return hit
        found = read if read is not None else self.records.get_many(wanted, consistent=True)
        header = found.get(wanted[0])
        if header is None or int(header["shards"]) != len(wanted) - 1:
            # first read, or the header says another shard count: read again by the header
            header = self.records.get(wanted[0])
            assert header is not None  # ensure_cap created it
            self.records.cache.put(("cap-shards", campaign.campaign_id, project_id), int(header["shards"]))
            wanted = self.cap_keys(campaign, project_id)
            found = self.records.get_many(wanted, consistent=True)
            header = found.get(wanted[0]) or header
        value = (_escrow_of(found, wanted[1:]), header)
        self.records.cache.put(cache_key, value)
        return value

    def figures(self, campaign: Campaign) -> dict[str, int]:
        pool = self.pool(campaign)
        return {"pool_fen": sum(pool.granted), "committed_fen": pool.committed_fen, "remaining_fen": pool.remaining_fen}

    # ---- the team bonus: a project's cap grows once per team that reaches the threshold ----

    def grant_team_bonus(self, campaign: Campaign, project_id: str, team_id: str) -> None:
        """Add the team's bonus to the project's cap once; not granted now means the next pledge tries again."""
        cid = campaign.campaign_id

        def attempt(_n: int) -> None:
            header = self.records.get(keys.cap_header(cid, project_id))
            if header is None or team_id in header.get("bonus_teams", []):
                return
            teams = list(header.get("bonus_teams", []))
            before = project_cap_fen(campaign, len(teams)) or 0
            after = project_cap_fen(campaign, len(teams) + 1) or 0
            ops: list[Op] = [
                Update(
                    keys.cap_header(cid, project_id),
                    set={"bonus_teams": teams + [team_id], "version": int(header["version"]) + 1},
                    conds=(eq("version", int(header["version"])),),
                )
            ]
            ops += _top_ups(split(after - before, int(header["shards"])), lambda s: keys.cap_shard(cid, project_id, s))
            self.records.transact(ops)
            self.records.forget(("cap", cid, project_id))

        self.records.retry.run(attempt, give_up=lambda: None)
