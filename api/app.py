"""Qingyi pledge and matching API: routes only.

Each route is declared with what the OpenAPI document says of it (summary,
who may call it, parameters, body, answer and the errors of this route), so
``GET /openapi.json`` is made from this file and cannot drift from it. What a
route does lives in chalicelib, one module per idea. See api/TABLE.md for the
ledger and api/VOLUNTEERS.md for the volunteer routes and their roles.
"""

from chalice import Rate, Response

from chalicelib import (
    audit,
    auth,
    catalogue,
    checkout,
    claims,
    clock,
    donor_link,
    exports,
    idempotency,
    limits,
    notifications,
    openapi,
    pledges,
    pledging,
    public,
    receipts,
    services,
    settlement,
    visits,
)
from chalicelib.errors import (
    AmountMismatch,
    CampaignStillOpen,
    ClaimNotPending,
    ClaimWindowClosed,
    DonorLinkInvalid,
    DuplicatePayment,
    IdempotencyMismatch,
    InvalidAmount,
    InvalidContact,
    InvalidDisplayName,
    InvalidDonorKey,
    InvalidDuration,
    InvalidField,
    InvalidMessage,
    InvalidQuery,
    InvalidReceipt,
    InvalidVisitDate,
    InvalidVisitText,
    MissingField,
    NeedAlreadyClaimed,
    NeedNotClaimable,
    NotConfigured,
    NotFound,
    PaidAfterClose,
    PaymentRefused,
    PledgeNotCancellable,
    PledgeNotPayable,
    ProjectClosed,
    ProviderDown,
    RateLimited,
    ReceiptNotAvailable,
    ServiceBusy,
    UnknownCampaign,
    UnknownCottage,
    UnknownNeed,
    UnknownPledge,
    UnknownProgramme,
    UnknownProject,
    UnknownTeam,
    UnknownTeamId,
    UnregisteredTeam,
)
from chalicelib.openapi import CLIENT_TOKEN, DONOR_TOKEN, IDEMPOTENCY_KEY, PAYMENT_REFUSALS, Param, query
from chalicelib.web import (
    QingyiChalice,
    install,
    json_response,
    optional_json,
    request_json,
    source_address,
    text_response,
)

app = QingyiChalice(app_name="qingyi-api")
install(app)
YAML = "text/yaml; charset=utf-8"


def _request():
    return app.current_request


# ---- public ------------------------------------------------------------------


@app.endpoint("GET", "/health", "Liveness", access="public", returns="Health", cached=False)  # a probe wants now
def health():
    return {"status": "ok", "as_of": clock.iso(clock.now())}


@app.endpoint("GET", "/openapi.json", "This document", access="public", returns=openapi.ANY_OBJECT)
def openapi_document():
    return openapi.document(app.operations)


@app.endpoint("GET", "/projects", "Projects in the catalogue", access="public", returns="ProjectList")
def list_projects():
    return {"projects": [public.project_summary(p) for p in catalogue.load().projects.values()]}


@app.endpoint(
    "GET", "/projects/{project_id}", "One project", access="public", returns="Project", raises=(UnknownProject,)
)
def get_project(project_id):
    return public.project_summary(catalogue.load().project(project_id))


@app.endpoint(
    "GET",
    "/projects/{project_id}/progress",
    "Raised, paid and matched so far (sharded totals, cached 1–2 s)",
    access="public",
    returns="Progress",
    raises=(UnknownProject, ServiceBusy),
)
def project_progress(project_id):
    return public.progress(services.ledger(), catalogue.load(), project_id)


