"""Worked examples from real platforms, through the app and the ledger: each pledge is
paid (an operator confirms the transfer, naming the paying account) and its match is
decided then; the state the rules see is read from the store and every limit is
enforced by the payment's transaction (each example runs over the in-memory store and
over moto)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api import invariants
from tests.api.conftest import LedgerApi, operator_headers, pledge_body


def pledge(
    api: Any, project: str, key: str, amount: int, donor: str, payer: str | None = None, **extra: Any
) -> dict[str, Any]:
    """Pledge and pay; the payer's account is the donor's own unless ``payer`` says otherwise."""
    pledged = api.pledge(project, key, pledge_body(amount=amount, donor=donor, **extra), source="10.0.0.1")
    assert pledged.status == 201, pledged.json
    assert pledged.json["match_fen"] == 0 and pledged.json["status"] == "pledged"
    paid = api.pay(pledged.json["pledge_id"], payer or f"acct-{donor}")
    assert paid.status == 200, paid.json
    assert paid.json["status"] == "paid"
    return paid.json


def test_tencent_style_999_yuan_per_donor_per_day(ledger_api: LedgerApi, monkeypatch: pytest.MonkeyPatch) -> None:
    api = ledger_api.api
    a = pledge(api, "laiwu-cottages", "tx-key-0001", 60000, "donor-tencent")
    assert (a["match_fen"], a["match_reason"]) == (60000, None)
    b = pledge(api, "laiwu-cottages", "tx-key-0002", 50000, "donor-tencent")
    assert (b["match_fen"], b["match_reason"]) == (39900, "donor_cap")
    c = pledge(api, "laiwu-cottages", "tx-key-0003", 99, "donor-other")
    assert (c["match_fen"], c["match_reason"]) == (0, "below_minimum")
    monkeypatch.setenv("QINGYI_NOW", "2021-09-08T00:00:01+08:00")  # a new Beijing day
    d = pledge(api, "laiwu-cottages", "tx-key-0004", 10000, "donor-tencent")
    assert (d["match_fen"], d["match_reason"]) == (10000, None)
    invariants.check(ledger_api.items())


def test_goteo_style_one_matched_pledge_and_a_project_cap(ledger_api: LedgerApi) -> None:
    api = ledger_api.api
    results = [pledge(api, "goteo-school", f"goteo-key-{i:03d}", 15000, f"donor-goteo-{i}") for i in range(6)]
    assert [r["match_fen"] for r in results] == [10000] * 5 + [0]
    assert [r["match_reason"] for r in results] == ["pledge_cap"] * 5 + ["project_cap"]
    assert api.get("/projects/goteo-school/progress").json["matched_fen"] == 50000
    invariants.check(ledger_api.items())


def test_globalgiving_tiers_project_cap_and_team_bonus(ledger_api: LedgerApi) -> None:
    api = ledger_api.api
    assert pledge(api, "gg-library", "gg-key-0001", 20000, "donor-gg-1")["match_fen"] == 4000  # 20%
    assert pledge(api, "gg-library", "gg-key-0002", 60000, "donor-gg-2")["match_fen"] == 18000  # 30%
    big = pledge(api, "gg-library", "gg-key-0003", 150000, "donor-gg-3")  # only the first ¥1,000, at 40%
    assert (big["match_fen"], big["match_reason"]) == (40000, "pledge_cap")
    matched = 62000
    n = 4
    while matched < 200000:
        r = pledge(api, "gg-library", f"gg-key-{n:04d}", 100000, f"donor-gg-{n}")
        matched += r["match_fen"]
        n += 1
    assert matched == 200000
    capped = pledge(api, "gg-library", f"gg-key-{n:04d}", 100000, "donor-gg-x")
    assert (capped["match_fen"], capped["match_reason"]) == (0, "project_cap")
    # the team reaches ¥1,000: the project's cap grows by ¥500
    team = pledge(api, "gg-library", "gg-key-team1", 100000, "donor-gg-team", team_id="team-gg")
    assert team["match_reason"] == "project_cap"
    after = pledge(api, "gg-library", "gg-key-after", 100000, "donor-gg-after")
    assert (after["match_fen"], after["match_reason"]) == (40000, None)
    last = pledge(api, "gg-library", "gg-key-last", 100000, "donor-gg-last")
    assert (last["match_fen"], last["match_reason"]) == (10000, "project_cap")
    figures = invariants.check(ledger_api.items())
    assert figures["gg-tiers.gg-library.cap_fen"] == 250000
    assert figures["gg-tiers.gg-library.matched_fen"] == 250000


def test_velocity_flags_the_sixth_pledge_a_minute_but_records_it(
    ledger_api: LedgerApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = ledger_api.api
    for i in range(5):
        monkeypatch.setenv("QINGYI_NOW", f"2021-09-07T10:00:{i * 5:02d}+08:00")
        assert pledge(api, "laiwu-cottages", f"vel-key-{i:04d}", 1000, "donor-fast")["match_reason"] is None
    monkeypatch.setenv("QINGYI_NOW", "2021-09-07T10:00:30+08:00")
    sixth = pledge(api, "laiwu-cottages", "vel-key-0005", 1000, "donor-fast")
    assert (sixth["match_fen"], sixth["match_reason"], sixth["flagged"]) == (0, "velocity", True)
    from chalicelib import services

    assert "频繁" in services.ledger().pledge_view(sixth["pledge_id"])["match_note"]  # the donor's own view
    assert api.get("/projects/laiwu-cottages/progress").json["paid_fen"] == 6000
    record = api.get(f"/admin/pledges/{sixth['pledge_id']}", headers=operator_headers()).json
    assert record["flagged"] is True
    monkeypatch.setenv("QINGYI_NOW", "2021-09-07T10:01:20+08:00")  # a minute later the donor is matched again
    assert pledge(api, "laiwu-cottages", "vel-key-0006", 1000, "donor-fast")["match_reason"] is None


def test_velocity_and_caps_count_the_verified_payer_not_the_donor_key(ledger_api: LedgerApi) -> None:
    """Rotating donor keys buys nothing: the sixth payment a minute from one account is flagged,
    and the account's daily cap holds across every key; another payer is matched as usual."""
    api = ledger_api.api
    for i in range(5):
        r = pledge(api, "laiwu-cottages", f"src-key-{i:04d}", 1000, f"donor-src-{i}", payer="acct-shared")
        assert r["match_reason"] is None
    sixth = pledge(api, "laiwu-cottages", "src-key-0005", 1000, "donor-src-5", payer="acct-shared")
    assert (sixth["match_fen"], sixth["match_reason"], sixth["flagged"]) == (0, "velocity", True)
    other = pledge(api, "laiwu-cottages", "src-key-0006", 1000, "donor-src-6", payer="acct-other")
    assert other["match_reason"] is None
    invariants.check(ledger_api.items())


