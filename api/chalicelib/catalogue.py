"""The catalogue of projects, campaigns, teams, needs and cottages compiled from content/.

``make catalogue`` writes ``chalicelib/catalogue.json`` and, beside it, the cottage
index ``catalogue.cottages.tsv``; both ship inside the Lambda bundle so the API and
the site deployed from one commit agree. The path can be overridden with
``QINGYI_CATALOGUE``. The file is read on first use, not at import, so tests can
point elsewhere.

Every record is typed (:class:`Project`, :class:`Team`, :class:`Need`,
:class:`VolunteerTeam`, :class:`Cottage`; campaigns are :class:`chalicelib.rules.Campaign`).
Nothing derived is stored: a project's campaigns are the campaigns that list it
(``Campaign.project_ids``), its teams the teams that name it, both worked out when the
catalogue is read.

**Cold start.** The JSON holds only what grows with projects and campaigns. Cottages
grow with the programme (100,000 of them made the JSON 12 MB and 0.37 s to parse), yet
a request about cottages needs one of them, or for the programme figures and the
overdue list all of them once. So they live in :class:`CottageIndex`: one line per
cottage, ``id<TAB>programme<TAB>team``, sorted by id, mapped into memory (``mmap``)
on first use and searched by bisection: opening costs the same at 150 cottages or
100,000, a look-up reads a few pages, and only the routes that list cottages read
them all. Small catalogues (tests) may give the cottages inline as a mapping; they
are turned into the same sorted lines.
"""

from __future__ import annotations

import json
import mmap
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from . import errors
from .rules import Campaign

DEFAULT_PATH = Path(__file__).with_name("catalogue.json")
VERSION = 1
#: The cottage index's file name beside the catalogue: catalogue.json -> catalogue.cottages.tsv.
COTTAGE_SUFFIX = ".cottages.tsv"

_lock = threading.Lock()
_cache: dict[tuple[str, float], Catalogue] = {}


def _record(cls: type, data: Mapping[str, Any], **derived: Any) -> Any:
    """A typed record from its catalogue entry; keys the record does not hold are ignored."""
    names = {f.name for f in fields(cls) if f.init} - set(derived)
    return cls(**{name: data.get(name) for name in names}, **derived)


@dataclass(frozen=True)
class Team:
    """An online fundraising team (网上战队) of one project in one campaign."""

    team_id: str
    name: str | None
    project_id: str | None
    campaign_id: str | None
    parent_org: str | None
    captain_alias: str | None
    target_fen: int | None


@dataclass(frozen=True)
class Project:
    """A project that takes pledges; ``campaign_ids`` and ``team_ids`` are derived when the catalogue is read."""

    project_id: str
    name: str | None
    programme_id: str | None
    goal_fen: int | None
    status: str | None
    accepting_pledges: bool | None
    campaign_ids: tuple[str, ...] = ()
    team_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Need:
    """A published need volunteers can claim (dates are Beijing dates, ISO text)."""

    need_id: str
    programme_id: str | None
    title: str | None
    stage: str | None
    claimed_by: str | None
    claim_opens: str | None
    claim_closes: str | None


@dataclass(frozen=True)
class VolunteerTeam:
    team_id: str
    name: str | None


@dataclass(frozen=True)
class Cottage:
    """What the API knows of a cottage: its programme and the volunteer team paired with it (or None)."""

    cottage_id: str
    programme_id: str | None
    team_id: str | None


class CottageIndex:
    """Cottages as sorted lines ``id\\tprogramme\\tteam\\n`` (empty field = none), searched by bisection."""

    def __init__(self, opener: Any) -> None:
        self._opener = opener  # () -> bytes-like; called once, on first use
        self._lock = threading.Lock()
        self._buffer: Any = None

    @classmethod
    def from_file(cls, where: Path) -> CottageIndex:
        def open_index() -> Any:
            try:
                with where.open("rb") as handle:
                    if os.fstat(handle.fileno()).st_size == 0:
                        return b""
                    return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            except FileNotFoundError as exc:
                raise errors.CatalogueMissing() from exc

        return cls(open_index)

    @classmethod
    def from_entries(cls, entries: Mapping[str, Mapping[str, Any]]) -> CottageIndex:
        data = encode(Cottage(cid, e.get("programme_id"), e.get("team_id")) for cid, e in entries.items())
        return cls(lambda: data)

    @property
    def _data(self) -> Any:
        if self._buffer is None:
            with self._lock:
                if self._buffer is None:
                    self._buffer = self._opener()
        return self._buffer

    def get(self, cottage_id: str) -> Cottage | None:
        data, key = self._data, cottage_id.encode("utf-8")
        lo, hi = 0, len(data)
        while lo < hi:  # bounded: each turn drops at least one line
            mid = (lo + hi) // 2
            start = data.rfind(b"\n", 0, mid) + 1
            end = data.find(b"\n", start)
            found = data[start : data.find(b"\t", start, end)]
            if found == key:
                return _decode(data[start:end])
            if found < key:
                lo = end + 1
            else:
                hi = start
        return None

    def __iter__(self) -> Iterator[Cottage]:
        for line in bytes(self._data[:]).splitlines():
            yield _decode(line)

    def paired(self) -> Iterator[Cottage]:
        """The cottages with a volunteer team, in id order."""
        return (c for c in self if c.team_id)


