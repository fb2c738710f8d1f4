"""Qingyi pledge and matching API: routes only.

Everything a route does lives in chalicelib (one module per idea); the
OpenAPI document (``GET /openapi.json``) describes every route below, and a
test fails when one is missing from it. See api/TABLE.md for the ledger.
"""

from chalicelib import (
    auth,
    catalogue,
    clock,
    exports,
    idempotency,
    openapi,
    payments,
    pledges,
    public,
    services,
    settlement,
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
