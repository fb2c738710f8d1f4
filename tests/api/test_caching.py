"""Giving-day reads: public GETs are cacheable for a few seconds with a strong ETag; nothing private ever is."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from app import app as declared

from chalicelib import caching
from tests.api import volunteer_support as support
from tests.api.conftest import ADMIN_TOKEN, OPERATOR_TOKEN, pledge_body
from tests.api.paying import Providers, checkout, install_secret, wechat_notification
from tests.api.volunteer_support import TEAM_A_TOKEN, bearer, visit_body

moto_account, vapi = support.moto_account, support.vapi

ROOT = Path(__file__).resolve().parents[2]
IDS = {
    "project_id": "laiwu-cottages",
    "campaign_id": "tencent-99",
    "team_id": "team-a",
    "need_id": "need-open",
    "cottage_id": "c-a1",
    "programme_id": "hope-test",
    "provider": "wechat",
}
#: A token of a role that may call each private access level.
TOKENS = {"operator": OPERATOR_TOKEN, "admin": ADMIN_TOKEN, "team": TEAM_A_TOKEN, "team_or_operator": TEAM_A_TOKEN}
CACHEABLE = [op for op in declared.operations if op.cacheable]
PRIVATE = [op for op in declared.operations if not op.public]


def url_of(path: str, ids: dict[str, str]) -> str:
    for name, value in ids.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"no id for {path}: extend IDS"
    return path


def strong_etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def test_every_public_read_the_widgets_poll_is_cacheable() -> None:
    paths = {op.path for op in CACHEABLE}
    widgets = {
        "/projects/{project_id}/progress",
        "/projects/{project_id}/pledges",
        "/campaigns",
        "/campaigns/{campaign_id}",
        "/campaigns/{campaign_id}/teams",
        "/teams/{team_id}",
        "/needs/status",
        "/cottages/{cottage_id}/visit-summary",
        "/programmes/{programme_id}/visit-stats",
    }
    assert widgets <= paths, sorted(widgets - paths)
    assert all(op.public and op.method == "GET" for op in CACHEABLE)
    assert "/health" not in paths  # a liveness probe wants the present


@pytest.mark.parametrize("op", CACHEABLE, ids=[op.path for op in CACHEABLE])
def test_public_reads_carry_the_giving_day_cache_settings_and_a_strong_etag(vapi: Any, op: Any) -> None:
    reply = vapi.get(url_of(op.path, IDS))
    assert reply.status == 200, reply.text
    assert reply.headers["cache-control"] == caching.PUBLIC_CACHE
    assert reply.headers["etag"] == strong_etag_of(reply.body)
    assert "Origin" in reply.headers["vary"]  # CORS headers differ by origin: a shared cache must keep them apart


def test_if_none_match_with_the_current_etag_answers_304_without_a_body(vapi: Any) -> None:
    url = "/projects/laiwu-cottages/progress"
    first = vapi.get(url)
    etag = first.headers["etag"]
    for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = vapi.get(url, headers={"If-None-Match": sent})
        assert again.status == 304 and again.body == b"", sent
        assert again.headers["etag"] == etag and again.headers["cache-control"] == caching.PUBLIC_CACHE
    assert vapi.get(url, headers={"If-None-Match": '"not-this-one"'}).status == 200


def test_the_etag_changes_when_the_figures_change(vapi: Any) -> None:
    url = "/projects/laiwu-cottages/progress"
    before = vapi.get(url).headers["etag"]
    assert vapi.pledge("laiwu-cottages", "etag-moves-0001", pledge_body(amount=700)).status == 201
    after = vapi.get(url, headers={"If-None-Match": before})
    assert after.status == 200 and after.headers["etag"] != before and after.json["pending_fen"] == 700


def test_errors_and_writes_on_public_routes_are_not_cacheable(vapi: Any) -> None:
    for reply in (
        vapi.get("/projects/no-such-project/progress"),
        vapi.get("/projects/laiwu-cottages/pledges?limit=0"),
        vapi.pledge("laiwu-cottages", "no-store-write-01", pledge_body()),
        vapi.get("/health"),
    ):
        assert reply.headers["cache-control"] == caching.PRIVATE_CACHE and "etag" not in reply.headers


def private_requests(
    op: Any, pledge: dict[str, Any], n: int, fakes: Providers
) -> list[tuple[str, dict[str, str], bytes | None]]:
    """(case, headers, body) for a private route: no credentials, then a role that may call it."""
    body: bytes | None = None
    headers = {"If-None-Match": "*", "content-type": "application/json"}
    if op.method == "POST":
        data: dict[str, Any] = {}
        if op.path.endswith("/visits"):
            data = visit_body()
            headers["Idempotency-Key"] = f"no-store-visit-{n:04d}"
        if op.path.endswith("/checkout"):
            data = {"provider": "wechat", "channel": "native"}
        body = json.dumps(data).encode()
    cases = [("no credentials", headers, body)]
    if op.access == "signature":
        signed, raw = fakes.wechat.notification(pledge["pledge_id"])
        cases.append(("signed by WeChat Pay", {**headers, **signed}, raw))
    elif op.access == "donor":
        cases.append(("donor link", {**headers, "Donor-Token": pledge["donor_token"]}, body))
    else:
        cases.append((op.access, {**headers, **bearer(TOKENS[op.access])}, body))
    return cases


def test_no_private_response_is_ever_cacheable(
    vapi: Any, fake_providers: Providers, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_secret(monkeypatch, fake_providers)
    pledge = vapi.pledge("laiwu-cottages", "no-store-pledge-1", pledge_body())
    assert pledge.status == 201
    assert checkout(vapi, pledge.json).status == 200
    wechat_notification(fake_providers, pledge.json["pledge_id"])  # paid at WeChat: each notify below is signed
    ids = {**IDS, "pledge_id": pledge.json["pledge_id"]}
    assert len(PRIVATE) >= 15
    answered_2xx = 0
    for n, op in enumerate(PRIVATE):
        for case, headers, body in private_requests(op, pledge.json, n, fake_providers):
            reply = vapi.request(op.method, url_of(op.path, ids), headers=headers, raw=body)
            where = f"{op.method} {op.path} ({case}): {reply.status}"
            assert reply.status != 304, where
            assert reply.headers.get("cache-control") == caching.PRIVATE_CACHE, where
            assert "etag" not in reply.headers and "public" not in json.dumps(reply.headers), where
            answered_2xx += 200 <= reply.status < 300
    assert answered_2xx >= len(PRIVATE) // 2, "too few private routes answered: the test proves little"


def test_the_cache_settings_are_a_few_seconds_and_documented(vapi: Any) -> None:
    assert 1 <= caching.MAX_AGE <= 15 and 1 <= caching.S_MAXAGE <= 15 and caching.STALE_WHILE_REVALIDATE <= 30
    assert caching.PUBLIC_CACHE in vapi.get("/openapi.json").json["info"]["description"]
    runbook = (ROOT / "infra" / "RUNBOOK.md").read_text(encoding="utf-8")
    section = runbook.split("## Cache settings for a giving day", 1)[1].split("\n## ", 1)[0]
    assert caching.PUBLIC_CACHE in section
