"""Compile checked content into the API's catalogue (api/chalicelib/catalogue.json and its cottage index).

The catalogue is the only thing the API knows about content: projects, campaigns
with their matching rules (fen and basis points, as :mod:`chalicelib.rules` writes
them), teams, needs and volunteer teams in the JSON; cottages, which grow with the
programme, in the sorted index beside it (see :mod:`chalicelib.catalogue`). It is
built from the same commit as the site, so the two agree. What the API can derive
(a project's campaigns and teams) is not written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chalicelib.catalogue import VERSION, Cottage, cottage_index_path, encode

from .loader import Loaded
from .models import Campaign, Need, Organisation, Project, Team
from .models import Cottage as CottageRecord


def build_catalogue(loaded: Loaded) -> dict[str, Any]:
    """The catalogue JSON (everything but the cottages)."""
    return {
        "version": VERSION,
        "projects": {
            p.id: {"project_id": p.id, "name": p.name, "programme_id": p.programme, "goal_fen": p.goal,
                   "status": p.status, "accepting_pledges": p.accepting_pledges}
            for p in loaded.of(Project).values()
        },
        "campaigns": {c.id: c.matching().to_catalogue() for c in loaded.of(Campaign).values()},
        "teams": {
            t.id: {"team_id": t.id, "name": t.name, "project_id": t.project, "campaign_id": t.campaign,
                   "parent_org": t.parent, "captain_alias": t.captain_alias, "target_fen": t.target}
            for t in loaded.of(Team).values()
        },
        "needs": {
            n.id: {"need_id": n.id, "programme_id": n.programme, "title": n.title, "stage": n.stage,
                   "claimed_by": n.claimed_by,
                   "claim_opens": n.claim_opens.isoformat() if n.claim_opens else None,
                   "claim_closes": n.claim_closes.isoformat() if n.claim_closes else None}
            for n in loaded.of(Need).values()
        },
        "volunteer_teams": {
            o.id: {"team_id": o.id, "name": o.name}
            for o in loaded.of(Organisation).values() if o.kind == "volunteer_team"
        },
    }


def cottage_index(loaded: Loaded) -> bytes:
    """The cottages as the API's index: id, programme and paired team, one sorted line each."""
    return encode(Cottage(c.id, c.programme, c.team) for c in loaded.of(CottageRecord).values())


def write_catalogue(loaded: Loaded, out: Path) -> Path:
    """Write ``out`` (the JSON) and its cottage index beside it; returns ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    cottage_index_path(out).write_bytes(cottage_index(loaded))
    out.write_text(json.dumps(build_catalogue(loaded), ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    return out
