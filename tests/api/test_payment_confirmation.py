"""Ledger.confirm_payment, the contract the payment routes call: the match is decided when the
money arrives, in the transaction that marks the pledge paid (in-memory store: the ledger's own
logic; tests/api/test_money_before_match.py runs the same over DynamoDB)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.api import invariants
from tests.api.conftest import base_env, memory_items, memory_ledger


@pytest.fixture
def ledger(monkeypatch: pytest.MonkeyPatch) -> Any:
    base_env(monkeypatch)
    from chalicelib import services

    made = memory_ledger()
    yield made
    services.reset()


def pledge(ledger: Any, project: str, key: str, amount: int, donor: str = "donor-0001", **extra: Any) -> Any:
    from chalicelib.pledges import parse_pledge

    body = {"amount_fen": amount, "donor_key": donor, "display_name": "小明", **extra}
    return ledger.pledge(project, parse_pledge(body), key, f"fp-{key}", "10.0.0.1")


def payment(ledger: Any, pledge_id: str, tx: str, amount: int, payer: str, provider: str = "wechat", **kw: Any) -> Any:
    from chalicelib.providers.base import Payment

    return Payment(provider, pledge_id, tx, amount, payer, kw.get("paid_at") or ledger.now())


def test_a_pledge_reserves_nothing_and_says_its_expected_match(ledger: Any) -> None:
    from chalicelib import catalogue

    campaign = catalogue.load().campaign("goteo")
    before = ledger.pool(campaign, fresh=True).remaining_fen
    made = pledge(ledger, "goteo-school", "k-expect-1", 20000)
    assert (made["status"], made["match_fen"], made["expected_match_fen"]) == ("pledged", 0, 10000)
    assert made["expected_note"].startswith("预计配捐，以到账时为准") and made["match_final"] is False
    assert made["expires_at"] > made["created_at"]
    assert ledger.pool(campaign, fresh=True).remaining_fen == before
    totals = ledger.project_totals("goteo-school", fresh=True)
    assert (totals["paid_fen"], totals["matched_fen"], totals["pending_fen"]) == (0, 0, 20000)
    invariants.check(memory_items(ledger))


def test_confirm_payment_marks_paid_draws_the_match_and_a_repeat_changes_nothing(ledger: Any) -> None:
    made = pledge(ledger, "goteo-school", "k-pay-1", 20000)
    paid = ledger.confirm_payment(payment(ledger, made["pledge_id"], "wx-4200001", 20000, "openid-a"))
    assert (paid["status"], paid["match_fen"], paid["match_final"], paid["provider"]) == ("paid", 10000, True, "wechat")
    assert "openid-a" not in str(paid)
    items_once = memory_items(ledger)
    again = ledger.confirm_payment(payment(ledger, made["pledge_id"], "wx-4200001", 20000, "openid-a"))
    assert again == paid
    assert memory_items(ledger) == items_once  # the second notification wrote nothing
    totals = ledger.project_totals("goteo-school", fresh=True)
    assert (totals["paid_fen"], totals["matched_fen"], totals["pending_fen"], totals["donor_count"]) == (
        20000,
        10000,
        0,
        1,
    )
    stored = ledger.store.get(("PLEDGE#" + made["pledge_id"], "PLEDGE"))
    assert stored["payer_ref"] != "openid-a" and len(stored["payer_ref"]) == 32
    invariants.check(memory_items(ledger))


def test_a_second_payment_for_a_paid_pledge_is_recorded_for_refund_never_counted(ledger: Any) -> None:
    from chalicelib import errors

    made = pledge(ledger, "goteo-school", "k-dup-1", 5000)
    ledger.confirm_payment(payment(ledger, made["pledge_id"], "wx-1", 5000, "openid-b"))
    with pytest.raises(errors.DuplicatePayment) as refused:
        ledger.confirm_payment(payment(ledger, made["pledge_id"], "wx-2", 5000, "openid-b"))
    assert refused.value.status == 409 and refused.value.code == "duplicate_payment"
    with pytest.raises(errors.DuplicatePayment):  # the same notification again: the same answer
        ledger.confirm_payment(payment(ledger, made["pledge_id"], "wx-2", 5000, "openid-b"))
    queue = ledger.reconciliation()
    assert [(r["transaction_id"], r["outcome"]) for r in queue] == [("wx-2", "duplicate")]
    assert ledger.project_totals("goteo-school", fresh=True)["paid_fen"] == 5000
    invariants.check(memory_items(ledger))


def test_an_amount_that_differs_is_recorded_for_review_and_gets_no_match(ledger: Any) -> None:
    from chalicelib import errors

    made = pledge(ledger, "goteo-school", "k-amount-1", 5000)
    with pytest.raises(errors.AmountMismatch) as refused:
        ledger.confirm_payment(payment(ledger, made["pledge_id"], "ali-77", 4999, "buyer-1", provider="alipay"))
    assert refused.value.code == "amount_mismatch" and refused.value.status == 409
    item = ledger.pledge_item(made["pledge_id"])
    assert (item["status"], item["needs_refund"], item["paid_amount_fen"], item["match_fen"]) == (
        "needs_review",
        True,
        4999,
        0,
    )
    assert ledger.reconciliation()[0]["outcome"] == "amount_mismatch"
    totals = ledger.project_totals("goteo-school", fresh=True)
    assert (totals["paid_fen"], totals["pending_fen"]) == (0, 0)
    invariants.check(memory_items(ledger))


def test_payment_for_an_expired_pledge_is_kept_and_flagged_for_refund(ledger: Any, monkeypatch: Any) -> None:
    from chalicelib import errors

    made = pledge(ledger, "goteo-school", "k-late-1", 5000)
    monkeypatch.setenv("QINGYI_NOW", "2021-09-07T10:31:00+08:00")  # 31 minutes later: expired
    assert ledger.pledge_view(made["pledge_id"])["status"] == "expired"  # whether or not the job ran
    with pytest.raises(errors.PaidAfterClose):
        ledger.confirm_payment(payment(ledger, made["pledge_id"], "wx-late", 5000, "openid-late"))
    item = ledger.pledge_item(made["pledge_id"])
    assert (item["status"], item["needs_refund"], item["match_fen"]) == ("paid_after_close", True, 0)
    invariants.check(memory_items(ledger))


def test_a_late_notification_for_money_paid_in_time_is_matched_even_after_expiry_ran(
    ledger: Any, monkeypatch: Any
) -> None:
    made = pledge(ledger, "laiwu-cottages", "k-intime-1", 3000)
    paid_at = ledger.now() + timedelta(minutes=10)
    monkeypatch.setenv("QINGYI_NOW", "2021-09-07T11:00:00+08:00")
    assert ledger.expire_pledges() == 1
    assert ledger.pledge_item(made["pledge_id"])["status"] == "expired"
    view = ledger.confirm_payment(payment(ledger, made["pledge_id"], "wx-intime", 3000, "openid-t", paid_at=paid_at))
    assert (view["status"], view["match_fen"]) == ("paid", 3000)
    invariants.check(memory_items(ledger))


def test_unknown_pledge_is_recorded_and_refused(ledger: Any) -> None:
    from chalicelib import errors

    with pytest.raises(errors.UnknownPledge):
        ledger.confirm_payment(payment(ledger, "p_000000000000000000000000", "wx-stray", 100, "openid-s"))
    assert ledger.reconciliation()[0]["outcome"] == "unknown_pledge"


def test_caps_follow_the_paying_account_across_donor_keys(ledger: Any) -> None:
    """The issue's attack: 201 unpaid pledges under rotating keys. Unpaid, they hold nothing; paid from
    one account, Goteo's one-matched-payment-per-payer rule matches only the first."""
    from chalicelib import catalogue

    campaign = catalogue.load().campaign("goteo")
    made = [pledge(ledger, "goteo-school", f"k-rot-{i:03d}", 15000, donor=f"rotating-{i:03d}") for i in range(201)]
    assert all(m["expected_match_fen"] == 10000 for m in made)
    assert ledger.pool(campaign, fresh=True).remaining_fen == campaign.pool_fen
    assert ledger.project_cap(campaign, "goteo-school").remaining_fen == 50000
    views = [
        ledger.confirm_payment(payment(ledger, m["pledge_id"], f"wx-rot-{i}", 15000, "openid-attacker"))
        for i, m in enumerate(made[:3])
    ]
    assert [v["match_fen"] for v in views] == [10000, 0, 0]
    assert [v["match_reason"] for v in views[1:]] == ["donor_cap", "donor_cap"]
    honest = ledger.confirm_payment(payment(ledger, made[3]["pledge_id"], "wx-honest", 15000, "openid-honest"))
    assert honest["match_fen"] == 10000
    invariants.check(memory_items(ledger))


