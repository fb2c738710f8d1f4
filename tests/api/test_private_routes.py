"""Every private route refuses every caller it should refuse, with 401 or 403 and no data.

The list of routes comes from the app's declared operations (access != public), so a
private route added later is tested here without anyone remembering to. For
each: no token, a malformed header, a forged token, the token's digest sent as
the token, an expired token (operator and team), the wrong role, another team's
token and an unregistered team's token; then the right token, to prove the
refusals were not a 404 in disguise. Nothing a refused request sent is written.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from typing import Any

import pytest
from app import app as declared

from chalicelib import errors, openapi
from tests.api import volunteer_support as support
from tests.api.conftest import ADMIN_TOKEN, OPERATOR_TOKEN, pledge_body
from tests.api.paying import Providers, checkout, install_secret, wechat_notification
from tests.api.volunteer_support import (
    EXPIRED_OPERATOR_TOKEN,
    EXPIRED_TEAM_TOKEN,
    LATER_OPERATOR_TOKEN,
    TEAM_A_TOKEN,
    TEAM_B_TOKEN,
    UNREGISTERED_TOKEN,
    bearer,
    visit_body,
)

moto_account, vapi = support.moto_account, support.vapi

PRIVATE = [(op.method, op.path, op.access) for op in declared.operations if not op.public]
TOKEN_ROUTES = [r for r in PRIVATE if r[2] not in ("signature", "donor")]
DONOR_ROUTES = [r for r in PRIVATE if r[2] == "donor"]
SECRET_MARK = "PRIVATE-REFUSED-7d41"  # sent in every refused body: must never be stored or echoed

#: Who may call each access level, and who may not (and with which status).
ALLOWED = {
    "operator": [OPERATOR_TOKEN, ADMIN_TOKEN, LATER_OPERATOR_TOKEN],
    "admin": [ADMIN_TOKEN],
    "team": [TEAM_A_TOKEN],
    "team_or_operator": [TEAM_A_TOKEN, OPERATOR_TOKEN, ADMIN_TOKEN],
}
WRONG_ROLE = {
    "operator": [TEAM_A_TOKEN, TEAM_B_TOKEN, UNREGISTERED_TOKEN],
    "admin": [OPERATOR_TOKEN, LATER_OPERATOR_TOKEN, TEAM_A_TOKEN],
    "team": [OPERATOR_TOKEN, ADMIN_TOKEN, UNREGISTERED_TOKEN],
    "team_or_operator": [TEAM_B_TOKEN, UNREGISTERED_TOKEN],  # another team's token; a team not in the catalogue
}


def unauthenticated_headers() -> list[tuple[str, dict[str, str], str]]:
    """(case, headers, expected code) for callers with no valid token at all: all 401."""
    return [
        ("no token", {}, "unauthorized"),
        ("empty bearer", {"Authorization": "Bearer "}, "unauthorized"),
        ("basic scheme", {"Authorization": f"Basic {OPERATOR_TOKEN}"}, "unauthorized"),
        ("token without scheme", {"Authorization": OPERATOR_TOKEN}, "unauthorized"),
        ("forged token", bearer(secrets.token_urlsafe(24)), "unauthorized"),
        ("near miss", bearer(OPERATOR_TOKEN + "x"), "unauthorized"),
        ("digest sent as token", bearer(hashlib.sha256(OPERATOR_TOKEN.encode()).hexdigest()), "unauthorized"),
        ("expired operator token", bearer(EXPIRED_OPERATOR_TOKEN), "token_expired"),
        ("expired team token", bearer(EXPIRED_TEAM_TOKEN), "token_expired"),
    ]


def test_every_private_route_has_a_known_access_level_and_declares_security() -> None:
    assert len(TOKEN_ROUTES) >= 14
    doc = openapi.document(declared.operations)
    for method, path, access in TOKEN_ROUTES:
        assert access in ALLOWED, f"{method} {path}: add access level {access!r} to this test"
        assert doc["paths"][path][method.lower()].get("security"), f"{method} {path} declares no security"
        codes = doc["paths"][path][method.lower()]["responses"]["401"]["description"]
        assert "token_expired" in codes and "unauthorized" in codes


@pytest.fixture
def world(vapi: Any) -> dict[str, Any]:
    """A pledge and a claim exist, so every private route has a real resource to refuse access to."""
    pledge = vapi.pledge("laiwu-cottages", "private-routes-pledge", pledge_body(contact="donor contact"))
    assert pledge.status == 201, pledge.text
    assert vapi.post("/needs/need-open-2/claims", headers=bearer(TEAM_A_TOKEN), body={}).status == 201
    return {"api": vapi, "pledge_id": pledge.json["pledge_id"], "pledge": pledge.json}


def request_for(method: str, path: str, world: dict[str, Any], n: int) -> tuple[str, dict[str, str], Any]:
    ids = {
        "pledge_id": world["pledge_id"],
        "campaign_id": "tencent-99",
        "need_id": "need-open-2" if "/admin/needs/" in path else "need-open",
        "cottage_id": "c-a1",
    }
    url = path
    for name, value in ids.items():
        url = url.replace("{" + name + "}", value)
    assert "{" not in url, f"no id for {path}: extend request_for"
    if path.endswith("/pledges.csv"):
        url += "?project_id=laiwu-cottages"  # one project: the positive control stays cheap
    if path == "/admin/audit":
        url += "?programme_id=hope-test"  # the cottages' programme
    headers: dict[str, str] = {}
    body: Any = None
    if method == "POST":
        body = {}
        if path.endswith("/visits"):
            headers["Idempotency-Key"] = f"private-route-{n:04d}"
            body = visit_body(what_was_done=SECRET_MARK, child_asked_for=SECRET_MARK)
        elif path.endswith("/claims"):
            body = {"contact": SECRET_MARK, "note": SECRET_MARK}
        elif path.endswith("/cancel") or "/claim/" in path:
            body = {"reason": SECRET_MARK}
        elif path.endswith("/payments/bank"):
            body = {"reference": SECRET_MARK}
    return url, headers, body


def assert_refused(reply: Any, status: int, code: str, case: str) -> None:
    assert reply.status == status, f"{case}: {reply.status} {reply.text}"
    body = reply.json
    assert set(body) == {"code", "message"}, f"{case}: a refusal carried data: {body}"
    assert body["code"] == code, f"{case}: {body}"
    assert SECRET_MARK not in reply.text


@pytest.mark.parametrize(("method", "path", "access"), TOKEN_ROUTES, ids=[f"{m} {p}" for m, p, _ in TOKEN_ROUTES])
def test_a_private_route_refuses_everyone_but_its_roles(
    world: dict[str, Any], method: str, path: str, access: str
) -> None:
    api = world["api"]
    before = support.scan_table()
    n = 0
    for case, auth_headers, code in unauthenticated_headers():
        n += 1
        url, headers, body = request_for(method, path, world, n)
        assert_refused(api.request(method, url, headers={**headers, **auth_headers}, body=body), 401, code, case)
    for token in WRONG_ROLE[access]:
        n += 1
        url, headers, body = request_for(method, path, world, n)
        reply = api.request(method, url, headers={**headers, **bearer(token)}, body=body)
        code = "unregistered_team" if token == UNREGISTERED_TOKEN and access == "team" else "forbidden"
        assert_refused(reply, 403, code, f"wrong role {token[:12]}")
    after = support.scan_table()
    assert after == before, "a refused request changed the table"
    assert SECRET_MARK not in json.dumps(after, ensure_ascii=False)

    for token in ALLOWED[access]:
        n += 1
        url, headers, body = request_for(method, path, world, n)
        site = {"Origin": "https://qingyi.example.org"}  # a configured site origin: still no CORS for private routes
        reply = api.request(method, url, headers={**headers, **bearer(token), **site}, body=body)
        assert reply.status not in (401, 403), f"{token[:12]} may call {method} {path}: {reply.status} {reply.text}"
        assert "access-control-allow-origin" not in reply.headers, f"{method} {path} answers cross-origin"
        if reply.headers.get("content-type", "").startswith("application/json") and reply.status >= 400:
            # a refusal for another reason must be a domain answer, never "no such route"
            assert reply.json["code"] != "method_not_allowed", reply.text
            assert reply.json["message"] != errors.NotFound().message, reply.text
        if path == "/needs/{need_id}/claims":
            break  # the first allowed team now holds the need


def test_the_payment_notification_refuses_missing_forged_and_stale_signatures(
    world: dict[str, Any], fake_providers: Providers, monkeypatch: pytest.MonkeyPatch
) -> None:
    from infra.fakes import rsa_key

    install_secret(monkeypatch, fake_providers)
    api, pledge_id = world["api"], world["pledge_id"]
    assert checkout(api, world["pledge"]).status == 200
    good_headers, good_body = wechat_notification(fake_providers, pledge_id)
    forged = fake_providers.wechat.notification(pledge_id, key=rsa_key("someone else"))
    stale = fake_providers.wechat.notification(pledge_id, timestamp=int(time.time()) - 301)
    unsigned = {k: v for k, v in good_headers.items() if not k.startswith("Wechatpay-")}
    cases = [
        ("no signature", unsigned, good_body, 401, "missing_signature_headers"),
        ("forged signature", *forged, 401, "bad_signature"),
        ("stale timestamp", *stale, 400, "stale_notification"),
        ("signature of another body", good_headers, good_body + b" ", 401, "bad_signature"),
        ("operator token instead", {**unsigned, **bearer(OPERATOR_TOKEN)}, good_body, 401, "missing_signature_headers"),
    ]
    before = support.scan_table()
    for case, headers, body, status, code in cases:
        reply = api.request("POST", "/payments/wechat/notify", headers=headers, raw=body)
        assert (reply.status, reply.json["code"]) == (status, code), f"{case}: {reply.text}"
        assert set(reply.json) == {"code", "message"}
    assert support.scan_table() == before, "a refused notification changed the table"
    ok = api.request("POST", "/payments/wechat/notify", headers=good_headers, raw=good_body)
    assert ok.status == 204
    assert api.get(f"/admin/pledges/{pledge_id}", headers=bearer(OPERATOR_TOKEN)).json["status"] == "paid"


@pytest.mark.parametrize(("method", "path", "access"), DONOR_ROUTES, ids=[f"{m} {p}" for m, p, _ in DONOR_ROUTES])
def test_a_donor_route_refuses_any_token_but_the_pledges_own(
    world: dict[str, Any], method: str, path: str, access: str
) -> None:
    api, pledge_id = world["api"], world["pledge_id"]
    other = api.pledge("laiwu-cottages", "private-routes-other", pledge_body()).json
    before = support.scan_table()
    url = path.replace("{pledge_id}", pledge_id)
    body = {"payer_name": SECRET_MARK} if method == "POST" else None
    for case, headers in [
        ("no token", {}),
        ("another pledge's token", {"Donor-Token": other["donor_token"]}),
        ("a guess", {"Donor-Token": secrets.token_hex(16)}),
        ("an operator token instead", bearer(OPERATOR_TOKEN)),
        ("fullwidth hex", {"Donor-Token": ("ｆ" * 32).encode().decode("latin-1")}),
    ]:
        assert_refused(api.request(method, url, headers=headers, body=body), 403, "donor_link_invalid", case)
    assert support.scan_table() == before, "a refused request changed the table"


def test_team_and_operator_tokens_stop_working_at_their_expiry(vapi: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ops = bearer(LATER_OPERATOR_TOKEN)  # expires 2021-09-08T00:00+08:00
    assert vapi.get("/admin/cottages/overdue-visits", headers=ops).status == 200
    monkeypatch.setenv("QINGYI_NOW", "2021-09-08T00:00:00+08:00")
    assert_refused(vapi.get("/admin/cottages/overdue-visits", headers=ops), 401, "token_expired", "at expiry")


def test_an_unreadable_token_map_refuses_everyone(vapi: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for raw in ("not json", "[]", json.dumps({hashlib.sha256(OPERATOR_TOKEN.encode()).hexdigest(): {"no": "role"}})):
        monkeypatch.setenv("QINGYI_OPERATOR_TOKENS", raw)
        assert_refused(
            vapi.get("/admin/cottages/overdue-visits", headers=bearer(OPERATOR_TOKEN)), 401, "unauthorized", raw
        )
    bad_expiry = {
        hashlib.sha256(OPERATOR_TOKEN.encode()).hexdigest(): {"role": "operator:hope-test", "expires": "someday"}
    }
    monkeypatch.setenv("QINGYI_OPERATOR_TOKENS", json.dumps(bad_expiry))
    assert_refused(
        vapi.get("/admin/cottages/overdue-visits", headers=bearer(OPERATOR_TOKEN)), 401, "token_expired", "bad expiry"
    )


def test_the_route_and_role_list_in_api_volunteers_md_names_every_route() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "api" / "VOLUNTEERS.md").read_text(encoding="utf-8")
    listed = {
        (line.split("|")[1].strip(), line.split("|")[2].strip().strip("`"))
        for line in text.splitlines()
        if line.startswith("| ") and line.count("|") == 4
    }
    missing = [(op.method, op.path) for op in declared.operations if (op.method, op.path) not in listed]
    assert missing == [], f"add these routes and their roles to api/VOLUNTEERS.md: {missing}"
