"""Home-visit books (一户一册一人): one book per cottage, kept by its paired volunteer team.

A volunteer of the team paired with a cottage (the cottage's ``team`` in
content/, token role ``team:<team_id>``) or an operator logs a visit: the
date, how long, what was done and what the child asked for. The book is
private: that team and operators read it. The public sees only counts: per
cottage the number of visits and the month of the last one; per programme the
share of cottages visited at least monthly. Operators list cottages with no
visit for N days.

Each visit is its own item, written "must not exist" under an id derived from
the cottage and the ``Idempotency-Key`` (a retry replays, a different body is
refused, as for pledges). In the same transaction the cottage's *visit
summary* item gains ``visit_count`` and a per-day counter ``d#YYYY-MM-DD``;
both are ADDs, so concurrent visits never read-modify-write each other. The
summary carries ``gsi1pk = VISITS#<programme_id>``: a programme's figures are
one bounded Query of small items, never a scan, and hold no private text.

"Visited at least monthly" means: at least one visit in each of the last
:data:`MONTHLY_MONTHS` full calendar months (Beijing time) before the current
month. Only cottages paired with a team count (the others are not yet in
service and have no book).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from . import clock, errors, fields, keys, retention
from .auth import Principal
from .catalogue import Catalogue, Cottage
from .ledger import Ledger
from .pledges import clean_text
from .retry import Again
from .store import ABSENT, Put, Update

MONTHLY_MONTHS = 3
OVERDUE_DEFAULT_DAYS = 35
OVERDUE_MAX_DAYS = 366
FIRST_DATE = date(2015, 1, 1)
MAX_TEXT = 300
MAX_MINUTES = 1440
FIELDS = ("date", "duration_minutes", "what_was_done", "child_asked_for")
DAY_PREFIX = "d#"
ATTEMPTS = 6
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# ---- ids -----------------------------------------------------------------------------------------


def visit_id(cottage_id: str, key: str) -> str:
    return "v_" + hashlib.sha256(f"visit\x1f{cottage_id}\x1f{key}".encode()).hexdigest()[:24]


# ---- requests ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitRequest:
    date: str
    duration_minutes: int
    what_was_done: str
    child_asked_for: str | None


def _text(value: Any, required: bool) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise errors.InvalidVisitText()
    cleaned = clean_text(value)
    if len(cleaned) > MAX_TEXT or (required and not cleaned):
        raise errors.InvalidVisitText()
    return cleaned or None


def parse_visit(data: dict[str, Any], today: date) -> VisitRequest:
    fields.only(data, FIELDS)
    fields.require(data, ("date", "duration_minutes", "what_was_done"))
    raw_date = data["date"]
    if not isinstance(raw_date, str) or not _DATE.match(raw_date):
        raise errors.InvalidVisitDate()
    try:
        day = date.fromisoformat(raw_date)
    except ValueError as exc:
        raise errors.InvalidVisitDate() from exc
    if not FIRST_DATE <= day <= today:
        raise errors.InvalidVisitDate()
    minutes = data["duration_minutes"]
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= MAX_MINUTES:
        raise errors.InvalidDuration()
    done = _text(data["what_was_done"], required=True)
    assert done is not None
    return VisitRequest(day.isoformat(), minutes, done, _text(data.get("child_asked_for"), required=False))


# ---- catalogue look-ups ----------------------------------------------------------------------------


def authorize(principal: Principal, cottage: Cottage) -> None:
    """Operators of the cottage's programme, or the team paired with it; nobody else uses its book."""
    if principal.may_in("operator", cottage.programme_id):
        return
    if principal.may("operator"):
        raise errors.OtherProgramme()
    if principal.team_id is not None and principal.team_id == cottage.team_id:
        return
    raise errors.Forbidden(
        "只有与这户结对的志愿服务队和操作员可以查看或填写走访记录",
        "only the volunteer team paired with this cottage, or an operator, may use its visit book",
    )