@app.endpoint(
    "POST",
    "/projects/{project_id}/pledges",
    "Pledge; the response gives the expected match (decided when the payment arrives) and the donor's private token",
    access="public",
    body="PledgeRequest",
    body_required=True,
    params=(IDEMPOTENCY_KEY, CLIENT_TOKEN),
    status=201,
    returns="PledgeResponse",
    raises=(
        MissingField,
        InvalidAmount,
        InvalidDonorKey,
        InvalidDisplayName,
        InvalidMessage,
        InvalidContact,
        InvalidField,
        UnknownTeam,
        UnknownProject,
        ProjectClosed,
        IdempotencyMismatch,
        RateLimited,
        ServiceBusy,
    ),
)
def create_pledge(project_id):
    request = _request()
    key = idempotency.require_key(request.headers)
    body = request_json(request)
    pledge = pledges.parse_pledge(body)
    pledging.refuse_unless_open(catalogue.load(), project_id, pledge)  # refused: nothing counted, nothing written
    ledger, source = services.ledger(), source_address(request)
    limits.Limits(ledger.records).admit(source, limits.client_token(request.headers))
    response = ledger.pledge(project_id, pledge, key, idempotency.fingerprint(body), source)
    # the pledge item keeps the token's digest (pledging.py); the token itself only the donor gets
    return json_response({**response, "donor_token": donor_link.token_for(project_id, key)}, 201)


@app.endpoint(
    "OPTIONS",
    "/projects/{project_id}/pledges",
    "CORS preflight",
    access="public",
    status=204,
    returns=openapi.NO_CONTENT,
)
def pledge_preflight(project_id):
    return {}  # the CORS middleware answers preflights (web.install); this declares the method


@app.endpoint(
    "GET",
    "/projects/{project_id}/pledges",
    "The donor wall: public fields only, newest first (query: limit 1–100, cursor)",
    access="public",
    params=(query("limit", {"type": "integer", "minimum": 1, "maximum": 100}), query("cursor", {"type": "string"})),
    returns="Wall",
    raises=(UnknownProject, InvalidQuery, ServiceBusy),
)
def donor_wall(project_id):
    return public.wall(services.ledger(), catalogue.load(), project_id, _request().query_params)


@app.endpoint("GET", "/campaigns", "Matching campaigns", access="public", returns="CampaignList")
def list_campaigns():
    cat, now = catalogue.load(), clock.now()
    return {"campaigns": [public.campaign_summary(cat, cid, now) for cid in cat.campaigns]}


@app.endpoint(
    "GET",
    "/campaigns/{campaign_id}",
    "A campaign with its pool figures",
    access="public",
    returns="CampaignDetail",
    raises=(UnknownCampaign, ServiceBusy),
)
def get_campaign(campaign_id):
    return public.campaign_detail(services.ledger(), catalogue.load(), campaign_id)


@app.endpoint(
    "GET",
    "/campaigns/{campaign_id}/teams",
    "Team leaderboard by amount and by donors",
    access="public",
    returns="Leaderboard",
    raises=(UnknownCampaign, ServiceBusy),
)
def campaign_teams(campaign_id):
    return public.leaderboard(services.ledger(), catalogue.load(), campaign_id)


@app.endpoint(
    "GET",
    "/teams/{team_id}",
    "One team with its totals",
    access="public",
    returns="Team",
    raises=(UnknownTeamId, ServiceBusy),
)
def get_team(team_id):
    return public.team_detail(services.ledger(), catalogue.load(), team_id)


# ---- paying, and the donor's private link --------------------------------------------


def _donor_pledge(pledge_id):
    return donor_link.require(services.ledger().records, pledge_id, _request().headers)


@app.endpoint(
    "GET",
    "/pledges/{pledge_id}/donor",
    "The donor's own pledge through their private link: status, expected or final match, expiry",
    access="donor",
    params=(DONOR_TOKEN,),
    returns="DonorPledge",
    raises=(ServiceBusy,),
    cached=False,
)
def donor_pledge(pledge_id):
    item, ledger = _donor_pledge(pledge_id), services.ledger()
    programme = catalogue.load().project(item["project_id"]).programme_id
    requested = receipts.requested(ledger.records, programme, pledge_id)
    return donor_link.view(item, ledger.now(), receipt_requested=requested)


