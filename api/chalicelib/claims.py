"""Volunteer teams claiming published needs (需求 → 发布 → 认领 → 承办 → 总结).

Editors publish a need in content/ (stage ``published``, with a claim window
``claim_opens``..``claim_closes``, Beijing dates, both ends included). A
registered volunteer team (token role ``team:<team_id>``) claims it here;
operators approve or reject the claim; an operator export turns approved
claims into the YAML editors commit to ``content/needs/`` in a pull request,
which is how the ``claimed`` stage (and later ones) reach the site.

One team holds a need at a time: the need's *hold* item is written with the
condition "absent, or its claim was rejected", so of two teams racing exactly
one write succeeds, and DynamoDB (not Python) decides which. Each claim also
gets a record item of its own, kept after a rejection, so operators see the
history. A claim's ``contact`` and ``note`` are private: operator routes only.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from . import clock, errors, fields, keys
from .auth import Principal
from .catalogue import Catalogue, Need
from .ledger import Ledger
from .pledges import MAX_CONTACT, MAX_MESSAGE, clean_text
from .retry import Again
from .settlement import yaml_text
from .store import ABSENT, Put, Update, absent_or_eq, eq

LIVE = ("pending", "approved")
FIELDS = ("contact", "note")
DECISION_FIELDS = ("claim_id", "reason")
ATTEMPTS = 6
CONTENT_PATH = "content/needs/{need_id}.yml"
BOARD_CACHE = ("needs-status",)


# ---- requests ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimRequest:
    contact: str | None
    note: str | None


def _text(data: dict[str, Any], name: str, limit: int) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(clean_text(value)) > limit:
        raise errors.InvalidField(
            f"{name} 必须是不超过 {limit} 字的文本", f"{name} must be text of at most {limit} characters"
        )
    return clean_text(value) or None


def parse_claim(data: dict[str, Any]) -> ClaimRequest:
    """Both fields optional and private: who to call about this need, and a note for the operators."""
    fields.only(data, FIELDS)
    return ClaimRequest(contact=_text(data, "contact", MAX_CONTACT), note=_text(data, "note", MAX_MESSAGE))


def parse_decision(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """(claim_id, reason): claim_id pins the decision to the claim the operator looked at."""
    fields.only(data, DECISION_FIELDS)
    return _text(data, "claim_id", 64), _text(data, "reason", MAX_MESSAGE)


# ---- catalogue look-ups ------------------------------------------------------------------------------


def team_name(catalogue: Catalogue, team_id: str | None) -> str | None:
    team = catalogue.volunteer_teams.get(team_id) if team_id else None
    return team.name if team else None


def window_open(need: Need, today: date) -> bool:
    """Inside ``claim_opens``..``claim_closes`` (Beijing dates, inclusive); a missing end is unbounded."""
    opens, closes = need.claim_opens, need.claim_closes
    if opens and today < date.fromisoformat(opens):
        return False
    return not (closes and today > date.fromisoformat(closes))


# ---- claiming --------------------------------------------------------------------------------------------


def claimant(principal: Principal, catalogue: Catalogue) -> str:
    """The registered volunteer team a token speaks for; any other token → 403."""
    team_id = principal.team_id
    if team_id is None:
        raise errors.Forbidden("只有志愿服务队的令牌可以认领需求", "only a volunteer team's token may claim a need")
    if team_id not in catalogue.volunteer_teams:
        raise errors.UnregisteredTeam()
    return team_id


def claim(
    ledger: Ledger, catalogue: Catalogue, need_id: str, principal: Principal, request: ClaimRequest
) -> tuple[dict[str, Any], bool]:
    """Hold the need for the principal's team: (claim, True) when new, (claim, False) when it already held it."""
    team_id = claimant(principal, catalogue)
    need = catalogue.need(need_id)
    if need.stage != "published":
        raise errors.NeedNotClaimable()
    if not window_open(need, ledger.records.beijing_today()):
        raise errors.ClaimWindowClosed()
    records = ledger.records

    def attempt(_n: int) -> tuple[dict[str, Any], bool]:
        claimed_at = clock.iso(records.now())
        # random: a team may claim again after a rejection, even in frozen demo time
        claim_id = "c_" + secrets.token_hex(10)
        item = {
            "need_id": need_id,
            "programme_id": need.programme_id,
            "claim_id": claim_id,
            "team_id": team_id,
            "status": "pending",
            "claimed_at": claimed_at,
            "contact": request.contact,
            "note": request.note,
        }
        try:
            records.transact(
                [
                    Put(keys.need_hold(need_id), item, (absent_or_eq("status", "rejected"),)),
                    Put(keys.need_claim(need_id, claim_id), item, (ABSENT,)),
                ]
            )
        except errors.ConditionFailed:
            held = records.get(keys.need_hold(need_id))
            if held is not None and held.get("status") in LIVE:
                if held["team_id"] == team_id:
                    return held, False
                raise errors.NeedAlreadyClaimed() from None
            raise Again() from None  # freed (rejected) between our write and our read: try again
        records.forget(BOARD_CACHE)
        return item, True

    return records.retry.run(attempt, attempts=ATTEMPTS)