def test_expiry_is_bounded_and_reads_no_table_scan(ledger: Any, monkeypatch: Any) -> None:
    for i in range(30):
        pledge(ledger, "plain-project", f"k-exp-{i:03d}", 1000 + i)
    calls: list[str] = []
    real_query = ledger.store.query

    def counting(partition: str, **kw: Any) -> Any:
        calls.append(partition)
        return real_query(partition, **kw)

    monkeypatch.setattr(ledger.store, "query", counting)
    later = datetime.fromisoformat("2021-09-07T10:45:00+08:00")
    assert ledger.expire_pledges(later, limit=10) == 10
    assert all(c.startswith("PENDING#") for c in calls)
    assert ledger.expire_pledges(later) == 20
    assert ledger.expire_pledges(later) == 0
    assert ledger.project_totals("plain-project", fresh=True)["pending_fen"] == 0
    invariants.check(memory_items(ledger))


def test_one_uncached_wall_page_is_a_few_bounded_queries(ledger: Any, monkeypatch: Any) -> None:
    """Issue 16: the first page is one read of the project's wall head while it is fresh; merging
    (on a stale head, or a later page) reads the keys.WALL_SHARDS wall partitions, each with a
    Limit, never the pending index or the table."""
    from chalicelib import catalogue, keys, public, wall

    for i in range(40):
        made = pledge(ledger, "plain-project", f"k-wallcost-{i:03d}", 100 + i, donor=f"donor-wall-{i:03d}")
        if i % 4:
            ledger.confirm_payment(payment(ledger, made["pledge_id"], f"wx-wall-{i}", 100 + i, f"openid-w{i}"))
    calls: list[tuple[str, Any]] = []
    real_query, real_get = ledger.store.query, ledger.store.get

    def counting(partition: str, **kw: Any) -> Any:
        calls.append((partition, kw.get("limit")))
        return real_query(partition, **kw)

    def counting_get(key: Any, *args: Any, **kw: Any) -> Any:
        calls.append((key[0], None))
        return real_get(key, *args, **kw)

    clock_now = [1_000_000.0]
    monkeypatch.setattr(wall.time, "time", lambda: clock_now[0])
    monkeypatch.setattr(ledger.records, "cache_seconds", 1.5)
    monkeypatch.setattr(ledger.store, "query", counting)
    monkeypatch.setattr(ledger.store, "get", counting_get)

    def first_page() -> dict[str, Any]:
        ledger.records.forget(("wall", "plain-project", None, 20))  # as another API instance: nothing cached
        calls.clear()
        return public.wall(ledger, catalogue.load(), "plain-project", {"limit": "20"})

    page = first_page()  # no head yet: one read, the partitions merged, the head written
    assert len(page["pledges"]) == 20 and all(p["status"] == "paid" for p in page["pledges"])
    queries = [(p, limit) for p, limit in calls if p.startswith("WALL#")]
    assert len(queries) == keys.WALL_SHARDS < keys.SHARDS
    assert all(partition.startswith("WALL#plain-project#") and limit == wall.HEAD_ROWS for partition, limit in queries)
    assert [p for p, _ in calls if not p.startswith("WALL#")] == ["WALLHEAD#plain-project"]
    clock_now[0] += 1.0
    assert first_page() == page and calls == [("WALLHEAD#plain-project", None)]  # fresh head: one read
    head = real_get(keys.wall_head("plain-project"))
    assert not {"donor_ref", "payer_ref", "source_ref", "fingerprint"} & {k for r in head["rows"] for k in r}
    clock_now[0] += 1.0  # older than the cache time: merged again
    assert first_page() == page and len(calls) == 1 + keys.WALL_SHARDS
    calls.clear()
    rest = public.wall(ledger, catalogue.load(), "plain-project", {"limit": "20", "cursor": page["next_cursor"]})
    assert len(calls) == keys.WALL_SHARDS and all(limit == 20 for _, limit in calls)
    shown = [p["pledge_id"] for p in page["pledges"] + rest["pledges"]]
    assert len(shown) == len(set(shown)) == 30  # every paid pledge once, none of the unpaid ones