def beijing_today(ledger: Ledger) -> date:
    return ledger.records.beijing_today()


# ---- writing a visit --------------------------------------------------------------------------------


def log_visit(
    ledger: Ledger,
    catalogue: Catalogue,
    cottage_id: str,
    principal: Principal,
    request: VisitRequest,
    key: str,
    body_fingerprint: str,
) -> dict[str, Any]:
    """Add a visit to the book and the cottage's counters, once per Idempotency-Key."""
    cottage = catalogue.cottage(cottage_id)
    authorize(principal, cottage)
    vid = visit_id(cottage_id, key)
    programme_id = cottage.programme_id or ""
    records = ledger.records

    def attempt(_n: int) -> dict[str, Any]:
        created_at = clock.iso(records.now())
        response = {
            "visit_id": vid,
            "cottage_id": cottage_id,
            "date": request.date,
            "duration_minutes": request.duration_minutes,
            "created_at": created_at,
        }
        item = {
            **response,
            "programme_id": programme_id,
            "team_id": cottage.team_id,
            "logged_by": principal.acting_role("operator", cottage.programme_id),
            "token_ref": principal.token_ref,
            "what_was_done": request.what_was_done,
            "child_asked_for": request.child_asked_for,
            # The notes about a child are deleted by DynamoDB after the retention period.
            retention.ATTRIBUTE: retention.expires_at(records.now()),
            "fingerprint": body_fingerprint,
            "response": response,
        }
        summary = Update(
            keys.visit_summary(cottage_id),
            set={
                "cottage_id": cottage_id,
                "programme_id": programme_id,
                "gsi1pk": keys.programme_visits(programme_id),
                "gsi1sk": cottage_id,
            },
            add={"visit_count": 1, "minutes": request.duration_minutes, DAY_PREFIX + request.date: 1},
        )
        try:
            records.transact([Put(keys.visit(cottage_id, vid), item, (ABSENT,)), summary])
        except errors.ConditionFailed as failed:
            if 0 in failed.failed:
                stored = records.get(keys.visit(cottage_id, vid))
                if stored is not None:
                    if stored.get("fingerprint") != body_fingerprint:
                        raise errors.IdempotencyMismatch() from None
                    return dict(stored["response"])
            raise Again() from None
        return response

    return records.retry.run(attempt, attempts=ATTEMPTS)


# ---- reading -----------------------------------------------------------------------------------------


def book_view(item: dict[str, Any]) -> dict[str, Any]:
    keep = (
        "visit_id",
        "cottage_id",
        "team_id",
        "date",
        "duration_minutes",
        "what_was_done",
        "child_asked_for",
        "logged_by",
        "created_at",
    )
    return {k: item.get(k) for k in keep}


def book(ledger: Ledger, catalogue: Catalogue, cottage_id: str, principal: Principal) -> dict[str, Any]:
    """The whole book of one cottage, newest visit first (private)."""
    cottage = catalogue.cottage(cottage_id)
    authorize(principal, cottage)
    rows = ledger.records.query(keys.cottage_partition(cottage_id), sk_prefix=keys.VISIT_PREFIX)
    rows.sort(key=lambda r: (r["date"], r["created_at"]), reverse=True)
    return {"cottage_id": cottage_id, "team_id": cottage.team_id, "visits": [book_view(r) for r in rows]}


def visit_days(summary: dict[str, Any] | None) -> dict[str, int]:
    """The per-day counters of a summary item: {"YYYY-MM-DD": visits}."""
    if not summary:
        return {}
    return {k[len(DAY_PREFIX) :]: int(v) for k, v in summary.items() if k.startswith(DAY_PREFIX) and int(v) > 0}


def public_summary(cottage_id: str, summary: dict[str, Any] | None) -> dict[str, Any]:
    days = visit_days(summary)
    return {
        "cottage_id": cottage_id,
        "visit_count": int((summary or {}).get("visit_count", 0)),
        "last_visit_month": max(days)[:7] if days else None,
    }


