"""The OpenAPI document is valid 3.1 and is made from the operations declared beside each route."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import validate

from chalicelib import errors, openapi, pledges


def test_document_validates(api: Any) -> None:
    reply = api.get("/openapi.json")
    assert reply.status == 200
    validate(reply.json)
    assert reply.json["openapi"] == "3.1.0"


def test_the_served_document_is_the_one_made_from_the_declared_operations(api: Any, app_module: Any) -> None:
    assert api.get("/openapi.json").json == openapi.document(app_module.app.operations)


def test_every_route_is_documented_and_nothing_else(app_module: Any) -> None:
    registered = {(method, path) for path, methods in app_module.app.routes.items() for method in methods}
    documented = {
        (method.upper(), path) for path, ops in openapi.document(app_module.app.operations)["paths"].items() for method in ops
    }
    assert registered - documented == set(), f"undocumented routes: {sorted(registered - documented)}"
    assert documented - registered == set(), f"documented but missing: {sorted(documented - registered)}"


def test_every_error_code_a_route_can_raise_is_listed(app_module: Any) -> None:
    listed: set[str] = set()
    for ops in openapi.document(app_module.app.operations)["paths"].values():
        for op in ops.values():
            for status, response in op["responses"].items():
                if int(status) >= 400:
                    listed |= set(
                        response["content"]["application/json"]["schema"]["allOf"][1]["properties"]["code"]["enum"]
                    )
    concrete = {cls.code for cls in errors.all_error_classes() if cls is not errors.ApiError}
    assert concrete - listed == set(), f"error codes no route documents: {sorted(concrete - listed)}"


def test_pledge_body_schema_matches_the_validator() -> None:
    schema = openapi.SCHEMAS["PledgeRequest"]
    assert set(schema["properties"]) == set(pledges.FIELDS)
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize(
    "changes, problem",
    [
        ({"access": "operatr"}, "unknown access"),
        ({"returns": "Progres"}, "unknown schema"),
        ({"body": "PledgeReqest"}, "unknown body schema"),
        ({"path": "/projects/{projectid}"}, "path parameter"),
    ],
)
def test_a_typo_in_a_route_declaration_fails_at_import(changes: dict[str, Any], problem: str) -> None:
    declared = {"method": "GET", "path": "/projects/{project_id}", "summary": "s", "access": "public", "returns": "Project"}
    with pytest.raises(ValueError, match=problem):
        openapi.Operation(**(declared | changes))


def test_every_token_route_lists_the_token_errors_and_declares_security(app_module: Any) -> None:
    doc = openapi.document(app_module.app.operations)
    for op in app_module.app.operations:
        spec = doc["paths"][op.path][op.method.lower()]
        if op.token:
            assert spec["security"] == [{"operatorToken": []}], op.path
            assert "unauthorized" in spec["responses"]["401"]["description"], op.path
            assert "forbidden" in spec["responses"]["403"]["description"], op.path
        else:
            assert "security" not in spec, op.path