def decide(
    ledger: Ledger,
    catalogue: Catalogue,
    need_id: str,
    decision: str,
    principal: Principal,
    claim_id: str | None,
    reason: str | None,
) -> dict[str, Any]:
    """approve: pending → approved; reject: pending or approved → rejected (frees the need). Idempotent."""
    catalogue.need(need_id)
    target = {"approve": "approved", "reject": "rejected"}[decision]
    allowed_from = ("pending",) if decision == "approve" else LIVE
    records = ledger.records

    def attempt(_n: int) -> dict[str, Any]:
        held = records.get(keys.need_hold(need_id))
        if held is None or (claim_id is not None and held.get("claim_id") != claim_id):
            raise errors.ClaimNotPending()
        if held["status"] == target:
            return held
        if held["status"] not in allowed_from:
            raise errors.ClaimNotPending()
        change = {
            "status": target,
            "decided_at": clock.iso(records.now()),
            "decided_by": principal.token_ref,
            "reason": reason,
        }
        conds = (eq("claim_id", held["claim_id"]), eq("status", held["status"]))
        records.transact(
            [
                Update(keys.need_hold(need_id), set=change, conds=conds),
                Update(keys.need_claim(need_id, held["claim_id"]), set=change),
            ]
        )
        records.forget(BOARD_CACHE)
        return {**held, **change}

    return records.retry.run(attempt, attempts=ATTEMPTS)


# ---- what the public sees ------------------------------------------------------------------------------


def public_status(catalogue: Catalogue, need: Need, held: dict[str, Any] | None) -> dict[str, Any]:
    """A need on the needs board: its live stage and who holds it, by public name only."""
    stage = need.stage
    live = held if held is not None and held.get("status") in LIVE else None
    team_id: str | None
    out_stage: str | None
    claim_status: str | None
    if stage == "published" and live is not None:
        team_id, out_stage, claim_status = live["team_id"], "claimed", live["status"]
    else:
        team_id = need.claimed_by if stage not in ("need", "published") else None
        out_stage, claim_status = stage, None
    return {
        "need_id": need.need_id,
        "programme_id": need.programme_id,
        "title": need.title,
        "stage": out_stage,
        "content_stage": stage,
        "claimed": out_stage not in ("need", "published"),
        "claim_status": claim_status,
        "claimed_by": team_id,
        "team_name": team_name(catalogue, team_id),
        "claim_opens": need.claim_opens,
        "claim_closes": need.claim_closes,
    }


def one_status(ledger: Ledger, catalogue: Catalogue, need_id: str) -> dict[str, Any]:
    need = catalogue.need(need_id)
    held = ledger.records.get(keys.need_hold(need_id)) if need.stage == "published" else None
    return {**public_status(catalogue, need, held), "as_of": clock.iso(ledger.now())}


def holds(ledger: Ledger, need_ids: list[str]) -> dict[str, dict[str, Any]]:
    found = ledger.records.get_many([keys.need_hold(n) for n in need_ids])
    return {keys.need_of_hold(key): item for key, item in found.items()}


def board(ledger: Ledger, catalogue: Catalogue) -> dict[str, Any]:
    """Every need's live status; holds are read only for needs still at ``published`` (cached briefly)."""
    published = [nid for nid, n in catalogue.needs.items() if n.stage == "published"]
    hit = ledger.records.cached(BOARD_CACHE, lambda: holds(ledger, published))
    rows = [public_status(catalogue, n, hit.get(nid)) for nid, n in sorted(catalogue.needs.items())]
    return {"as_of": clock.iso(ledger.now()), "needs": rows}


# ---- operators ------------------------------------------------------------------------------------------


def operator_view(item: dict[str, Any]) -> dict[str, Any]:
    keep = (
        "claim_id",
        "need_id",
        "programme_id",
        "team_id",
        "status",
        "claimed_at",
        "contact",
        "note",
        "decided_at",
        "decided_by",
        "reason",
    )
    return {k: item.get(k) for k in keep}


def history(ledger: Ledger, catalogue: Catalogue, need_id: str) -> dict[str, Any]:
    catalogue.need(need_id)
    rows = ledger.records.query(keys.need_hold(need_id)[0], sk_prefix=keys.CLAIM_PREFIX)
    rows.sort(key=lambda r: r["claimed_at"], reverse=True)
    return {"need_id": need_id, "claims": [operator_view(r) for r in rows]}


def export_yaml(ledger: Ledger, catalogue: Catalogue, programmes: frozenset[str] | None = None) -> str:
    """Approved claims of needs still ``published`` in content/, as the fields editors set on each need.

    Public fields only (claimed_by, stages.claimed): this text goes into content/. Only needs of
    ``programmes`` (the caller's; None: all).
    """
    published = [
        nid
        for nid, n in catalogue.needs.items()
        if n.stage == "published" and (programmes is None or n.programme_id in programmes)
    ]
    approved = {nid: h for nid, h in holds(ledger, published).items() if h.get("status") == "approved"}
    now = ledger.now()
    entries = []
    for need_id in sorted(approved):
        held = approved[need_id]
        day = _beijing_date(held["claimed_at"])
        entries.append(
            {
                "id": need_id,
                "content_path": CONTENT_PATH.format(need_id=need_id),
                "claimed_by": held["team_id"],
                "team_name": team_name(catalogue, held["team_id"]),
                "stages": {"claimed": day},
            }
        )
    summary = {"exported_at": clock.iso(now), "needs": entries}
    header = [
        "# 志愿需求认领导出 / approved claims, for content/needs/",
        "# For each entry, open content_path and set claimed_by and stages.claimed as below,",
        "# then open a pull request; the site shows the claimed stage once it is merged.",
    ]
    return yaml_text(header, summary)


def _beijing_date(iso_utc: str) -> str:
    moment = datetime.fromisoformat(iso_utc.replace("Z", "+00:00"))
    return moment.astimezone(clock.BEIJING).date().isoformat()