@app.endpoint(
    "POST",
    "/pledges/{pledge_id}/checkout",
    "Pay a pledge (again, if the payment page was closed): the provider order and what the browser does next",
    access="donor",
    body="CheckoutRequest",
    body_required=True,
    params=(DONOR_TOKEN,),
    returns="Checkout",
    raises=(InvalidField, PledgeNotPayable, *PAYMENT_REFUSALS, ProviderDown, NotConfigured, ServiceBusy),
)
def pledge_checkout(pledge_id):
    request, ledger = _request(), services.ledger()
    item = _donor_pledge(pledge_id)
    provider, channel, openid = checkout.parse(request_json(request))
    now = ledger.now()
    answer = checkout.start(
        item, catalogue.load(), provider, channel, openid=openid, client_ip=source_address(request), now=now
    )
    notifications.note_checkout(ledger.records, item, provider, now)
    return answer


@app.endpoint(
    "POST",
    "/pledges/{pledge_id}/cancel",
    "The donor cancels their unpaid pledge (idempotent); a paid one needs the operator's refund",
    access="donor",
    params=(DONOR_TOKEN,),
    returns="DonorPledge",
    raises=(PledgeNotCancellable, ServiceBusy),
)
def donor_cancel(pledge_id):
    ledger = services.ledger()
    item = _donor_pledge(pledge_id)
    if item["status"] not in ("pledged", "expired", "cancelled"):
        raise PledgeNotCancellable()  # paid (or money awaiting an operator): a refund is the operator's
    if item["status"] != "cancelled":
        item = ledger.cancel(pledge_id, reason="donor")
    return donor_link.view(item, ledger.now(), receipt_requested=False)


@app.endpoint(
    "POST",
    "/pledges/{pledge_id}/receipt",
    "Ask the charity for a donation receipt (捐赠票据) for a paid pledge; the details stay private",
    access="donor",
    body="ReceiptRequest",
    body_required=True,
    params=(DONOR_TOKEN,),
    status=202,
    returns="DonorPledge",
    raises=(MissingField, InvalidReceipt, ReceiptNotAvailable, ServiceBusy),
)
def donor_receipt(pledge_id):
    request, ledger = _request(), services.ledger()
    item = _donor_pledge(pledge_id)
    details = receipts.parse(request_json(request))
    receipts.request(ledger.records, catalogue.load().project(item["project_id"]).programme_id, item, details)
    return json_response(donor_link.view(item, ledger.now(), receipt_requested=True), 202)


def _donor_preflight(path):
    @app.endpoint("OPTIONS", path, "CORS preflight (the Donor-Token header)", access="public", status=204,
                  returns=openapi.NO_CONTENT)
    def preflight(pledge_id):
        return {}  # the CORS middleware answers preflights (web.install); this declares the method

    preflight.__name__ = "preflight_" + path.rsplit("/", 1)[1]
    return preflight


for _path in ("/pledges/{pledge_id}/donor", "/pledges/{pledge_id}/checkout", "/pledges/{pledge_id}/cancel",
              "/pledges/{pledge_id}/receipt"):
    _donor_preflight(_path)


@app.endpoint(
    "POST",
    "/payments/{provider}/notify",
    "A payment provider's notification (WeChat Pay v3 JSON, Alipay form): verified, confirmed, acknowledged",
    access="signature",
    returns=openapi.NO_CONTENT,
    raises=(PaymentRefused, *PAYMENT_REFUSALS, ProviderDown, NotConfigured, ServiceBusy),
)
def payment_notify(provider):
    request = _request()
    status, headers, body = notifications.handle(services.ledger(), provider, request.headers, request.raw_body or b"")
    return Response(body=body, status_code=status, headers={"Cache-Control": "no-store", **headers})


@app.schedule(Rate(5, unit=Rate.MINUTES))
def expire_pledges(event):
    """Mark unpaid pledges past their expiry (tidying only: an unpaid pledge holds nothing)."""
    return {"expired": services.ledger().expire_pledges()}


