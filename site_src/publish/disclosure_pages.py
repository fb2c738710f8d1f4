"""信息公开 on the site: a block beside each project's pledge form, and one disclosure page per programme.

The block says who raises and receives the money (the qualified charity, and the league
committee it works with when that committee has no qualification), the filing number and
its dates, and the platform pages. The programme page lists the filings, the charities'
registrations, every disclosure deadline with its state on the build day, the reports and
updates by date, and the ledger's totals. The dates and states come from site_src.disclosure,
the same functions the content checks use, so the page and the checks always agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..disclosure import Deadline, final_report_deadline, update_deadline
from ..models import Organisation, Project
from ..models.project import Filing, Platform, ProjectReport, ReportKind
from .pages import Pages
from .published import Published, url_of

REPORT_KIND_ZH = ReportKind.labels()
DEADLINE_STATE_ZH = {"ok": "按期", "soon": "即将到期", "late": "已逾期", "done": "已公开"}


@dataclass(frozen=True)
class Charity:
    """An organisation's public registration and qualification, as a donor would check them."""

    org: Organisation

    @property
    def qualified(self) -> bool:
        return self.org.may_raise_publicly

    @property
    def example(self) -> bool:
        reg, q = self.org.registration, self.org.fundraising_qualification
        return bool(self.org.example or (reg and reg.example) or (q and q.example))


@dataclass(frozen=True)
class Due:
    """One disclosure obligation of a project and its state on the build day."""

    what: str
    deadline: Deadline
    state: str  # ok, soon, late, done
    done_on: dt.date | None = None


@dataclass
class ProjectDisclosure:
    project: Project
    owner: Charity | None
    fundraiser: Charity | None
    filing: Filing | None
    filing_state: str  # "", not_started, in_force, ended
    platforms: list[Platform]
    example: bool
    final: ProjectReport | None
    leftover_fen: int
    dues: list[Due] = field(default_factory=list)

    @property
    def partnership(self) -> bool:
        """The owner cannot raise money from the public itself and works with the fundraiser."""
        return self.fundraiser is not None and (self.owner is None or not self.owner.qualified) and \
            self.fundraiser.org.id != self.project.owner


def _charity(site: Published, oid: str | None) -> Charity | None:
    org = site.orgs.get(oid or "")
    return Charity(org) if org else None


def _filing_state(filing: Filing | None, day: dt.date) -> str:
    if filing is None:
        return ""
    return "not_started" if day < filing.valid_from else "ended" if day > filing.valid_until else "in_force"


def project_disclosure(site: Published, p: Project) -> ProjectDisclosure:
    fr = p.fundraising
    day = site.built
    dues: list[Due] = []
    upd = update_deadline(p)
    if upd is not None:
        dues.append(Due("进展与资金使用（每三个月）", upd, upd.state(day)))
    fin = final_report_deadline(p)
    if fin is not None:
        final = p.final_report
        dues.append(Due("结项报告与剩余资金处理（结束后三个月内）", fin,
                        "done" if final else fin.state(day), final.date if final else None))
    return ProjectDisclosure(
        project=p, owner=_charity(site, p.owner), fundraiser=_charity(site, fr.fundraiser if fr else None),
        filing=p.filing, filing_state=_filing_state(p.filing, day), platforms=list(fr.platforms) if fr else [],
        example=bool(fr and fr.example), final=p.final_report, leftover_fen=p.raised_fen - p.spent_fen, dues=dues)


@dataclass(frozen=True)
class Entry:
    """One dated line of a programme's disclosure record."""

    date: dt.date
    kind: str
    title: str
    body: str
    url: str  # the page it belongs to, relative to the site root
    source_name: str
    external: str = ""  # the full report's address, if any
    example: bool = False


def entries(site: Published, programme: str) -> list[Entry]:
    """Filings, reports and updates of a programme, newest first."""
    out: list[Entry] = []
    for p in site.projects_of[programme]:
        here = url_of("project", p.id)
        if p.filing is not None:
            fr = p.fundraising
            out.append(Entry(p.filing.valid_from, "公开募捐备案", f"备案编号 {p.filing.number}",
                             f"募捐期 {p.filing.valid_from.isoformat()} 至 {p.filing.valid_until.isoformat()}，由"
                             f"{site.org_name(fr.fundraiser if fr else None)}募捐", here, p.name,
                             p.filing.url or "", bool(fr and fr.example)))
        for r in p.reports:
            body = r.body or ""
            if r.kind == "final" and r.leftover_handling:
                body = f"{body} 剩余资金：{r.leftover_handling}".strip()
            out.append(Entry(r.date, REPORT_KIND_ZH[r.kind], r.title, body, here, p.name, r.url or "", r.example))
        for u in p.updates:
            out.append(Entry(u.date, "项目动态", u.title, u.body or "", here, p.name, "", p.example))
    for v in site.ventures.values():
        if v.programme == programme:
            for u in v.updates:
                out.append(Entry(u.date, "项目动态", u.title, u.body or "", url_of("venture", v.id), v.title, "",
                                 v.example))
    out.sort(key=lambda e: (e.date, e.kind, e.title), reverse=True)
    return out


def ledger_by_year(site: Published, programme: str) -> list[tuple[int, int, int]]:
    """(year, money in, money out) from the programme's ledger, the same rows as its ledger page."""
    years: dict[int, list[int]] = {}
    for row in site.ledger(programme):
        year = years.setdefault(row["date"].year, [0, 0])
        year[0 if row["direction"] == "in" else 1] += row["amount_fen"]
    return [(y, v[0], v[1]) for y, v in sorted(years.items())]


def programme_pages(site: Published, data_links: Callable[[str], tuple[str, str]]) -> dict[str, str]:
    """The 信息公开 page of every programme, as {src_uri: markdown}."""
    pages = Pages(site)
    for pid, programme in site.programmes.items():
        views = [project_disclosure(site, p) for p in site.projects_of[pid]]
        charities: dict[str, Charity] = {}
        for v in views:
            for c in (v.fundraiser, v.owner):
                if c is not None and (c.qualified or c.org.registration):
                    charities.setdefault(c.org.id, c)
        rows = ledger_by_year(site, pid)
        csv_url, json_url = data_links(pid)
        pages.render(url_of("disclosure", pid), "disclosure.md.j2", programme=programme,
                     organiser=_charity(site, programme.organiser), views=views, charities=list(charities.values()),
                     entries=entries(site, pid), ledger_years=rows, total_in=sum(r[1] for r in rows),
                     total_out=sum(r[2] for r in rows), csv_url=csv_url, json_url=json_url, **_block_names())
    return pages.out


def _block_names() -> dict[str, Any]:
    """The labels both templates use."""
    return {"report_kind_zh": REPORT_KIND_ZH, "deadline_state_zh": DEADLINE_STATE_ZH}


def project_block(site: Published, p: Project) -> dict[str, Any]:
    """The context the project page's disclosure block reads (``{% include "_disclosure.md.j2" %}``)."""
    return {"disclosure": project_disclosure(site, p), **_block_names()}
