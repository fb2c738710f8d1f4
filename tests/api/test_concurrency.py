"""Money before match, under concurrency: 32 threads pledge (thousands of unpaid pledges from
many donor keys leave the pool and every cap untouched), then 32 threads confirm payments with
demand above the pool, each payment notified twice from different threads: overspend exactly
0 fen, every cap holds per verified payer, no payment counts twice, the published totals equal
the ledger, and the pledges left unpaid hold nothing.

The exhaustive run goes over the in-memory store, whose transactions are atomic under one lock
as DynamoDB's are: the races left are the ledger's own. A bounded run goes through a moto
server in its own process that serves one request at a time (moto's threaded server is not
safe for concurrent transactions), so the same conditions are checked by DynamoDB's
expressions too."""

from __future__ import annotations

import json
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
    pledges_per_thread: int
    payers: int  # verified paying accounts (donor keys are all different: they buy nothing)
    amounts: tuple[int, int]
    share_a: float  # of pledges going to rush-a (rush-b takes the rest)
    paid_share: float  # of pledges that get paid (the rest are abandoned)
    duplicate_share: float = 1.0  # of payments notified a second time, from another thread


#: Exhaustive: 3,200 unpaid pledges from 3,200 donor keys, 70% then paid by 300 payers, every
#: payment notified twice: demand (about ¥40,000 within the per-pledge cap) far above the ¥5,000
#: pool. Bounded (moto, a few hundred requests a second): 128 pledges, 75% paid by 80 payers, half
#: notified twice, against the rush campaign with its pool cut to ¥1,500 and its project cap to
#: ¥1,000 (tests/api/test_concurrency.py writes that catalogue), so demand still exceeds the pool
#: and the payers' daily caps and a project cap bind.
EXHAUSTIVE = Rush(pledges_per_thread=100, payers=300, amounts=(100, 3000), share_a=0.75, paid_share=0.7)
BOUNDED = Rush(
    pledges_per_thread=4, payers=80, amounts=(1800, 3000), share_a=0.55, paid_share=0.75, duplicate_share=0.5
)
BOUNDED_POOL_FEN, BOUNDED_PROJECT_CAP_FEN = 150_000, 100_000


def run_threads(work: Callable[[int], None]) -> None:
    threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not any(t.is_alive() for t in threads)


