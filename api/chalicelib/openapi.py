"""The OpenAPI 3.1 document: every route, body and error code.

:data:`ROUTES` is the single description of the HTTP surface; a test checks
that it lists exactly the routes ``app.py`` registers, and validates the
document with openapi-spec-validator.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from . import errors
from .matching import REASONS
from .pledges import MAX_AMOUNT_FEN, MAX_CONTACT, MAX_MESSAGE, MAX_NAME

E = errors
COMMON = [E.InternalError, E.CatalogueMissing]
LEDGER = [E.ServiceBusy]
POST_BODY = [E.InvalidJson, E.InvalidBody, E.BodyTooLarge, E.UnsupportedMediaType, E.UnknownField]
OPERATOR = [E.Unauthorized, E.Forbidden]


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(props: dict[str, Any], required: list[str] | None = None, extra: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    if not extra:
        out["additionalProperties"] = False
    return out


FEN = {"type": "integer", "minimum": 0, "description": "integer fen (分)"}
SIGNED_FEN = {"type": "integer", "description": "integer fen (分)"}
STR = {"type": "string"}
NSTR = {"type": ["string", "null"]}
TIME = {"type": "string", "description": "UTC, ISO 8601 with milliseconds"}

SCHEMAS: dict[str, Any] = {
    "Error": _obj(
        {"code": {"type": "string"}, "message": {"type": "string", "description": "Chinese / English"}},
        ["code", "message"],
    ),
    "Health": _obj({"status": STR, "as_of": TIME}, ["status"]),
    "Project": _obj(
        {
            "project_id": STR,
            "name": NSTR,
            "programme_id": NSTR,
            "goal_fen": {"type": ["integer", "null"]},
            "status": NSTR,
            "accepting_pledges": {"type": "boolean"},
            "campaign_ids": {"type": "array", "items": STR},
            "team_ids": {"type": "array", "items": STR},
        },
        ["project_id", "accepting_pledges"],
    ),
    "ProjectList": _obj({"projects": {"type": "array", "items": _ref("Project")}}, ["projects"]),
    "Progress": _obj(
        {
            "project_id": STR,
            "goal_fen": FEN,
            "raised_fen": SIGNED_FEN,
            "paid_fen": SIGNED_FEN,
            "matched_fen": SIGNED_FEN,
            "pledge_count": {"type": "integer"},
            "donor_count": {"type": "integer"},
            "percent": {"type": ["number", "null"], "description": "(raised + matched) / goal × 100, floored to 0.1"},
            "as_of": TIME,
            "campaign": {
                "oneOf": [
                    {"type": "null"},
                    _obj({"campaign_id": STR, "open_now": {"type": "boolean"}, "remaining_fen": FEN}),
                ]
            },
        },
        ["project_id", "goal_fen", "raised_fen", "paid_fen", "matched_fen", "pledge_count", "donor_count", "as_of"],
    ),
    "PledgeRequest": _obj(
        {
            "amount_fen": {"type": "integer", "minimum": 1, "maximum": MAX_AMOUNT_FEN},
            "donor_key": {"type": "string", "minLength": 8, "maxLength": 64, "description": "opaque, never published"},
            "display_name": {"type": ["string", "null"], "maxLength": MAX_NAME, "description": "markup stripped"},
            "anonymous": {"type": "boolean", "description": "shown as 爱心人士"},
            "team_id": NSTR,
            "message": {"type": ["string", "null"], "maxLength": MAX_MESSAGE, "description": "markup stripped"},
            "contact": {"type": ["string", "null"], "maxLength": MAX_CONTACT, "description": "private"},
        },
        ["amount_fen", "donor_key"],
        extra=False,
    ),
    "PledgeResponse": _obj(
        {
            "pledge_id": STR,
            "status": {"enum": ["pledged", "paid", "cancelled"]},
            "amount_fen": FEN,
            "match_fen": FEN,
            "match_reason": {"enum": [None, *REASONS]},
            "match_note": NSTR,
            "flagged": {"type": "boolean", "description": "velocity check withheld the match"},
            "campaign_id": NSTR,
            "created_at": TIME,
        },
        ["pledge_id", "status", "amount_fen", "match_fen", "match_reason"],
    ),
    "PublicPledge": _obj(
        {
            "pledge_id": STR,
            "display_name": STR,
            "amount_fen": FEN,
            "match_fen": FEN,
            "team_id": NSTR,
            "message": NSTR,
            "status": STR,
            "created_at": TIME,
        },
        ["pledge_id", "display_name", "amount_fen", "created_at"],
    ),
    "Wall": _obj(
        {"project_id": STR, "pledges": {"type": "array", "items": _ref("PublicPledge")}, "next_cursor": NSTR},
        ["project_id", "pledges", "next_cursor"],
    ),
    "Campaign": _obj(
        {
            "campaign_id": STR,
            "name": NSTR,
            "programme_id": NSTR,
            "demo": {"type": "boolean"},
            "open_now": {"type": "boolean"},
            "windows": {"type": "array", "items": {"type": "object"}},
            "project_ids": {"type": "array", "items": STR},
        },
        ["campaign_id", "open_now", "windows", "project_ids"],
    ),
    "CampaignList": _obj({"campaigns": {"type": "array", "items": _ref("Campaign")}}, ["campaigns"]),
    "CampaignDetail": {
        "allOf": [
            _ref("Campaign"),
            _obj({"pool_fen": FEN, "committed_fen": FEN, "remaining_fen": FEN, "rules": {"type": "object"}}),
        ],
        "required": ["pool_fen", "committed_fen", "remaining_fen"],
    },
    "Team": _obj(
        {
            "team_id": STR,
            "name": NSTR,
            "project_id": NSTR,
            "campaign_id": NSTR,
            "parent_org": NSTR,
            "captain_alias": NSTR,
            "target_fen": {"type": ["integer", "null"]},
            "raised_fen": SIGNED_FEN,
            "matched_fen": SIGNED_FEN,
            "pledge_count": {"type": "integer"},
            "donor_count": {"type": "integer"},
        },
        ["team_id", "raised_fen", "donor_count"],
    ),
    "Leaderboard": _obj(
        {
            "campaign_id": STR,
            "as_of": TIME,
            "by_amount": {"type": "array", "items": _ref("Team")},
            "by_donors": {"type": "array", "items": _ref("Team")},
        },
        ["campaign_id", "by_amount", "by_donors"],
    ),
    "PaymentNotification": _obj(
        {
            "pledge_id": STR,
            "amount_fen": {"type": "integer", "minimum": 1},
            "nonce": {"type": "string", "minLength": 8, "maxLength": 128},
            "payment_ref": NSTR,
        },
        ["pledge_id", "amount_fen", "nonce"],
        extra=False,
    ),
    "PaymentResult": _obj({"pledge_id": STR, "status": STR}, ["pledge_id", "status"]),
    "OperatorPledge": _obj(
        {
            name: NSTR
            for name in [
                "pledge_id",
                "project_id",
                "campaign_id",
                "team_id",
                "match_reason",
                "status",
                "display_name",
                "message",
                "contact",
                "donor_ref",
                "created_at",
                "paid_at",
                "payment_ref",
                "cancelled_at",
                "cancel_reason",
            ]
        }
        | {
            "amount_fen": FEN,
            "match_fen": FEN,
            "full_match_fen": {"type": ["integer", "null"]},
            "flagged": {"type": ["boolean", "null"]},
            "anonymous": {"type": ["boolean", "null"]},
        },
        ["pledge_id", "status", "amount_fen"],
    ),
    "PaymentConfirmation": _obj({"payment_ref": {"type": ["string", "null"], "maxLength": 200}}, extra=False),
    "Cancellation": _obj({"reason": {"type": ["string", "null"], "maxLength": 200}}, extra=False),
}

PATH_PARAMS = {
    "project_id": "a project id from the catalogue",
    "campaign_id": "a campaign id from the catalogue",
    "team_id": "a team id from the catalogue",
    "pledge_id": "a pledge id returned by POST /projects/{project_id}/pledges",
}

#: (method, path, summary, access, request schema, success status, success schema or media type, errors)
ROUTES: list[tuple[str, str, str, str, str | None, int, str, list[type[errors.ApiError]]]] = [
    ("GET", "/health", "Liveness", "public", None, 200, "Health", []),
    ("GET", "/openapi.json", "This document", "public", None, 200, "object", []),
    ("GET", "/projects", "Projects in the catalogue", "public", None, 200, "ProjectList", []),
    ("GET", "/projects/{project_id}", "One project", "public", None, 200, "Project", [E.UnknownProject]),
    (
        "GET",
        "/projects/{project_id}/progress",
        "Raised, paid and matched so far (sharded totals, cached 1–2 s)",
        "public",
        None,
        200,
        "Progress",
        [E.UnknownProject, *LEDGER],
    ),
    (
        "POST",
        "/projects/{project_id}/pledges",
        "Pledge; the response says the match earned and why it is less than full",
        "public",
        "PledgeRequest",
        201,
        "PledgeResponse",
        [
            *POST_BODY,
            E.IdempotencyKeyRequired,
            E.MissingField,
            E.InvalidAmount,
            E.InvalidDonorKey,
            E.InvalidDisplayName,
            E.InvalidMessage,
            E.InvalidContact,
            E.InvalidField,
            E.UnknownTeam,
            E.UnknownProject,
            E.ProjectClosed,
            E.IdempotencyMismatch,
            *LEDGER,
        ],
    ),
    ("OPTIONS", "/projects/{project_id}/pledges", "CORS preflight", "public", None, 204, "empty", []),
    (
        "GET",
        "/projects/{project_id}/pledges",
        "The donor wall: public fields only, newest first (query: limit 1–100, cursor)",
        "public",
        None,
        200,
        "Wall",
        [E.UnknownProject, E.InvalidQuery, *LEDGER],
    ),
    ("GET", "/campaigns", "Matching campaigns", "public", None, 200, "CampaignList", []),
    (
        "GET",
        "/campaigns/{campaign_id}",
        "A campaign with its pool figures",
        "public",
        None,
        200,
        "CampaignDetail",
        [E.UnknownCampaign, *LEDGER],
    ),
    (
        "GET",
        "/campaigns/{campaign_id}/teams",
        "Team leaderboard by amount and by donors",
        "public",
        None,
        200,
        "Leaderboard",
        [E.UnknownCampaign, *LEDGER],
    ),
    ("GET", "/teams/{team_id}", "One team with its totals", "public", None, 200, "Team", [E.UnknownTeamId, *LEDGER]),
    (
        "POST",
        "/payments/notifications",
        "Signed payment notification (HMAC-SHA256 over timestamp + '.' + body; ±300 s; nonce once)",
        "signature",
        "PaymentNotification",
        200,
        "PaymentResult",
        [
            *POST_BODY,
            E.SignatureInvalid,
            E.MissingField,
            E.InvalidAmount,
            E.InvalidField,
            E.UnknownPledge,
            E.AmountMismatch,
            E.PledgeCancelled,
            E.NotificationReplayed,
            E.NotConfigured,
            *LEDGER,
        ],
    ),
    (
        "GET",
        "/admin/pledges/{pledge_id}",
        "One pledge with its private fields",
        "operator",
        None,
        200,
        "OperatorPledge",
        [*OPERATOR, E.UnknownPledge, *LEDGER],
    ),
    (
        "POST",
        "/admin/pledges/{pledge_id}/paid",
        "Confirm a pledge paid (idempotent)",
        "operator",
        "PaymentConfirmation",
        200,
        "OperatorPledge",
        [*OPERATOR, *POST_BODY, E.InvalidField, E.UnknownPledge, E.PledgeCancelled, *LEDGER],
    ),
    (
        "POST",
        "/admin/pledges/{pledge_id}/cancel",
        "Cancel a pledge: its match returns to the pool and every cap (idempotent)",
        "operator",
        "Cancellation",
        200,
        "OperatorPledge",
        [*OPERATOR, *POST_BODY, E.InvalidField, E.UnknownPledge, *LEDGER],
    ),
    (
        "GET",
        "/admin/exports/pledges.csv",
        "Pledges as CSV (query: project_id or campaign_id, or neither for all)",
        "operator",
        None,
        200,
        "text/csv",
        [*OPERATOR, E.InvalidQuery, E.UnknownProject, E.UnknownCampaign, *LEDGER],
    ),
    (
        "POST",
        "/admin/campaigns/{campaign_id}/settle",
        "Settle a campaign after its last window: frozen per-project summary as YAML for content/settlements/",
        "admin",
        None,
        200,
        "text/yaml",
        [*OPERATOR, E.UnknownCampaign, E.CampaignStillOpen, *LEDGER],
    ),
    (
        "GET",
        "/admin/campaigns/{campaign_id}/settlement",
        "The frozen settlement as YAML",
        "operator",
        None,
        200,
        "text/yaml",
        [*OPERATOR, E.UnknownCampaign, E.NotFound, *LEDGER],
    ),
]

PUBLIC_PATHS = {path for _, path, _, access, *_ in ROUTES if access == "public"}


def is_public(resource_path: str) -> bool:
    return resource_path in PUBLIC_PATHS


def _error_responses(classes: list[type[errors.ApiError]]) -> dict[str, Any]:
    by_status: dict[int, list[str]] = {}
    for cls in classes + COMMON:
        codes = by_status.setdefault(cls.status, [])
        if cls.code not in codes:
            codes.append(cls.code)
    out: dict[str, Any] = {}
    for status, codes in sorted(by_status.items()):
        described = "; ".join(f"`{c}`" for c in codes)
        entry: dict[str, Any] = {
            "description": f"Error codes: {described}",
            "content": {
                "application/json": {"schema": {"allOf": [_ref("Error"), {"properties": {"code": {"enum": codes}}}]}}
            },
        }
        if status == 503:
            entry["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}
        out[str(status)] = entry
    return out


def _operation(
    method: str,
    path: str,
    summary: str,
    access: str,
    request: str | None,
    status: int,
    success: str,
    errs: list[type[errors.ApiError]],
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": (method.lower() + path.replace("/", "_").replace("{", "").replace("}", "").replace(".", "_")),
        "summary": summary,
        "tags": [access],
    }
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}, "description": PATH_PARAMS[name]}
        for name in PATH_PARAMS
        if "{" + name + "}" in path
    ]
    if method == "POST" and path.endswith("/pledges"):
        params.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": True,
                "schema": {"type": "string", "minLength": 8, "maxLength": 128},
                "description": "a retry with the same key and body replays the first response",
            }
        )
    if path == "/payments/notifications":
        params += [
            {"name": "X-Qingyi-Timestamp", "in": "header", "required": True, "schema": {"type": "string"}},
            {"name": "X-Qingyi-Signature", "in": "header", "required": True, "schema": {"type": "string"}},
        ]
    if path == "/projects/{project_id}/pledges" and method == "GET":
        params += [
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
            {"name": "cursor", "in": "query", "schema": {"type": "string"}},
        ]
    if path == "/admin/exports/pledges.csv":
        params += [
            {"name": "project_id", "in": "query", "schema": {"type": "string"}},
            {"name": "campaign_id", "in": "query", "schema": {"type": "string"}},
        ]
    if params:
        op["parameters"] = params
    if request:
        op["requestBody"] = {
            "required": request == "PledgeRequest" or request == "PaymentNotification",
            "content": {"application/json": {"schema": _ref(request)}},
        }
    if access in ("operator", "admin"):
        op["security"] = [{"operatorToken": []}]
        op["description"] = f"Role: {access} (admin may do everything)."
    if success == "empty":
        ok: dict[str, Any] = {"description": "No content"}
    elif success == "object":
        ok = {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}
    elif "/" in success:
        ok = {"description": "OK", "content": {success: {"schema": {"type": "string"}}}}
    else:
        ok = {"description": "OK", "content": {"application/json": {"schema": _ref(success)}}}
    op["responses"] = {str(status): ok, **_error_responses(errs)}
    return op


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for method, path, summary, access, request, status, success, errs in ROUTES:
        paths.setdefault(path, {})[method.lower()] = _operation(
            method, path, summary, access, request, status, success, errs
        )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Qingyi 青益 pledge and matching API",
            "version": "1",
            "description": "Amounts are integer fen (分). Errors are {code, message}; the message is Chinese / English.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "operatorToken": {"type": "http", "scheme": "bearer", "description": "role from QINGYI_OPERATOR_TOKENS"}
            },
        },
    }
