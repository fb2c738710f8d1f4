"""The OpenAPI 3.1 document, built from the operations declared beside each route.

Every route in ``app.py`` is registered with :meth:`web.QingyiChalice.endpoint`,
which records an :class:`Operation` (summary, access, parameters, request
body, success status and schema, error classes); :func:`document` turns that
list into the document served at ``GET /openapi.json``. So the document
cannot list a route the app does not have, nor miss one. This module keeps
what the routes share: the component schemas, the path parameters' meaning,
the access levels, and the error classes every route of a kind can answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from . import errors
from .caching import PUBLIC_CACHE
from .matching import REASONS
from .pledges import MAX_AMOUNT_FEN, MAX_CONTACT, MAX_MESSAGE, MAX_NAME, OPERATOR_FIELDS, STATUSES

E = errors


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
            "paid_fen": {**SIGNED_FEN, "description": "已到账: payments confirmed (the headline)"},
            "raised_fen": {**SIGNED_FEN, "description": "= paid_fen (kept for older pages)"},
            "pending_fen": {**FEN, "description": "认捐中: unpaid pledges not yet closed (not in any total)"},
            "pending_count": {"type": "integer"},
            "matched_fen": {**SIGNED_FEN, "description": "confirmed matches (decided at payment)"},
            "pledge_count": {"type": "integer", "description": "paid pledges"},
            "donor_count": {"type": "integer", "description": "distinct verified payers"},
            "percent": {"type": ["number", "null"], "description": "(paid + matched) / goal × 100, floored to 0.1"},
            "as_of": TIME,
            "campaign": {
                "oneOf": [
                    {"type": "null"},
                    _obj(
                        {
                            "campaign_id": STR,
                            "open_now": {"type": "boolean"},
                            "remaining_fen": {**FEN, "description": "the campaign pool's remainder"},
                            "match_remaining_fen": {
                                **FEN,
                                "description": "match still available to this project: min(its cap left, pool left)",
                            },
                        }
                    ),
                ]
            },
        },
        [
            "project_id",
            "goal_fen",
            "paid_fen",
            "raised_fen",
            "pending_fen",
            "matched_fen",
            "pledge_count",
            "donor_count",
            "as_of",
        ],
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
            "project_id": STR,
            "team_id": NSTR,
            "status": {"enum": list(STATUSES)},
            "amount_fen": FEN,
            "match_fen": {**FEN, "description": "the final match once paid; 0 before"},
            "match_final": {"type": "boolean", "description": "true once the payment arrived"},
            "expected_match_fen": {
                **FEN,
                "description": "预计配捐，以到账时为准: the match under the rules and pool when pledged",
            },
            "expected_note": STR,
            "match_reason": {"enum": [None, *REASONS]},
            "match_note": NSTR,
            "flagged": {"type": "boolean", "description": "velocity check withheld the match"},
            "campaign_id": NSTR,
            "created_at": TIME,
            "expires_at": {"type": ["string", "null"], "format": "date-time"},
            "paid_at": {"type": ["string", "null"], "format": "date-time"},
            "provider": NSTR,
            "needs_refund": {"type": "boolean"},
            "donor_token": {
                "type": "string",
                "pattern": "^[0-9a-f]{32}$",
                "description": "private: the donor's link to this pledge (send it as Donor-Token); never shown publicly",
            },
        },
        [
            "pledge_id",
            "status",
            "amount_fen",
            "match_fen",
            "expected_match_fen",
            "match_reason",
            "expires_at",
            "donor_token",
        ],
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
            "paid_at": {"type": ["string", "null"], "format": "date-time"},
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
            "paid_fen": SIGNED_FEN,
            "raised_fen": {**SIGNED_FEN, "description": "= paid_fen (kept for older pages)"},
            "pending_fen": FEN,
            "matched_fen": SIGNED_FEN,
            "pledge_count": {"type": "integer"},
            "donor_count": {"type": "integer"},
        },
        ["team_id", "paid_fen", "raised_fen", "donor_count"],
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
    "CheckoutRequest": _obj(
        {
            "provider": {"enum": ["wechat", "alipay", "bank"]},
            "channel": {
                "enum": ["native", "h5", "jsapi", "page", "wap", "bank"],
                "description": "wechat: native (QR on a computer), h5 (phone browser), jsapi (inside WeChat); alipay: page, wap; bank: bank",
            },
            "openid": {"type": "string", "maxLength": 128, "description": "jsapi only: the payer's openid from the 公众号 OAuth"},
        },
        ["provider"],
        extra=False,
    ),
    "Checkout": _obj(
        {
            "pledge_id": STR,
            "provider": STR,
            "kind": {"enum": ["qr", "redirect", "jsapi", "bank"], "description": "qr: show url as a QR code; redirect: open url; jsapi: WeixinJSBridge params; bank: show params"},
            "url": NSTR,
            "qr_image": {
                "type": ["string", "null"],
                "description": "kind qr: the code as an SVG data: URI to show on screen (WeChat 扫一扫)",
            },
            "params": {"type": ["object", "null"]},
            "amount_fen": FEN,
            "expires_at": TIME,
        },
        ["pledge_id", "provider", "kind", "amount_fen", "expires_at"],
    ),
    "ReceiptRequest": _obj(
        {
            "payer_kind": {"enum": ["person", "organisation"]},
            "payer_name": {"type": "string", "minLength": 1, "maxLength": 60, "description": "private"},
            "credit_code": {"type": "string", "pattern": "^[0-9A-Z]{18}$", "description": "organisations: 统一社会信用代码 (private)"},
            "email": {"type": "string", "maxLength": 254, "description": "where the electronic receipt goes (private)"},
        },
        ["payer_kind", "payer_name", "email"],
        extra=False,
    ),
    "Reconciled": _obj(
        {k: {"type": "integer"} for k in ("asked", "confirmed", "unpaid", "unavailable", "done")},
        ["asked", "confirmed", "unpaid", "unavailable", "done"],
    ),
    "PaymentIssues": _obj(
        {
            "issues": {
                "type": "array",
                "items": _obj(
                    {
                        "provider": STR,
                        "transaction_id": STR,
                        "pledge_id": STR,
                        "amount_fen": FEN,
                        "paid_at": STR,
                        "outcome": {"enum": ["amount_mismatch", "paid_after_close", "duplicate", "unknown_pledge"]},
                        "recorded_at": STR,
                    }
                ),
            }
        },
        ["issues"],
    ),
    "OperatorPledge": _obj(
        {name: NSTR for name in OPERATOR_FIELDS}
        | {
            "amount_fen": FEN,
            "match_fen": FEN,
            "full_match_fen": {"type": ["integer", "null"]},
            "expected_match_fen": {"type": ["integer", "null"]},
            "paid_amount_fen": {"type": ["integer", "null"]},
            "needs_refund": {"type": ["boolean", "null"]},
            "flagged": {"type": ["boolean", "null"]},
            "anonymous": {"type": ["boolean", "null"]},
        },
        ["pledge_id", "status", "amount_fen"],
    ),
    "PaymentConfirmation": _obj(
        {
            "payment_ref": {"type": ["string", "null"], "maxLength": 200, "description": "the bank's reference"},
            "payer_account": {
                "type": ["string", "null"],
                "maxLength": 200,
                "description": "the paying account, as the bank statement shows it: caps count by it (kept as a digest)",
            },
            "amount_fen": {
                "type": ["integer", "null"],
                "minimum": 1,
                "description": "the amount on the bank statement, in fen (absent: the pledge's amount);"
                " one that differs is recorded for review and refused as amount_mismatch",
            },
        },
        extra=False,
    ),
    "Cancellation": _obj({"reason": {"type": ["string", "null"], "maxLength": 200}}, extra=False),
    "NeedStatus": _obj(
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
    ),
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
    "AuditPage": _obj(
        {
            "programme_id": STR,
            "entries": {
                "type": "array",
                "items": _obj(
                    {
                        "at": TIME,
                        "token_ref": STR,
                        "role": STR,
                        "action": STR,
                        "route": STR,
                        "resource": {"type": "object", "additionalProperties": STR},
                    },
                    ["at", "token_ref", "role", "action", "route", "resource"],
                ),
            },
            "next_cursor": {"type": ["string", "null"]},
        },
        ["programme_id", "entries", "next_cursor"],
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

#: The donor's own pledge through their link: the pledge response's fields (not the token) and the receipt.
SCHEMAS["DonorPledge"] = _obj(
    {k: v for k, v in SCHEMAS["PledgeResponse"]["properties"].items() if k != "donor_token"}
    | {"receipt_requested": {"type": "boolean", "description": "a donation receipt (捐赠票据) was asked for"}},
    ["pledge_id", "status", "amount_fen", "match_fen", "match_final", "expected_match_fen"],
)

#: What each path parameter names, as the document describes it.
PATH_PARAMS = {
    "project_id": "a project id from the catalogue",
    "campaign_id": "a campaign id from the catalogue",
    "team_id": "a team id from the catalogue",
    "pledge_id": "a pledge id returned by POST /projects/{project_id}/pledges",
    "need_id": "a need id from the catalogue (content/needs)",
    "cottage_id": "a cottage id from the catalogue (content/cottages)",
    "programme_id": "a programme id (content/programmes)",
    "provider": "wechat or alipay (bank transfers are confirmed by an operator: POST /admin/payments/bank)",
}

#: Every route can answer these (an unexpected failure, no catalogue, a method it does not take).
COMMON = (E.InternalError, E.CatalogueMissing, E.MethodNotAllowed)
#: Every route with a JSON request body can answer these.
BODY_ERRORS = (E.InvalidJson, E.InvalidBody, E.BodyTooLarge, E.UnsupportedMediaType, E.UnknownField)
#: Every route that takes a bearer token can answer these.
TOKEN_ERRORS = (E.Unauthorized, E.TokenExpired, E.Forbidden, E.UnscopedRole, E.OtherProgramme, E.TokenMapInvalid)


@dataclass(frozen=True)
class Access:
    """Who may call a route: ``token`` routes need ``Authorization: Bearer``; the text names the roles."""

    name: str
    token: bool
    description: str | None = None


ACCESS = {
    access.name: access
    for access in (
        Access("public", token=False),
        # the payment provider: no token, the provider's own signature over the notification instead
        Access("signature", token=False),
        # the donor: no bearer token, the private Donor-Token header their pledge response gave
        Access("donor", token=False),
        Access(
            "operator",
            token=True,
            description="Roles: operator:<programme_id> or admin:<programme_id> of the record's programme, or admin.",
        ),
        Access(
            "admin",
            token=True,
            description="Roles: admin:<programme_id> of the record's programme, or admin (platform-wide).",
        ),
        Access(
            "team",
            token=True,
            description="Role: team:<team_id>, a registered volunteer team (its own token). Operators may not claim.",
        ),
        Access(
            "team_or_operator",
            token=True,
            description=(
                "Roles: team:<team_id> of the volunteer team paired with this cottage, or"
                " operator:/admin:<programme_id> of the cottage's programme, or admin."
            ),
        ),
    )
}


@dataclass(frozen=True)
class Param:
    """A header or query parameter; a missing or malformed value raises ``error``."""

    name: str
    where: str  # "header" or "query"
    schema: dict[str, Any]
    required: bool = False
    description: str | None = None
    error: type[errors.ApiError] = E.InvalidQuery

    def spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "in": self.where, "schema": self.schema}
        if self.required:
            out["required"] = True
        if self.description:
            out["description"] = self.description
        return out


def query(name: str, schema: dict[str, Any]) -> Param:
    return Param(name, "query", schema)


IDEMPOTENCY_KEY = Param(
    "Idempotency-Key",
    "header",
    {"type": "string", "minLength": 8, "maxLength": 128},
    required=True,
    description="a retry with the same key and body replays the first response",
    error=E.IdempotencyKeyRequired,
)
DONOR_TOKEN = Param(
    "Donor-Token",
    "header",
    {"type": "string", "pattern": "^[0-9a-fA-F]{32}$"},
    required=True,
    description="the donor_token the pledge response gave (the donor's private link)",
    error=E.DonorLinkInvalid,
)
CLIENT_TOKEN = Param(
    "Qingyi-Client",
    "header",
    {"type": "string", "pattern": "^[0-9A-Za-z_-]{16,64}$"},
    description="the browser's own random token: the abuse limit counts per (address, client), see chalicelib/limits.py",
    error=E.InvalidField,
)
PAYMENT_REFUSALS = E.PAYMENT_REFUSALS

#: What a text answer holds, by media type: a YAML answer is one mapping (a client parses it).
TEXT_SCHEMAS: dict[str, dict[str, Any]] = {"text/csv": {"type": "string"}, "text/yaml": {"type": "object"}}

#: ``returns`` values that are not a schema in SCHEMAS.
ANY_OBJECT, NO_CONTENT = "object", "empty"


@dataclass(frozen=True)
class Operation:
    """One method on one path, as the document describes it.

    ``returns`` names a schema in :data:`SCHEMAS`, a media type of a text
    answer (``"text/csv"``), :data:`ANY_OBJECT` or :data:`NO_CONTENT`.
    ``raises`` lists the error classes of this route alone: those of its
    access level, body, parameters and :data:`COMMON` are added.
    """

    method: str
    path: str
    summary: str
    access: str
    returns: str
    status: int = 200
    body: str | None = None
    body_required: bool = False
    params: tuple[Param, ...] = ()
    raises: tuple[type[errors.ApiError], ...] = ()
    cached: bool | None = None  # None: every public GET is cached (web.PUBLIC_CACHE), nothing else
    path_params: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        names = tuple(name for name in PATH_PARAMS if "{" + name + "}" in self.path)
        object.__setattr__(self, "path_params", names)
        # a typo in app.py fails at import, not as a wrong document
        problems = []
        if self.access not in ACCESS:
            problems.append(f"unknown access {self.access!r}")
        if self.returns not in SCHEMAS and self.returns not in TEXT_SCHEMAS and self.returns not in (ANY_OBJECT, NO_CONTENT):
            problems.append(f"unknown schema {self.returns!r}")
        if self.body is not None and self.body not in SCHEMAS:
            problems.append(f"unknown body schema {self.body!r}")
        if len(names) != self.path.count("{"):
            problems.append("a path parameter missing from PATH_PARAMS")
        if problems:
            raise ValueError(f"{self.method} {self.path}: {'; '.join(problems)}")

    @property
    def public(self) -> bool:
        return self.access == "public"

    @property
    def cacheable(self) -> bool:
        """Whether browsers and the CDN may keep the answer (a few seconds, with an ETag)."""
        return (self.public and self.method == "GET") if self.cached is None else self.cached

    @property
    def token(self) -> bool:
        return ACCESS[self.access].token

    def error_classes(self) -> list[type[errors.ApiError]]:
        return [
            *(TOKEN_ERRORS if self.token else ()),
            *(BODY_ERRORS if self.body else ()),
            *(p.error for p in self.params if p.required),
            *self.raises,
            *COMMON,
        ]

    @property
    def operation_id(self) -> str:
        return self.method.lower() + self.path.replace("/", "_").replace("{", "").replace("}", "").replace(".", "_")

    def spec(self) -> dict[str, Any]:
        op: dict[str, Any] = {"operationId": self.operation_id, "summary": self.summary, "tags": [self.access]}
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}, "description": PATH_PARAMS[name]}
            for name in self.path_params
        ] + [p.spec() for p in self.params]
        if params:
            op["parameters"] = params
        if self.body:
            op["requestBody"] = {
                "required": self.body_required,
                "content": {"application/json": {"schema": _ref(self.body)}},
            }
        access = ACCESS[self.access]
        if access.token:
            op["security"] = [{"operatorToken": []}]
            op["description"] = access.description
        op["responses"] = {str(self.status): _success(self.returns), **_error_responses(self.error_classes())}
        if self.cacheable:
            op["responses"]["304"] = {"description": "Not modified: If-None-Match named the current ETag"}
        return op


def _success(returns: str) -> dict[str, Any]:
    if returns == NO_CONTENT:
        return {"description": "No content"}
    if returns == ANY_OBJECT:
        return {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}
    if "/" in returns:
        return {"description": "OK", "content": {returns: {"schema": TEXT_SCHEMAS[returns]}}}
    return {"description": "OK", "content": {"application/json": {"schema": _ref(returns)}}}


def _error_responses(classes: list[type[errors.ApiError]]) -> dict[str, Any]:
    by_status: dict[int, list[str]] = {}
    for cls in classes:
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


def document(operations: Sequence[Operation]) -> dict[str, Any]:
    """The whole document for the app's declared operations."""
    paths: dict[str, Any] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = op.spec()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Qingyi 青益 pledge and matching API",
            "version": "1",
            "description": (
                "Amounts are integer fen (分). Errors are {code, message}; the message is Chinese / English. "
                f"Public reads answer `Cache-Control: {PUBLIC_CACHE}` with a strong ETag, and 304 to a "
                "matching If-None-Match; every other answer (private routes, writes, errors) is `no-store`."
            ),
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
