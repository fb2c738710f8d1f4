"""Roles are scoped to a programme: an operator or admin of one programme touches nothing of another.

The routes come from the app's declared operations, as in test_private_routes.py, so a staff
route added later is covered here too. The records the routes touch (a laiwu pledge and
campaign, linhai-test needs, hope-test cottages) belong to programmes the outsider tokens
(``operator:shunde``, ``admin:shunde``) do not hold: a route on one record answers 403
``other_programme`` and writes nothing; a list or export answers 200 with none of those records.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from app import app as declared

from chalicelib import auth, errors
from tests.api import volunteer_support as support
from tests.api.conftest import ADMIN_TOKEN, STAFF_EXPIRES, digest, pledge_body
from tests.api.test_private_routes import assert_refused, request_for
from tests.api.test_private_routes import world as world  # the fixture: a pledge and a claim exist
from tests.api.volunteer_support import (
    LEGACY_OPERATOR_TOKEN,
    OUTSIDE_ADMIN_TOKEN,
    OUTSIDE_OPERATOR_TOKEN,
    bearer,
    token_map,
)

moto_account, vapi = support.moto_account, support.vapi

STAFF_ROUTES = [
    (op.method, op.path, op.access)
    for op in declared.operations
    if op.access in {"operator", "admin", "team_or_operator"}
]
OUTSIDERS = {"operator": [OUTSIDE_OPERATOR_TOKEN, OUTSIDE_ADMIN_TOKEN], "admin": [OUTSIDE_ADMIN_TOKEN]}


def world_ids(made: dict[str, Any]) -> list[str]:
    """Ids of the records of other programmes that an outsider's list must not show."""
    return [made["pledge_id"], "need-open-2", "c-a1", "c-a2", "c-b1", "laiwu-cottages"]


def test_every_staff_route_is_covered_by_the_scope_tests() -> None:
    assert len(STAFF_ROUTES) >= 13
    assert {access for _, _, access in STAFF_ROUTES} <= {"operator", "admin", "team_or_operator"}


@pytest.mark.parametrize(("method", "path", "access"), STAFF_ROUTES, ids=[f"{m} {p}" for m, p, _ in STAFF_ROUTES])
def test_an_operator_of_another_programme_gets_403_and_no_data(
    world: dict[str, Any], method: str, path: str, access: str
) -> None:
    api = world["api"]
    before = records_but_audit()
    for n, token in enumerate(OUTSIDERS.get(access, OUTSIDERS["operator"])):
        url, headers, body = request_for(method, path, world, 100 + n)
        reply = api.request(method, url, headers={**headers, **bearer(token)}, body=body)
        if "{" in path or "_id=" in url:  # one record, or a list of one named programme
            assert_refused(reply, 403, "other_programme", f"{token[:12]} on {url}")
            assert errors.OtherProgramme.zh in reply.json["message"]
            assert errors.OtherProgramme.en in reply.json["message"]
        else:
            assert reply.status == 200, f"{token[:12]} lists {url}: {reply.status} {reply.text}"
            leaked = [i for i in world_ids(world) if i in reply.text]
            assert leaked == [], f"{url} shows another programme's records to {token[:12]}: {leaked}"
    assert records_but_audit() == before, "a refused request changed the table"
    trail = {i["pk"] for i in support.scan_table() if i["pk"].startswith("AUDIT#")}
    assert trail <= {"AUDIT#shunde"}, f"an outsider's reads are audited under its own programme only: {trail}"


def records_but_audit() -> list[dict[str, Any]]:
    """The table without the audit trail (an outsider's allowed list is audited: that is a write)."""
    return [i for i in support.scan_table() if not i["pk"].startswith("AUDIT#")]


def test_the_operator_of_the_records_programme_may_call_them(vapi: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The positive control: one role, the cottage's own programme, reads its book and lists it overdue."""
    tokens = {**token_map(), digest("hope-op"): {"role": "operator:hope-test", "expires": STAFF_EXPIRES}}
    monkeypatch.setenv("QINGYI_OPERATOR_TOKENS", json.dumps(tokens))
    assert vapi.get("/cottages/c-a1/visits", headers=bearer("hope-op")).status == 200
    overdue = vapi.get("/admin/cottages/overdue-visits", headers=bearer("hope-op")).json
    assert {c["cottage_id"] for c in overdue["cottages"]} == {"c-a1", "c-a2", "c-b1"}
    assert vapi.get("/admin/needs/need-open/claims", headers=bearer("hope-op")).json["code"] == "other_programme"


def test_an_export_without_a_filter_holds_only_the_callers_programmes(world: dict[str, Any]) -> None:
    api = world["api"]
    pledge = api.pledge("gg-library", "scope-shunde-pledge", pledge_body(contact="shunde donor"))
    assert pledge.status == 201, pledge.text
    mine = api.get("/admin/exports/pledges.csv", headers=bearer(OUTSIDE_OPERATOR_TOKEN)).text
    assert pledge.json["pledge_id"] in mine and world["pledge_id"] not in mine
    everything = api.get("/admin/exports/pledges.csv", headers=bearer(ADMIN_TOKEN)).text
    assert pledge.json["pledge_id"] in everything and world["pledge_id"] in everything


def test_the_unscoped_legacy_operator_role_is_refused_with_its_own_message(world: dict[str, Any]) -> None:
    api = world["api"]
    for n, (method, path, _access) in enumerate(STAFF_ROUTES):
        url, headers, body = request_for(method, path, world, 200 + n)
        reply = api.request(method, url, headers={**headers, **bearer(LEGACY_OPERATOR_TOKEN)}, body=body)
        assert_refused(reply, 403, "unscoped_role", f"legacy operator on {method} {url}")
        assert "operator:<programme_id>" in reply.json["message"]


def test_operator_and_admin_tokens_without_an_expiry_are_refused_when_the_map_is_read(
    vapi: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    endless = {**token_map(), digest("no-expiry"): {"role": "admin:laiwu"}, digest("bare"): "operator:laiwu"}
    with pytest.raises(errors.TokenMapInvalid) as found:
        auth.parse_token_map(endless)
    assert digest("no-expiry")[:8] in found.value.en and digest("bare")[:8] in found.value.en
    monkeypatch.setenv("QINGYI_OPERATOR_TOKENS", json.dumps(endless))
    reply = vapi.get("/admin/cottages/overdue-visits", headers=bearer(ADMIN_TOKEN))
    assert reply.status == 503 and reply.json["code"] == "token_map_invalid", reply.text
    # a team token needs no expiry: teams act only on their own cottages and needs
    assert auth.parse_token_map({digest("team"): "team:vt-a"})[digest("team")] == (("team:vt-a",), None)


def test_a_scoped_role_grants_its_level_only_in_its_programme() -> None:
    op = auth.Principal(roles=("operator:laiwu",), token_ref="00000000")
    admin_a = auth.Principal(roles=("admin:laiwu",), token_ref="00000001")
    platform = auth.Principal(roles=("admin",), token_ref="00000002")
    assert op.may_in("operator", "laiwu") and not op.may_in("operator", "linhai") and not op.may("admin")
    assert admin_a.may_in("admin", "laiwu") and admin_a.may_in("operator", "laiwu")
    assert not admin_a.may_in("admin", "linhai") and not admin_a.may_in("operator", None)
    assert platform.may_in("admin", "linhai") and platform.may_in("operator", None)
    assert op.programmes("operator") == frozenset({"laiwu"}) and platform.programmes("operator") is None
