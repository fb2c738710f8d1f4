"""What the site publishes: the checked records arranged the way pages need them (look-ups, groupings and
totals, computed once)."""

from __future__ import annotations

import datetime as dt
import posixpath
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from ..disclosure import today
from ..loader import Loaded
from ..models import (
    Batch,
    Campaign,
    Cottage,
    Need,
    Organisation,
    Programme,
    Project,
    Team,
    VentureProject,
    VolunteerStructure,
)
from ..models.common import current_stage
from ..models.cottage import BUILT_FROM, COTTAGE_STAGES
from ..models.need import NEED_STAGES
from ..models.venture_project import VENTURE_STAGES


def url_of(kind: str, rid: str = "") -> str:
    """The directory URL (relative to the site root, no leading slash) of a record's page."""
    return {
        "home": "",
        "programme": f"programmes/{rid}/",
        "ledger": f"ledger/{rid}/",
        "disclosure": f"disclosure/{rid}/",  # 信息公开 (publish/disclosure_pages.py)
        "project": f"projects/{rid}/",
        "campaign": f"campaigns/{rid}/",
        "campaigns": "campaigns/",
        "team": f"teams/{rid}/",
        "teams": "teams/",
        "batch": f"batches/{rid}/",
        "batches": "batches/",
        "cottage": f"cottages/{rid}.html",  # a flat file: no folder per cottage (mkdir is the cost)
        "cottages": "cottages/",
        "need": f"needs/{rid}/",
        "needs": "needs/",
        "venture": f"ventures/{rid}/",
        "notice": f"ventures/{rid}/notice/",
        "ventures": "ventures/",
        "data": "data/",
        "projects": "projects/",
        "pledge": "pledge/",  # the donor's private page (the token rides in the link's fragment)
    }[kind]


def listing_url(facet: str, value: str, page: int = 1) -> str:
    """A cottage listing page: facet is all, township, stage or batch."""
    base = "cottages/list/all/" if facet == "all" else f"cottages/list/{facet}/{quote(value, safe='')}/"
    return base if page == 1 else f"{base}{page}/"


def rel(from_url: str, to_url: str) -> str:
    """A relative href from one directory URL to another (both relative to the site root)."""
    start = from_url.rstrip("/") or "."
    target = to_url or "."
    out = posixpath.relpath(target, start)
    if to_url.endswith("/") or to_url == "":
        out = out.rstrip("/") + "/"
    if out == "./":
        return "./"
    return out