@app.schedule(Rate(5, unit=Rate.MINUTES))
def reconcile_payments(event):
    """Ask the providers about checkouts left unpaid a few minutes; confirm what they report paid."""
    return notifications.reconcile(services.ledger())


# ---- operators -------------------------------------------------------------------------


@app.endpoint(
    "GET",
    "/admin/pledges/{pledge_id}",
    "One pledge with its private fields",
    access="operator",
    returns="OperatorPledge",
    raises=(UnknownPledge, ServiceBusy),
)
def admin_get_pledge(pledge_id):
    principal = auth.require(_request().headers, "operator")
    item = services.ledger().pledge_item(pledge_id)
    auth.require_in(principal, "operator", _pledge_programme(item))
    return pledges.operator_view(item)


def _pledge_programme(item):
    """The programme a pledge belongs to: its project's, by the catalogue."""
    return catalogue.load().project(item["project_id"]).programme_id


def _require_pledge_scope(principal, pledge_id):
    auth.require_in(principal, "operator", _pledge_programme(services.ledger().pledge_item(pledge_id)))


@app.endpoint(
    "POST",
    "/admin/pledges/{pledge_id}/paid",
    "Confirm a bank transfer (对公转账) for a pledge: the match is decided now, capped per payer_account (idempotent)",
    access="operator",
    body="PaymentConfirmation",
    returns="OperatorPledge",
    raises=(InvalidField, InvalidAmount, UnknownPledge, AmountMismatch, PaidAfterClose, DuplicatePayment, ServiceBusy),
)
def admin_confirm_paid(pledge_id):
    request = _request()
    principal = auth.require(request.headers, "operator")
    payment_ref, payer_account, amount_fen = pledges.parse_bank_confirmation(optional_json(request))
    _require_pledge_scope(principal, pledge_id)
    item = services.ledger().confirm_paid(
        pledge_id, payment_ref=payment_ref, payer_account=payer_account, amount_fen=amount_fen
    )
    return pledges.operator_view(item)


@app.endpoint(
    "POST",
    "/admin/payments/reconcile",
    "Ask the providers now about the caller's programmes' unpaid pledges whose checkout is over 3 minutes old"
    " (the schedule does it for all every 5 minutes)",
    access="admin",
    returns="Reconciled",
    raises=(ServiceBusy,),
)
def admin_reconcile():
    principal = auth.require(_request().headers, "admin")
    scope = principal.programmes("admin")
    return notifications.reconcile(services.ledger(), catalogue=catalogue.load(), programmes=scope)


@app.endpoint(
    "GET",
    "/admin/payments/issues",
    "Money of the caller's programmes that arrived but was not matched (amount differs, pledge closed, paid twice;"
    " unknown orders: platform admin only): to refund or settle",
    access="admin",
    returns="PaymentIssues",
    raises=(ServiceBusy,),
)
def admin_payment_issues():
    principal = auth.require(_request().headers, "admin")
    scope = principal.programmes("admin")
    return {"issues": notifications.issues(services.ledger(), catalogue.load(), scope)}


@app.endpoint(
    "GET",
    "/admin/exports/receipts.csv",
    "Donation receipt requests (捐赠票据) of the caller's programmes, for the charity to issue",
    access="operator",
    returns="text/csv",
    raises=(ServiceBusy,),
)
def admin_export_receipts():
    principal = auth.require(_request().headers, "operator")
    held = principal.programmes("operator")
    scope = sorted(catalogue.load().programme_ids if held is None else held)
    text = receipts.export_csv(services.ledger().records, scope)
    _audit(principal, "receipt_export.read", "GET /admin/exports/receipts.csv", scope)
    return text_response(text, "text/csv; charset=utf-8", "receipts.csv")


