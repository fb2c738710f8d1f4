"""Compile checked content into the API's catalogue (api/chalicelib/catalogue.json).

The catalogue is the only thing the API knows about content: projects, campaigns
with their matching rules (fen and basis points), teams, needs, cottages and
volunteer teams. It is built from the same commit as the site, so the two agree.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from .loader import Loaded
from .models import Campaign, Cottage, Need, Organisation, Project, Team
from .models.campaign import Window

VERSION = 1
BASIS_POINTS = 10_000


def _bp(rate: Decimal) -> int:
    bp = rate * BASIS_POINTS
    if bp != bp.to_integral_value():
        raise ValueError(f"rate {rate} is finer than one basis point")
    return int(bp)


def _window(w: Window) -> dict[str, Any]:
    return {
        "start": w.start.isoformat(),
        "end": w.end.isoformat(),
        "daily_start": w.daily_start.strftime("%H:%M") if w.daily_start else None,
        "daily_end": w.daily_end.strftime("%H:%M") if w.daily_end else None,
    }


def campaign_entry(c: Campaign) -> dict[str, Any]:
    """A campaign as the API and the matching rules read it."""
    r = c.rules
    return {
        "campaign_id": c.id,
        "name": c.name,
        "programme_id": c.programme,
        "pool_fen": c.pool,
        "demo": c.demo,
        "windows": [_window(w) for w in c.windows],
        "rules": {
            "ratio_bp": _bp(r.ratio),
            "minimum_pledge_fen": r.minimum_pledge,
            "per_pledge_cap_fen": r.per_pledge_cap,
            "per_donor_daily_cap_fen": r.per_donor_daily_cap,
            "per_donor_matched_pledges": r.per_donor_matched_pledges,
            "per_project_cap_fen": r.per_project_cap,
            "matchable_max_fen": r.matchable_max,
            "tiers": [{"min_fen": t.min, "max_fen": t.max, "rate_bp": _bp(t.rate)} for t in r.tiers],
            "team_bonus": (
                {"threshold_fen": r.team_bonus.threshold, "extra_project_cap_fen": r.team_bonus.extra_project_cap}
                if r.team_bonus else None
            ),
            "velocity_per_minute": r.velocity_per_minute,
        },
        "project_ids": list(c.projects),
    }


def build_catalogue(loaded: Loaded) -> dict[str, Any]:
    campaigns = loaded.of(Campaign)
    teams = loaded.of(Team)
    projects = {
        p.id: {
            "project_id": p.id,
            "name": p.name,
            "programme_id": p.programme,
            "goal_fen": p.goal,
            "status": p.status,
            "accepting_pledges": p.accepting_pledges,
            "campaign_ids": sorted(c.id for c in campaigns.values() if p.id in c.projects),
            "team_ids": sorted(t.id for t in teams.values() if t.project == p.id),
        }
        for p in loaded.of(Project).values()
    }
    return {
        "version": VERSION,
        "projects": projects,
        "campaigns": {c.id: campaign_entry(c) for c in campaigns.values()},
        "teams": {
            t.id: {"team_id": t.id, "name": t.name, "project_id": t.project, "campaign_id": t.campaign,
                   "parent_org": t.parent, "captain_alias": t.captain_alias, "target_fen": t.target}
            for t in teams.values()
        },
        "needs": {
            n.id: {"need_id": n.id, "programme_id": n.programme, "title": n.title, "stage": n.stage,
                   "claimed_by": n.claimed_by,
                   "claim_opens": n.claim_opens.isoformat() if n.claim_opens else None,
                   "claim_closes": n.claim_closes.isoformat() if n.claim_closes else None}
            for n in loaded.of(Need).values()
        },
        "cottages": {
            c.id: {"cottage_id": c.id, "programme_id": c.programme, "team_id": c.team, "stage": c.stage}
            for c in loaded.of(Cottage).values()
        },
        "volunteer_teams": {
            o.id: {"team_id": o.id, "name": o.name}
            for o in loaded.of(Organisation).values() if o.kind == "volunteer_team"
        },
    }


def write_catalogue(loaded: Loaded, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(build_catalogue(loaded), ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    return out
