"""The bootstrap stack: the roles the stacks create live under a permissions boundary, and the role
CloudFormation acts with holds only the actions the stacks' resource types need."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

import pytest

from infra.package_api import API_DIR
from tests.infra.conftest import INFRA, load_template

BOOTSTRAP = load_template(INFRA / "bootstrap.yaml")["Resources"]


def _statements(resource: str) -> list[dict[str, Any]]:
    props = BOOTSTRAP[resource]["Properties"]
    if "PolicyDocument" in props:
        return props["PolicyDocument"]["Statement"]
    (policy,) = props["Policies"]
    return policy["PolicyDocument"]["Statement"]


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def _by_sid(resource: str) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in _statements(resource)}


def test_execution_role_grants_no_service_wildcards() -> None:
    for statement in _statements("CloudFormationExecutionRole"):
        if statement["Effect"] == "Allow":
            assert all("*" not in a for a in _actions(statement)), statement["Sid"]


def test_execution_role_creates_roles_only_under_the_boundary() -> None:
    statements = _by_sid("CloudFormationExecutionRole")
    creating = statements["ApiRoleOnlyUnderTheBoundary"]
    assert set(_actions(creating)) == {"iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"}
    assert creating["Condition"] == {"StringEquals": {"iam:PermissionsBoundary": {"Ref": "ApiPermissionsBoundary"}}}
    # No other Allow statement hands out a way to create, widen or attach role policies.
    widening = {"iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:CreatePolicyVersion"}
    for sid, statement in statements.items():
        if statement["Effect"] == "Allow" and sid != "ApiRoleOnlyUnderTheBoundary":
            assert not widening & set(_actions(statement)), sid
    kept = statements["KeepTheBoundary"]
    assert kept["Effect"] == "Deny" and "iam:DeleteRolePermissionsBoundary" in _actions(kept)
    passing = statements["PassTheApiRoleToLambdaOnly"]
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}


def test_production_ledger_cannot_be_deleted_by_a_deploy() -> None:
    statements = _by_sid("CloudFormationExecutionRole")
    deny = statements["NeverTheProductionLedger"]
    assert deny["Effect"] == "Deny" and _actions(deny) == ["dynamodb:DeleteTable"]
    assert deny["Resource"]["Fn::Sub"].endswith("table/qingyi-ledger-prod*")
    allowed_delete = [s for s in statements.values() if s["Effect"] == "Allow" and "dynamodb:DeleteTable" in _actions(s)]
    assert [s["Resource"]["Fn::Sub"].rsplit("/", 1)[1] for s in allowed_delete] == ["qingyi-ledger-dev"]


def test_deploy_role_only_drives_cloudformation_and_publishes() -> None:
    for statement in _statements("DeployRole"):
        for action in _actions(statement):
            service = action.split(":", 1)[0]
            assert service in {"cloudformation", "iam", "s3", "cloudfront", "ssm"}, action
            assert "*" not in action, action
            if service == "iam":
                assert action == "iam:PassRole"
                assert statement["Resource"] == {"Fn::GetAtt": ["CloudFormationExecutionRole", "Arn"]}


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_api_policy_fits_inside_the_boundary(stage: str) -> None:
    """What the hand-written function policy grants, the boundary allows too (else it would silently not work)."""
    boundary = [s for s in _statements("ApiPermissionsBoundary") if s["Effect"] == "Allow"]
    for name in (f"policy-{stage}.json", f"policy-expire-{stage}.json"):  # the API's and the expiry job's
        written = json.loads((API_DIR / ".chalice" / name).read_text(encoding="utf-8"))
        for statement in written["Statement"]:
            for action in _actions(statement):
                assert any(any(fnmatch.fnmatch(action, a) for a in _actions(b)) for b in boundary), (
                    f"{name} grants {action}, which the boundary qingyi-api-boundary does not allow"
                )


def test_boundary_is_what_the_api_role_carries() -> None:
    name = BOOTSTRAP["ApiPermissionsBoundary"]["Properties"]["ManagedPolicyName"]
    merge = load_template(Path(INFRA / "api-merge.yaml"))
    for role in ("ApiHandlerRole", "ExpirePledgesRole"):
        boundary = merge["Resources"][role]["Properties"]["PermissionsBoundary"]["Fn::Sub"]
        assert boundary.endswith(f":policy/{name}")