def encode(cottages: Any) -> bytes:
    """Cottages as the index's sorted lines (ids, programmes and team ids hold no tab or newline)."""
    rows = sorted(cottages, key=lambda c: c.cottage_id.encode("utf-8"))
    return b"".join(f"{c.cottage_id}\t{c.programme_id or ''}\t{c.team_id or ''}\n".encode() for c in rows)


def _decode(line: bytes) -> Cottage:
    cottage_id, programme_id, team_id = line.decode("utf-8").split("\t")
    return Cottage(cottage_id, programme_id or None, team_id or None)


@dataclass(frozen=True)
class Catalogue:
    """The compiled catalogue, typed; see the module notes for what is derived and what is read lazily."""

    projects: dict[str, Project]
    campaigns: dict[str, Campaign]
    teams: dict[str, Team]
    needs: dict[str, Need] = field(default_factory=dict)
    volunteer_teams: dict[str, VolunteerTeam] = field(default_factory=dict)
    cottages: CottageIndex = field(default_factory=lambda: CottageIndex.from_entries({}))

    @classmethod
    def from_dict(cls, data: dict[str, Any], cottage_index: Path | None = None) -> Catalogue:
        """From the catalogue JSON; ``cottage_index`` is the index file when the cottages are not inline."""
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise ValueError(f"catalogue: expected a JSON object with version {VERSION}")
        campaigns = {cid: Campaign.from_catalogue(c) for cid, c in (data.get("campaigns") or {}).items()}
        teams = {tid: _record(Team, t) for tid, t in (data.get("teams") or {}).items()}
        projects = {
            pid: _record(
                Project,
                p,
                campaign_ids=tuple(sorted(cid for cid, c in campaigns.items() if pid in c.project_ids)),
                team_ids=tuple(sorted(tid for tid, t in teams.items() if t.project_id == pid)),
            )
            for pid, p in (data.get("projects") or {}).items()
        }
        inline = data.get("cottages")
        if isinstance(inline, dict):
            cottages = CottageIndex.from_entries(inline)
        elif cottage_index is not None:
            cottages = CottageIndex.from_file(cottage_index)
        else:
            cottages = CottageIndex.from_entries({})
        return cls(
            projects=projects,
            campaigns=campaigns,
            teams=teams,
            needs={nid: _record(Need, n) for nid, n in (data.get("needs") or {}).items()},
            volunteer_teams={tid: _record(VolunteerTeam, t) for tid, t in (data.get("volunteer_teams") or {}).items()},
            cottages=cottages,
        )

    # ---- look-ups that raise the right 404 --------------------------------

    def project(self, project_id: str) -> Project:
        project = self.projects.get(project_id)
        if project is None:
            raise errors.UnknownProject()
        return project

    def campaign(self, campaign_id: str) -> Campaign:
        campaign = self.campaigns.get(campaign_id)
        if campaign is None:
            raise errors.UnknownCampaign()
        return campaign

    def team(self, team_id: str) -> Team:
        team = self.teams.get(team_id)
        if team is None:
            raise errors.UnknownTeamId()
        return team

    def need(self, need_id: str) -> Need:
        need = self.needs.get(need_id)
        if need is None:
            raise errors.UnknownNeed()
        return need

    def cottage(self, cottage_id: str) -> Cottage:
        cottage = self.cottages.get(cottage_id)
        if cottage is None:
            raise errors.UnknownCottage()
        return cottage

    # ---- which campaign a pledge falls under --------------------------------

    def campaigns_of(self, project_id: str) -> list[Campaign]:
        return [self.campaigns[cid] for cid in self.project(project_id).campaign_ids]

    def applicable_campaign(self, project_id: str, now: datetime) -> Campaign | None:
        """The first open campaign in the project's campaign_ids order; else the first listed; else None."""
        from .matching import is_open

        listed = self.campaigns_of(project_id)
        for campaign in listed:
            if is_open(campaign, now):
                return campaign
        return listed[0] if listed else None

    def teams_of_campaign(self, campaign_id: str) -> list[Team]:
        return [t for t in self.teams.values() if t.campaign_id == campaign_id]

    def teams_of_project(self, project_id: str) -> list[Team]:
        return [t for t in self.teams.values() if t.project_id == project_id]

    @cached_property
    def programme_ids(self) -> frozenset[str]:
        """Programmes something in the catalogue belongs to (reads the whole cottage index, once)."""
        found = {c.programme_id for c in self.cottages}
        found |= {n.programme_id for n in self.needs.values()}
        found |= {p.programme_id for p in self.projects.values()}
        found |= {c.programme_id for c in self.campaigns.values()}
        return frozenset(p for p in found if p)


def path() -> Path:
    configured = os.environ.get("QINGYI_CATALOGUE", "").strip()
    return Path(configured) if configured else DEFAULT_PATH


def cottage_index_path(catalogue_path: Path) -> Path:
    return catalogue_path.with_name(catalogue_path.stem + COTTAGE_SUFFIX)


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
            found = Catalogue.from_dict(json.loads(where.read_text(encoding="utf-8")), cottage_index_path(where))
            _cache.clear()
            _cache[key] = found
        return found
