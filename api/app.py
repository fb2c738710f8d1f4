"""Qingyi pledge and matching API: routes only.

Everything a route does lives in chalicelib (one module per idea); the
OpenAPI document (``GET /openapi.json``) describes every route below, and a
test fails when one is missing from it. See api/TABLE.md for the ledger.
"""

from chalicelib import (
    auth,
    catalogue,
    claims,
    clock,
    exports,
    idempotency,
    openapi,
    payments,
    pledges,
    public,
    services,
    settlement,
    visits,
)
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
install(app, cors_paths=openapi.is_public)


def _request():
    return app.current_request


# ---- public ------------------------------------------------------------------


@app.route("/health", methods=["GET"])
def health():
    return {"status": "ok", "as_of": clock.iso(clock.now())}


@app.route("/openapi.json", methods=["GET"])
def openapi_document():
    return openapi.document()


@app.route("/projects", methods=["GET"])
def list_projects():
    return {"projects": [public.project_summary(p) for p in catalogue.load().projects.values()]}


@app.route("/projects/{project_id}", methods=["GET"])
def get_project(project_id):
    return public.project_summary(catalogue.load().project(project_id))


@app.route("/projects/{project_id}/progress", methods=["GET"])
def project_progress(project_id):
    return public.progress(services.ledger(), catalogue.load(), project_id)


@app.route("/projects/{project_id}/pledges", methods=["POST"])
def create_pledge(project_id):
    request = _request()
    key = idempotency.require_key(request.headers)
    body = request_json(request)
    pledge = pledges.parse_pledge(body)
    catalogue.load().project(project_id)
    response = services.ledger().pledge(project_id, pledge, key, idempotency.fingerprint(body), source_address(request))
    return json_response(response, 201)


@app.route("/projects/{project_id}/pledges", methods=["OPTIONS"])
def pledge_preflight(project_id):
    return {}


@app.route("/projects/{project_id}/pledges", methods=["GET"])
def donor_wall(project_id):
    return public.wall(services.ledger(), catalogue.load(), project_id, _request().query_params)


@app.route("/campaigns", methods=["GET"])
def list_campaigns():
    cat, now = catalogue.load(), clock.now()
    return {"campaigns": [public.campaign_summary(cat, cid, now) for cid in cat.campaigns]}


@app.route("/campaigns/{campaign_id}", methods=["GET"])
def get_campaign(campaign_id):
    return public.campaign_detail(services.ledger(), catalogue.load(), campaign_id)


@app.route("/campaigns/{campaign_id}/teams", methods=["GET"])
def campaign_teams(campaign_id):
    return public.leaderboard(services.ledger(), catalogue.load(), campaign_id)


@app.route("/teams/{team_id}", methods=["GET"])
def get_team(team_id):
    return public.team_detail(services.ledger(), catalogue.load(), team_id)


# ---- payment provider ------------------------------------------------------------


@app.route("/payments/notifications", methods=["POST"])
def payment_notification():
    request = _request()
    body = request_json(request)
    payments.verify(request.headers, request.raw_body or b"")
    note = payments.parse(body)
    item = services.ledger().confirm_paid(
        note.pledge_id, payment_ref=note.payment_ref, amount_fen=note.amount_fen, nonce=note.nonce
    )
    return {"pledge_id": item["pledge_id"], "status": item["status"]}


# ---- operators -------------------------------------------------------------------------


@app.route("/admin/pledges/{pledge_id}", methods=["GET"])
def admin_get_pledge(pledge_id):
    auth.require(_request().headers, "operator")
    return pledges.operator_view(services.ledger().pledge_item(pledge_id))


@app.route("/admin/pledges/{pledge_id}/paid", methods=["POST"])
def admin_confirm_paid(pledge_id):
    request = _request()
    auth.require(request.headers, "operator")
    body = pledges.parse_operator_note(optional_json(request), "payment_ref")
    item = services.ledger().confirm_paid(pledge_id, payment_ref=body)
    return pledges.operator_view(item)


@app.route("/admin/pledges/{pledge_id}/cancel", methods=["POST"])
def admin_cancel(pledge_id):
    request = _request()
    auth.require(request.headers, "operator")
    reason = pledges.parse_operator_note(optional_json(request), "reason")
    return pledges.operator_view(services.ledger().cancel(pledge_id, reason=reason))


@app.route("/admin/exports/pledges.csv", methods=["GET"])
def admin_export():
    request = _request()
    auth.require(request.headers, "operator")
    rows = public.export_rows(services.ledger(), catalogue.load(), request.query_params)
    return text_response(exports.pledges_csv(rows), "text/csv; charset=utf-8", "pledges.csv")


