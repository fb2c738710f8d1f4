"""What the public sees: projects, progress, campaigns, team leaderboards, the donor wall."""

from __future__ import annotations

import base64
from typing import Any

from . import clock, errors
from .catalogue import Catalogue, Project, Team
from .ledger import Ledger
from .matching import is_open
from .pledges import effective_status, public_view
from .rules import Campaign

WALL_DEFAULT = 20
WALL_MAX = 100


def project_summary(project: Project) -> dict[str, Any]:
    return {
        "project_id": project.project_id,
        "name": project.name,
        "programme_id": project.programme_id,
        "goal_fen": project.goal_fen,
        "status": project.status,
        "accepting_pledges": project.accepting_pledges is True,
        "campaign_ids": list(project.campaign_ids),
        "team_ids": list(project.team_ids),
    }


def campaign_summary(catalogue: Catalogue, campaign_id: str, now: Any) -> dict[str, Any]:
    campaign = catalogue.campaign(campaign_id)
    return {
        "campaign_id": campaign_id,
        "name": campaign.name,
        "programme_id": campaign.programme_id,
        "demo": campaign.demo,
        "open_now": is_open(campaign, now),
        "windows": [w.to_catalogue() for w in campaign.windows],
        "project_ids": list(campaign.project_ids),
    }


def match_remaining_fen(ledger: Ledger, campaign: Campaign, project_id: str) -> int:
    """The match still available to this project: the smaller of its cap's remainder and the pool's."""
    pool = ledger.pool(campaign).remaining_fen
    cap = ledger.project_cap(campaign, project_id)
    return pool if cap is None else min(pool, cap.remaining_fen)


