"""No public response and no built page contains a private value.

Known private strings go in through every route that takes one (donor key,
contact, Idempotency-Key and source address on a pledge; payment references;
cancellation and decision reasons; a claim's contact and note; a visit's
what-was-done and what-the-child-asked-for). Then every public GET route in the
app's declared operations is called for every id the catalogue knows, and the whole
site is built, with the store's endpoint and table in the build's environment,
so a page that read the store would find them. None may contain any of them.

One moto server (one request at a time) and one site build for the module.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from app import app as declared

from tests.api import volunteer_support as support
from tests.api.conftest import OPERATOR_TOKEN, base_env
from tests.api.paying import Providers, install_secret, pay_with_wechat
from tests.api.volunteer_support import (
    TEAM_A_TOKEN,
    TEAM_B_TOKEN,
    bearer,
    catalogue_dict,
    log_visit,
    visit_body,
    volunteer_env,
)

ROOT = Path(__file__).resolve().parents[2]

PRIVATE = {
    "donor_key": "LEAKdonorkey-0001",
    "pledge contact": "LEAK-pledge-contact-a1 微信 leak_wx",
    "idempotency key": "LEAK-idem-key-k1",
    "source address": "LEAK-source-l2",
    "payer openid": "LEAK-openid-b2",
    "receipt payer name": "泄露测试开票人-j0",
    "receipt email": "leak-receipt-j1@example.org",
    "cancel reason": "LEAK-cancel-c3",
    "claim contact": "LEAK-claim-contact-d4",
    "claim note": "LEAK-claim-note-e5",
    "approve reason": "LEAK-approve-f6",
    "reject reason": "LEAK-reject-g7",
    "what_was_done": "LEAK-visit-done-h8 陪读",
    "child_asked_for": "泄露测试心愿-i9",
    "operator visit note": "LEAK-op-visit-m3",
}


def find_leaks(text: str) -> list[str]:
    return [name for name, value in {**PRIVATE, **MADE}.items() if value in text]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory, fake_providers: Providers) -> Iterator[dict[str, Any]]:
    """A moto server holding every private string, the app over it, and the env a site build sees."""
    from infra.local_api import start_moto

    with pytest.MonkeyPatch.context() as patch:
        base_env(patch)
        volunteer_env(patch, tmp_path_factory.mktemp("catalogue"))
        moto = start_moto(0)
        try:
            table = support.fresh_table(moto.endpoint)
            patch.setenv("QINGYI_DYNAMODB_ENDPOINT", moto.endpoint)
            patch.setenv("QINGYI_TABLE", table)
            install_secret(patch, fake_providers, moto.endpoint)
            import app as app_module

            from chalicelib import services
            from tests.api.gateway import Api

            services.reset()
            api = Api(app_module.app)
            write_everything(api, fake_providers)
            yield {"api": api, "env": dict(os.environ)}
            services.reset()
        finally:
            moto.stop()


#: Made during the writes (not chosen by the test), checked the same way.
MADE: dict[str, str] = {}


def write_everything(api: Any, fakes: Providers) -> None:
    ops = bearer(OPERATOR_TOKEN)

    def pledge(project: str, key: str, **extra: Any) -> dict[str, Any]:
        body = {"amount_fen": 5000, "donor_key": PRIVATE["donor_key"], "display_name": "公开的名字", **extra}
        reply = api.pledge(project, key, body, source=PRIVATE["source address"])
        assert reply.status == 201, reply.text
        return dict(reply.json)

    paid = pledge("laiwu-cottages", PRIVATE["idempotency key"], contact=PRIVATE["pledge contact"], team_id="team-a")
    assert pay_with_wechat(api, fakes, paid, openid=PRIVATE["payer openid"]).status == 204
    MADE["donor token"] = paid["donor_token"]
    receipt = {"payer_kind": "person", "payer_name": PRIVATE["receipt payer name"], "email": PRIVATE["receipt email"]}
    headers = {"Donor-Token": paid["donor_token"]}
    assert api.post(f"/pledges/{paid['pledge_id']}/receipt", headers=headers, body=receipt).status == 202
    cancelled = pledge("goteo-school", "leak-key-cancel-1", contact=PRIVATE["pledge contact"])["pledge_id"]
    reply = api.post(f"/admin/pledges/{cancelled}/cancel", headers=ops, body={"reason": PRIVATE["cancel reason"]})
    assert reply.status == 200
    paid = paid["pledge_id"]

    claim = {"contact": PRIVATE["claim contact"], "note": PRIVATE["claim note"]}
    assert api.post("/needs/need-open/claims", headers=bearer(TEAM_A_TOKEN), body=claim).status == 201
    assert (
        api.post("/admin/needs/need-open/claim/approve", headers=ops, body={"reason": PRIVATE["approve reason"]}).status
        == 200
    )
    assert api.post("/needs/need-open-2/claims", headers=bearer(TEAM_B_TOKEN), body=claim).status == 201
    assert (
        api.post("/admin/needs/need-open-2/claim/reject", headers=ops, body={"reason": PRIVATE["reject reason"]}).status
        == 200
    )
    assert api.post("/needs/need-open-3/claims", headers=bearer(TEAM_B_TOKEN), body=claim).status == 201

    body = visit_body("2021-08-20", what_was_done=PRIVATE["what_was_done"], child_asked_for=PRIVATE["child_asked_for"])
    assert log_visit(api, "c-a1", "leak-visit-0001", body).status == 201
    body = visit_body(
        "2021-09-01", what_was_done=PRIVATE["operator visit note"], child_asked_for=PRIVATE["child_asked_for"]
    )
    assert log_visit(api, "c-b1", "leak-visit-0002", body, OPERATOR_TOKEN).status == 201

    # The private values really are stored and readable by those entitled to them.
    book = api.get("/cottages/c-a1/visits", headers=bearer(TEAM_A_TOKEN)).text
    assert PRIVATE["child_asked_for"] in book and PRIVATE["what_was_done"] in book
    assert PRIVATE["pledge contact"] in api.get(f"/admin/pledges/{paid}", headers=ops).text
    assert PRIVATE["claim note"] in api.get("/admin/needs/need-open/claims", headers=ops).text
    assert PRIVATE["receipt email"] in api.get("/admin/exports/receipts.csv", headers=ops).text


def public_urls() -> list[str]:
    """Every public GET route, once for every id of the kind it takes."""
    from chalicelib.catalogue import Catalogue

    cat = Catalogue.from_dict(catalogue_dict())
    ids = {
        "project_id": sorted(cat.projects),
        "campaign_id": sorted(cat.campaigns),
        "team_id": sorted(cat.teams),
        "need_id": sorted(cat.needs),
        "cottage_id": sorted(c.cottage_id for c in cat.cottages),
        "programme_id": sorted(cat.programme_ids),
    }
    urls: list[str] = []
    for op in declared.operations:
        if not op.public or op.method != "GET":
            continue
        path = op.path
        params = [name for name in ids if "{" + name + "}" in path]
        assert len(params) == path.count("{") <= 1, f"{path}: extend public_urls"
        if not params:
            urls.append(path)
            continue
        urls += [path.replace("{" + params[0] + "}", value) for value in ids[params[0]]]
    urls += ["/projects/laiwu-cottages/pledges?limit=100", "/openapi.json"]
    return urls


def test_no_public_response_contains_a_private_value(written: dict[str, Any]) -> None:
    api = written["api"]
    urls = public_urls()
    assert len(urls) > 40
    for url in urls:
        reply = api.get(url)
        assert reply.status == 200, f"{url}: {reply.status} {reply.text}"
        text = reply.text + json.dumps(reply.headers, ensure_ascii=False)
        assert find_leaks(text) == [], f"{url} leaks {find_leaks(text)}"
    # ...and the public responses do show what happened (the writes went through).
    wall = api.get("/projects/laiwu-cottages/pledges").json["pledges"]
    assert [p["display_name"] for p in wall] == ["公开的名字"]
    board = {n["need_id"]: n for n in api.get("/needs/status").json["needs"]}
    assert (board["need-open"]["claim_status"], board["need-open-2"]["claimed"]) == ("approved", False)
    assert api.get("/cottages/c-a1/visit-summary").json["visit_count"] == 1


def test_the_claims_export_for_content_holds_no_private_value(written: dict[str, Any]) -> None:
    reply = written["api"].get("/admin/exports/claims.yaml", headers=bearer(OPERATOR_TOKEN))
    assert reply.status == 200 and "need-open" in reply.text
    assert find_leaks(reply.text) == []


def test_refusals_do_not_echo_private_input(written: dict[str, Any]) -> None:
    api = written["api"]
    body = visit_body(what_was_done=PRIVATE["what_was_done"], child_asked_for=PRIVATE["child_asked_for"])
    reply = log_visit(api, "c-a1", "leak-visit-refused", body, TEAM_B_TOKEN)
    assert reply.status == 403 and find_leaks(reply.text) == []
    reply = api.post("/needs/need-open/claims", headers=bearer(TEAM_B_TOKEN), body={"note": PRIVATE["claim note"]})
    assert reply.status == 409 and find_leaks(reply.text) == []


@pytest.fixture(scope="module")
def built_site(written: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One strict MkDocs build of the whole site, with the store's endpoint and table in its environment."""
    out = tmp_path_factory.mktemp("site")
    env = {**written["env"], "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def test_no_built_page_or_file_contains_a_private_value(built_site: Path) -> None:
    files = [p for p in built_site.rglob("*") if p.is_file()]
    assert len(files) > 100 and (built_site / "index.html").is_file()
    needles = {name: value.encode("utf-8") for name, value in PRIVATE.items()}
    for path in files:
        data = path.read_bytes()
        leaked = [name for name, value in needles.items() if value in data]
        assert leaked == [], f"{path.relative_to(built_site)} contains {leaked}"