@app.endpoint(
    "POST",
    "/admin/pledges/{pledge_id}/cancel",
    "Cancel an unpaid pledge, or refund a paid one: its match returns to the pool and every cap (idempotent)",
    access="operator",
    body="Cancellation",
    returns="OperatorPledge",
    raises=(InvalidField, UnknownPledge, ServiceBusy),
)
def admin_cancel(pledge_id):
    request = _request()
    principal = auth.require(request.headers, "operator")
    reason = pledges.parse_operator_note(optional_json(request), "reason")
    _require_pledge_scope(principal, pledge_id)
    return pledges.operator_view(services.ledger().cancel(pledge_id, reason=reason))


@app.endpoint(
    "GET",
    "/admin/exports/pledges.csv",
    "Pledges as CSV (query: project_id or campaign_id, or neither for all)",
    access="operator",
    params=(query("project_id", {"type": "string"}), query("campaign_id", {"type": "string"})),
    returns="text/csv",
    raises=(InvalidQuery, UnknownProject, UnknownCampaign, ServiceBusy),
)
def admin_export():
    request = _request()
    principal = auth.require(request.headers, "operator")
    scope, params, cat = principal.programmes("operator"), request.query_params or {}, catalogue.load()
    rows = public.export_rows(services.ledger(), cat, params, scope)
    if "project_id" in params:
        scope = {cat.project(params["project_id"]).programme_id}
    elif "campaign_id" in params:
        scope = {cat.campaign(params["campaign_id"]).programme_id}
    _audit(principal, "pledge_export.read", "GET /admin/exports/pledges.csv", scope, **params)
    return text_response(exports.pledges_csv(rows), "text/csv; charset=utf-8", "pledges.csv")


@app.endpoint(
    "POST",
    "/admin/campaigns/{campaign_id}/settle",
    "Settle a campaign after its last window: frozen per-project summary as YAML for content/settlements/",
    access="admin",
    returns="text/yaml",
    raises=(UnknownCampaign, CampaignStillOpen, ServiceBusy),
)
def admin_settle(campaign_id):
    principal = auth.require(_request().headers, "admin")
    auth.require_in(principal, "admin", catalogue.load().campaign(campaign_id).programme_id)
    summary = settlement.settle(services.ledger(), catalogue.load(), campaign_id)
    programme = catalogue.load().campaign(campaign_id).programme_id
    _audit(principal, "settlement.write", "POST /admin/campaigns/{campaign_id}/settle", [programme], campaign_id=campaign_id)
    return text_response(settlement.to_yaml(summary), YAML, f"{campaign_id}.yaml")


@app.endpoint(
    "GET",
    "/admin/campaigns/{campaign_id}/settlement",
    "The frozen settlement as YAML",
    access="operator",
    returns="text/yaml",
    raises=(UnknownCampaign, NotFound, ServiceBusy),
)
def admin_settlement(campaign_id):
    principal = auth.require(_request().headers, "operator")
    programme = catalogue.load().campaign(campaign_id).programme_id
    auth.require_in(principal, "operator", programme)
    summary = settlement.frozen(services.ledger(), campaign_id)
    _audit(principal, "settlement.read", "GET /admin/campaigns/{campaign_id}/settlement", [programme], campaign_id=campaign_id)
    return text_response(settlement.to_yaml(summary), YAML, f"{campaign_id}.yaml")


# ---- volunteer teams: claims and home-visit books ------------------------------------------


@app.endpoint(
    "GET",
    "/needs/status",
    "The needs board: every need's live stage and the claiming team's public name",
    access="public",
    returns="NeedBoard",
    raises=(ServiceBusy,),
)
def needs_board():
    return claims.board(services.ledger(), catalogue.load())


@app.endpoint(
    "GET",
    "/needs/{need_id}/claim",
    "One need's live claim status (public fields only)",
    access="public",
    returns="NeedStatus",
    raises=(UnknownNeed, ServiceBusy),
)
def need_claim_status(need_id):
    return claims.one_status(services.ledger(), catalogue.load(), need_id)


