"""A project's pledges, newest first: the donor wall, settlement and exports read them here.

Pledges are spread over ``shards`` wall partitions of the ``gsi1`` index (one
per pledge-id shard), so a spike of pledges into one project does not write
one index partition; a read merges the shards.
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
        """Pledges of a project, newest first, merged from the wall's shards."""
        rows: list[dict[str, Any]] = []
        for s in range(self.shards):
            rows += self.records.query(
                keys.wall_partition(project_id, s), index="gsi1", sk_below=before, limit=limit, newest_first=True
            )
        rows.sort(key=lambda r: r["gsi1sk"], reverse=True)
        return rows if limit is None else rows[:limit]

    def page(self, project_id: str, *, before: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        def load() -> tuple[list[dict[str, Any]], str | None]:
            rows = self.pledges_of_project(project_id, before=before, limit=limit)
            cursor = rows[-1]["gsi1sk"] if len(rows) == limit else None
            return [r for r in rows if r.get("status") != "cancelled"], cursor

        return self.records.cached(("wall", project_id, before, limit), load)
