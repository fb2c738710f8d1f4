"""32 threads pledging at once with demand far above the pool: overspend exactly 0 fen,
every cap holds, and the published totals equal the ledger.

The exhaustive run (32 × 50 pledges) goes over the in-memory store, whose
transactions are atomic under one lock as DynamoDB's are: the races left are the
ledger's own. A bounded run (32 × 10) goes through a moto server in its own
process that serves one request at a time (moto's threaded server is not safe for
concurrent transactions), so the same conditions are checked by DynamoDB's
expressions too."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from tests.api import invariants
from tests.api.conftest import base_env, memory_items, memory_ledger

THREADS = 32


@dataclass(frozen=True)
class Rush:
    per_thread: int
    donors: int
    amounts: tuple[int, int]
    share_a: float  # of pledges going to rush-a (rush-b takes the rest)


#: Exhaustive: 1,600 pledges from 300 donors. Bounded: 384 pledges from 150 donors, with amounts
#: and a split between the projects chosen so that demand within the project caps (about ¥6,500)
#: still exceeds the ¥5,000 pool, and donor caps bind.
EXHAUSTIVE = Rush(per_thread=50, donors=300, amounts=(100, 3000), share_a=0.75)
BOUNDED = Rush(per_thread=12, donors=150, amounts=(1500, 3000), share_a=0.55)


def rush(api: Any, plan: Rush, items: Callable[[], list[dict[str, Any]]]) -> dict[str, Any]:
    outcomes: list[tuple[str, int, dict[str, Any]]] = []
    lock = threading.Lock()
    started = time.perf_counter()

    def donor(thread: int) -> None:
        rng = random.Random(thread)
        for n in range(plan.per_thread):
            project = "rush-a" if rng.random() < plan.share_a else "rush-b"
            body: dict[str, Any] = {
                "amount_fen": rng.randint(*plan.amounts),
                "donor_key": f"donor-{rng.randrange(plan.donors):05d}",
                "display_name": f"捐赠人{thread}",
            }
            if project == "rush-a" and rng.random() < 0.5:
                body["team_id"] = "team-rush"
            reply = api.pledge(project, f"t{thread:02d}-n{n:03d}-key", body, source=f"10.0.{thread}.1")
            with lock:
                outcomes.append((project, reply.status, reply.json))

    threads = [threading.Thread(target=donor, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    elapsed = time.perf_counter() - started
    assert not any(t.is_alive() for t in threads)
    assert len(outcomes) == THREADS * plan.per_thread

    statuses = Counter(status for _, status, _ in outcomes)
    assert set(statuses) <= {201, 503}, statuses
    assert statuses[201] >= 0.95 * THREADS * plan.per_thread, statuses

    found = items()
    figures = invariants.check(found)
    recorded = {p["pledge_id"] for p in invariants.pledges(found)}
    accepted = {body["pledge_id"] for _, status, body in outcomes if status == 201}
    assert recorded == accepted, "a 503 left a pledge behind, or a 201 lost one"
    assert figures["rush.remaining_fen"] == 0, "demand exceeded the pool, so it must be spent to the last fen"
    reasons = Counter(body["match_reason"] for _, status, body in outcomes if status == 201)
    assert reasons["pool_exhausted"] > 0 and reasons["donor_cap"] > 0, reasons
    return {"elapsed_s": round(elapsed, 1), "statuses": dict(statuses), "reasons": dict(reasons), **figures}


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str, str]]:
    from infra.local_api import deploy_table, spawn_moto

    base_env(monkeypatch)
    process, endpoint = spawn_moto()  # its own process: the server does not share our GIL
    try:
        table = deploy_table(endpoint)
        monkeypatch.setenv("QINGYI_DYNAMODB_ENDPOINT", endpoint)
        monkeypatch.setenv("QINGYI_TABLE", table)
        monkeypatch.setenv("QINGYI_CACHE_SECONDS", "1.5")  # production's cache: stale snapshots are the norm
        import app as app_module

        from chalicelib import services
        from tests.api.gateway import Api

        services.reset()
        yield Api(app_module.app), table, endpoint
        services.reset()
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_32_threads_never_overspend_the_pool_or_break_a_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    base_env(monkeypatch)
    monkeypatch.setenv("QINGYI_CACHE_SECONDS", "1.5")
    import app as app_module

    from chalicelib import services
    from tests.api.gateway import Api

    ledger = memory_ledger()
    try:
        print(rush(Api(app_module.app), EXHAUSTIVE, lambda: memory_items(ledger)))
    finally:
        services.reset()


def test_32_threads_through_dynamodb_never_overspend_the_pool_or_break_a_cap(served: tuple[Any, str, str]) -> None:
    api, table, endpoint = served
    print(rush(api, BOUNDED, lambda: invariants.scan(table, boto3.client("dynamodb", endpoint_url=endpoint))))