@app.route("/admin/campaigns/{campaign_id}/settle", methods=["POST"])
def admin_settle(campaign_id):
    auth.require(_request().headers, "admin")
    summary = settlement.settle(services.ledger(), catalogue.load(), campaign_id)
    return text_response(settlement.to_yaml(summary), "text/yaml; charset=utf-8", f"{campaign_id}.yaml")


@app.route("/admin/campaigns/{campaign_id}/settlement", methods=["GET"])
def admin_settlement(campaign_id):
    auth.require(_request().headers, "operator")
    catalogue.load().campaign(campaign_id)
    summary = settlement.frozen(services.ledger(), campaign_id)
    return text_response(settlement.to_yaml(summary), "text/yaml; charset=utf-8", f"{campaign_id}.yaml")


# ---- volunteer teams: claims and home-visit books (issue 6) ------------------------------
# Roles: "team:<team_id>" tokens (see chalicelib/auth.py); operators and admins.


@app.route("/needs/status", methods=["GET"])
def needs_board():
    return claims.board(services.ledger(), catalogue.load())


@app.route("/needs/{need_id}/claim", methods=["GET"])
def need_claim_status(need_id):
    return claims.one_status(services.ledger(), catalogue.load(), need_id)


@app.route("/needs/{need_id}/claims", methods=["POST"])
def claim_need(need_id):
    request = _request()
    principal, cat = auth.identify(request.headers), catalogue.load()
    claims.claimant(principal, cat)
    body = claims.parse_claim(optional_json(request))
    item, created = claims.claim(services.ledger(), cat, need_id, principal, body)
    return json_response(claims.operator_view(item), 201 if created else 200)


@app.route("/admin/needs/{need_id}/claims", methods=["GET"])
def admin_need_claims(need_id):
    auth.require(_request().headers, "operator")
    return claims.history(services.ledger(), catalogue.load(), need_id)


@app.route("/admin/needs/{need_id}/claim/approve", methods=["POST"])
def admin_approve_claim(need_id):
    request = _request()
    principal = auth.require(request.headers, "operator")
    claim_id, reason = claims.parse_decision(optional_json(request))
    item = claims.decide(services.ledger(), catalogue.load(), need_id, "approve", principal, claim_id, reason)
    return claims.operator_view(item)


@app.route("/admin/needs/{need_id}/claim/reject", methods=["POST"])
def admin_reject_claim(need_id):
    request = _request()
    principal = auth.require(request.headers, "operator")
    claim_id, reason = claims.parse_decision(optional_json(request))
    item = claims.decide(services.ledger(), catalogue.load(), need_id, "reject", principal, claim_id, reason)
    return claims.operator_view(item)


@app.route("/admin/exports/claims.yaml", methods=["GET"])
def admin_export_claims():
    auth.require(_request().headers, "operator")
    text = claims.export_yaml(services.ledger(), catalogue.load())
    return text_response(text, "text/yaml; charset=utf-8", "claims.yaml")


@app.route("/cottages/{cottage_id}/visits", methods=["POST"])
def log_visit(cottage_id):
    request = _request()
    principal, cat, ledger = auth.identify(request.headers), catalogue.load(), services.ledger()
    visits.authorize(principal, cat.cottage(cottage_id))
    key = idempotency.require_key(request.headers)
    body = request_json(request)
    visit = visits.parse_visit(body, visits.beijing_today(ledger))
    response = visits.log_visit(ledger, cat, cottage_id, principal, visit, key, idempotency.fingerprint(body))
    return json_response(response, 201)


@app.route("/cottages/{cottage_id}/visits", methods=["GET"])
def visit_book(cottage_id):
    principal = auth.identify(_request().headers)
    return visits.book(services.ledger(), catalogue.load(), cottage_id, principal)


@app.route("/cottages/{cottage_id}/visit-summary", methods=["GET"])
def cottage_visit_summary(cottage_id):
    return visits.visit_summary(services.ledger(), catalogue.load(), cottage_id)


@app.route("/programmes/{programme_id}/visit-stats", methods=["GET"])
def programme_visit_stats(programme_id):
    return visits.programme_stats(services.ledger(), catalogue.load(), programme_id)


@app.route("/admin/cottages/overdue-visits", methods=["GET"])
def admin_overdue_visits():
    request = _request()
    auth.require(request.headers, "operator")
    return visits.overdue(services.ledger(), catalogue.load(), visits.parse_days(request.query_params))
