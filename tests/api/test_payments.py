"""Paying through the API: checkout, the providers' notifications, reconciliation, the donor's link.

The fake WeChat Pay and Alipay (infra/fakes/) run on 127.0.0.1 with keys made here; their
keys sit in moto's Secrets Manager as on AWS; the ledger is the in-memory store (the
ledger's DynamoDB behaviour has its own tests). Every refused notification writes nothing.
"""

from __future__ import annotations

import secrets as random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import segno
from moto import mock_aws

from tests.api.conftest import ADMIN_TOKEN, OPERATOR_TOKEN, base_env, memory_items, memory_ledger, pledge_body
from tests.api.gateway import Api
from tests.api.paying import Providers, checkout, install_secret, pay_with_wechat, wechat_notification

PROJECT = "laiwu-cottages"


@pytest.fixture
def paying(monkeypatch: pytest.MonkeyPatch, fake_providers: Providers) -> Iterator[tuple[Api, Any]]:
    base_env(monkeypatch)
    import app as app_module

    from chalicelib import services

    with mock_aws():
        install_secret(monkeypatch, fake_providers)
        ledger = memory_ledger()
        yield Api(app_module.app), ledger
    services.reset()


def pledge(api: Api, amount: int = 10_000, donor: str | None = None, **extra: Any) -> dict[str, Any]:
    key = "key-" + random.token_hex(8)
    reply = api.pledge(PROJECT, key, pledge_body(amount=amount, donor=donor or "donor-" + random.token_hex(6), **extra))
    assert reply.status == 201, reply.text
    return reply.json


def donor_view(api: Api, made: dict[str, Any]) -> Any:
    return api.get(f"/pledges/{made['pledge_id']}/donor", headers={"Donor-Token": made["donor_token"]})


def money_items(ledger: Any) -> list[dict[str, Any]]:
    """Everything but the replay store and the open-checkout notes: what a refused notification must not change."""
    return sorted(
        (i for i in memory_items(ledger) if not i["pk"].startswith(("REPLAY#", "OPENCHECKOUT#"))),
        key=lambda i: (i["pk"], i["sk"]),
    )


# ---- the happy path -----------------------------------------------------------------------------


def test_a_paid_pledge_moves_paid_and_the_donor_sees_the_final_match(paying: Any, fake_providers: Providers) -> None:
    api, _ledger = paying
    made = pledge(api)
    before = donor_view(api, made).json
    assert (before["status"], before["match_final"], before["match_fen"]) == ("pledged", False, 0)
    assert before["expected_match_fen"] is not None and before["expires_at"]
    reply = pay_with_wechat(api, fake_providers, made, openid="o_payer_one")
    assert reply.status == 204, reply.text
    after = donor_view(api, made).json
    assert (after["status"], after["match_final"]) == ("paid", True)
    assert api.get(f"/projects/{PROJECT}/progress").json["paid_fen"] == 10_000


def test_checkout_per_channel(paying: Any, fake_providers: Providers) -> None:
    api, _ = paying
    made = pledge(api)
    native = checkout(api, made).json
    assert (native["kind"], native["amount_fen"]) == ("qr", 10_000)
    assert native["url"] == f"{fake_providers.wechat.url}/pay/{made['pledge_id']}"
    # the code to scan from a desktop screen: an SVG QR code of exactly the provider's code_url
    assert native["qr_image"].startswith("data:image/svg+xml")
    assert native["qr_image"] == segno.make(native["url"], error="m").svg_data_uri(scale=5, border=4)
    h5 = checkout(api, made, channel="h5").json
    assert h5["kind"] == "redirect" and h5["qr_image"] is None
    alipay = checkout(api, made, "alipay", "wap").json
    assert alipay["kind"] == "redirect" and alipay["url"].startswith(fake_providers.alipay.url)
    bank = checkout(api, made, "bank", "bank").json
    assert bank["kind"] == "bank" and bank["params"]["reference"].startswith("QY")
    assert checkout(api, made, "alipay", "native").json["code"] == "invalid_field"


def test_alipay_notification_is_acknowledged_with_success(paying: Any, fake_providers: Providers) -> None:
    api, _ = paying
    made = pledge(api, amount=2_000)
    placed = checkout(api, made, "alipay", "page").json
    # the donor's browser opens the signed cashier link; the fake opens the trade as Alipay does
    split = urlsplit(placed["url"])
    fake_providers.alipay.open_trade(dict(parse_qsl(split.query)))
    fake_providers.alipay.pay(made["pledge_id"], deliver_to=False)
    headers, body = fake_providers.alipay.notification(made["pledge_id"])
    reply = api.post("/payments/alipay/notify", headers=headers, raw=body)
    assert (reply.status, reply.body) == (200, b"success")
    assert donor_view(api, made).json["status"] == "paid"


