"""Fixtures: the worked-example catalogue, a table deployed through infra's
CloudFormation template on in-process moto, and the app called like API Gateway.

``ledger_api`` runs the same test twice: over the in-memory store (fast: the
ledger's own logic) and over moto (the same operations rendered into DynamoDB's
expressions and transactions)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.local_api import speed_up_moto_transactions
from infra.tables import deploy_data_stack

HERE = Path(__file__).parent
WORKED = HERE / "catalogues" / "worked.json"
OPERATOR_TOKEN = "operator-token-for-tests-only"
ADMIN_TOKEN = "admin-token-for-tests-only"
#: Operator and admin tokens must expire; the suite's clock stands in 2021.
STAFF_EXPIRES = "2099-01-01T00:00:00+08:00"
#: The worked catalogue's programmes; OPERATOR_TOKEN operates in all of them (one role each).
WORKED_PROGRAMMES = ("laiwu", "linhai", "shunde")


def staff_tokens(*extra_programmes: str) -> dict[str, object]:
    """The operator (scoped to each worked programme and ``extra_programmes``) and the platform admin."""
    roles = [f"operator:{p}" for p in (*WORKED_PROGRAMMES, *extra_programmes)]
    return {
        digest(OPERATOR_TOKEN): {"roles": roles, "expires": STAFF_EXPIRES},
        digest(ADMIN_TOKEN): {"role": "admin", "expires": STAFF_EXPIRES},
    }


INSIDE = "2021-09-07T10:00:00+08:00"  # inside every worked campaign's window (the evening one is closed)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def base_env(monkeypatch: pytest.MonkeyPatch, table: str | None = None) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("QINGYI_CATALOGUE", str(WORKED))
    monkeypatch.setenv("QINGYI_NOW", INSIDE)
    monkeypatch.setenv("QINGYI_CACHE_SECONDS", "0")
    # The ledger's tests pledge hundreds of times from one address; tests/api/test_limits.py
    # sets the abuse limits it is about.
    monkeypatch.setenv("QINGYI_RATE_PER_CLIENT", "1000000")
    monkeypatch.setenv("QINGYI_RATE_NEW_CLIENTS", "1000000")
    monkeypatch.delenv("QINGYI_TRUSTED_PROXIES", raising=False)
    monkeypatch.setenv("QINGYI_SITE_ORIGINS", "https://qingyi.example.org,http://127.0.0.1:8000")
    monkeypatch.setenv("QINGYI_OPERATOR_TOKENS", json.dumps(staff_tokens()))
    monkeypatch.delenv("QINGYI_OPERATOR_TOKENS_PARAMETER", raising=False)
    monkeypatch.delenv("QINGYI_DYNAMODB_ENDPOINT", raising=False)
    if table:
        monkeypatch.setenv("QINGYI_TABLE", table)


@pytest.fixture
def moto_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh in-process moto account with the ledger table deployed from infra/data.yaml."""
    base_env(monkeypatch)
    speed_up_moto_transactions()
    with mock_aws():
        table = deploy_data_stack(boto3.client("cloudformation"), boto3.client("dynamodb"), "dev")
        monkeypatch.setenv("QINGYI_TABLE", table)
        yield table


@pytest.fixture
def app_module(moto_table: str) -> Iterator[Any]:
    import app as app_module

    from chalicelib import services

    services.reset()
    yield app_module
    services.reset()


@pytest.fixture
def api(app_module: Any) -> Any:
    from tests.api.gateway import Api

    return Api(app_module.app)


def operator_headers(token: str = OPERATOR_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def pledge_body(amount: int = 1000, donor: str = "donor-0001", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"amount_fen": amount, "donor_key": donor, "display_name": "小明"}
    body.update(extra)
    return body


@dataclass
class LedgerApi:
    """The app over one kind of store, and a full read of that store's items."""

    api: Any
    items: Callable[[], list[dict[str, Any]]]
    kind: str


def memory_ledger() -> Any:
    from chalicelib import catalogue, clock, services
    from chalicelib.ledger import Ledger
    from chalicelib.store import MemoryStore

    ledger = Ledger(MemoryStore(), catalogue.load, now=clock.now, cache_seconds=services.cache_seconds())
    services.use(ledger)
    return ledger


def memory_items(ledger: Any) -> list[dict[str, Any]]:
    return [dict(i) for i in ledger.store.get_many(list(ledger.store.items)).values()]


@pytest.fixture(params=["memory", "moto"])
def ledger_api(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[LedgerApi]:
    from tests.api import invariants
    from tests.api.gateway import Api

    if request.param == "moto":
        app_module = request.getfixturevalue("app_module")
        table = request.getfixturevalue("moto_table")
        yield LedgerApi(Api(app_module.app), lambda: invariants.scan(table), "moto")
        return
    base_env(monkeypatch)
    import app as app_module

    from chalicelib import services

    ledger = memory_ledger()
    yield LedgerApi(Api(app_module.app), lambda: memory_items(ledger), "memory")
    services.reset()


from tests.api.paying import fake_providers  # noqa: E402,F401  (a session fixture: the fake gateways)
