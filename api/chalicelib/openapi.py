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
from .pledges import MAX_AMOUNT_FEN, MAX_CONTACT, MAX_MESSAGE, MAX_NAME, OPERATOR_FIELDS

E = errors
COMMON = [E.InternalError, E.CatalogueMissing, E.MethodNotAllowed]
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
        {name: NSTR for name in OPERATOR_FIELDS}
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

# ---- volunteer teams: claims and home-visit books (issue 6) ------------------------------

PATH_PARAMS.update(
    {
        "need_id": "a need id from the catalogue (content/needs)",
        "cottage_id": "a cottage id from the catalogue (content/cottages)",
        "programme_id": "a programme id (content/programmes)",
    }
)

#: Access levels beyond operator/admin, as the OpenAPI document describes them.
ACCESS_TEXT = {
    "team": "Role: team:<team_id>, a registered volunteer team (its own token). Operators may not claim.",
    "team_or_operator": "Role: team:<team_id> of the volunteer team paired with this cottage, or operator/admin.",
}
REQUIRED_BODIES = {"VisitRequest"}
TEAM = [E.Unauthorized, E.TokenExpired, E.Forbidden]

_NEED_STATUS = _obj(
    {
        "need_id": STR,
        "programme_id": NSTR,
        "title": NSTR,
        "stage": {"enum": ["need", "published", "claimed", "undertaken", "summarised"]},
        "content_stage": NSTR,
        "claimed": {"type": "boolean"},
        "claim_status": {"enum": [None, "pending", "approved"]},
        "claimed_by": {"type": ["string", "null"], "description": "the volunteer team's organisation id"},
        "team_name": {"type": ["string", "null"], "description": "the team's public name; never contact details"},
        "claim_opens": NSTR,
        "claim_closes": NSTR,
        "as_of": TIME,
    },
    ["need_id", "stage", "claimed", "claim_status", "claimed_by", "team_name"],
)
SCHEMAS.update(
    {
        "NeedStatus": _NEED_STATUS,
        "NeedBoard": _obj({"as_of": TIME, "needs": {"type": "array", "items": _ref("NeedStatus")}}, ["needs"]),
        "ClaimRequest": _obj(
            {
                "contact": {"type": ["string", "null"], "maxLength": MAX_CONTACT, "description": "private"},
                "note": {"type": ["string", "null"], "maxLength": MAX_MESSAGE, "description": "private"},
            },
            extra=False,
        ),
        "Claim": _obj(
            {
                name: NSTR
                for name in [
                    "claim_id",
                    "need_id",
                    "programme_id",
                    "team_id",
                    "claimed_at",
                    "contact",
                    "note",
                    "decided_at",
                    "decided_by",
                    "reason",
                ]
            }
            | {"status": {"enum": ["pending", "approved", "rejected"]}},
            ["claim_id", "need_id", "team_id", "status", "claimed_at"],
        ),
        "ClaimHistory": _obj(
            {"need_id": STR, "claims": {"type": "array", "items": _ref("Claim")}}, ["need_id", "claims"]
        ),
        "ClaimDecision": _obj(
            {
                "claim_id": {"type": ["string", "null"], "description": "refuse if the need's claim is another one"},
                "reason": {"type": ["string", "null"], "maxLength": MAX_MESSAGE},
            },
            extra=False,
        ),
        "VisitRequest": _obj(
            {
                "date": {"type": "string", "format": "date", "description": "Beijing date, not in the future"},
                "duration_minutes": {"type": "integer", "minimum": 1, "maximum": 1440},
                "what_was_done": {"type": "string", "minLength": 1, "maxLength": 300, "description": "private"},
                "child_asked_for": {"type": ["string", "null"], "maxLength": 300, "description": "private"},
            },
            ["date", "duration_minutes", "what_was_done"],
            extra=False,
        ),
        "VisitLogged": _obj(
            {
                "visit_id": STR,
                "cottage_id": STR,
                "date": STR,
                "duration_minutes": {"type": "integer"},
                "created_at": TIME,
            },
            ["visit_id", "cottage_id", "date", "duration_minutes", "created_at"],
        ),
        "VisitBook": _obj(
            {
                "cottage_id": STR,
                "team_id": NSTR,
                "visits": {
                    "type": "array",
                    "items": _obj(
                        {
                            "visit_id": STR,
                            "cottage_id": STR,
                            "team_id": NSTR,
                            "date": STR,
                            "duration_minutes": {"type": "integer"},
                            "what_was_done": STR,
                            "child_asked_for": NSTR,
                            "logged_by": STR,
                            "created_at": TIME,
                        }
                    ),
                },
            },
            ["cottage_id", "visits"],
        ),
        "VisitSummary": _obj(
            {
                "cottage_id": STR,
                "visit_count": {"type": "integer", "minimum": 0},
                "last_visit_month": {"type": ["string", "null"], "description": "YYYY-MM"},
                "as_of": TIME,
            },
            ["cottage_id", "visit_count", "last_visit_month"],
        ),
        "VisitStats": _obj(
            {
                "programme_id": STR,
                "cottages": {"type": "integer", "description": "cottages paired with a volunteer team"},
                "visited_at_least_monthly": {"type": "integer"},
                "visited_in_period": {"type": "integer"},
                "monthly_percent": {"type": ["number", "null"], "description": "floored to 0.1"},
                "months": {"type": "array", "items": STR, "description": "the full months considered (YYYY-MM)"},
                "definition": STR,
                "as_of": TIME,
            },
            ["programme_id", "cottages", "visited_at_least_monthly", "monthly_percent", "months"],
        ),
        "OverdueVisits": _obj(
            {
                "as_of": TIME,
                "days": {"type": "integer"},
                "today": STR,
                "cottages": {
                    "type": "array",
                    "items": _obj(
                        {
                            "cottage_id": STR,
                            "programme_id": NSTR,
                            "team_id": NSTR,
                            "team_name": NSTR,
                            "last_visit_date": NSTR,
                            "days_since": {"type": ["integer", "null"]},
                        }
                    ),
                },
            },
            ["days", "cottages"],
        ),
    }
)

