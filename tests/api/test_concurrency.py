"""32 threads × 50 pledges through the app, against a moto server that serves one
request at a time, with demand far above the pool: overspend exactly 0 fen, every
cap holds, and the published totals equal the ledger (DESIGN.md: moto's threaded
server is not safe for concurrent transactions, so races left are the app's own)."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.api import invariants
from tests.api.conftest import base_env

THREADS = 32
PER_THREAD = 50


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


def test_32_threads_never_overspend_the_pool_or_break_a_cap(served: tuple[Any, str, str]) -> None:
    api, table, endpoint = served
    outcomes: list[tuple[str, int, dict[str, Any]]] = []
    lock = threading.Lock()
    started = time.perf_counter()

    def donor(thread: int) -> None:
        rng = random.Random(thread)
        for n in range(PER_THREAD):
            project = "rush-a" if rng.random() < 0.75 else "rush-b"
            body: dict[str, Any] = {
                "amount_fen": rng.randint(100, 3000),
                "donor_key": f"donor-{rng.randrange(300):05d}",
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
    assert len(outcomes) == THREADS * PER_THREAD

    statuses = Counter(status for _, status, _ in outcomes)
    assert set(statuses) <= {201, 503}, statuses
    assert statuses[201] >= 0.95 * THREADS * PER_THREAD, statuses

    items = invariants.scan(table, boto3.client("dynamodb", endpoint_url=endpoint))
    figures = invariants.check(items)
    recorded = {p["pledge_id"] for p in invariants.pledges(items)}
    accepted = {body["pledge_id"] for _, status, body in outcomes if status == 201}
    assert recorded == accepted, "a 503 left a pledge behind, or a 201 lost one"
    assert figures["rush.remaining_fen"] == 0, "demand exceeded the pool, so it must be spent to the last fen"
    reasons = Counter(body["match_reason"] for _, status, body in outcomes if status == 201)
    assert reasons["pool_exhausted"] > 0 and reasons["donor_cap"] > 0, reasons
    print({"elapsed_s": round(elapsed, 1), "statuses": dict(statuses), "reasons": dict(reasons), **figures})