def visit_summary(ledger: Ledger, catalogue: Catalogue, cottage_id: str) -> dict[str, Any]:
    catalogue.cottage(cottage_id)
    return {
        **public_summary(cottage_id, ledger.records.get(keys.visit_summary(cottage_id))),
        "as_of": clock.iso(ledger.now()),
    }


def last_full_months(today: date, count: int = MONTHLY_MONTHS) -> list[str]:
    """The ``count`` calendar months before today's month, oldest first, as YYYY-MM."""
    year, month = today.year, today.month
    out = []
    for _ in range(count):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        out.append(f"{year:04d}-{month:02d}")
    return sorted(out)


def programme_stats(ledger: Ledger, catalogue: Catalogue, programme_id: str) -> dict[str, Any]:
    if programme_id not in catalogue.programme_ids:
        raise errors.UnknownProgramme()
    today = beijing_today(ledger)
    hit = ledger.records.cached(
        ("visit-stats", programme_id, today),
        lambda: {r["cottage_id"]: r for r in ledger.records.query(keys.programme_visits(programme_id), index="gsi1")},
    )
    paired = [c.cottage_id for c in catalogue.cottages.paired() if c.programme_id == programme_id]
    months = last_full_months(today)
    monthly = visited = 0
    for cid in paired:
        seen = {d[:7] for d in visit_days(hit.get(cid))}
        monthly += all(m in seen for m in months)
        visited += any(m in seen for m in months)
    return {
        "programme_id": programme_id,
        "cottages": len(paired),
        "visited_at_least_monthly": monthly,
        "visited_in_period": visited,
        # share in tenths of a percent, floored (as progress percent)
        "monthly_percent": (monthly * 1000 // len(paired)) / 10 if paired else None,
        "months": months,
        "definition": f"at least one visit in each of the last {MONTHLY_MONTHS} full calendar months (Beijing time)",
        "as_of": clock.iso(ledger.now()),
    }


def parse_days(params: dict[str, str] | None) -> int:
    params = params or {}
    unknown = set(params) - {"days"}
    if unknown:
        raise errors.InvalidQuery(
            f"不认识的查询参数：{'、'.join(sorted(unknown))}",
            f"unknown query parameter(s): {', '.join(sorted(unknown))}",
        )
    raw = params.get("days", str(OVERDUE_DEFAULT_DAYS))
    if not raw.isdigit() or not 1 <= int(raw) <= OVERDUE_MAX_DAYS:
        raise errors.InvalidQuery("days 必须是 1 到 366 的整数", "days must be a whole number from 1 to 366")
    return int(raw)


def overdue(
    ledger: Ledger, catalogue: Catalogue, days: int, programmes: frozenset[str] | None = None
) -> dict[str, Any]:
    """Paired cottages whose last visit is more than ``days`` days ago (or never), longest first.

    Only cottages of ``programmes`` (the caller's; None: all).
    """
    today = beijing_today(ledger)
    paired = {
        c.cottage_id: c for c in catalogue.cottages.paired() if programmes is None or c.programme_id in programmes
    }
    found = ledger.records.get_many([keys.visit_summary(cid) for cid in paired])
    rows: list[dict[str, Any]] = []
    for cid, cottage in sorted(paired.items()):
        seen = visit_days(found.get(keys.visit_summary(cid)))
        last = max(seen) if seen else None
        since = (today - date.fromisoformat(last)).days if last else None
        if since is None or since > days:
            rows.append(
                {
                    "cottage_id": cid,
                    "programme_id": cottage.programme_id,
                    "team_id": cottage.team_id,
                    "team_name": team.name if (team := catalogue.volunteer_teams.get(cottage.team_id or "")) else None,
                    "last_visit_date": last,
                    "days_since": since,
                }
            )
    rows.sort(key=lambda r: (r["days_since"] is not None, -(r["days_since"] or 0), r["cottage_id"]))
    return {"as_of": clock.iso(ledger.now()), "days": days, "today": today.isoformat(), "cottages": rows}
