"""Fixtures for claims and visit books: the worked catalogue plus needs, cottages and
volunteer teams, and team tokens (current, expired, unregistered) beside the operators'.

A test module binds the fixtures it uses: ``vapi = support.vapi`` and
``moto_account = support.moto_account`` (pytest finds fixtures by module attribute).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.local_api import speed_up_moto_transactions
from infra.tables import create_tables
from tests.api.conftest import (
    STAFF_EXPIRES,
    WORKED,
    WORKED_PROGRAMMES,
    base_env,
    digest,
    staff_tokens,
)

TEAM_A = "vt-a"
TEAM_B = "vt-b"
RACERS = [f"vt-race-{n}" for n in range(8)]
TEAM_A_TOKEN = "team-a-token-for-tests-only"
TEAM_B_TOKEN = "team-b-token-for-tests-only"
UNREGISTERED_TOKEN = "team-unregistered-token-for-tests"
EXPIRED_TEAM_TOKEN = "team-a-expired-token-for-tests"
EXPIRED_OPERATOR_TOKEN = "operator-expired-token-for-tests"
LATER_OPERATOR_TOKEN = "operator-expiring-later-for-tests"
OUTSIDE_OPERATOR_TOKEN = "operator-of-another-programme-for-tests"
OUTSIDE_ADMIN_TOKEN = "admin-of-another-programme-for-tests"
LEGACY_OPERATOR_TOKEN = "operator-unscoped-legacy-for-tests"
OUTSIDE_PROGRAMME = "shunde"  # in the worked catalogue, but holds no need, cottage or laiwu pledge
PROGRAMME = "hope-test"
#: The programmes of the needs ("linhai-test") and cottages (PROGRAMME) below.
VOLUNTEER_PROGRAMMES = ("linhai-test", PROGRAMME)


def racer_token(team_id: str) -> str:
    return f"{team_id}-token-for-tests-only"


def need(
    need_id: str,
    stage: str = "published",
    opens: str | None = "2021-09-01",
    closes: str | None = "2021-09-30",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "need_id": need_id,
        "programme_id": "linhai-test",
        "title": f"需求 {need_id}",
        "stage": stage,
        "claim_opens": opens,
        "claim_closes": closes,
        **extra,
    }


NEEDS = {
    n["need_id"]: n
    for n in [
        need("need-open"),
        need("need-open-2"),
        need("need-open-3"),
        need("need-early", opens="2021-09-08"),  # the clock stands at 2021-09-07 (Beijing)
        need("need-late", closes="2021-09-06"),
        need("need-edge", opens="2021-09-07", closes="2021-09-07"),
        need("need-unbounded", opens=None, closes=None),
        need("need-draft", stage="need", opens=None, closes=None),
        need("need-done", stage="undertaken", claimed_by=TEAM_B),
        *[need(f"need-race-{n}") for n in range(6)],
    ]
}

COTTAGES = {
    cid: {"cottage_id": cid, "programme_id": PROGRAMME, "team_id": team, "stage": "in_service" if team else "building"}
    for cid, team in [("c-a1", TEAM_A), ("c-a2", TEAM_A), ("c-b1", TEAM_B), ("c-unpaired", None)]
}

VOLUNTEER_TEAMS = {t: {"team_id": t, "name": f"测试志愿服务队 {t}"} for t in [TEAM_A, TEAM_B, *RACERS]}


def catalogue_dict() -> dict[str, Any]:
    data = json.loads(WORKED.read_text(encoding="utf-8"))
    data["needs"] = NEEDS
    data["cottages"] = COTTAGES
    data["volunteer_teams"] = VOLUNTEER_TEAMS
    return data


def token_map() -> dict[str, Any]:
    scoped = [f"operator:{p}" for p in (*WORKED_PROGRAMMES, *VOLUNTEER_PROGRAMMES)]
    tokens: dict[str, Any] = {
        **staff_tokens(*VOLUNTEER_PROGRAMMES),
        # An operator of a programme that holds none of the records the tests touch.
        digest(OUTSIDE_OPERATOR_TOKEN): {"role": f"operator:{OUTSIDE_PROGRAMME}", "expires": STAFF_EXPIRES},
        digest(OUTSIDE_ADMIN_TOKEN): {"role": f"admin:{OUTSIDE_PROGRAMME}", "expires": STAFF_EXPIRES},
        digest(LEGACY_OPERATOR_TOKEN): {"role": "operator", "expires": STAFF_EXPIRES},
        digest(TEAM_A_TOKEN): f"team:{TEAM_A}",
        digest(TEAM_B_TOKEN): {"role": f"team:{TEAM_B}"},
        digest(UNREGISTERED_TOKEN): "team:vt-not-in-catalogue",
        digest(EXPIRED_TEAM_TOKEN): {"role": f"team:{TEAM_A}", "expires": "2021-09-01T00:00:00+08:00"},
        digest(EXPIRED_OPERATOR_TOKEN): {"roles": scoped, "expires": "2021-09-07T09:59:59+08:00"},
        digest(LATER_OPERATOR_TOKEN): {"roles": scoped, "expires": "2021-09-08T00:00:00+08:00"},
    }
    for team in RACERS:
        tokens[digest(racer_token(team))] = f"team:{team}"
    return tokens


def volunteer_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = tmp_path / "catalogue-volunteers.json"
    path.write_text(json.dumps(catalogue_dict(), ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("QINGYI_CATALOGUE", str(path))
    monkeypatch.setenv("QINGYI_OPERATOR_TOKENS", json.dumps(token_map()))
    return path


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def moto_account() -> Iterator[Any]:
    """One in-process moto account per module and one DynamoDB client for it (clients cost ~0.15 s each);
    each test gets its own table in it (fast: no CloudFormation)."""
    with pytest.MonkeyPatch.context() as patch:
        base_env(patch)
        speed_up_moto_transactions()
        with mock_aws():
            yield boto3.client("dynamodb")


@pytest.fixture
def vapi(moto_account: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """The app with the volunteer catalogue and tokens, over a fresh table made from infra/data.yaml."""
    import app as app_module

    from chalicelib import catalogue, clock, services
    from chalicelib.ledger import Ledger
    from chalicelib.store import DynamoStore
    from tests.api.gateway import Api

    base_env(monkeypatch)
    volunteer_env(monkeypatch, tmp_path)
    table = fresh_table(client=moto_account)
    monkeypatch.setenv("QINGYI_TABLE", table)
    # As services.ledger() builds it from the environment, but over the module's client.
    store = DynamoStore(table, client=moto_account)
    services.use(Ledger(store, catalogue.load, now=clock.now, cache_seconds=services.cache_seconds()))
    yield Api(app_module.app)
    services.reset()


def fresh_table(endpoint: str | None = None, client: Any = None) -> str:
    """A new, uniquely named table from infra/data.yaml's definition (on a moto server if endpoint is given)."""
    table = f"qingyi-test-{uuid.uuid4().hex[:12]}"
    create_tables(client or boto3.client("dynamodb", endpoint_url=endpoint), table)
    return table


def scan(table: str, client: Any = None) -> list[dict[str, Any]]:
    """Every item of a table, consistently read, on this module's shared client."""
    from tests.api.invariants import scan as scan_table

    return scan_table(table, client or _shared_client())


def _shared_client() -> Any:
    from chalicelib import services

    return getattr(services.ledger().store, "_client", None)


def scan_table() -> list[dict[str, Any]]:
    """Every item of the current test's table."""
    import os

    return scan(os.environ["QINGYI_TABLE"])


def visit_body(day: str = "2021-09-01", minutes: int = 60, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"date": day, "duration_minutes": minutes, "what_was_done": "陪孩子读书，检查小屋设施"}
    body.update(extra)
    return body


def log_visit(api: Any, cottage_id: str, key: str, body: dict[str, Any], token: str = TEAM_A_TOKEN) -> Any:
    return api.post(f"/cottages/{cottage_id}/visits", headers={**bearer(token), "Idempotency-Key": key}, body=body)