def progress(ledger: Ledger, catalogue: Catalogue, project_id: str) -> dict[str, Any]:
    """已到账 (paid) is the headline; 认捐中 (pending, unpaid and not yet closed) apart; matched = confirmed."""
    project = catalogue.project(project_id)
    now = ledger.now()
    totals = ledger.project_totals(project_id)
    goal = int(project.goal_fen or 0)
    reached = totals["paid_fen"] + totals["matched_fen"]
    out: dict[str, Any] = {
        "project_id": project_id,
        "goal_fen": goal,
        "paid_fen": totals["paid_fen"],
        "raised_fen": totals["paid_fen"],  # = paid_fen: money that arrived (kept for older pages)
        "pending_fen": max(0, totals["pending_fen"]),
        "pending_count": max(0, totals["pending_count"]),
        "matched_fen": totals["matched_fen"],
        "pledge_count": totals["pledge_count"],
        "donor_count": totals["donor_count"],
        # (paid + matched) / goal, in tenths of a percent, floored; may pass 100.
        "percent": (reached * 1000 // goal) / 10 if goal > 0 else None,
        "as_of": clock.iso(now),
        "campaign": None,
    }
    campaign = catalogue.applicable_campaign(project_id, now)
    if campaign is not None:
        figures = ledger.campaign_figures(campaign)
        out["campaign"] = {
            "campaign_id": campaign.campaign_id,
            "open_now": is_open(campaign, now),
            "remaining_fen": figures["remaining_fen"],
            "match_remaining_fen": match_remaining_fen(ledger, campaign, project_id)
            if campaign.includes(project_id)
            else 0,
        }
    return out


def campaign_detail(ledger: Ledger, catalogue: Catalogue, campaign_id: str) -> dict[str, Any]:
    out = campaign_summary(catalogue, campaign_id, ledger.now())
    campaign = catalogue.campaign(campaign_id)
    out.update(ledger.campaign_figures(campaign))
    out["rules"] = campaign.rules.to_catalogue()
    return out


def _team_row(team: Team, totals: dict[str, int]) -> dict[str, Any]:
    return {
        "team_id": team.team_id,
        "name": team.name,
        "project_id": team.project_id,
        "campaign_id": team.campaign_id,
        "parent_org": team.parent_org,
        "captain_alias": team.captain_alias,
        "target_fen": team.target_fen,
        "paid_fen": totals["paid_fen"],
        "raised_fen": totals["paid_fen"],  # = paid_fen (kept for older pages)
        "pending_fen": max(0, totals["pending_fen"]),
        "matched_fen": totals["matched_fen"],
        "pledge_count": totals["pledge_count"],
        "donor_count": totals["donor_count"],
    }


def leaderboard(ledger: Ledger, catalogue: Catalogue, campaign_id: str) -> dict[str, Any]:
    catalogue.campaign(campaign_id)
    teams = catalogue.teams_of_campaign(campaign_id)
    totals = ledger.team_totals([t.team_id for t in teams])
    rows = [_team_row(t, totals[t.team_id]) for t in teams]
    return {
        "campaign_id": campaign_id,
        "as_of": clock.iso(ledger.now()),
        "by_amount": sorted(rows, key=lambda r: (-r["paid_fen"], -r["donor_count"], r["team_id"])),
        "by_donors": sorted(rows, key=lambda r: (-r["donor_count"], -r["paid_fen"], r["team_id"])),
    }


def team_detail(ledger: Ledger, catalogue: Catalogue, team_id: str) -> dict[str, Any]:
    team = catalogue.team(team_id)
    return {**_team_row(team, ledger.team_totals([team_id])[team_id]), "as_of": clock.iso(ledger.now())}


def wall(ledger: Ledger, catalogue: Catalogue, project_id: str, params: dict[str, str] | None) -> dict[str, Any]:
    catalogue.project(project_id)
    params = params or {}
    unknown = set(params) - {"limit", "cursor"}
    if unknown:
        raise errors.InvalidQuery(
            f"不认识的查询参数：{'、'.join(sorted(unknown))}",
            f"unknown query parameter(s): {', '.join(sorted(unknown))}",
        )
    raw_limit = params.get("limit", str(WALL_DEFAULT))
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= WALL_MAX:
        raise errors.InvalidQuery("limit 必须是 1 到 100 的整数", "limit must be a whole number from 1 to 100")
    before = _decode_cursor(params["cursor"]) if "cursor" in params else None
    rows, next_before = ledger.wall(project_id, before=before, limit=int(raw_limit))
    next_cursor = None if next_before is None else base64.urlsafe_b64encode(next_before.encode()).decode().rstrip("=")
    return {"project_id": project_id, "pledges": [public_view(r) for r in rows], "next_cursor": next_cursor}


def _decode_cursor(cursor: str) -> str:
    """An opaque, URL-safe page cursor back into the wall's sort key."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.InvalidQuery("cursor 无效", "cursor is not valid") from exc
    if len(text) > 80 or "#p_" not in text:
        raise errors.InvalidQuery("cursor 无效", "cursor is not valid")
    return text


def export_rows(
    ledger: Ledger, catalogue: Catalogue, params: dict[str, str] | None, programmes: frozenset[str] | None = None
) -> list[dict[str, Any]]:
    """Pledges for the operator export: one project, one campaign, or everything, oldest first.

    ``programmes`` are the caller's (None: all). A project or campaign of another programme is
    refused (403 other_programme); "everything" means every project of the caller's programmes.
    """
    params = params or {}
    unknown = set(params) - {"project_id", "campaign_id"}
    if unknown or len(params) > 1:
        raise errors.InvalidQuery(
            "请只给出 project_id 或 campaign_id 之一", "give at most one of project_id or campaign_id"
        )

    def mine(programme_id: str | None) -> bool:
        return programmes is None or programme_id in programmes

    if "project_id" in params:
        if not mine(catalogue.project(params["project_id"]).programme_id):
            raise errors.OtherProgramme()
        project_ids = [params["project_id"]]
    elif "campaign_id" in params:
        campaign = catalogue.campaign(params["campaign_id"])
        if not mine(campaign.programme_id):
            raise errors.OtherProgramme()
        project_ids = list(campaign.project_ids)
    else:
        project_ids = [pid for pid, p in catalogue.projects.items() if mine(p.programme_id)]
    rows = [r for pid in project_ids for r in ledger.pledges_of_project(pid, unpaid=True)]
    if "campaign_id" in params:
        rows = [r for r in rows if r.get("campaign_id") == params["campaign_id"]]
    now_iso = clock.iso(ledger.now())
    rows = [{**r, "status": effective_status(r, now_iso)} for r in rows]
    return ledger.with_contacts(sorted(rows, key=lambda r: r["created_at"]))
