"""infra/data.yaml, deployed into moto's CloudFormation, is the table the API code uses.

The table is created by CloudFormation from the template (never by hand), then
the real Chalice app takes a pledge against it through chalice.test.Client; every
DynamoDB call that makes is checked against the hand-written IAM policy, so the
template, the code and the policy cannot drift apart.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.package_api import API_DIR
from infra.tables import deploy_data_stack, table_definitions
from tests.infra.conftest import INFRA, ROOT, load_template

STORE = API_DIR / "chalicelib" / "store.py"
TEMPLATE = load_template(INFRA / "data.yaml")
TABLE = TEMPLATE["Resources"]["LedgerTable"]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("QINGYI_DYNAMODB_ENDPOINT", raising=False)
    with mock_aws():
        yield


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_deployed_table_has_the_keys_index_and_ttl_of_the_template(aws: None, stage: str) -> None:
    ddb = boto3.client("dynamodb")
    name = deploy_data_stack(boto3.client("cloudformation"), ddb, stage)
    assert name == f"qingyi-ledger-{stage}"
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    (index,) = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "gsi1"
    assert index["KeySchema"] == [
        {"AttributeName": "gsi1pk", "KeyType": "HASH"},
        {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
    ]
    assert index["Projection"] == {"ProjectionType": "ALL"}
    ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "ttl")
    assert table["DeletionProtectionEnabled"] is (stage == "prod")
    # create_tables (the local stack) builds its table from the same definitions.
    (definition,) = table_definitions()
    assert definition["KeySchema"] == table["KeySchema"]


def test_template_protects_the_ledger() -> None:
    # moto's CloudFormation does not apply these, so they are read from the template.
    props = TABLE["Properties"]
    assert TABLE["DeletionPolicy"] == TABLE["UpdateReplacePolicy"] == "Retain"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}
    assert props["DeletionProtectionEnabled"] == {"Fn::If": ["IsProd", True, False]}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}


def test_the_code_uses_the_template_key_names() -> None:
    code = STORE.read_text(encoding="utf-8")
    assert '("gsi1pk", "gsi1sk") if index else ("pk", "sk")' in code
    ledger = "".join(p.read_text(encoding="utf-8") for p in (API_DIR / "chalicelib").glob("*.py"))
    assert '"ttl":' in ledger, "the ledger's expiring records carry the template's TTL attribute"
    indexes = set(re.findall(r'index="(\w+)"', ledger))
    assert indexes == {"gsi1"}, indexes


# ---- the policy --------------------------------------------------------------------


def _policy(stage: str) -> list[dict[str, Any]]:
    return json.loads((API_DIR / ".chalice" / f"policy-{stage}.json").read_text(encoding="utf-8"))["Statement"]


def _resource_kind(resource: Any, stage: str) -> str:
    """'table' or 'index/NAME' for a policy resource written with CloudFormation intrinsics."""
    arn = {"Fn::ImportValue": f"qingyi-{stage}-ledger-table-arn"}
    if resource == arn:
        return "table"
    branch = resource.get("Fn::If") if isinstance(resource, dict) else None
    if branch and branch[0] == "HasTableOverride" and branch[2] == {"Ref": "AWS::NoValue"}:
        restored = branch[1]["Fn::Sub"]
        prefix = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${LedgerTableOverride}"
        if restored == prefix:
            return "restored:table"
        if restored.startswith(prefix + "/index/"):
            return "restored:" + restored.removeprefix(prefix + "/")
    sub = resource.get("Fn::Sub") if isinstance(resource, dict) else None
    if isinstance(sub, list) and sub[1] == {"TableArn": arn} and sub[0].startswith("${TableArn}/index/"):
        return sub[0].removeprefix("${TableArn}/")
    return f"other:{json.dumps(resource)}"


def _allowed(stage: str) -> set[tuple[str, str]]:
    out = set()
    for statement in _policy(stage):
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for action in statement["Action"]:
            if action.startswith("dynamodb:"):
                out |= {(action, _resource_kind(r, stage)) for r in resources}
    return out


_TRANSACT_KINDS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "ConditionCheck": "ConditionCheckItem",
    "Delete": "DeleteItem",
}


def _needed(operation: str, params: dict[str, Any]) -> set[tuple[str, str]]:
    """The IAM (action, resource kind) pairs one DynamoDB call needs."""
    if operation == "TransactWriteItems":
        return {(f"dynamodb:{_TRANSACT_KINDS[next(iter(item))]}", "table") for item in params["TransactItems"]}
    if operation == "TransactGetItems":
        return {("dynamodb:GetItem", "table")}
    index = params.get("IndexName")
    return {(f"dynamodb:{operation}", f"index/{index}" if index else "table")}


def _tables(params: dict[str, Any]) -> set[str]:
    """Every table one DynamoDB call names."""
    names = {params["TableName"]} if "TableName" in params else set()
    names |= set(params.get("RequestItems", {}))
    for item in params.get("TransactItems", []):
        names |= {body["TableName"] for body in item.values()}
    return names


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_policy_allows_no_more_than_the_store_can_call(stage: str) -> None:
    code = STORE.read_text(encoding="utf-8")
    called = set(re.findall(r'_call\("(\w+)"', code))
    kinds = set(re.findall(r'return "(\w+)", names\.apply', code))
    camel = {name: "".join(part.title() for part in name.split("_")) for name in called}
    possible = {f"dynamodb:{c}" for n, c in camel.items() if n != "transact_write_items"}
    if "transact_write_items" in called:
        possible |= {f"dynamodb:{_TRANSACT_KINDS[k]}" for k in kinds}
    granted = {action for action, _ in _allowed(stage)}
    assert granted == possible, (
        f"granted but never called: {granted - possible}; called but not granted: {possible - granted}"
    )
    # Only the store talks to AWS: any other call would need its own line in the policy.
    # The provider secret has one (PaymentProviderSecret): secrets.py may read it; the token map
    # has its own (TokenMap): settings.py reads it.
    actions = {a for statement in _policy(stage) for a in statement["Action"]}
    assert {"secretsmanager:GetSecretValue", "ssm:GetParameter"} <= actions
    readers = {STORE, API_DIR / "chalicelib" / "secrets.py", API_DIR / "chalicelib" / "settings.py"}
    for path in [API_DIR / "app.py", *(API_DIR / "chalicelib").glob("*.py")]:
        if path not in readers:
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"^\s*(import|from) boto(3|core)\b", text, flags=re.MULTILINE), (
                f"{path.name} calls AWS itself"
            )
            assert "_call(" not in text, f"{path.name} calls DynamoDB itself"


@pytest.fixture(scope="module")
def catalogue_from_content(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The catalogue `make catalogue` compiles from content/, as the deploy ships it."""
    out = tmp_path_factory.mktemp("catalogue") / "catalogue.json"
    env = dict(os.environ)
    done = subprocess.run(
        [sys.executable, "-m", "site_src", "catalogue", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return out


def test_a_pledge_through_the_app_uses_the_deployed_table_within_the_policy(
    aws: None, monkeypatch: pytest.MonkeyPatch, catalogue_from_content: Path
) -> None:
    from chalice.test import Client

    projects = json.loads(catalogue_from_content.read_text(encoding="utf-8"))["projects"]
    open_projects = sorted(pid for pid, p in projects.items() if p.get("accepting_pledges"))
    assert open_projects, "content/ has no project accepting pledges: nothing to pledge to"
    project_id = open_projects[0]

    table = deploy_data_stack(boto3.client("cloudformation"), boto3.client("dynamodb"), "dev")
    monkeypatch.setenv("QINGYI_TABLE", table)
    monkeypatch.setenv("QINGYI_CATALOGUE", str(catalogue_from_content))
    monkeypatch.delenv("QINGYI_NOW", raising=False)
    monkeypatch.setenv("QINGYI_CACHE_SECONDS", "0")
    monkeypatch.setenv("QINGYI_SITE_ORIGINS", "https://site.qingyi.test")
    monkeypatch.setenv("QINGYI_OPERATOR_TOKENS", "{}")

    calls: list[tuple[str, dict[str, Any]]] = []

    def recording_client() -> Any:
        client = boto3.client("dynamodb")
        client.meta.events.register(
            "before-parameter-build.dynamodb",
            lambda model, params, **_: calls.append((model.name, json.loads(json.dumps(params, default=str)))),
        )
        return client

    from chalicelib import services, store

    monkeypatch.setattr(store, "make_client", recording_client)
    services.reset()
    import app as app_module

    try:
        with Client(app_module.app) as client:
            headers = {"Content-Type": "application/json", "Idempotency-Key": "infra-check-0001"}
            body = {"amount_fen": 1000, "donor_key": "infra-check-donor", "display_name": "部署检查"}
            made = client.http.post(f"/projects/{project_id}/pledges", headers=headers, body=json.dumps(body))
            assert made.status_code == 201, made.body
            progress = client.http.get(f"/projects/{project_id}/progress")
            assert progress.status_code == 200, progress.body
            assert progress.json_body["pending_fen"] == 1000 and progress.json_body["paid_fen"] == 0
            wall = client.http.get(f"/projects/{project_id}/pledges")
            assert wall.status_code == 200, wall.body
    finally:
        services.reset()

    assert {op for op, _ in calls} >= {"TransactWriteItems"}, calls
    assert set().union(*(_tables(params) for _, params in calls)) == {table}
    needed = set().union(*(_needed(op, params) for op, params in calls))
    assert needed <= _allowed("dev"), f"the policy does not allow {needed - _allowed('dev')}"

    # The pledge is in the table CloudFormation made, under the template's keys.
    ddb = boto3.client("dynamodb")
    items = ddb.scan(TableName=table)["Items"]
    assert items and all({"pk", "sk"} <= set(item) for item in items)
    assert any("gsi1pk" in item and "gsi1sk" in item for item in items), "the donor wall is read through gsi1"


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_a_restored_table_gets_the_same_access(stage: str) -> None:
    # After a point-in-time restore the API may point at the restored table (LedgerTableOverride).
    allowed = _allowed(stage)
    ordinary = {(a, k) for a, k in allowed if not k.startswith("restored:")}
    assert {(a, "restored:" + k) for a, k in ordinary} == allowed - ordinary
    assert not any(k.startswith("other:") for _, k in allowed), allowed


def test_recorded_calls_map_to_iam_actions() -> None:
    # The mapping above, on the shapes DynamoDB's API uses.
    assert _needed("TransactWriteItems", {"TransactItems": [{"Put": {}}, {"ConditionCheck": {}}]}) == {
        ("dynamodb:PutItem", "table"),
        ("dynamodb:ConditionCheckItem", "table"),
    }
    assert _needed("Query", {"IndexName": "gsi1"}) == {("dynamodb:Query", "index/gsi1")}
    assert ("dynamodb:Query", "index/gsi1") in _allowed("prod")
    assert ("dynamodb:Scan", "table") not in _allowed("prod")
