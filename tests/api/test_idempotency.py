"""Idempotency-Key: 1,000 random retries never count a pledge twice (over the in-memory
store; a bounded run over moto checks the same through DynamoDB's conditions)."""

from __future__ import annotations

import random
from typing import Any

from tests.api import invariants
from tests.api.conftest import LedgerApi, pledge_body

RETRIES = {"memory": 1000, "moto": 150}
KEYS = {"memory": 60, "moto": 20}


def test_a_thousand_random_retries_never_double_count(ledger_api: LedgerApi) -> None:
    api = ledger_api.api
    rng = random.Random(20210907)
    bodies = {
        f"retry-key-{i:04d}": pledge_body(
            amount=rng.randint(100, 20000),
            donor=f"donor-retry-{rng.randrange(20):03d}",
            **({"team_id": "team-a"} if rng.random() < 0.3 else {}),
        )
        for i in range(KEYS[ledger_api.kind])
    }
    first: dict[str, dict[str, Any]] = {}
    mismatches = 0
    for _ in range(RETRIES[ledger_api.kind]):
        key = rng.choice(list(bodies))
        body = dict(bodies[key])
        changed = rng.random() < 0.05
        if changed:
            body["amount_fen"] += 1
        reply = api.pledge("laiwu-cottages", key, body)
        if changed and key in first:
            assert reply.status == 409 and reply.json["code"] == "idempotency_mismatch"
            mismatches += 1
            continue
        if changed:  # the first use of a key defines its body
            bodies[key] = body
        assert reply.status == 201, reply.json
        if key in first:
            assert reply.json == first[key], "a retry must replay the first response exactly"
        else:
            first[key] = reply.json

    items = ledger_api.items()
    recorded = invariants.pledges(items)
    assert len(recorded) == len(first) and mismatches > 0
    assert {p["pledge_id"] for p in recorded} == {r["pledge_id"] for r in first.values()}
    progress = api.get("/projects/laiwu-cottages/progress").json
    assert progress["pending_count"] == len(first) and progress["pledge_count"] == 0
    assert progress["pending_fen"] == sum(bodies[k]["amount_fen"] for k in first)
    invariants.check(items)
    # and every payment confirmation retried 1-3 times counts once
    for key, made in first.items():
        replies = [
            api.pay(made["pledge_id"], f"acct-{bodies[key]['donor_key']}", f"ref-{key}")
            for _ in range(rng.randint(1, 3))
        ]
        assert all(r.status == 200 and r.json == replies[0].json for r in replies), replies[-1].json
    progress = api.get("/projects/laiwu-cottages/progress").json
    assert progress["pledge_count"] == len(first) and progress["pending_count"] == 0
    assert progress["paid_fen"] == sum(bodies[k]["amount_fen"] for k in first)
    invariants.check(ledger_api.items())


def test_the_same_key_on_another_project_is_another_pledge(api: Any) -> None:
    a = api.pledge("laiwu-cottages", "shared-key-0001", pledge_body()).json
    b = api.pledge("goteo-school", "shared-key-0001", pledge_body()).json
    assert a["pledge_id"] != b["pledge_id"]


def test_key_order_and_whitespace_do_not_make_a_different_body(api: Any) -> None:
    import json

    body = pledge_body(amount=1234)
    raw_a = json.dumps(body).encode()
    raw_b = json.dumps(dict(reversed(list(body.items()))), indent=2).encode()
    headers = {"Idempotency-Key": "order-key-0001", "content-type": "application/json"}
    a = api.post("/projects/laiwu-cottages/pledges", headers=headers, raw=raw_a)
    b = api.post("/projects/laiwu-cottages/pledges", headers=headers, raw=raw_b)
    assert a.status == b.status == 201 and a.json == b.json
