"""The audit trail: every read or write of a visit book, a claim export, a pledge export or a
settlement is recorded (who: the token's reference, never the token; what: route and ids; when),
listed by the programme's operators with GET /admin/audit, newest first, in pages.
Retention: a visit's notes carry the DynamoDB TTL attribute ``ttl``, set on write.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from chalicelib import retention
from tests.api import volunteer_support as support
from tests.api.conftest import ADMIN_TOKEN, OPERATOR_TOKEN, digest, pledge_body
from tests.api.volunteer_support import OUTSIDE_OPERATOR_TOKEN, TEAM_A_TOKEN, bearer, log_visit, visit_body

moto_account, vapi = support.moto_account, support.vapi


def trail(api: Any, programme_id: str, token: str = OPERATOR_TOKEN, **params: str) -> dict[str, Any]:
    query = "&".join(f"{k}={v}" for k, v in {"programme_id": programme_id, **params}.items())
    reply = api.get(f"/admin/audit?{query}", headers=bearer(token))
    assert reply.status == 200, reply.text
    return reply.json


def test_a_visit_book_read_and_write_are_audited_with_the_token_reference_not_the_token(vapi: Any) -> None:
    assert log_visit(vapi, "c-a1", "audit-visit-0001", visit_body()).status == 201
    assert vapi.get("/cottages/c-a1/visits", headers=bearer(TEAM_A_TOKEN)).status == 200
    # entries at one instant (the suite's clock may stand still between requests) come in any order
    entries = sorted(trail(vapi, "hope-test")["entries"][:2], key=lambda e: e["action"])
    assert [(e["action"], e["resource"]["cottage_id"]) for e in entries] == [
        ("visit_book.read", "c-a1"),
        ("visit_book.write", "c-a1"),
    ]
    assert {e["token_ref"] for e in entries} == {digest(TEAM_A_TOKEN)[:8]}
    assert entries[0]["role"] == "team:vt-a" and entries[0]["route"] == "GET /cottages/{cottage_id}/visits"
    assert "visit_id" in entries[1]["resource"]
    datetime.fromisoformat(entries[0]["at"].replace("Z", "+00:00"))
    assert TEAM_A_TOKEN not in json.dumps(support.scan_table())


def test_exports_and_settlements_are_audited_under_their_programme(
    vapi: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert vapi.pledge("laiwu-cottages", "audit-pledge-01", pledge_body()).status == 201
    assert vapi.get("/admin/exports/pledges.csv?project_id=laiwu-cottages", headers=bearer(OPERATOR_TOKEN)).status == 200
    assert vapi.get("/admin/exports/claims.yaml", headers=bearer(OPERATOR_TOKEN)).status == 200
    monkeypatch.setenv("QINGYI_NOW", "2021-09-12T12:00:00+08:00")
    assert vapi.post("/admin/campaigns/tencent-99/settle", headers=bearer(ADMIN_TOKEN)).status == 200
    assert vapi.get("/admin/campaigns/tencent-99/settlement", headers=bearer(OPERATOR_TOKEN)).status == 200
    # entries at one instant (the suite's clock stands still between requests) come in any order
    laiwu = sorted(json.dumps([e["action"], e["resource"]]) for e in trail(vapi, "laiwu")["entries"])
    assert laiwu == sorted(
        json.dumps(entry)
        for entry in [
            ["settlement.read", {"campaign_id": "tencent-99"}],
            ["settlement.write", {"campaign_id": "tencent-99"}],
            ["claim_export.read", {}],  # the operator's claim export covers each of its programmes
            ["pledge_export.read", {"project_id": "laiwu-cottages"}],
        ]
    )
    # a platform admin's export of everything is audited platform-wide, listed by platform admins only
    assert vapi.get("/admin/exports/claims.yaml", headers=bearer(ADMIN_TOKEN)).status == 200
    assert trail(vapi, "*", ADMIN_TOKEN)["entries"][0]["action"] == "claim_export.read"
    refused = vapi.get("/admin/audit?programme_id=*", headers=bearer(OPERATOR_TOKEN))
    assert refused.status == 403 and refused.json["code"] == "other_programme"


def test_the_audit_trail_is_scoped_paginated_and_checked(vapi: Any) -> None:
    for _ in range(5):
        assert vapi.get("/cottages/c-a2/visits", headers=bearer(TEAM_A_TOKEN)).status == 200
    seen, cursor = [], None
    for _ in range(10):  # bounded: 5 entries in pages of 2
        page = trail(vapi, "hope-test", limit="2", **({"cursor": cursor} if cursor else {}))
        seen += page["entries"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) >= 5 and cursor is None
    assert len({(e["at"], e["token_ref"], json.dumps(e["resource"])) for e in seen}) >= 1
    assert len(seen) == len({id(e) for e in seen})
    assert [e["at"] for e in seen] == sorted((e["at"] for e in seen), reverse=True)
    outsider = vapi.get("/admin/audit?programme_id=hope-test", headers=bearer(OUTSIDE_OPERATOR_TOKEN))
    assert outsider.status == 403 and outsider.json["code"] == "other_programme"
    for query, code in [
        ("", "invalid_query"),
        ("?programme_id=nowhere", "unknown_programme"),
        ("?programme_id=hope-test&cursor=%21%21", "invalid_query"),
        ("?programme_id=hope-test&limit=0", "invalid_query"),
    ]:
        reply = vapi.get(f"/admin/audit{query}", headers=bearer(OPERATOR_TOKEN))
        assert reply.status in (400, 404) and reply.json["code"] == code, (query, reply.text)


def test_visit_notes_carry_a_ttl_of_the_retention_period(vapi: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(retention.ENV, "30")
    assert log_visit(vapi, "c-b1", "audit-ttl-00001", visit_body(), support.TEAM_B_TOKEN).status == 201
    (item,) = [i for i in support.scan_table() if i["pk"] == "COTTAGE#c-b1" and i["sk"].startswith("VISIT#")]
    written = datetime.fromisoformat("2021-09-07T10:00:00+08:00")  # the suite's clock
    assert int(item["ttl"]) == int(written.timestamp()) + 30 * 86400
    summary = [i for i in support.scan_table() if i["pk"] == "COTTAGE#c-b1" and i["sk"] == "VISITS"]
    assert summary and "ttl" not in summary[0], "counters outlive the notes"
    monkeypatch.setenv(retention.ENV, "not a number")
    assert retention.days() == retention.DEFAULT_DAYS
