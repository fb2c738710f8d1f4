"""A project's pledges, newest first: the donor wall, settlement and exports read them here.

A pledge enters its project's wall index when its payment is recorded (or
when it closes unpaid, paced by the expiry job), on one of
:data:`keys.WALL_SHARDS` partitions of ``gsi1`` chosen from the pledge id,
sorted by the time it was paid. So merging a page is :data:`keys.WALL_SHARDS`
small queries (each at most ``limit`` rows); the wall shows paid pledges only.

The first page, the one every open project page polls, is one read: the
project's head item (``keys.wall_head``) holds the newest :data:`HEAD_ROWS`
rows as a reader merged them. A reader that finds it older than the API's
cache time (``QINGYI_CACHE_SECONDS``, 1.5 s) merges again and writes it back,
so across every API instance the partitions are queried about once per cache
time per project, and a payment shows on the wall within it (the edge caches
the answer for 5 s anyway). Its age is real time (``time.time``), not the
ledger's clock, which demos may stop. Later pages (a cursor) are merged each time. Unpaid pledges wait on the pending index (by expiry time), which only
the expiry job and operators' exports read.
"""

from __future__ import annotations

import time
from typing import Any

from . import clock, keys
from .records import Records
from .store import Put

#: Rows the head item keeps: a first page of up to this many is served from it.
HEAD_ROWS = 50
#: What the head keeps of a row: what the wall shows (pledges.public_view) and its sort key;
#: never the donor's, payer's or source's references.
HEAD_FIELDS = (
    "pledge_id", "display_name", "anonymous", "amount_fen", "match_fen", "team_id", "message",
    "status", "created_at", "paid_at", "gsi1sk",
)  # fmt: skip
#: A head no reader asked for in a day is removed by DynamoDB's TTL.
HEAD_TTL_SECONDS = 86_400


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
            if before is None and limit <= HEAD_ROWS:
                rows = self.head(project_id)[:limit]
            else:
                rows = self.pledges_of_project(project_id, before=before, limit=limit)
            cursor = rows[-1]["gsi1sk"] if len(rows) == limit else None
            return [r for r in rows if r.get("status") == "paid"], cursor

        return self.records.cached(("wall", project_id, before, limit), load)

    def head(self, project_id: str) -> list[dict[str, Any]]:
        """The newest :data:`HEAD_ROWS` rows: one read while the head is fresh, else a merge written back."""
        real = time.time()
        item = self.records.get(keys.wall_head(project_id))
        if item is not None and 0 <= real - int(item["built_ms"]) / 1000 < self.records.cache_seconds:
            return list(item["rows"])
        rows = [
            {k: row[k] for k in HEAD_FIELDS if k in row} for row in self.pledges_of_project(project_id, limit=HEAD_ROWS)
        ]
        # Unconditional: two readers merging at once both write what was true a moment ago.
        self.records.write(
            Put(
                keys.wall_head(project_id),
                {
                    "rows": rows,
                    "built_ms": int(real * 1000),
                    "built_at": clock.iso(self.records.now()),
                    "ttl": int(real) + HEAD_TTL_SECONDS,
                },
            )
        )
        return rows