def test_a_second_notification_for_the_same_payment_counts_once(paying: Any, fake_providers: Providers) -> None:
    api, _ = paying
    made = pledge(api)
    assert pay_with_wechat(api, fake_providers, made).status == 204
    # WeChat retries with a fresh nonce and signature: accepted, and counted once
    headers, body = fake_providers.wechat.notification(made["pledge_id"])
    assert api.post("/payments/wechat/notify", headers=headers, raw=body).status == 204
    assert api.get(f"/projects/{PROJECT}/progress").json["paid_fen"] == 10_000


# ---- bad notifications: 4xx with a code, nothing written ------------------------------------------


def refused(api: Api, ledger: Any, headers: dict[str, str], body: bytes, status: int, code: str) -> None:
    before = money_items(ledger)
    reply = api.post("/payments/wechat/notify", headers=headers, raw=body)
    assert (reply.status, reply.json["code"]) == (status, code), reply.text
    assert " / " in reply.json["message"]
    assert money_items(ledger) == before


def test_forged_notification_is_refused(paying: Any, fake_providers: Providers) -> None:
    from infra.fakes import rsa_key

    api, ledger = paying
    made = pledge(api)
    checkout(api, made)
    headers, body = wechat_notification(fake_providers, made["pledge_id"], key=rsa_key("an attacker"))
    refused(api, ledger, headers, body, 401, "bad_signature")


def test_replayed_notification_is_refused(paying: Any, fake_providers: Providers) -> None:
    api, ledger = paying
    made = pledge(api)
    checkout(api, made)
    headers, body = wechat_notification(fake_providers, made["pledge_id"])
    assert api.post("/payments/wechat/notify", headers=headers, raw=body).status == 204
    refused(api, ledger, headers, body, 400, "replayed_notification")


def test_stale_notification_is_refused(paying: Any, fake_providers: Providers) -> None:
    import time

    api, ledger = paying
    made = pledge(api)
    checkout(api, made)
    headers, body = wechat_notification(fake_providers, made["pledge_id"], timestamp=int(time.time()) - 301)
    refused(api, ledger, headers, body, 400, "stale_notification")


def test_mis_encrypted_notification_is_refused(paying: Any, fake_providers: Providers) -> None:
    api, ledger = paying
    made = pledge(api)
    checkout(api, made)
    headers, body = wechat_notification(fake_providers, made["pledge_id"], apiv3_key="k" * 32)
    refused(api, ledger, headers, body, 400, "bad_ciphertext")


def test_bank_is_not_a_public_notification_address(paying: Any) -> None:
    api, _ = paying
    reply = api.post("/payments/bank/notify", headers={"content-type": "application/json"}, raw=b"{}")
    assert (reply.status, reply.json["code"]) == (404, "unknown_provider")