@app.endpoint(
    "POST",
    "/needs/{need_id}/claims",
    "Claim a published need inside its claim window; 201 new, 200 if this team already holds it",
    access="team",
    body="ClaimRequest",
    status=201,
    returns="Claim",
    raises=(
        UnregisteredTeam,
        InvalidField,
        UnknownNeed,
        NeedNotClaimable,
        ClaimWindowClosed,
    DonorLinkInvalid,
    DuplicatePayment,
        NeedAlreadyClaimed,
        ServiceBusy,
    ),
)
def claim_need(need_id):
    request = _request()
    principal, cat = auth.identify(request.headers), catalogue.load()
    claims.claimant(principal, cat)
    body = claims.parse_claim(optional_json(request))
    item, created = claims.claim(services.ledger(), cat, need_id, principal, body)
    return json_response(claims.operator_view(item), 201 if created else 200)


@app.endpoint(
    "GET",
    "/admin/needs/{need_id}/claims",
    "Every claim on a need, with its private contact and note",
    access="operator",
    returns="ClaimHistory",
    raises=(UnknownNeed, ServiceBusy),
)
def admin_need_claims(need_id):
    principal = auth.require(_request().headers, "operator")
    auth.require_in(principal, "operator", catalogue.load().need(need_id).programme_id)
    return claims.history(services.ledger(), catalogue.load(), need_id)


@app.endpoint(
    "POST",
    "/admin/needs/{need_id}/claim/approve",
    "Approve the need's pending claim (idempotent)",
    access="operator",
    body="ClaimDecision",
    returns="Claim",
    raises=(InvalidField, UnknownNeed, ClaimNotPending, ServiceBusy),
)
def admin_approve_claim(need_id):
    return _decide(need_id, "approve")


@app.endpoint(
    "POST",
    "/admin/needs/{need_id}/claim/reject",
    "Reject the need's claim: the need is free to claim again",
    access="operator",
    body="ClaimDecision",
    returns="Claim",
    raises=(InvalidField, UnknownNeed, ClaimNotPending, ServiceBusy),
)
def admin_reject_claim(need_id):
    return _decide(need_id, "reject")


def _decide(need_id, decision):
    request = _request()
    principal = auth.require(request.headers, "operator")
    claim_id, reason = claims.parse_decision(optional_json(request))
    auth.require_in(principal, "operator", catalogue.load().need(need_id).programme_id)
    item = claims.decide(services.ledger(), catalogue.load(), need_id, decision, principal, claim_id, reason)
    return claims.operator_view(item)


@app.endpoint(
    "GET",
    "/admin/exports/claims.yaml",
    "Approved claims of needs still published in content/, as YAML for content/needs/ (public fields only)",
    access="operator",
    returns="text/yaml",
    raises=(ServiceBusy,),
)
def admin_export_claims():
    principal = auth.require(_request().headers, "operator")
    text = claims.export_yaml(services.ledger(), catalogue.load(), principal.programmes("operator"))
    _audit(principal, "claim_export.read", "GET /admin/exports/claims.yaml", principal.programmes("operator"))
    return text_response(text, YAML, "claims.yaml")


@app.endpoint(
    "POST",
    "/cottages/{cottage_id}/visits",
    "Log a home visit in the cottage's book (一户一册一人); a retry with the same Idempotency-Key replays",
    access="team_or_operator",
    body="VisitRequest",
    body_required=True,
    params=(IDEMPOTENCY_KEY,),
    status=201,
    returns="VisitLogged",
    raises=(
        MissingField,
        InvalidVisitDate,
        InvalidDuration,
        InvalidVisitText,
        UnknownCottage,
        IdempotencyMismatch,
        ServiceBusy,
    ),
)
def log_visit(cottage_id):
    request = _request()
    principal, cat, ledger = auth.identify(request.headers), catalogue.load(), services.ledger()
    visits.authorize(principal, cat.cottage(cottage_id))
    key = idempotency.require_key(request.headers)
    body = request_json(request)
    visit = visits.parse_visit(body, visits.beijing_today(ledger))
    response = visits.log_visit(ledger, cat, cottage_id, principal, visit, key, idempotency.fingerprint(body))
    programme = [cat.cottage(cottage_id).programme_id]
    _audit(principal, "visit_book.write", "POST /cottages/{cottage_id}/visits", programme, cottage_id=cottage_id,
           visit_id=response["visit_id"])
    return json_response(response, 201)