ROUTES += [
    (
        "GET",
        "/needs/status",
        "The needs board: every need's live stage and the claiming team's public name",
        "public",
        None,
        200,
        "NeedBoard",
        [*LEDGER],
    ),
    (
        "GET",
        "/needs/{need_id}/claim",
        "One need's live claim status (public fields only)",
        "public",
        None,
        200,
        "NeedStatus",
        [E.UnknownNeed, *LEDGER],
    ),
    (
        "POST",
        "/needs/{need_id}/claims",
        "Claim a published need inside its claim window; 201 new, 200 if this team already holds it",
        "team",
        "ClaimRequest",
        201,
        "Claim",
        [
            *TEAM,
            E.UnregisteredTeam,
            *POST_BODY,
            E.InvalidField,
            E.UnknownNeed,
            E.NeedNotClaimable,
            E.ClaimWindowClosed,
            E.NeedAlreadyClaimed,
            *LEDGER,
        ],
    ),
    (
        "GET",
        "/admin/needs/{need_id}/claims",
        "Every claim on a need, with its private contact and note",
        "operator",
        None,
        200,
        "ClaimHistory",
        [*OPERATOR, E.UnknownNeed, *LEDGER],
    ),
    (
        "POST",
        "/admin/needs/{need_id}/claim/approve",
        "Approve the need's pending claim (idempotent)",
        "operator",
        "ClaimDecision",
        200,
        "Claim",
        [*OPERATOR, *POST_BODY, E.InvalidField, E.UnknownNeed, E.ClaimNotPending, *LEDGER],
    ),
    (
        "POST",
        "/admin/needs/{need_id}/claim/reject",
        "Reject the need's claim: the need is free to claim again",
        "operator",
        "ClaimDecision",
        200,
        "Claim",
        [*OPERATOR, *POST_BODY, E.InvalidField, E.UnknownNeed, E.ClaimNotPending, *LEDGER],
    ),
    (
        "GET",
        "/admin/exports/claims.yaml",
        "Approved claims of needs still published in content/, as YAML for content/needs/ (public fields only)",
        "operator",
        None,
        200,
        "text/yaml",
        [*OPERATOR, *LEDGER],
    ),
    (
        "POST",
        "/cottages/{cottage_id}/visits",
        "Log a home visit in the cottage's book (一户一册一人); a retry with the same Idempotency-Key replays",
        "team_or_operator",
        "VisitRequest",
        201,
        "VisitLogged",
        [
            *TEAM,
            *POST_BODY,
            E.IdempotencyKeyRequired,
            E.MissingField,
            E.InvalidVisitDate,
            E.InvalidDuration,
            E.InvalidVisitText,
            E.UnknownCottage,
            E.IdempotencyMismatch,
            *LEDGER,
        ],
    ),
    (
        "GET",
        "/cottages/{cottage_id}/visits",
        "The cottage's visit book, newest first (private)",
        "team_or_operator",
        None,
        200,
        "VisitBook",
        [*TEAM, E.UnknownCottage, *LEDGER],
    ),
    (
        "GET",
        "/cottages/{cottage_id}/visit-summary",
        "Visits to a cottage: count and month of the last one",
        "public",
        None,
        200,
        "VisitSummary",
        [E.UnknownCottage, *LEDGER],
    ),
    (
        "GET",
        "/programmes/{programme_id}/visit-stats",
        "Share of a programme's paired cottages visited in each of the last 3 full months",
        "public",
        None,
        200,
        "VisitStats",
        [E.UnknownProgramme, *LEDGER],
    ),
    (
        "GET",
        "/admin/cottages/overdue-visits",
        "Paired cottages with no visit in more than `days` days (default 35)",
        "operator",
        None,
        200,
        "OverdueVisits",
        [*OPERATOR, E.InvalidQuery, *LEDGER],
    ),
]

# Every route that takes a token may also answer 401 token_expired.
ROUTES[:] = [
    (*r[:7], [*r[7], E.TokenExpired]) if E.Unauthorized in r[7] and E.TokenExpired not in r[7] else r for r in ROUTES
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
    if access in ACCESS_TEXT:
        op["security"] = [{"operatorToken": []}]
        op["description"] = ACCESS_TEXT[access]
    if request in REQUIRED_BODIES:
        op["requestBody"]["required"] = True
    if method == "POST" and path.endswith("/visits"):
        params.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": True,
                "schema": {"type": "string", "minLength": 8, "maxLength": 128},
                "description": "a retry with the same key and body replays the first response",
            }
        )
        op["parameters"] = params
    if path == "/admin/cottages/overdue-visits":
        params.append({"name": "days", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 366}})
        op["parameters"] = params
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
