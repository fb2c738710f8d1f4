"""Who runs each programme, who receives the money, and how to reach them: the footer and the 关于 page.

Everything here comes from content: a programme's ``organiser``; the qualified charity that receives
and manages public donations, which is each project's ``fundraising.fundraiser`` (the disclosure
record, with its filing number), or else a charity the project's recorded funding came through
(``via``; a fund's parent counts for the fund); each with its public ``contact`` from content/organisations. Nothing is written in a template, so a new programme or a
changed contact shows on every page at the next build.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..models.organisation import CHARITY_KINDS, OrgKind
from .published import Published


@dataclass(frozen=True)
class Party:
    id: str
    name: str
    contact: str


@dataclass(frozen=True)
class Facts:
    programme: str
    short_name: str
    organiser: Party
    charities: tuple[Party, ...] = field(default=())
    filings: tuple[str, ...] = field(default=())  # 公开募捐备案编号 of the programme's projects


def _party(site: Published, oid: str) -> Party:
    org = site.orgs.get(oid)
    return Party(oid, org.name if org else oid, (org.contact or "") if org else "")


def charities_of(site: Published, programme: str) -> list[str]:
    """The qualified charities money of ``programme`` came through, in first-seen order."""
    out: list[str] = []
    for p in site.projects_of[programme]:
        fundraiser = p.fundraising.fundraiser if p.fundraising else None
        if fundraiser and fundraiser in site.orgs and fundraiser not in out:
            out.append(fundraiser)
        for e in p.funding:
            for oid in (e.via, e.donor):
                org = site.orgs.get(oid or "")
                if org is not None and org.kind == OrgKind.FUND and org.parent:
                    org = site.orgs.get(org.parent)
                if org is not None and org.kind in CHARITY_KINDS and org.id not in out and oid == e.via:
                    out.append(org.id)
    return out


def facts(site: Published) -> list[Facts]:
    order = {"crowdfunding": 0, "volunteer_claiming": 1}
    out = []
    for p in sorted(site.programmes.values(), key=lambda p: (order.get(p.kind, 2), p.id)):
        filings = tuple(dict.fromkeys(pr.fundraising.filing.number for pr in site.projects_of[p.id]
                                      if pr.fundraising and pr.fundraising.filing))
        out.append(Facts(p.id, p.short_name, _party(site, p.organiser),
                         tuple(_party(site, c) for c in charities_of(site, p.id)), filings))
    return out


def contact_href(contact: str) -> str:
    """A link for a contact: mailto: for a mailbox, the address itself for a web page, "" otherwise."""
    if contact.startswith(("http://", "https://")):
        return contact
    if "@" in contact:
        return f"mailto:{contact}"
    return ""


def for_theme(site: Published) -> list[dict[str, Any]]:
    """The facts as plain values for the theme's footer (mkdocs.yml's ``extra``, read by overrides/main.html)."""
    def party(p: Party) -> dict[str, str]:
        return {"name": p.name, "contact": p.contact, "href": contact_href(p.contact)}

    return [{"programme": f.programme, "short_name": f.short_name, "organiser": party(f.organiser),
             "charities": [party(c) for c in f.charities], "filings": list(f.filings)} for f in facts(site)]