@app.endpoint(
    "GET",
    "/cottages/{cottage_id}/visits",
    "The cottage's visit book, newest first (private)",
    access="team_or_operator",
    returns="VisitBook",
    raises=(UnknownCottage, ServiceBusy),
)
def visit_book(cottage_id):
    principal, cat = auth.identify(_request().headers), catalogue.load()
    book = visits.book(services.ledger(), cat, cottage_id, principal)
    _audit(principal, "visit_book.read", "GET /cottages/{cottage_id}/visits", [cat.cottage(cottage_id).programme_id],
           cottage_id=cottage_id)
    return book


def _audit(principal, action, route, programmes, **resource):
    """Record who read or wrote private records before the answer leaves (see chalicelib/audit.py)."""
    audit.record(services.ledger().records, principal, action, route, programmes, **resource)


@app.endpoint(
    "GET",
    "/cottages/{cottage_id}/visit-summary",
    "Visits to a cottage: count and month of the last one",
    access="public",
    returns="VisitSummary",
    raises=(UnknownCottage, ServiceBusy),
)
def cottage_visit_summary(cottage_id):
    return visits.visit_summary(services.ledger(), catalogue.load(), cottage_id)


@app.endpoint(
    "GET",
    "/programmes/{programme_id}/visit-stats",
    "Share of a programme's paired cottages visited in each of the last 3 full months",
    access="public",
    returns="VisitStats",
    raises=(UnknownProgramme, ServiceBusy),
)
def programme_visit_stats(programme_id):
    return visits.programme_stats(services.ledger(), catalogue.load(), programme_id)


@app.endpoint(
    "GET",
    "/admin/cottages/overdue-visits",
    "Paired cottages with no visit in more than `days` days (default 35)",
    access="operator",
    params=(query("days", {"type": "integer", "minimum": 1, "maximum": 366}),),
    returns="OverdueVisits",
    raises=(InvalidQuery, ServiceBusy),
)
def admin_overdue_visits():
    request = _request()
    principal = auth.require(request.headers, "operator")
    days = visits.parse_days(request.query_params)
    return visits.overdue(services.ledger(), catalogue.load(), days, principal.programmes("operator"))


@app.endpoint(
    "GET",
    "/admin/audit",
    "The audit trail of one programme (programme_id, or * for platform-wide reads): newest first",
    access="operator",
    params=(
        Param("programme_id", "query", {"type": "string", "minLength": 1, "maxLength": 64}, required=True),
        query("limit", {"type": "integer", "minimum": 1, "maximum": audit.MAX_LIMIT}),
        query("cursor", {"type": "string", "maxLength": 200}),
    ),
    returns="AuditPage",
    raises=(InvalidQuery, UnknownProgramme, ServiceBusy),
)
def admin_audit():
    request = _request()
    principal = auth.require(request.headers, "operator")
    params = request.query_params or {}
    programme_id = params.get("programme_id")
    if not programme_id:
        raise InvalidQuery("缺少查询参数 programme_id", "the query parameter programme_id is required")
    if programme_id != audit.ALL_PROGRAMMES and programme_id not in catalogue.load().programme_ids:
        raise UnknownProgramme()
    auth.require_in(principal, "operator", None if programme_id == audit.ALL_PROGRAMMES else programme_id)
    return audit.page(services.ledger().records, programme_id, params)
