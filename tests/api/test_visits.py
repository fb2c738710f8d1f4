"""Home-visit books: who may write and read a cottage's book, idempotent visits, and
the only figures the public sees (count, last month, the programme's monthly share)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.api import volunteer_support as support
from tests.api.conftest import OPERATOR_TOKEN
from tests.api.volunteer_support import (
    PROGRAMME,
    TEAM_A,
    TEAM_A_TOKEN,
    TEAM_B_TOKEN,
    bearer,
    log_visit,
    visit_body,
)

moto_account, vapi = support.moto_account, support.vapi


def summary(api: Any, cottage_id: str) -> dict[str, Any]:
    reply = api.get(f"/cottages/{cottage_id}/visit-summary")
    assert reply.status == 200, reply.text
    return reply.json


def stats(api: Any, programme_id: str = PROGRAMME) -> dict[str, Any]:
    reply = api.get(f"/programmes/{programme_id}/visit-stats")
    assert reply.status == 200, reply.text
    return reply.json


# ---- writing the book ---------------------------------------------------------------------------


def test_the_paired_team_logs_a_visit_and_the_public_sees_only_the_count_and_month(vapi: Any) -> None:
    assert summary(vapi, "c-a1") | {"as_of": None} == {
        "cottage_id": "c-a1",
        "visit_count": 0,
        "last_visit_month": None,
        "as_of": None,
    }
    body = visit_body("2021-08-30", 90, child_asked_for="想要一套彩色铅笔")
    reply = log_visit(vapi, "c-a1", "visit-key-0001", body)
    assert reply.status == 201, reply.text
    assert set(reply.json) == {"visit_id", "cottage_id", "date", "duration_minutes", "created_at"}

    public = summary(vapi, "c-a1")
    assert (public["visit_count"], public["last_visit_month"]) == (1, "2021-08")
    assert set(public) == {"cottage_id", "visit_count", "last_visit_month", "as_of"}

    book = vapi.get("/cottages/c-a1/visits", headers=bearer(TEAM_A_TOKEN))
    assert book.status == 200
    (visit,) = book.json["visits"]
    assert visit["child_asked_for"] == "想要一套彩色铅笔" and visit["what_was_done"] == body["what_was_done"]
    assert visit["logged_by"] == f"team:{TEAM_A}" and visit["duration_minutes"] == 90


def test_an_operator_may_log_and_read_any_book(vapi: Any) -> None:
    assert log_visit(vapi, "c-b1", "visit-key-op01", visit_body(), OPERATOR_TOKEN).status == 201
    book = vapi.get("/cottages/c-b1/visits", headers=bearer(OPERATOR_TOKEN)).json
    assert [v["logged_by"] for v in book["visits"]] == ["operator:hope-test"]  # the role that covers c-b1


def test_another_team_may_neither_write_nor_read_the_book(vapi: Any) -> None:
    log_visit(vapi, "c-a1", "visit-key-a001", visit_body(child_asked_for="秘密心愿"))
    refused = log_visit(vapi, "c-a1", "visit-key-b001", visit_body(), TEAM_B_TOKEN)
    assert (refused.status, refused.json["code"]) == (403, "forbidden")
    read = vapi.get("/cottages/c-a1/visits", headers=bearer(TEAM_B_TOKEN))
    assert read.status == 403 and "秘密心愿" not in read.text
    assert summary(vapi, "c-a1")["visit_count"] == 1
    # an unpaired cottage has no team that may write: only operators
    assert log_visit(vapi, "c-unpaired", "visit-key-u001", visit_body()).status == 403


def test_a_retry_replays_and_a_different_body_with_the_same_key_is_refused(vapi: Any) -> None:
    first = log_visit(vapi, "c-a1", "visit-key-same", visit_body("2021-09-01"))
    again = log_visit(vapi, "c-a1", "visit-key-same", visit_body("2021-09-01"))
    assert (first.status, again.status) == (201, 201) and first.json == again.json
    other = log_visit(vapi, "c-a1", "visit-key-same", visit_body("2021-09-02"))
    assert (other.status, other.json["code"]) == (409, "idempotency_mismatch")
    assert summary(vapi, "c-a1")["visit_count"] == 1
    assert len(vapi.get("/cottages/c-a1/visits", headers=bearer(TEAM_A_TOKEN)).json["visits"]) == 1


def test_random_retries_never_count_twice(vapi: Any) -> None:
    import random

    rng = random.Random(6)
    keys = [f"visit-retry-{n:03d}" for n in range(12)]
    sent: set[str] = set()
    for _ in range(60):
        key = rng.choice(keys)
        sent.add(key)
        day = f"2021-08-{int(key[-3:]) + 1:02d}"
        assert log_visit(vapi, "c-a2", key, visit_body(day)).status == 201
    book = vapi.get("/cottages/c-a2/visits", headers=bearer(TEAM_A_TOKEN)).json["visits"]
    assert summary(vapi, "c-a2")["visit_count"] == len(book) == len(sent)
    (item,) = [i for i in support.scan_table() if i["sk"] == "VISITS"]
    assert sum(v for k, v in item.items() if k.startswith("d#")) == len(sent)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"duration_minutes": 30, "what_was_done": "x"}, "missing_field"),
        (visit_body("2021-09-08"), "invalid_visit_date"),  # tomorrow in Beijing
        (visit_body("2014-12-31"), "invalid_visit_date"),
        (visit_body("2021-02-30"), "invalid_visit_date"),
        (visit_body("20210901"), "invalid_visit_date"),
        (visit_body(minutes=0), "invalid_duration"),
        (visit_body(minutes=1441), "invalid_duration"),
        (visit_body(minutes=30.5), "invalid_duration"),
        (visit_body(minutes=True), "invalid_duration"),
        (visit_body(what_was_done="  <b></b> "), "invalid_visit_text"),
        (visit_body(what_was_done="长" * 301), "invalid_visit_text"),
        (visit_body(child_asked_for=["书"]), "invalid_visit_text"),
        (visit_body(team_id="vt-b"), "unknown_field"),
    ],
)
def test_bad_visits_are_refused_with_a_code_and_write_nothing(vapi: Any, body: dict[str, Any], code: str) -> None:
    reply = log_visit(vapi, "c-a1", "visit-key-bad1", body)
    assert (reply.status, reply.json["code"]) == (400, code)
    assert summary(vapi, "c-a1")["visit_count"] == 0
    assert [i for i in support.scan_table() if i["pk"].startswith("COTTAGE#")] == []


def test_a_visit_needs_an_idempotency_key_and_a_known_cottage(vapi: Any) -> None:
    reply = vapi.post("/cottages/c-a1/visits", headers=bearer(TEAM_A_TOKEN), body=visit_body())
    assert (reply.status, reply.json["code"]) == (400, "idempotency_key_required")
    reply = log_visit(vapi, "c-none", "visit-key-none", visit_body())
    assert (reply.status, reply.json["code"]) == (404, "unknown_cottage")
    assert vapi.get("/cottages/c-none/visit-summary").json["code"] == "unknown_cottage"


def test_markup_in_visit_text_is_stripped(vapi: Any) -> None:
    log_visit(vapi, "c-a1", "visit-key-html", visit_body(what_was_done="<img src=x onerror=alert(1)>打扫<i>房间</i>"))
    (visit,) = vapi.get("/cottages/c-a1/visits", headers=bearer(TEAM_A_TOKEN)).json["visits"]
    assert visit["what_was_done"] == "打扫房间"


def test_the_book_is_newest_visit_first(vapi: Any) -> None:
    for n, day in enumerate(["2021-07-02", "2021-09-01", "2021-08-15"]):
        log_visit(vapi, "c-a1", f"visit-order-{n}", visit_body(day))
    book = vapi.get("/cottages/c-a1/visits", headers=bearer(TEAM_A_TOKEN)).json["visits"]
    assert [v["date"] for v in book] == ["2021-09-01", "2021-08-15", "2021-07-02"]
    assert summary(vapi, "c-a1")["last_visit_month"] == "2021-09"


# ---- the programme's share visited at least monthly ------------------------------------------------


def test_monthly_means_a_visit_in_each_of_the_last_three_full_months(vapi: Any) -> None:
    # Today is 2021-09-07 (Beijing): the months considered are June, July and August.
    for n, day in enumerate(["2021-06-30", "2021-07-01", "2021-08-31", "2021-09-06"]):
        log_visit(vapi, "c-a1", f"visit-m-a1-{n}", visit_body(day))
    for n, day in enumerate(["2021-07-10", "2021-08-10", "2021-09-01"]):  # June missing
        log_visit(vapi, "c-a2", f"visit-m-a2-{n}", visit_body(day))
    figures = stats(vapi)
    assert figures["months"] == ["2021-06", "2021-07", "2021-08"]
    assert figures["cottages"] == 3  # c-a1, c-a2, c-b1 are paired; c-unpaired is not counted
    assert figures["visited_at_least_monthly"] == 1
    assert figures["visited_in_period"] == 2
    assert figures["monthly_percent"] == 33.3


def test_the_months_cross_a_year_boundary(vapi: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QINGYI_NOW", "2022-02-10T12:00:00+08:00")
    for n, day in enumerate(["2021-11-03", "2021-12-25", "2022-01-31"]):
        log_visit(vapi, "c-b1", f"visit-y-{n}", visit_body(day), OPERATOR_TOKEN)
    figures = stats(vapi)
    assert figures["months"] == ["2021-11", "2021-12", "2022-01"]
    assert figures["visited_at_least_monthly"] == 1


def test_unknown_programme_and_a_programme_without_cottages(vapi: Any) -> None:
    assert vapi.get("/programmes/nowhere/visit-stats").json["code"] == "unknown_programme"
    empty = stats(vapi, "linhai-test")  # needs only
    assert (empty["cottages"], empty["monthly_percent"]) == (0, None)


# ---- operators: cottages with no visit in N days -----------------------------------------------------------


def test_overdue_lists_cottages_not_visited_for_more_than_35_days(vapi: Any) -> None:
    ops = bearer(OPERATOR_TOKEN)
    log_visit(vapi, "c-a1", "visit-o-1", visit_body("2021-08-03"))  # 35 days before 2021-09-07: not overdue
    log_visit(vapi, "c-a2", "visit-o-2", visit_body("2021-08-02"))  # 36 days: overdue
    reply = vapi.get("/admin/cottages/overdue-visits", headers=ops)
    assert reply.status == 200
    rows = reply.json["cottages"]
    assert [(r["cottage_id"], r["days_since"]) for r in rows] == [("c-b1", None), ("c-a2", 36)]
    assert rows[1]["last_visit_date"] == "2021-08-02" and rows[1]["team_id"] == TEAM_A
    shorter = vapi.get("/admin/cottages/overdue-visits?days=30", headers=ops).json
    assert [r["cottage_id"] for r in shorter["cottages"]] == ["c-b1", "c-a2", "c-a1"]


@pytest.mark.parametrize("query", ["days=0", "days=367", "days=x", "days=-1", "limit=5"])
def test_overdue_refuses_bad_queries(vapi: Any, query: str) -> None:
    reply = vapi.get(f"/admin/cottages/overdue-visits?{query}", headers=bearer(OPERATOR_TOKEN))
    assert (reply.status, reply.json["code"]) == (400, "invalid_query")


# ---- the summary items hold no private text and the public figures come from them ----------------------------


def test_summary_items_are_counters_only(vapi: Any) -> None:
    log_visit(vapi, "c-a1", "visit-s-1", visit_body("2021-09-01", child_asked_for="想学游泳"))
    log_visit(vapi, "c-a1", "visit-s-2", visit_body("2021-09-01"))
    (item,) = [i for i in support.scan_table() if i["sk"] == "VISITS"]
    assert item["visit_count"] == 2 and item["d#2021-09-01"] == 2 and item["minutes"] == 120
    assert item["gsi1pk"] == f"VISITS#{PROGRAMME}"
    assert not any(isinstance(v, str) and "游泳" in v for v in item.values())


# ---- faults: throttling and conflicts on a share of store calls ----------------------------------------


@pytest.mark.parametrize(
    ("rate", "after"), [(0.10, False), (0.60, False), (0.30, True)], ids=["10%", "60%", "lost-30%"]
)
def test_faults_give_success_or_503_and_the_counts_equal_the_book(
    vapi: Any, monkeypatch: pytest.MonkeyPatch, rate: float, after: bool
) -> None:
    import boto3

    from chalicelib import services
    from tests.api.test_faults import FaultyClient

    ledger = services.ledger()
    monkeypatch.setattr(ledger, "sleep", lambda _s: None)
    client = FaultyClient(boto3.client("dynamodb"), rate=rate, seed=11, after=after)
    monkeypatch.setattr(ledger.store, "_client", client)
    accepted: set[str] = set()
    busy: list[str] = []
    for n in range(40):
        key = f"visit-fault-{n:03d}"
        reply = log_visit(vapi, "c-a1", key, visit_body(f"2021-08-{n % 28 + 1:02d}"))
        assert reply.status in (201, 503), reply.text
        if reply.status == 201:
            accepted.add(reply.json["visit_id"])
        else:
            assert reply.json["code"] == "busy" and reply.headers["retry-after"] == "1"
            busy.append(key)
    claims = [
        vapi.post(f"/needs/{n}/claims", headers=bearer(TEAM_A_TOKEN), body={}) for n in ("need-open", "need-open-2")
    ]
    assert all(c.status in (200, 201, 503) for c in claims), [c.text for c in claims]
    assert sum(client.injected.values()) >= 4, client.injected
    if rate > 0.5:
        assert busy, "at 60% some visit must have run out of retries"
    monkeypatch.setattr(ledger.store, "_client", client.real)
    for key in busy:  # the client retries what got a 503: each counts once
        reply = log_visit(vapi, "c-a1", key, visit_body(f"2021-08-{int(key[-3:]) % 28 + 1:02d}"))
        assert reply.status == 201
        accepted.add(reply.json["visit_id"])
    items = support.scan_table()
    visits = [i for i in items if i["sk"].startswith("VISIT#")]
    (summary_item,) = [i for i in items if i["sk"] == "VISITS"]
    assert {v["visit_id"] for v in visits} == accepted and len(accepted) == 40
    assert summary_item["visit_count"] == 40 == sum(v for k, v in summary_item.items() if k.startswith("d#"))
    holds = [i for i in items if i["sk"] == "CLAIM"]
    records = [i for i in items if i["sk"].startswith("CLAIM#")]
    assert sorted(h["claim_id"] for h in holds) == sorted(r["claim_id"] for r in records), "a claim was half-written"


# ---- the month arithmetic, for any day ----------------------------------------------------------------


@given(st.dates(min_value=date(2016, 1, 1), max_value=date(2099, 12, 31)), st.integers(min_value=1, max_value=24))
def test_last_full_months_are_the_consecutive_months_before_this_one(today: date, count: int) -> None:
    from chalicelib.visits import last_full_months

    months = last_full_months(today, count)
    assert len(months) == count == len(set(months)) and months == sorted(months)
    assert months[-1] < f"{today.year:04d}-{today.month:02d}"
    for earlier, later in zip(months, months[1:], strict=False):
        y, m = int(earlier[:4]), int(earlier[5:])
        assert later == (f"{y + 1:04d}-01" if m == 12 else f"{y:04d}-{m + 1:02d}")
    y, m = int(months[-1][:4]), int(months[-1][5:])
    assert (y * 12 + m) + 1 == today.year * 12 + today.month
