"""Bad pledges get a 4xx with a code, and write nothing at all."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api import invariants

GOOD = {"amount_fen": 1000, "donor_key": "donor-bad-0001", "display_name": "小明"}


def with_(**changes: Any) -> dict[str, Any]:
    body = dict(GOOD)
    for key, value in changes.items():
        if value is ...:
            body.pop(key, None)
        else:
            body[key] = value
    return body


CASES: list[tuple[str, Any, dict[str, str], str, int, str]] = [
    # (name, body (dict = JSON, bytes = raw), extra headers, project, status, code)
    ("missing amount", with_(amount_fen=...), {}, "laiwu-cottages", 400, "missing_field"),
    ("missing donor key", with_(donor_key=...), {}, "laiwu-cottages", 400, "missing_field"),
    ("missing name and not anonymous", with_(display_name=...), {}, "laiwu-cottages", 400, "missing_field"),
    ("extra field", with_(status="paid"), {}, "laiwu-cottages", 400, "unknown_field"),
    ("zero", with_(amount_fen=0), {}, "laiwu-cottages", 400, "invalid_amount"),
    ("negative", with_(amount_fen=-100), {}, "laiwu-cottages", 400, "invalid_amount"),
    ("fractional", with_(amount_fen=10.5), {}, "laiwu-cottages", 400, "invalid_amount"),
    ("float that looks whole", with_(amount_fen=100.0), {}, "laiwu-cottages", 400, "invalid_amount"),
    ("string amount", with_(amount_fen="1000"), {}, "laiwu-cottages", 400, "invalid_amount"),
    ("boolean amount", with_(amount_fen=True), {}, "laiwu-cottages", 400, "invalid_amount"),
    ("huge", with_(amount_fen=100_000_001), {}, "laiwu-cottages", 400, "invalid_amount"),
    ("enormous", with_(amount_fen=10**30), {}, "laiwu-cottages", 400, "invalid_amount"),
    ("short donor key", with_(donor_key="short"), {}, "laiwu-cottages", 400, "invalid_donor_key"),
    ("long donor key", with_(donor_key="k" * 65), {}, "laiwu-cottages", 400, "invalid_donor_key"),
    ("donor key with spaces", with_(donor_key="donor key 01"), {}, "laiwu-cottages", 400, "invalid_donor_key"),
    ("long name", with_(display_name="名" * 21), {}, "laiwu-cottages", 400, "invalid_display_name"),
    ("name that is only markup", with_(display_name="<b></b>"), {}, "laiwu-cottages", 400, "invalid_display_name"),
    ("name not a string", with_(display_name=42), {}, "laiwu-cottages", 400, "invalid_display_name"),
    ("anonymous not a bool", with_(anonymous="yes"), {}, "laiwu-cottages", 400, "invalid_field"),
    ("long message", with_(message="字" * 201), {}, "laiwu-cottages", 400, "invalid_message"),
    ("long contact", with_(contact="1" * 101), {}, "laiwu-cottages", 400, "invalid_contact"),
    ("unknown team", with_(team_id="no-such-team"), {}, "laiwu-cottages", 400, "unknown_team"),
    ("another project's team", with_(team_id="team-gg"), {}, "laiwu-cottages", 400, "unknown_team"),
    ("unknown project", GOOD, {}, "no-such-project", 404, "unknown_project"),
    ("closed project", GOOD, {}, "closed-project", 409, "project_closed"),
    ("malformed JSON", b'{"amount_fen": 1000,', {}, "laiwu-cottages", 400, "invalid_json"),
    (
        "NaN",
        b'{"amount_fen": NaN, "donor_key": "donor-bad-0001", "display_name": "x"}',
        {},
        "laiwu-cottages",
        400,
        "invalid_json",
    ),
    ("JSON array", b"[1000]", {}, "laiwu-cottages", 400, "invalid_body"),
    ("not UTF-8", b'{"amount_fen": 1000, "donor_key": "\xff\xfe"}', {}, "laiwu-cottages", 400, "invalid_json"),
    ("empty body", b"", {}, "laiwu-cottages", 400, "invalid_json"),
    ("oversized body", json.dumps(with_(message="x" * 5000)).encode(), {}, "laiwu-cottages", 413, "body_too_large"),
    (
        "form content type",
        b"amount_fen=1000",
        {"content-type": "application/x-www-form-urlencoded"},
        "laiwu-cottages",
        415,
        "unsupported_media_type",
    ),
    (
        "text content type",
        json.dumps(GOOD).encode(),
        {"content-type": "text/plain"},
        "laiwu-cottages",
        415,
        "unsupported_media_type",
    ),
    ("no idempotency key", GOOD, {"Idempotency-Key": ""}, "laiwu-cottages", 400, "idempotency_key_required"),
    ("short idempotency key", GOOD, {"Idempotency-Key": "abc"}, "laiwu-cottages", 400, "idempotency_key_required"),
]


@pytest.mark.parametrize("name, body, headers, project, status, code", CASES, ids=[c[0] for c in CASES])
def test_bad_pledge_is_refused_and_writes_nothing(
    api: Any, moto_table: str, name: str, body: Any, headers: dict[str, str], project: str, status: int, code: str
) -> None:
    all_headers = {"Idempotency-Key": f"key-bad-{abs(hash(name)):012d}", "content-type": "application/json", **headers}
    if not all_headers["Idempotency-Key"]:
        del all_headers["Idempotency-Key"]
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    reply = api.post(f"/projects/{project}/pledges", headers=all_headers, raw=raw)
    assert (reply.status, reply.json["code"]) == (status, code), reply.json
    assert set(reply.json) == {"code", "message"} and reply.json["message"]
    assert invariants.scan(moto_table) == [], "a refused pledge wrote to the ledger"


@pytest.mark.parametrize(
    "name, expected",
    [
        ("<script>alert(1)</script>小明", "alert(1)小明"),
        ("<b>李雷</b>", "李雷"),
        ("&lt;i&gt;韩梅梅&lt;/i&gt;", "韩梅梅"),
        ("爱心🌸🌸", "爱心🌸🌸"),
        ("👨‍👩‍👧 一家", "👨‍👩‍👧 一家"),
        ("  多   空格  ", "多 空格"),
        ("零宽\u200b字符\u202e", "零宽字符"),
    ],
)
def test_markup_is_stripped_and_emoji_kept(api: Any, name: str, expected: str) -> None:
    reply = api.pledge_and_pay(
        "laiwu-cottages",
        f"key-name-{abs(hash(name)):012d}",
        with_(display_name=name, message=f"<a href='x'>{name}</a>"),
    )
    assert reply.status == 200, reply.json
    wall = api.get("/projects/laiwu-cottages/pledges").json["pledges"][0]
    assert wall["display_name"] == expected and wall["message"] == expected
    assert "<" not in api.get("/projects/laiwu-cottages/pledges").text