def test_amount_mismatch_is_recorded_for_the_operator_and_acknowledged(paying: Any, fake_providers: Providers) -> None:
    api, _ = paying
    made = pledge(api)
    checkout(api, made)
    headers, body = wechat_notification(fake_providers, made["pledge_id"], paid_fen=9_999)
    reply = api.post("/payments/wechat/notify", headers=headers, raw=body)
    assert reply.status == 204  # recorded: WeChat retrying could never change the answer
    view = donor_view(api, made).json
    assert (view["status"], view["match_final"], view["match_fen"]) == ("needs_review", False, 0)
    issues = api.get("/admin/payments/issues", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json["issues"]
    assert [(i["pledge_id"], i["amount_fen"], i["outcome"]) for i in issues] == [
        (made["pledge_id"], 9_999, "amount_mismatch")
    ]


def test_a_provider_that_times_out_is_503_with_retry_after(paying: Any, fake_providers: Providers) -> None:
    api, ledger = paying
    made = pledge(api)
    before = money_items(ledger)
    fake_providers.wechat.delay_seconds = 2.0
    try:
        reply = checkout(api, made)
    finally:
        fake_providers.wechat.delay_seconds = 0.0
    assert (reply.status, reply.json["code"], reply.headers["retry-after"]) == (503, "provider_unavailable", "30")
    assert money_items(ledger) == before


# ---- reconciliation and bank transfers ------------------------------------------------------------


def test_reconciliation_confirms_a_missed_notification(
    paying: Any, fake_providers: Providers, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib import clock

    api, ledger = paying
    made = pledge(api)
    checkout(api, made)
    fake_providers.wechat.pay(made["pledge_id"], deliver_to=False)  # paid at WeChat; the notification is lost
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    assert api.post("/admin/payments/reconcile", headers=admin).json["asked"] == 0  # too soon: not asked yet
    monkeypatch.setenv("QINGYI_NOW", clock.iso(ledger.now() + timedelta(minutes=4)))
    counts = api.post("/admin/payments/reconcile", headers=admin).json
    assert (counts["asked"], counts["confirmed"]) == (1, 1)
    assert donor_view(api, made).json["status"] == "paid"
    assert api.post("/admin/payments/reconcile", headers=admin).json["asked"] == 0  # done: never asked again


def test_a_bank_transfers_reference_names_its_pledge_and_the_operator_confirms_it(paying: Any) -> None:
    from chalicelib.providers.bank import pledge_of

    api, _ = paying
    made = pledge(api, amount=50_000)
    shown = checkout(api, made, "bank", "bank").json["params"]
    assert (shown["amount_fen"], shown["account_number"]) == (50_000, "1234567890123456789")
    # the operator reads the reference off the statement's 附言 and finds the pledge by it
    assert pledge_of(shown["reference"]) == made["pledge_id"]
    body = {"payer_account": "6222000011112222", "payment_ref": "B20210907-0001"}
    operator = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    reply = api.post(f"/admin/pledges/{made['pledge_id']}/paid", headers=operator, body=body)
    assert (reply.status, reply.json["status"]) == (200, "paid"), reply.text
    assert donor_view(api, made).json["match_final"] is True


# ---- the donor's private link ----------------------------------------------------------------------


def test_the_donor_link_needs_the_pledges_own_token(paying: Any) -> None:
    api, _ = paying
    mine, theirs = pledge(api), pledge(api)
    assert donor_view(api, mine).status == 200
    for token in (theirs["donor_token"], "0" * 32, "not-a-token"):
        reply = api.get(f"/pledges/{mine['pledge_id']}/donor", headers={"Donor-Token": token})
        assert (reply.status, reply.json["code"]) == (403, "donor_link_invalid")
    assert api.get(f"/pledges/{mine['pledge_id']}/donor").json["code"] == "donor_link_invalid"
    # the public wall never carries the token or the contact
    wall = api.get(f"/projects/{PROJECT}/pledges").text
    assert mine["donor_token"] not in wall


def test_a_retry_with_the_same_key_gets_the_same_token(paying: Any) -> None:
    api, _ = paying
    body = pledge_body(amount=3_000, donor="donor-retry-01")
    first = api.pledge(PROJECT, "key-retry-000001", body).json
    again = api.pledge(PROJECT, "key-retry-000001", body).json
    assert first["donor_token"] == again["donor_token"] and first["pledge_id"] == again["pledge_id"]


def test_the_donor_cancels_an_unpaid_pledge_but_not_a_paid_one(paying: Any, fake_providers: Providers) -> None:
    api, _ = paying
    unpaid, paid = pledge(api), pledge(api)
    reply = api.post(f"/pledges/{unpaid['pledge_id']}/cancel", headers={"Donor-Token": unpaid["donor_token"]})
    assert (reply.status, reply.json["status"]) == (200, "cancelled")
    assert checkout(api, unpaid).json["code"] == "pledge_not_payable"
    pay_with_wechat(api, fake_providers, paid)
    reply = api.post(f"/pledges/{paid['pledge_id']}/cancel", headers={"Donor-Token": paid["donor_token"]})
    assert (reply.status, reply.json["code"]) == (409, "pledge_not_cancellable")


def test_a_receipt_request_stays_private_and_is_exported_for_the_charity(
    paying: Any, fake_providers: Providers
) -> None:
    api, _ = paying
    made = pledge(api)
    details = {"payer_kind": "person", "payer_name": "王小青", "email": "wang@example.org"}
    headers = {"Donor-Token": made["donor_token"]}
    early = api.post(f"/pledges/{made['pledge_id']}/receipt", headers=headers, body=details)
    assert (early.status, early.json["code"]) == (409, "receipt_not_available")
    pay_with_wechat(api, fake_providers, made)
    bad = api.post(f"/pledges/{made['pledge_id']}/receipt", headers=headers, body={**details, "email": "nope"})
    assert bad.json["code"] == "invalid_receipt"
    reply = api.post(f"/pledges/{made['pledge_id']}/receipt", headers=headers, body=details)
    assert (reply.status, reply.json["receipt_requested"]) == (202, True)
    assert "王小青" not in reply.text and "wang@" not in reply.text
    csv = api.get("/admin/exports/receipts.csv", headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}).text
    assert made["pledge_id"] in csv and "王小青" in csv and "wang@example.org" in csv
    for public in (f"/projects/{PROJECT}/pledges", f"/projects/{PROJECT}/progress"):
        assert "王小青" not in api.get(public).text