def rush(api: Any, ledger: Callable[[], Any], plan: Rush, items: Callable[[], list[dict[str, Any]]]) -> dict[str, Any]:
    from chalicelib import catalogue, errors
    from chalicelib.providers.base import Payment

    lock = threading.Lock()
    pledged: list[tuple[int, dict[str, Any]]] = []
    started = time.perf_counter()

    def pledger(thread: int) -> None:
        rng = random.Random(thread)
        for n in range(plan.pledges_per_thread):
            project = "rush-a" if rng.random() < plan.share_a else "rush-b"
            body: dict[str, Any] = {
                "amount_fen": rng.randint(*plan.amounts),
                "donor_key": f"rotating-{thread:02d}-{n:04d}",  # every pledge a fresh donor key
                "display_name": f"捐赠人{thread}",
            }
            if project == "rush-a" and rng.random() < 0.5:
                body["team_id"] = "team-rush"
            reply = api.pledge(project, f"t{thread:02d}-n{n:04d}-key", body, source=f"10.0.{thread}.1")
            assert reply.status in (201, 503), reply.json
            if reply.status == 201:
                with lock:
                    pledged.append((thread, reply.json))

    run_threads(pledger)
    total = THREADS * plan.pledges_per_thread
    assert len(pledged) >= 0.95 * total, len(pledged)

    # thousands of unpaid pledges: the pool and every cap untouched, nothing matched
    cat = catalogue.load()
    campaign = cat.campaign("rush")
    before = invariants.check(items())
    assert before["rush.remaining_fen"] == campaign.pool_fen and before["paid"] == 0
    assert ledger().pool(campaign, fresh=True).remaining_fen == campaign.pool_fen
    for project in ("rush-a", "rush-b"):
        assert ledger().project_cap(campaign, project).remaining_fen == campaign.rules.per_project_cap_fen
        assert ledger().project_totals(project, fresh=True)["matched_fen"] == 0
    assert all(p["expected_match_fen"] > 0 for _, p in pledged)
    pledge_phase = time.perf_counter() - started

    rng = random.Random(7)
    to_pay = [p for _, p in pledged if rng.random() < plan.paid_share]
    payments = [
        Payment(
            "wechat",
            p["pledge_id"],
            f"4200{i:08d}",
            p["amount_fen"],
            f"openid-{rng.randrange(plan.payers):04d}",
            ledger().now(),
        )
        for i, p in enumerate(to_pay)
    ]
    # payments are notified twice, by two different threads (providers retry notifications)
    deliveries = [(i, pay) for i, pay in enumerate(payments)]
    deliveries += [(i, pay) for i, pay in enumerate(payments) if rng.random() < plan.duplicate_share]
    random.Random(11).shuffle(deliveries)
    outcomes: dict[int, list[Any]] = {}
    statuses: Counter[str] = Counter()

    def confirmer(thread: int) -> None:
        for i, pay in deliveries[thread::THREADS]:
            try:
                view = ledger().confirm_payment(pay)
                outcome: Any = ("paid", view["match_fen"], view["match_reason"])
            except errors.ServiceBusy:
                outcome = ("busy",)
            with lock:
                outcomes.setdefault(i, []).append(outcome)
                statuses[outcome[0]] += 1

    confirm_started = time.perf_counter()
    run_threads(confirmer)
    confirm_phase = time.perf_counter() - confirm_started
    assert statuses["busy"] <= 0.05 * len(deliveries), statuses
    for results in outcomes.values():
        done = [r for r in results if r[0] == "paid"]
        assert len(set(done)) <= 1, f"two notifications of one payment answered differently: {done}"

    found = items()
    figures = invariants.check(found)
    confirmed = {payments[i].pledge_id for i, results in outcomes.items() if any(r[0] == "paid" for r in results)}
    paid = {p["pledge_id"] for p in invariants.pledges(found) if p["status"] == "paid"}
    assert paid == confirmed, "a confirmed payment is missing, or a busy one left a paid pledge behind"
    assert figures["rush.remaining_fen"] == 0, "demand exceeded the pool, so it must be spent to the last fen"
    reasons = Counter(r[2] for results in outcomes.values() for r in results[:1] if r[0] == "paid")
    assert reasons["pool_exhausted"] > 0 and reasons["donor_cap"] > 0, reasons
    return {
        "pledges": len(pledged),
        "paid": len(paid),
        "pledge_phase_s": round(pledge_phase, 1),
        "confirm_phase_s": round(confirm_phase, 1),
        "statuses": dict(statuses),
        "reasons": dict(reasons),
        "store_attempts": dict(ledger().stats),
        **figures,
    }


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[tuple[Any, str, str]]:
    from infra.local_api import deploy_table, spawn_moto
    from tests.api.conftest import WORKED

    base_env(monkeypatch)
    small = json.loads(WORKED.read_text(encoding="utf-8"))
    small["campaigns"]["rush"]["pool_fen"] = BOUNDED_POOL_FEN
    small["campaigns"]["rush"]["rules"]["per_project_cap_fen"] = BOUNDED_PROJECT_CAP_FEN
    (tmp_path / "catalogue.json").write_text(json.dumps(small, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("QINGYI_CATALOGUE", str(tmp_path / "catalogue.json"))
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
        print(rush(Api(app_module.app), services.ledger, EXHAUSTIVE, lambda: memory_items(ledger)))
    finally:
        services.reset()


def test_32_threads_through_dynamodb_never_overspend_the_pool_or_break_a_cap(served: tuple[Any, str, str]) -> None:
    from chalicelib import services

    api, table, endpoint = served
    client = boto3.client("dynamodb", endpoint_url=endpoint)
    print(rush(api, services.ledger, BOUNDED, lambda: invariants.scan(table, client)))
