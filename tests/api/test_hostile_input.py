"""What a stranger can send without a token: a 4xx with a code and a sentence, never a 5xx.

One test per finding of the hostile-input review, named after it. Requests go
through the in-process gateway (as deployed, see infra/local_api.GatewayAsDeployed);
the findings about the local HTTP server itself are in test_schemathesis.py,
which runs that server.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib import names
from tests.api import volunteer_support as support
from tests.api.conftest import OPERATOR_TOKEN, pledge_body
from tests.api.volunteer_support import TEAM_A_TOKEN, bearer, visit_body

moto_account, vapi = support.moto_account, support.vapi

DEEP = 2000  # 4 KB of brackets: within the body limit, so the depth alone must refuse it


def assert_refused(reply: Any, status: int, code: str) -> None:
    assert (reply.status, reply.json["code"]) == (status, code), reply.text
    assert set(reply.json) == {"code", "message"} and " / " in reply.json["message"]  # Chinese / English


def deep_json(levels: int) -> bytes:
    """An object whose first field nests ``levels`` arrays deep (Python's parser recurses per level)."""
    return b'{"amount_fen": ' + b"[" * levels + b"]" * levels + b"}"


@pytest.mark.parametrize("route", ["pledge", "bank confirmation", "visit"])
def test_json_nested_thousands_of_levels_deep_is_a_400_not_a_recursion_error(vapi: Any, route: str) -> None:
    raw = deep_json(DEEP)
    if route == "pledge":
        headers = {"Idempotency-Key": "deep-json-0001", "content-type": "application/json"}
        reply = vapi.post("/projects/laiwu-cottages/pledges", headers=headers, raw=raw)
    elif route == "bank confirmation":
        headers = {**bearer(OPERATOR_TOKEN), "content-type": "application/json"}
        reply = vapi.post("/admin/pledges/p_000000000000000000000000/paid", headers=headers, raw=raw)
    else:
        headers = {**bearer(TEAM_A_TOKEN), "Idempotency-Key": "deep-json-0002", "content-type": "application/json"}
        reply = vapi.post("/cottages/c-a1/visits", headers=headers, raw=raw)
    assert_refused(reply, 400, "invalid_body")
    assert "nested" in reply.json["message"]


def test_json_nesting_is_counted_outside_strings_only() -> None:
    from chalicelib.web import json_depth

    assert json_depth(b'{"a": "[[[[{{{{", "b": [1, {"c": "\\"]]]"}]}') == 3
    assert json_depth(b"[" * 3000) == 3000


@pytest.mark.parametrize("field", ["display_name", "message"])
def test_a_lone_surrogate_in_a_pledge_name_or_message_is_a_400(vapi: Any, field: str) -> None:
    raw = json.dumps(pledge_body(**{field: "小明\ud800"})).encode("ascii")  # JSON's own \ud800 escape
    headers = {"Idempotency-Key": f"surrogate-{field}", "content-type": "application/json"}
    assert_refused(vapi.post("/projects/laiwu-cottages/pledges", headers=headers, raw=raw), 400, "invalid_json")


def test_a_lone_surrogate_in_a_claim_note_or_visit_text_is_a_400(vapi: Any) -> None:
    headers = {**bearer(TEAM_A_TOKEN), "content-type": "application/json"}
    claim = json.dumps({"note": "\udfff 备注"}).encode("ascii")
    assert_refused(vapi.post("/needs/need-open/claims", headers=headers, raw=claim), 400, "invalid_json")
    visit = json.dumps(visit_body(what_was_done="读书\ud800")).encode("ascii")
    reply = vapi.post("/cottages/c-a1/visits", headers={**headers, "Idempotency-Key": "surrogate-visit"}, raw=visit)
    assert_refused(reply, 400, "invalid_json")
    assert support.scan_table() == []


@pytest.mark.parametrize(
    "url, token",
    [
        ("/projects/laiwu-cottages/pledges?limit=²", None),
        ("/projects/laiwu-cottages/pledges?limit=٣", None),  # Arabic-Indic three: isdigit, and int accepts it
        ("/admin/cottages/overdue-visits?days=²", "operator"),
        ("/admin/cottages/overdue-visits?days=3%C2%B2", "operator"),
    ],
)
def test_superscript_or_non_ascii_digits_in_limit_or_days_are_a_400(vapi: Any, url: str, token: str | None) -> None:
    from tests.api.conftest import OPERATOR_TOKEN

    reply = vapi.get(url, headers=bearer(OPERATOR_TOKEN) if token else {})
    assert_refused(reply, 400, "invalid_query")


@pytest.mark.parametrize(
    "timestamp, nonce",
    [("²", None), ("1700000000²", None), ("１７００００００００", None), (None, "签名" * 40)],
    ids=["superscript timestamp", "timestamp ending in a superscript", "fullwidth digits", "a long Chinese nonce"],
)
def test_non_ascii_wechat_signature_headers_are_a_4xx_never_a_500(
    vapi: Any, fake_providers: Any, monkeypatch: pytest.MonkeyPatch, timestamp: str | None, nonce: str | None
) -> None:
    from tests.api.paying import install_secret

    install_secret(monkeypatch, fake_providers)
    body = b'{"resource_type": "encrypt-resource"}'
    headers = fake_providers.wechat.signed_headers(body.decode())
    if timestamp is not None:
        headers["Wechatpay-Timestamp"] = timestamp
    if nonce is not None:
        headers["Wechatpay-Nonce"] = nonce
    # http.server hands header values over decoded as Latin-1; send them as it would
    headers = {k: v if v.isascii() else v.encode().decode("latin-1") for k, v in headers.items()}
    reply = vapi.post("/payments/wechat/notify", headers=headers, raw=body)
    assert_refused(reply, 400, "malformed_notification")


def test_an_unsigned_notification_is_a_401_even_with_no_keys_configured(
    vapi: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QINGYI_PROVIDER_SECRET", raising=False)
    for provider, raw in (("wechat", b"{}"), ("alipay", b"out_trade_no=p_x&total_amount=1.00")):
        reply = vapi.post(f"/payments/{provider}/notify", headers={"content-type": "application/json"}, raw=raw)
        assert reply.status == 401 and reply.json["code"].startswith("missing_signature")


def test_unknown_paths_answer_the_documented_error_shape(vapi: Any) -> None:
    for path in ("/no/such/route", "/projects/laiwu-cottages/nothing", "/"):
        assert_refused(vapi.get(path), 404, "not_found")
    assert_refused(vapi.get("/nope", headers=bearer(TEAM_A_TOKEN)), 404, "not_found")


def test_undeclared_methods_are_a_405_with_the_allowed_ones(vapi: Any) -> None:
    for method in ("TRACE", "DELETE", "PUT", "PATCH"):
        reply = vapi.request(method, "/projects/laiwu-cottages")
        assert_refused(reply, 405, "method_not_allowed")
        assert reply.headers["allow"] == "GET"


def test_options_only_where_declared(vapi: Any) -> None:
    assert vapi.request("OPTIONS", "/projects/laiwu-cottages/pledges").status == 204
    for path in ("/projects", "/projects/laiwu-cottages", "/admin/pledges/p_x", "/payments/wechat/notify"):
        assert_refused(vapi.request("OPTIONS", path), 405, "method_not_allowed")


def test_an_empty_cursor_is_accepted_as_absent(vapi: Any) -> None:
    assert vapi.pledge_and_pay("laiwu-cottages", "empty-cursor-01", pledge_body()).status == 200
    reply = vapi.get("/projects/laiwu-cottages/pledges?cursor=")
    assert reply.status == 200 and len(reply.json["pledges"]) == 1
    assert vapi.get("/projects/laiwu-cottages/pledges?limit=&cursor=").status == 200


def test_no_415_on_get_routes_that_take_no_body(vapi: Any) -> None:
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        assert vapi.get("/projects", headers={"content-type": content_type}).status == 200
        assert vapi.get("/campaigns/tencent-99", headers={"content-type": content_type}).status == 200


def test_a_body_route_still_refuses_a_non_json_body_with_415(vapi: Any) -> None:
    headers = {"Idempotency-Key": "form-body-0001", "content-type": "text/plain"}
    reply = vapi.post("/projects/laiwu-cottages/pledges", headers=headers, raw=b"amount_fen=1")
    assert_refused(reply, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    "name",
    ["\u3164", "\u3164\u3164\u3164", "\u2800\u2800", "\u200b\u200c", "\u115f\u1160", "\uffa0", " \u3164 \u2800 "],
    ids=["hangul filler", "three fillers", "blank braille", "zero-width", "jamo fillers", "halfwidth filler", "mixed"],
)
def test_a_name_of_invisible_or_filler_letters_is_refused_with_a_clear_message(vapi: Any, name: str) -> None:
    reply = vapi.pledge("laiwu-cottages", f"invisible-{abs(hash(name)):010d}", pledge_body(display_name=name))
    assert_refused(reply, 400, "invalid_display_name")
    assert "U+3164" in reply.json["message"] and "看不见" in reply.json["message"]
    assert "anonymous" in reply.json["message"]


@pytest.mark.parametrize(
    "sent, shown",
    [
        ("ＬＩ　Ｌｅｉ", "LI Lei"),  # fullwidth letters and ideographic space
        ("小明\u3164", "小明"),
        ("小\u2800明", "小明"),
        ("李\u200b雷", "李雷"),
        ("①号", "1号"),
        ("＜b＞韩梅梅＜/b＞", "韩梅梅"),  # fullwidth brackets become markup, then are stripped
        ("👨‍👩‍👧 一家", "👨‍👩‍👧 一家"),  # the joiners inside an emoji stay
        ("❤️ 爱心", "❤️ 爱心"),
    ],
)
def test_names_are_nfkc_normalised_and_invisible_letters_stripped(vapi: Any, sent: str, shown: str) -> None:
    reply = vapi.pledge_and_pay("laiwu-cottages", f"nfkc-name-{abs(hash(sent)):010d}", pledge_body(display_name=sent))
    assert reply.status == 200, reply.text
    assert vapi.get("/projects/laiwu-cottages/pledges").json["pledges"][0]["display_name"] == shown


def test_name_normalisation_leaves_other_types_for_the_validator() -> None:
    assert names.normalise_field({"display_name": 42}, "display_name") == {"display_name": 42}
    assert names.normalise_field({}, "display_name") == {}
    assert names.normalise("") == ""


def test_a_refused_hostile_request_writes_nothing(vapi: Any) -> None:
    before = support.scan_table()
    headers = {"Idempotency-Key": "deep-json-0003", "content-type": "application/json"}
    assert vapi.post("/projects/laiwu-cottages/pledges", headers=headers, raw=deep_json(DEEP)).status == 400
    assert vapi.pledge("laiwu-cottages", "invisible-write-01", pledge_body(display_name="\u3164")).status == 400
    assert support.scan_table() == before