@dataclass
class Published:
    """Everything the page generators read."""

    loaded: Loaded
    api_url: str = ""
    built: dt.date = field(default_factory=today)  # the content rules' clock (QINGYI_TODAY for previews)

    def __post_init__(self) -> None:
        L = self.loaded
        self.programmes: dict[str, Programme] = L.of(Programme)
        self.orgs: dict[str, Organisation] = L.of(Organisation)
        self.projects: dict[str, Project] = L.of(Project)
        self.batches: dict[str, Batch] = L.of(Batch)
        self.cottages: dict[str, Cottage] = L.of(Cottage)
        self.campaigns: dict[str, Campaign] = L.of(Campaign)
        self.teams: dict[str, Team] = L.of(Team)
        self.needs: dict[str, Need] = L.of(Need)
        self.structures: dict[str, VolunteerStructure] = L.of(VolunteerStructure)
        self.ventures: dict[str, VentureProject] = L.of(VentureProject)

        self.projects_of: dict[str, list[Project]] = defaultdict(list)
        for p in sorted(self.projects.values(), key=lambda p: p.start):
            self.projects_of[p.programme].append(p)
        self.campaigns_of_project: dict[str, list[Campaign]] = defaultdict(list)
        self.campaigns_of: dict[str, list[Campaign]] = defaultdict(list)
        for c in sorted(self.campaigns.values(), key=lambda c: c.windows[0].start):
            self.campaigns_of[c.programme].append(c)
            for pid in c.projects:
                self.campaigns_of_project[pid].append(c)
        self.teams_of_project: dict[str, list[Team]] = defaultdict(list)
        self.teams_of_campaign: dict[str, list[Team]] = defaultdict(list)
        for t in sorted(self.teams.values(), key=lambda t: t.id):
            self.teams_of_project[t.project].append(t)
            self.teams_of_campaign[t.campaign].append(t)
        self.batches_of: dict[str, list[Batch]] = defaultdict(list)
        for b in sorted(self.batches.values(), key=lambda b: b.deadline):
            self.batches_of[b.programme].append(b)

        # Cottages: one pass, whatever N is.
        self.cottage_ids = sorted(self.cottages)
        self.by_township: dict[str, list[str]] = defaultdict(list)
        self.by_stage: dict[str, list[str]] = defaultdict(list)
        self.by_batch: dict[str, list[str]] = defaultdict(list)
        self.cottages_of: Counter[str] = Counter()
        self.built_of: Counter[str] = Counter()
        # Cottage.stage dumps the model on every call; at 100,000 cottages the same function over the
        # stage fields directly is seconds faster. built: the model's rule, reached BUILT_FROM or later.
        self.stage_of: dict[str, str | None] = {}
        self.built_ids: set[str] = set()
        built_from = COTTAGE_STAGES.index(BUILT_FROM)
        for cid in self.cottage_ids:
            cottage = self.cottages[cid]
            stage = current_stage(cottage.stages.__dict__, COTTAGE_STAGES)
            self.stage_of[cid] = stage
            self.by_township[cottage.township].append(cid)
            self.by_stage[stage or "identified"].append(cid)
            if cottage.batch:
                self.by_batch[cottage.batch].append(cid)
            self.cottages_of[cottage.programme] += 1
            if stage is not None and COTTAGE_STAGES.index(stage) >= built_from:
                self.built_ids.add(cid)
                self.built_of[cottage.programme] += 1
        self.townships = sorted(self.by_township)
        self.stages = [s for s in COTTAGE_STAGES if s in self.by_stage]

        self.needs_by_stage: dict[str, list[Need]] = {s: [] for s in NEED_STAGES}
        for n in sorted(self.needs.values(), key=lambda n: n.id):
            self.needs_by_stage[n.stage].append(n)
        self.ventures_by_stage: dict[str, list[VentureProject]] = {s: [] for s in VENTURE_STAGES}
        for v in sorted(self.ventures.values(), key=lambda v: v.id):
            self.ventures_by_stage[v.stage or "call"].append(v)

    # ---- look-ups ----------------------------------------------------------

    def org_name(self, oid: str | None) -> str:
        if not oid:
            return ""
        org = self.orgs.get(oid)
        return org.name if org else oid

    def programme_of(self, record: Any) -> Programme | None:
        return self.programmes.get(getattr(record, "programme", ""))

    def structure_of(self, programme: str) -> VolunteerStructure | None:
        return next((s for s in self.structures.values() if s.programme == programme), None)

    # ---- money -------------------------------------------------------------

    def funding_by_channel(self, programme: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in self.projects_of[programme]:
            for e in p.funding:
                out[e.channel] = out.get(e.channel, 0) + e.amount
        return out

    def raised(self, programme: str) -> int:
        return sum(p.raised_fen for p in self.projects_of[programme])

    def spent(self, programme: str) -> int:
        return sum(p.spent_fen for p in self.projects_of[programme])

    def granted(self, programme: str) -> int:
        return sum(v.granted or 0 for v in self.ventures.values() if v.programme == programme)

    def ledger(self, programme: str) -> list[dict[str, Any]]:
        """Every source and use of funds in a programme, in date order: the transparency ledger."""
        rows: list[dict[str, Any]] = []
        for p in self.projects_of[programme]:
            for e in p.funding:
                rows.append({"date": e.date, "direction": "in", "project": p.id, "project_name": p.name,
                             "kind": e.channel, "amount_fen": e.amount,
                             "party": self.org_name(e.donor) or "", "via": self.org_name(e.via) or "",
                             "campaign": e.campaign or "", "purpose": "", "batch": "", "note": e.note or ""})
            for u in p.uses:
                rows.append({"date": u.date, "direction": "out", "project": p.id, "project_name": p.name,
                             "kind": "use", "amount_fen": u.amount, "party": self.org_name(u.payee) or "",
                             "via": "", "campaign": "", "purpose": u.purpose, "batch": u.batch or "", "note": ""})
        for v in sorted(self.ventures.values(), key=lambda v: v.id):
            if v.programme == programme and v.granted:
                day = v.stages.selection or v.stages.public_notice or dt.date(v.year, 1, 1)
                rows.append({"date": day, "direction": "out", "project": v.id, "project_name": v.title,
                             "kind": "grant", "amount_fen": v.granted, "party": self.org_name(v.applicant),
                             "via": "", "campaign": "", "purpose": "公益创投资助", "batch": "", "note": ""})
        rows.sort(key=lambda r: (r["date"], r["direction"], r["project"]))
        return rows

    def updates(self) -> list[tuple[dt.date, str, str, str, str]]:
        """(date, title, body, page url, source record id) for every dated update, newest first."""
        out = []
        for p in self.projects.values():
            for u in p.updates:
                out.append((u.date, u.title, u.body or "", url_of("project", p.id), p.id))
        for v in self.ventures.values():
            for u in v.updates:
                out.append((u.date, u.title, u.body or "", url_of("venture", v.id), v.id))
        out.sort(key=lambda x: (x[0], x[4]), reverse=True)
        return out
