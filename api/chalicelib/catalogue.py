"""The catalogue of projects, campaigns and teams compiled from content/.

``make catalogue`` writes ``chalicelib/catalogue.json``; it ships inside the
Lambda bundle so the API and the site deployed from one commit agree. The path
can be overridden with ``QINGYI_CATALOGUE``. The file is read on first use,
not at import, so cold starts stay cheap and tests can point elsewhere.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from . import errors
from .rules import Campaign

DEFAULT_PATH = Path(__file__).with_name("catalogue.json")

_lock = threading.Lock()
_cache: dict[tuple[str, float], Catalogue] = {}


@dataclass(frozen=True)
class Catalogue:
    """The compiled catalogue (version 1) with the campaigns parsed into rule objects."""

    projects: dict[str, dict[str, Any]]
    campaigns: dict[str, dict[str, Any]]
    teams: dict[str, dict[str, Any]]
    raw: dict[str, Any]
    rules: dict[str, Campaign]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Catalogue:
        if not isinstance(data, dict) or data.get("version") != 1:
            raise ValueError("catalogue: expected a JSON object with version 1")
        campaigns = dict(data.get("campaigns") or {})
        rules = {cid: Campaign.from_catalogue(c) for cid, c in campaigns.items()}
        return cls(
            projects=dict(data.get("projects") or {}),
            campaigns=campaigns,
            teams=dict(data.get("teams") or {}),
            raw=data,
            rules=rules,
        )

    # ---- look-ups that raise the right 404 --------------------------------

    def project(self, project_id: str) -> dict[str, Any]:
        project = self.projects.get(project_id)
        if project is None:
            raise errors.UnknownProject()
        return project

    def campaign(self, campaign_id: str) -> dict[str, Any]:
        campaign = self.campaigns.get(campaign_id)
        if campaign is None:
            raise errors.UnknownCampaign()
        return campaign

    def team(self, team_id: str) -> dict[str, Any]:
        team = self.teams.get(team_id)
        if team is None:
            raise errors.UnknownTeamId()
        return team

    # ---- which campaign a pledge falls under --------------------------------

    def campaigns_of(self, project_id: str) -> list[Campaign]:
        project = self.project(project_id)
        return [self.rules[cid] for cid in project.get("campaign_ids") or [] if cid in self.rules]

    def applicable_campaign(self, project_id: str, now: datetime) -> Campaign | None:
        """The first open campaign in the project's campaign_ids order; else the first listed; else None."""
        from .matching import is_open

        listed = self.campaigns_of(project_id)
        for campaign in listed:
            if is_open(campaign, now):
                return campaign
        return listed[0] if listed else None

    def teams_of_campaign(self, campaign_id: str) -> list[dict[str, Any]]:
        return [t for t in self.teams.values() if t.get("campaign_id") == campaign_id]

    def teams_of_project(self, project_id: str) -> list[dict[str, Any]]:
        return [t for t in self.teams.values() if t.get("project_id") == project_id]


def path() -> Path:
    configured = os.environ.get("QINGYI_CATALOGUE", "").strip()
    return Path(configured) if configured else DEFAULT_PATH


def load() -> Catalogue:
    """The catalogue at :func:`path`, parsed once per file version."""
    where = path()
    try:
        mtime = where.stat().st_mtime
    except FileNotFoundError as exc:
        raise errors.CatalogueMissing() from exc
    key = (str(where), mtime)
    with _lock:
        found = _cache.get(key)
        if found is None:
            found = Catalogue.from_dict(json.loads(where.read_text(encoding="utf-8")))
            _cache.clear()
            _cache[key] = found
        return found
