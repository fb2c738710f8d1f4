"""The OpenAPI document is valid 3.1 and describes exactly the routes the app has."""

from __future__ import annotations

from typing import Any

from openapi_spec_validator import validate


def test_document_validates(api: Any) -> None:
    reply = api.get("/openapi.json")
    assert reply.status == 200
    validate(reply.json)
    assert reply.json["openapi"] == "3.1.0"


def test_every_route_is_documented_and_nothing_else(app_module: Any) -> None:
    from chalicelib import openapi

    registered = {(method, path) for path, methods in app_module.app.routes.items() for method in methods}
    documented = {(method.upper(), path) for path, ops in openapi.document()["paths"].items() for method in ops}
    assert registered - documented == set(), f"undocumented routes: {sorted(registered - documented)}"
    assert documented - registered == set(), f"documented but missing: {sorted(documented - registered)}"


def test_every_error_code_a_route_can_raise_is_listed(app_module: Any) -> None:
    from chalicelib import errors, openapi

    listed: set[str] = set()
    for ops in openapi.document()["paths"].values():
        for op in ops.values():
            for status, response in op["responses"].items():
                if int(status) >= 400:
                    listed |= set(
                        response["content"]["application/json"]["schema"]["allOf"][1]["properties"]["code"]["enum"]
                    )
    concrete = {cls.code for cls in errors.all_error_classes() if cls is not errors.ApiError}
    assert concrete - listed == set(), f"error codes no route documents: {sorted(concrete - listed)}"


def test_pledge_body_schema_matches_the_validator(app_module: Any) -> None:
    from chalicelib import openapi, pledges

    schema = openapi.SCHEMAS["PledgeRequest"]
    assert set(schema["properties"]) == set(pledges.FIELDS)
    assert schema["additionalProperties"] is False