def test_many_donors_behind_one_address_are_matched_each(ledger_api: LedgerApi) -> None:
    """A campus or carrier NAT: pledges from one address, paid by different accounts, all matched."""
    api = ledger_api.api
    for i in range(8):
        r = api.pledge("laiwu-cottages", f"nat-key-{i:04d}", pledge_body(amount=1000, donor=f"donor-nat-{i}"),
                       source="203.0.113.9")
        assert r.status == 201
        paid = api.pay(r.json["pledge_id"], f"acct-nat-{i}")
        assert (paid.json["match_fen"], paid.json["flagged"]) == (1000, False)


def test_pool_runs_out_with_a_partial_match_then_none(ledger_api: LedgerApi, monkeypatch: pytest.MonkeyPatch) -> None:
    api = ledger_api.api
    monkeypatch.setenv("QINGYI_NOW", "2021-09-07T20:00:00+08:00")  # inside the evening session
    assert pledge(api, "evening-project", "eve-key-0001", 60000, "donor-eve-1")["match_fen"] == 60000
    partial = pledge(api, "evening-project", "eve-key-0002", 50000, "donor-eve-2")
    assert (partial["match_fen"], partial["match_reason"]) == (40000, "pool_exhausted")
    none = pledge(api, "evening-project", "eve-key-0003", 1000, "donor-eve-3")
    assert (none["match_fen"], none["match_reason"]) == (0, "pool_exhausted")
    campaign = api.get("/campaigns/evening").json
    assert (campaign["committed_fen"], campaign["remaining_fen"]) == (100000, 0)
    assert api.get("/projects/evening-project/progress").json["paid_fen"] == 111000
    invariants.check(ledger_api.items())
