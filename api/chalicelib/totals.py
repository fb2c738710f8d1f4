"""Totals: sharded counters per project and per team, summed on read, and the distinct-donor markers.

Every pledge and every payment ADDs to one of ``shards`` counter items (chosen
from the pledge id), so no counter item takes more than its share of a spike;
a read sums the shards. Whether a payer is *new* to a project (or a team) is
decided by the payer's marker item, written with its version as condition.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import keys
from .records import Records
from .store import ABSENT, Op, Put, eq

#: What a totals shard holds: paid_fen/matched_fen/pledge_count/donor_count count confirmed
#: payments only (pledge_count: paid pledges; donor_count: distinct verified payers); closed_*
#: count pledges that stopped waiting (paid, expired, cancelled, or paid but needing an operator).
STORED = ("paid_fen", "matched_fen", "pledge_count", "donor_count", "closed_fen", "closed_count")
#: What a pledged-counter shard holds (written by pledges only).
PLEDGED = ("pledged_fen", "pledged_count")
#: What a read returns: pending = pledged - closed (unpaid pledges not yet closed).
FIELDS = ("paid_fen", "matched_fen", "pledge_count", "donor_count", "pending_fen", "pending_count")


def marker_write(
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


class Totals:
    def __init__(self, records: Records, shards: int) -> None:
        self.records = records
        self.shards = shards

    def _sum(self, shard_keys: Sequence[Any], fresh: bool) -> dict[str, int]:
        found = self.records.get_many(shard_keys, consistent=fresh)
        total = dict.fromkeys(STORED + PLEDGED, 0)
        for item in found.values():
            for name in total:
                total[name] += int(item.get(name, 0))
        out = {name: total[name] for name in FIELDS[:4]}
        out["pending_fen"] = total["pledged_fen"] - total["closed_fen"]
        out["pending_count"] = total["pledged_count"] - total["closed_count"]
        return out

    def project(self, project_id: str, *, fresh: bool = False) -> dict[str, int]:
        def load() -> dict[str, int]:
            shards = range(self.shards)
            wanted = [keys.project_total(project_id, s) for s in shards]
            return self._sum(wanted + [keys.project_pledged(project_id, s) for s in shards], fresh)

        if fresh:
            total = load()
            self.records.cache.put(("ptotal", project_id), total)
            return total
        return self.records.cached(("ptotal", project_id), load)

    def teams(self, team_ids: Sequence[str], *, fresh: bool = False) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for team_id in team_ids:

            def load(team_id: str = team_id) -> dict[str, int]:
                shards = range(self.shards)
                wanted = [keys.team_total(team_id, s) for s in shards]
                return self._sum(wanted + [keys.team_pledged(team_id, s) for s in shards], fresh)

            if fresh:
                out[team_id] = load()
                self.records.cache.put(("ttotal", team_id), out[team_id])
            else:
                out[team_id] = self.records.cached(("ttotal", team_id), load)
        return out
