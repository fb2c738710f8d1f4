"""Every public route, its happy path, and the error codes it can return."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api import invariants
from tests.api.conftest import pledge_body


def codes(reply: Any) -> str:
    return reply.json["code"]


def test_health(api: Any) -> None:
    reply = api.get("/health")
    assert reply.status == 200 and reply.json["status"] == "ok"
    assert reply.headers["content-type"].startswith("application/json")


def test_projects_lists_the_catalogue(api: Any) -> None:
    reply = api.get("/projects")
    assert reply.status == 200
    ids = {p["project_id"] for p in reply.json["projects"]}
    assert {"laiwu-cottages", "closed-project", "plain-project"} <= ids
    closed = next(p for p in reply.json["projects"] if p["project_id"] == "closed-project")
    assert closed["accepting_pledges"] is False


def test_one_project_and_unknown_project(api: Any) -> None:
    assert api.get("/projects/laiwu-cottages").json["name"] == "莱芜希望小屋"
    reply = api.get("/projects/nope")
    assert reply.status == 404 and codes(reply) == "unknown_project"
    assert "/" in reply.json["message"]  # Chinese / English


def test_pledge_then_progress_moves(api: Any) -> None:
    before = api.get("/projects/laiwu-cottages/progress").json
    assert before["paid_fen"] == 0 and before["campaign"]["open_now"] is True
    made = api.pledge("laiwu-cottages", "key-progress-1", pledge_body(amount=5000, team_id="team-a"))
    assert made.status == 201
    assert made.json["match_fen"] == 0 and made.json["expected_match_fen"] == 5000 and made.json["match_reason"] is None
    assert set(made.json) >= {"pledge_id", "status", "amount_fen", "match_fen", "expected_match_fen", "expires_at"}
    pending = api.get("/projects/laiwu-cottages/progress").json
    # a promise is not money: only 认捐中 moves, the pool does not
    assert (pending["paid_fen"], pending["matched_fen"], pending["pending_fen"], pending["pledge_count"]) == (
        0,
        0,
        5000,
        0,
    )
    assert pending["campaign"]["remaining_fen"] == pending["campaign"]["match_remaining_fen"] == 1_000_000
    paid = api.pay(made.json["pledge_id"], "acct-progress")
    assert paid.status == 200 and paid.json["match_fen"] == 5000
    after = api.get("/projects/laiwu-cottages/progress").json
    assert after["paid_fen"] == after["raised_fen"] == 5000 and after["matched_fen"] == 5000
    assert after["pledge_count"] == 1 and after["donor_count"] == 1 and after["pending_fen"] == 0
    assert after["campaign"] == {
        "campaign_id": "tencent-99",
        "open_now": True,
        "remaining_fen": 1_000_000 - 5000,
        "match_remaining_fen": 1_000_000 - 5000,
    }
    assert after["percent"] == pytest.approx((10000 * 1000 // 50_000_000) / 10)


def test_match_remaining_is_the_smaller_of_the_project_cap_and_the_pool(api: Any) -> None:
    # goteo: ¥10,000 pool, ¥500 project cap, ¥100 per pledge
    for i in range(5):
        assert (
            api.pledge_and_pay(
                "goteo-school", f"key-rem-{i:03d}", pledge_body(amount=10000, donor=f"donor-rem-{i}")
            ).json["match_fen"]
            == 10000
        )
    progress = api.get("/projects/goteo-school/progress").json
    assert progress["campaign"]["remaining_fen"] == 1_000_000 - 50000
    assert progress["campaign"]["match_remaining_fen"] == 0  # the cap is used up, however much the pool holds


def test_progress_of_a_project_without_campaign(api: Any) -> None:
    made = api.pledge("plain-project", "key-plain-001", pledge_body(amount=300))
    assert (
        made.status == 201 and made.json["expected_match_fen"] == 0 and made.json["match_reason"] == "not_in_campaign"
    )
    api.pay(made.json["pledge_id"], "acct-plain")
    progress = api.get("/projects/plain-project/progress").json
    assert progress["campaign"] is None and progress["paid_fen"] == 300 and progress["matched_fen"] == 0


def test_progress_unknown_project(api: Any) -> None:
    reply = api.get("/projects/nope/progress")
    assert reply.status == 404 and codes(reply) == "unknown_project"


def test_window_closed_outside_the_daily_session(api: Any) -> None:
    made = api.pledge("evening-project", "key-evening-1", pledge_body(amount=1000))  # 10:00, session 19:00-23:00
    assert made.status == 201 and made.json["match_fen"] == 0 and made.json["match_reason"] == "window_closed"
    assert made.json["match_note"].startswith("当前不在配捐时段")


def test_donor_wall_public_fields_only_newest_first_paginated(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(5):
        monkeypatch.setenv("QINGYI_NOW", f"2021-09-07T10:00:0{i}+08:00")
        body = pledge_body(amount=100 + i, donor=f"donor-wall-{i}", contact="13800000000", message=f"加油 {i}")
        if i == 2:
            body = {"amount_fen": 102, "donor_key": "donor-wall-2", "anonymous": True, "contact": "13800000000"}
        assert api.pledge_and_pay("laiwu-cottages", f"key-wall-{i:04d}", body).status == 200
    unpaid = api.pledge("laiwu-cottages", "key-wall-unpaid", pledge_body(amount=999, message="未付款"))
    assert unpaid.status == 201
    page = api.get("/projects/laiwu-cottages/pledges?limit=2")
    assert page.status == 200
    first = page.json
    assert [p["amount_fen"] for p in first["pledges"]] == [104, 103]
    assert first["next_cursor"]
    second = api.get(f"/projects/laiwu-cottages/pledges?limit=2&cursor={first['next_cursor']}").json
    assert [p["amount_fen"] for p in second["pledges"]] == [102, 101]
    assert second["pledges"][0]["display_name"] == "爱心人士"
    everything = api.get("/projects/laiwu-cottages/pledges")
    assert [p["status"] for p in everything.json["pledges"]] == ["paid"] * 5  # an unpaid promise is not on the wall
    text = page.text + everything.text
    assert "13800000000" not in text and "donor-wall" not in text and "donor_ref" not in text
    assert "payer_ref" not in text and "acct-" not in text
    assert set(first["pledges"][0]) == {
        "pledge_id",
        "display_name",
        "amount_fen",
        "match_fen",
        "team_id",
        "message",
        "status",
        "created_at",
        "paid_at",
    }


@pytest.mark.parametrize(
    "query, code",
    [
        ("limit=0", "invalid_query"),
        ("limit=101", "invalid_query"),
        ("limit=x", "invalid_query"),
        ("cursor=zzz", "invalid_query"),
        ("other=1", "invalid_query"),
    ],
)
def test_donor_wall_bad_query(api: Any, query: str, code: str) -> None:
    reply = api.get(f"/projects/laiwu-cottages/pledges?{query}")
    assert reply.status == 400 and codes(reply) == code


def test_donor_wall_unknown_project(api: Any) -> None:
    assert codes(api.get("/projects/nope/pledges")) == "unknown_project"


def test_campaigns_list_and_detail(api: Any) -> None:
    listed = api.get("/campaigns").json["campaigns"]
    assert {c["campaign_id"] for c in listed} == {"tencent-99", "goteo", "gg-tiers", "evening", "rush"}
    assert next(c for c in listed if c["campaign_id"] == "evening")["open_now"] is False
    api.pledge("laiwu-cottages", "key-campaign-0", pledge_body(amount=7000))  # unpaid: commits nothing
    api.pledge_and_pay("laiwu-cottages", "key-campaign-1", pledge_body(amount=2500))
    detail = api.get("/campaigns/tencent-99").json
    assert detail["pool_fen"] == 1_000_000 and detail["committed_fen"] == 2500 and detail["remaining_fen"] == 997_500
    assert detail["open_now"] is True and detail["project_ids"] == ["laiwu-cottages", "closed-project"]
    assert detail["windows"][0]["start"].startswith("2021-09-07T00:00:00")
    reply = api.get("/campaigns/nope")
    assert reply.status == 404 and codes(reply) == "unknown_campaign"


def test_team_leaderboard_and_team(api: Any) -> None:
    api.pledge_and_pay("laiwu-cottages", "key-team-0001", pledge_body(amount=3000, donor="donor-t1", team_id="team-a"))
    api.pledge_and_pay("laiwu-cottages", "key-team-0002", pledge_body(amount=1000, donor="donor-t2", team_id="team-b"))
    api.pledge_and_pay("laiwu-cottages", "key-team-0003", pledge_body(amount=1000, donor="donor-t3", team_id="team-b"))
    api.pledge("laiwu-cottages", "key-team-0004", pledge_body(amount=9000, donor="donor-t4", team_id="team-b"))
    board = api.get("/campaigns/tencent-99/teams").json
    assert [t["team_id"] for t in board["by_amount"]] == ["team-a", "team-b"]
    assert [t["team_id"] for t in board["by_donors"]] == ["team-b", "team-a"]
    team = api.get("/teams/team-b").json
    assert team["paid_fen"] == team["raised_fen"] == 2000 and team["donor_count"] == 2 and team["pledge_count"] == 2
    assert team["pending_fen"] == 9000
    assert codes(api.get("/campaigns/nope/teams")) == "unknown_campaign"
    reply = api.get("/teams/nope")
    assert reply.status == 404 and codes(reply) == "unknown_team"


def test_unknown_route_and_wrong_method(api: Any) -> None:
    reply = api.request("DELETE", "/projects/laiwu-cottages")
    assert reply.status == 405 and codes(reply) == "method_not_allowed"
    unknown = api.get("/no/such/route")
    assert unknown.status == 404 and codes(unknown) == "not_found" and set(unknown.json) == {"code", "message"}


def test_catalogue_missing_is_a_clear_503(api: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("QINGYI_CATALOGUE", str(tmp_path / "missing.json"))
    reply = api.get("/projects")
    assert reply.status == 503 and codes(reply) == "catalogue_missing"
    assert "make catalogue" in reply.json["message"]


def test_pledge_to_closed_project_is_refused_and_writes_nothing(api: Any, moto_table: str) -> None:
    reply = api.pledge("closed-project", "key-closed-01", pledge_body())
    assert reply.status == 409 and codes(reply) == "project_closed"
    assert invariants.scan(moto_table) == []


def test_throttling_becomes_503_with_retry_after(api: Any, monkeypatch: pytest.MonkeyPatch, moto_table: str) -> None:
    from chalicelib import errors, services

    ledger = services.ledger()
    monkeypatch.setattr(ledger, "sleep", lambda _s: None)

    def throttled(*_a: Any, **_k: Any) -> Any:
        raise errors.Throttled("ProvisionedThroughputExceededException")

    monkeypatch.setattr(ledger.store, "get_many", throttled)
    reply = api.pledge("laiwu-cottages", "key-throttle-1", pledge_body())
    assert reply.status == 503 and codes(reply) == "busy" and reply.headers["retry-after"] == "1"
    monkeypatch.undo()


def test_unexpected_failure_is_a_500_without_a_trace(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib import services

    def broken(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(services.ledger(), "project_totals", broken)
    reply = api.get("/projects/laiwu-cottages/progress")
    assert reply.status == 500 and codes(reply) == "internal_error" and "secret" not in reply.text
