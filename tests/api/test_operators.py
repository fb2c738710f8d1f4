"""Operator routes: tokens and roles (401 vs 403), payment confirmation, signed
notifications with replay protection, cancellation, CSV export, settlement."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import yaml

from tests.api import invariants
from tests.api.conftest import ADMIN_TOKEN, OPERATOR_TOKEN, operator_headers, pledge_body
from tests.api.paying import Providers, checkout, install_secret, pay_with_wechat


@pytest.fixture
def providers(api: Any, monkeypatch: pytest.MonkeyPatch, fake_providers: Providers) -> Providers:
    """The fake providers' keys in this test's moto account."""
    install_secret(monkeypatch, fake_providers)
    return fake_providers

OPERATOR_ROUTES = [
    ("GET", "/admin/pledges/{pledge_id}", "operator"),
    ("POST", "/admin/pledges/{pledge_id}/paid", "operator"),
    ("POST", "/admin/pledges/{pledge_id}/cancel", "operator"),
    ("POST", "/admin/payments/reconcile", "admin"),
    ("GET", "/admin/payments/issues", "admin"),
    ("GET", "/admin/exports/receipts.csv", "operator"),
    ("GET", "/admin/exports/pledges.csv", "operator"),
    ("POST", "/admin/campaigns/tencent-99/settle", "admin"),
    ("GET", "/admin/campaigns/tencent-99/settlement", "operator"),
]


def make_pledge(api: Any, key: str = "key-operator-1", **body: Any) -> dict[str, Any]:
    reply = api.pledge("laiwu-cottages", key, pledge_body(**body))
    assert reply.status == 201, reply.json
    return reply.json


@pytest.mark.parametrize("method, path, role", OPERATOR_ROUTES)
@pytest.mark.parametrize(
    "headers, status, code",
    [
        ({}, 401, "unauthorized"),
        ({"Authorization": "Bearer not-a-known-token"}, 401, "unauthorized"),
        ({"Authorization": "Basic b3BlcmF0b3I="}, 401, "unauthorized"),
        ({"Authorization": f"Bearer {OPERATOR_TOKEN}x"}, 401, "unauthorized"),
    ],
)
def test_operator_routes_refuse_missing_or_forged_tokens(
    api: Any, method: str, path: str, role: str, headers: dict[str, str], status: int, code: str
) -> None:
    reply = api.request(method, path.format(pledge_id="p_000000000000000000000000"), headers=headers)
    assert reply.status == status and reply.json["code"] == code
    assert set(reply.json) == {"code", "message"}


def test_settling_needs_the_admin_role(api: Any) -> None:
    reply = api.post("/admin/campaigns/tencent-99/settle", headers=operator_headers(OPERATOR_TOKEN))
    assert reply.status == 403 and reply.json["code"] == "forbidden"


def test_no_tokens_configured_means_nobody_gets_in(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QINGYI_OPERATOR_TOKENS", "")
    reply = api.get("/admin/exports/pledges.csv", headers=operator_headers())
    assert reply.status == 401


def test_operator_sees_private_fields_public_never_does(api: Any) -> None:
    made = make_pledge(api, contact="wechat:xiaoming")
    reply = api.get(f"/admin/pledges/{made['pledge_id']}", headers=operator_headers())
    assert reply.status == 200 and reply.json["contact"] == "wechat:xiaoming"
    assert "wechat" not in api.get("/projects/laiwu-cottages/pledges").text
    missing = api.get("/admin/pledges/p_000000000000000000000000", headers=operator_headers())
    assert missing.status == 404 and missing.json["code"] == "unknown_pledge"


def test_confirm_paid_is_idempotent_and_moves_paid_fen(api: Any, moto_table: str) -> None:
    made = make_pledge(api, amount=2000)
    path = f"/admin/pledges/{made['pledge_id']}/paid"
    first = api.post(path, headers=operator_headers(), body={"payment_ref": "WX-0001"})
    assert first.status == 200 and first.json["status"] == "paid" and first.json["payment_ref"] == "WX-0001"
    again = api.post(path, headers=operator_headers())
    assert again.status == 200 and again.json["status"] == "paid"
    progress = api.get("/projects/laiwu-cottages/progress").json
    assert progress["paid_fen"] == 2000 and progress["raised_fen"] == 2000
    invariants.check(invariants.scan(moto_table))
    bad = api.post(path, headers=operator_headers(), body={"payment_ref": "x", "extra": 1})
    assert bad.status == 400 and bad.json["code"] == "unknown_field"
    assert api.post(path, headers=operator_headers(), body={"payment_ref": 5}).json["code"] == "invalid_field"
    missing = api.post("/admin/pledges/p_000000000000000000000000/paid", headers=operator_headers())
    assert missing.status == 404 and missing.json["code"] == "unknown_pledge"


def test_a_bank_transfer_of_another_amount_is_recorded_for_review_and_refused(api: Any, moto_table: str) -> None:
    made = make_pledge(api, amount=2000)
    path = f"/admin/pledges/{made['pledge_id']}/paid"
    body = {"payment_ref": "BANK-0001", "payer_account": "6222 0000 1111", "amount_fen": 1999}
    reply = api.post(path, headers=operator_headers(), body=body)
    assert reply.status == 409 and reply.json["code"] == "amount_mismatch", reply.text
    progress = api.get("/projects/laiwu-cottages/progress").json
    assert progress["paid_fen"] == 0 and progress.get("matched_fen", 0) == 0
    issues = api.get("/admin/payments/issues", headers=operator_headers(ADMIN_TOKEN))
    assert issues.status == 200, issues.text
    assert "amount_mismatch" in issues.text and made["pledge_id"] in issues.text
    for bad in (0, "2000", True):
        refused = api.post(path, headers=operator_headers(), body={**body, "amount_fen": bad})
        assert refused.status == 400 and refused.json["code"] == "invalid_amount", refused.text
    invariants.check(invariants.scan(moto_table))


def test_cancel_returns_the_match_to_the_pool_and_every_cap(api: Any, moto_table: str) -> None:
    # Goteo-style: one matched payment per payer, ¥100 per pledge, ¥500 per project.
    first = api.pledge_and_pay("goteo-school", "key-goteo-c1", pledge_body(amount=20000, donor="donor-goteo-1")).json
    assert first["match_fen"] == 10000 and first["match_reason"] == "pledge_cap"
    second = api.pledge_and_pay("goteo-school", "key-goteo-c2", pledge_body(amount=20000, donor="donor-goteo-1")).json
    assert second["match_fen"] == 0 and second["match_reason"] == "donor_cap"
    pool_before = api.get("/campaigns/goteo").json["remaining_fen"]
    refunded = api.post(
        f"/admin/pledges/{first['pledge_id']}/cancel", headers=operator_headers(), body={"reason": "重复捐款"}
    )
    assert (
        refunded.status == 200
        and refunded.json["status"] == "refunded"
        and refunded.json["cancel_reason"] == "重复捐款"
    )
    assert api.get("/campaigns/goteo").json["remaining_fen"] == pool_before + 10000
    # the payer's one matched payment is free again
    third = api.pledge_and_pay("goteo-school", "key-goteo-c3", pledge_body(amount=5000, donor="donor-goteo-1")).json
    assert third["match_fen"] == 5000 and third["match_reason"] is None
    progress = api.get("/projects/goteo-school/progress").json
    assert progress["paid_fen"] == 25000 and progress["matched_fen"] == 5000 and progress["donor_count"] == 1
    again = api.post(f"/admin/pledges/{first['pledge_id']}/cancel", headers=operator_headers())
    assert again.status == 200 and again.json["status"] == "refunded"
    assert api.get("/campaigns/goteo").json["remaining_fen"] == pool_before + 10000 - 5000
    wall = api.get("/projects/goteo-school/pledges").json["pledges"]
    assert first["pledge_id"] not in {p["pledge_id"] for p in wall}
    invariants.check(invariants.scan(moto_table))


def test_cancelling_an_unpaid_pledge_frees_nothing_because_it_held_nothing(api: Any, moto_table: str) -> None:
    pool_before = api.get("/campaigns/goteo").json["remaining_fen"]
    made = api.pledge("goteo-school", "key-goteo-u1", pledge_body(amount=20000, donor="donor-goteo-u")).json
    assert made["expected_match_fen"] == 10000 and made["match_fen"] == 0
    assert api.get("/campaigns/goteo").json["remaining_fen"] == pool_before
    assert api.get("/projects/goteo-school/progress").json["pending_fen"] == 20000
    cancelled = api.post(f"/admin/pledges/{made['pledge_id']}/cancel", headers=operator_headers())
    assert cancelled.status == 200 and cancelled.json["status"] == "cancelled"
    progress = api.get("/projects/goteo-school/progress").json
    assert (progress["pending_fen"], progress["paid_fen"], progress["matched_fen"]) == (0, 0, 0)
    # money arriving for the cancelled pledge is recorded, flagged for a refund, never matched
    late = api.pay(made["pledge_id"], "acct-late")
    assert late.status == 409 and late.json["code"] == "paid_after_close"
    record = api.get(f"/admin/pledges/{made['pledge_id']}", headers=operator_headers()).json
    assert record["status"] == "paid_after_close" and record["needs_refund"] is True and record["match_fen"] == 0
    assert api.pay(made["pledge_id"], "acct-late").json["code"] == "paid_after_close"  # the same answer again
    assert api.get("/campaigns/goteo").json["remaining_fen"] == pool_before
    refunded = api.post(f"/admin/pledges/{made['pledge_id']}/cancel", headers=operator_headers()).json
    assert refunded["status"] == "refunded" and refunded["needs_refund"] is False
    invariants.check(invariants.scan(moto_table))


def test_cancel_a_paid_pledge_and_the_last_donor_leaves(api: Any, moto_table: str) -> None:
    made = make_pledge(api, amount=700, team_id="team-a")
    api.pay(made["pledge_id"], "acct-700")
    api.post(f"/admin/pledges/{made['pledge_id']}/cancel", headers=operator_headers())
    progress = api.get("/projects/laiwu-cottages/progress").json
    assert progress["raised_fen"] == progress["paid_fen"] == progress["matched_fen"] == 0
    assert progress["donor_count"] == progress["pledge_count"] == 0
    team = api.get("/teams/team-a").json
    assert team["paid_fen"] == 0 and team["donor_count"] == 0
    invariants.check(invariants.scan(moto_table))


# ---- provider notifications (the bad ones: tests/api/test_payments.py) ---------------------


def test_a_wechat_payment_moves_paid_fen_once_however_often_it_is_notified(
    api: Any, moto_table: str, providers: Providers
) -> None:
    made = make_pledge(api, amount=2000)
    assert pay_with_wechat(api, providers, made).status == 204
    headers, body = providers.wechat.notification(made["pledge_id"])  # WeChat's retry of the same payment
    assert api.post("/payments/wechat/notify", headers=headers, raw=body).status == 204
    item = api.get(f"/admin/pledges/{made['pledge_id']}", headers=operator_headers()).json
    assert item["status"] == "paid"
    progress = api.get("/projects/laiwu-cottages/progress").json
    assert progress["paid_fen"] == 2000 and progress["raised_fen"] == 2000
    invariants.check(invariants.scan(moto_table))


def test_payments_need_the_provider_secret(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib import providers, secrets

    monkeypatch.delenv("QINGYI_PROVIDER_SECRET", raising=False)
    secrets.reset()
    providers.reset()
    made = make_pledge(api, amount=1500)
    reply = checkout(api, made)
    assert reply.status == 503 and reply.json["code"] == "not_configured"
    signed = {f"Wechatpay-{n}": "1" for n in ("Timestamp", "Nonce", "Signature", "Serial")}
    reply = api.post("/payments/wechat/notify", headers=signed, raw=b"{}")
    assert reply.status == 503 and reply.json["code"] == "not_configured"
    # an unsigned one is refused before any key would be read
    reply = api.post("/payments/wechat/notify", headers={"content-type": "application/json"}, raw=b"{}")
    assert reply.status == 401 and reply.json["code"] == "missing_signature_headers"


# ---- export and settlement ----------------------------------------------------------------


def test_csv_export(api: Any) -> None:
    make_pledge(api, "key-csv-00001", amount=1000, display_name="=HYPERLINK(1)", contact="13900000000")
    api.pledge("goteo-school", "key-csv-00002", pledge_body(amount=500))
    reply = api.get("/admin/exports/pledges.csv", headers=operator_headers())
    assert reply.status == 200 and reply.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(reply.text.lstrip("\ufeff"))))
    assert len(rows) == 2
    row = next(r for r in rows if r["project_id"] == "laiwu-cottages")
    assert row["contact"] == "13900000000" and row["display_name"].startswith("'=")
    only = api.get("/admin/exports/pledges.csv?project_id=goteo-school", headers=operator_headers())
    assert len(list(csv.DictReader(io.StringIO(only.text.lstrip("\ufeff"))))) == 1
    by_campaign = api.get("/admin/exports/pledges.csv?campaign_id=tencent-99", headers=operator_headers())
    assert len(list(csv.DictReader(io.StringIO(by_campaign.text.lstrip("\ufeff"))))) == 1
    for query, code in [
        ("project_id=nope", "unknown_project"),
        ("campaign_id=nope", "unknown_campaign"),
        ("x=1", "invalid_query"),
    ]:
        assert api.get(f"/admin/exports/pledges.csv?{query}", headers=operator_headers()).json["code"] == code


def test_settle_after_the_window_freezes_a_yaml_summary(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    api.pay(make_pledge(api, "key-settle-001", amount=3000, donor="donor-s1", team_id="team-a")["pledge_id"], "a-s1")
    api.pay(make_pledge(api, "key-settle-002", amount=2000, donor="donor-s2")["pledge_id"], "a-s2")
    refunded = make_pledge(api, "key-settle-003", amount=9000, donor="donor-s3")
    api.pay(refunded["pledge_id"], "a-s3")
    api.post(f"/admin/pledges/{refunded['pledge_id']}/cancel", headers=operator_headers())
    make_pledge(api, "key-settle-005", amount=4000, donor="donor-s5")  # never paid: not in the settlement
    early = api.post("/admin/campaigns/tencent-99/settle", headers=operator_headers(ADMIN_TOKEN))
    assert early.status == 409 and early.json["code"] == "campaign_open"
    not_yet = api.get("/admin/campaigns/tencent-99/settlement", headers=operator_headers())
    assert not_yet.status == 404 and not_yet.json["code"] == "not_found"

    monkeypatch.setenv("QINGYI_NOW", "2021-09-12T12:00:00+08:00")
    reply = api.post("/admin/campaigns/tencent-99/settle", headers=operator_headers(ADMIN_TOKEN))
    assert reply.status == 200 and reply.headers["content-type"].startswith("text/yaml")
    summary = yaml.safe_load(reply.text)
    assert summary["campaign_id"] == "tencent-99" and summary["reconciled"] is True
    assert summary["committed_fen"] == summary["matched_fen"] == 5000
    assert summary["content_path"] == "content/settlements/tencent-99.yaml"
    project = next(p for p in summary["projects"] if p["project_id"] == "laiwu-cottages")
    assert project["raised_fen"] == project["paid_fen"] == 5000
    assert project["donor_count"] == 2 and project["pledge_count"] == 2 and project["awaiting_refund_fen"] == 0
    assert project["teams"] == [
        {"team_id": "team-a", "name": "莱芜一中校友队", "raised_fen": 3000, "pledge_count": 1, "donor_count": 1}
    ]
    assert "donor-s" not in reply.text and "donor_ref" not in reply.text and "payer_ref" not in reply.text

    # frozen: a later pledge (outside the window, so not in the campaign) changes nothing
    make_pledge(api, "key-settle-004", amount=100, donor="donor-s4")
    again = api.post("/admin/campaigns/tencent-99/settle", headers=operator_headers(ADMIN_TOKEN))
    assert yaml.safe_load(again.text) == summary
    stored = api.get("/admin/campaigns/tencent-99/settlement", headers=operator_headers())
    assert yaml.safe_load(stored.text) == summary
    assert (
        api.post("/admin/campaigns/nope/settle", headers=operator_headers(ADMIN_TOKEN)).json["code"]
        == "unknown_campaign"
    )
