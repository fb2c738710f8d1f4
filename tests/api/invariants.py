"""The ledger's invariants, checked from a full read of the table (tests only).

* money before match: a pledge not paid holds no match and no draw;
* the pool is never overspent: every sub-pool >= 0, and matches of paid
  pledges + what the sub-pools still hold == what was put in, to the fen;
* no cap is exceeded: per pledge, per payer per day, matched payments per
  payer, per project (with the team bonuses actually granted);
* every paid pledge has exactly one matched PAYMENT item, and no payment counted twice;
* the published totals (sharded counters) equal the sums of the pledges
  (paid, matched, paid pledges, distinct payers; pending = unpaid, not yet closed).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import boto3

from chalicelib import catalogue as catalogue_module
from chalicelib.matching import project_cap_fen
from chalicelib.store import from_item


def scan(table: str, client: Any = None) -> list[dict[str, Any]]:
    client = client or boto3.client("dynamodb")
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    for _page in range(10_000):
        out = client.scan(**params)
        items += [from_item(i) for i in out.get("Items", [])]
        if not out.get("LastEvaluatedKey"):
            return items
        params["ExclusiveStartKey"] = out["LastEvaluatedKey"]
    raise AssertionError("scan did not finish")


def pledges(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i for i in items if i["sk"] == "PLEDGE"]


def check(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Assert every invariant; return a few figures for the test to report."""
    cat = catalogue_module.load()
    all_pledges = pledges(items)
    live = [p for p in all_pledges if p["status"] == "paid"]
    by_key = {(i["pk"], i["sk"]): i for i in items}
    figures: dict[str, Any] = {"pledges": len(all_pledges), "paid": len(live)}
    for p in all_pledges:
        if p["status"] != "paid":
            assert p["match_fen"] == 0, f"{p['pledge_id']} ({p['status']}) holds a match"
            draws = p.get("draws") or {}
            assert not draws.get("pool") and not draws.get("cap"), f"{p['pledge_id']} ({p['status']}) holds a draw"
    matched_payments = [i for i in items if i["sk"] == "PAYMENT" and i["outcome"] == "matched"]
    ever_paid = [p for p in all_pledges if p["status"] == "paid" or p.get("refunded_from") == "paid"]
    assert sorted(i["pledge_id"] for i in matched_payments) == sorted(p["pledge_id"] for p in ever_paid), (
        "a paid pledge without its payment, or a payment counted twice"
    )
    for p in live:
        assert (f"PAYMENT#{p['provider']}#{p['transaction_id']}", "PAYMENT") in by_key

    for campaign_id, campaign in cat.campaigns.items():
        shards = [i for i in items if i["pk"].startswith(f"POOL#{campaign_id}#") and i["sk"] == "POOL"]
        if not shards:
            assert not any(p.get("campaign_id") == campaign_id and p["match_fen"] for p in live)
            continue
        assert all(s["remaining_fen"] >= 0 for s in shards), "a sub-pool went below zero"
        granted = sum(s["granted_fen"] for s in shards)
        remaining = sum(s["remaining_fen"] for s in shards)
        matched = sum(p["match_fen"] for p in live if p.get("campaign_id") == campaign_id)
        assert granted == campaign.pool_fen, (campaign_id, granted, campaign.pool_fen)
        assert matched + remaining == granted, (
            f"{campaign_id}: matched {matched} + remaining {remaining} != pool {granted}"
        )
        figures[f"{campaign_id}.remaining_fen"] = remaining
        figures[f"{campaign_id}.matched_fen"] = matched
        rules = campaign.rules
        for p in live:
            if p.get("campaign_id") != campaign_id:
                continue
            assert p["match_fen"] <= p["full_match_fen"]
            if rules.per_pledge_cap_fen is not None:
                assert p["match_fen"] <= rules.per_pledge_cap_fen
        per_donor_day: dict[tuple[str, str], int] = defaultdict(int)
        per_donor_count: dict[str, int] = defaultdict(int)
        for p in live:
            if p.get("campaign_id") == campaign_id and p["match_fen"]:
                per_donor_day[(p["payer_ref"], p["day"])] += p["match_fen"]
                per_donor_count[p["payer_ref"]] += 1
        if rules.per_donor_daily_cap_fen is not None:
            assert max(per_donor_day.values(), default=0) <= rules.per_donor_daily_cap_fen
        if rules.per_donor_matched_pledges is not None:
            assert max(per_donor_count.values(), default=0) <= rules.per_donor_matched_pledges
        tracked = (
            rules.per_donor_daily_cap_fen is not None
            or rules.per_donor_matched_pledges is not None
            or rules.velocity_per_minute is not None
        )
        for (donor_ref, day), value in per_donor_day.items() if tracked else ():
            state = by_key[(f"DONOR#{donor_ref}", f"CAMPAIGN#{campaign_id}")]
            assert state["days"].get(day, 0) == value, "donor state differs from the pledges"
        for project_id in campaign.project_ids:
            header = next(
                (i for i in items if i["pk"] == f"PCAP#{campaign_id}#{project_id}" and i["sk"] == "HEADER"), None
            )
            project_matched = sum(
                p["match_fen"] for p in live if p.get("campaign_id") == campaign_id and p["project_id"] == project_id
            )
            cap = project_cap_fen(campaign, len(header["bonus_teams"]) if header else 0)
            if cap is not None and header is not None:
                cap_shards = [i for i in items if i["pk"].startswith(f"PCAP#{campaign_id}#{project_id}#")]
                assert all(s["remaining_fen"] >= 0 for s in cap_shards)
                assert sum(s["granted_fen"] for s in cap_shards) == cap
                assert project_matched + sum(s["remaining_fen"] for s in cap_shards) == cap
                assert project_matched <= cap
                figures[f"{campaign_id}.{project_id}.cap_fen"] = cap
            figures[f"{campaign_id}.{project_id}.matched_fen"] = project_matched

    # published totals == the ledger
    for kind, field, prefix in (("project", "project_id", "PTOTAL#"), ("team", "team_id", "TTOTAL#")):
        ids = {p[field] for p in all_pledges if p.get(field)}
        for ident in ids:
            shards = [i for i in items if i["pk"].startswith(f"{prefix}{ident}#")]
            pledged = [i for i in items if i["pk"].startswith(f"{prefix[0]}PLEDGED#{ident}#")]
            mine = [p for p in live if p.get(field) == ident]
            waiting = [p for p in all_pledges if p.get(field) == ident and p["status"] == "pledged"]
            total = {
                k: sum(int(s.get(k, 0)) for s in shards)
                for k in ("paid_fen", "matched_fen", "pledge_count", "donor_count")
            }
            for what in ("fen", "count"):
                made = sum(int(s.get(f"pledged_{what}", 0)) for s in pledged)
                total[f"pending_{what}"] = made - sum(int(s.get(f"closed_{what}", 0)) for s in shards)
            expected = {
                "paid_fen": sum(p["amount_fen"] for p in mine),
                "matched_fen": sum(p["match_fen"] for p in mine),
                "pledge_count": len(mine),
                "donor_count": len({p["payer_ref"] for p in mine}),
                "pending_fen": sum(p["amount_fen"] for p in waiting),
                "pending_count": len(waiting),
            }
            assert total == expected, f"{kind} {ident}: published {total} != ledger {expected}"
    return figures
