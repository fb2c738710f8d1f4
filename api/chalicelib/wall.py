"""A project's pledges, newest first: the donor wall, settlement and exports read them here.

A pledge enters its project's wall index when its payment is recorded (or
when it closes unpaid, paced by the expiry job), on one of
:data:`keys.WALL_SHARDS` partitions of ``gsi1`` chosen from the pledge id,
sorted by the time it was paid. So a page is :data:`keys.WALL_SHARDS` small
queries (each at most ``limit`` rows), merged; the wall shows paid pledges
only. Unpaid pledges wait on the pending index (by expiry time), which only
the expiry job and operators' exports read.
"""

from __future__ import annotations

from typing import Any

from . import keys
from .records import Records


class Wall:
    def __init__(self, records: Records, shards: int) -> None:
        self.records = records
        self.shards = shards

    def pledges_of_project(
        self, project_id: str, *, before: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Paid and closed pledges of a project, newest first, merged from the wall's shards."""
        rows: list[dict[str, Any]] = []
        for s in range(keys.WALL_SHARDS):
            rows += self.records.query(
                keys.wall_partition(project_id, s), index="gsi1", sk_below=before, limit=limit, newest_first=True
            )
        rows.sort(key=lambda r: r["gsi1sk"], reverse=True)
        return rows if limit is None else rows[:limit]

    def pending_of_project(self, project_id: str) -> list[dict[str, Any]]:
        """A project's unpaid pledges not yet closed (operators' exports: every pending shard is read)."""
        rows: list[dict[str, Any]] = []
        for s in range(keys.PENDING_SHARDS):
            rows += [
                r for r in self.records.query(keys.pending_partition(s), index="gsi1") if r["project_id"] == project_id
            ]
        return rows

    def page(self, project_id: str, *, before: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        def load() -> tuple[list[dict[str, Any]], str | None]:
            rows = self.pledges_of_project(project_id, before=before, limit=limit)
            cursor = rows[-1]["gsi1sk"] if len(rows) == limit else None
            return [r for r in rows if r.get("status") == "paid"], cursor

        return self.records.cached(("wall", project_id, before, limit), load)
