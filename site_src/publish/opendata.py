"""Open data written with every build: JSON and CSV, 360Giving grants, an Atom feed of updates.

Money fields end in ``_fen`` and are integers. Cottages carry public fields
only (id, alias, age band, township, stage, batch, project): never anything the
privacy rules keep out of the site.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from ..models.venture_project import THEME_ZH
from .published import Published, url_of

#: 360Giving identifiers: the publisher's stable prefix, then our own record id.
PREFIX = "360G-qingyi-"
GIVING_FILE = "data/360giving-grants.json"

FILING_FIELDS = ["project", "example", "filing_number", "valid_from", "valid_until", "authority", "filing_url",
                 "fundraiser", "fundraiser_name", "fundraiser_credit_code", "fundraiser_qualified", "owner",
                 "accepting_pledges", "platforms"]

COTTAGE_FIELDS = ["id", "example", "programme", "township", "alias", "age_band", "stage", "built", "batch",
                  "project", "cost_fen"]


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _csv(rows: Iterable[dict[str, Any]], fields: list[str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(fields)
    writer.writerows([("" if (v := row.get(k)) is None else v) for k in fields] for row in rows)
    return buf.getvalue()


class OpenData:
    """Collects every dataset as (path, text) and knows what the data page lists."""

    def __init__(self, site: Published, site_url: str = "") -> None:
        self.site = site
        self.site_url = site_url.rstrip("/") + "/" if site_url else ""
        self.files: dict[str, str] = {}
        self.datasets: list[dict[str, Any]] = []

    def _add(self, name: str, title: str, rows: list[dict[str, Any]], fields: list[str]) -> None:
        json_path, csv_path = f"data/{name}.json", f"data/{name}.csv"
        self.files[json_path] = json.dumps(rows, ensure_ascii=False, default=_json_default, separators=(",", ":"))
        self.files[csv_path] = _csv(rows, fields)
        self.datasets.append({"title": title, "json": json_path, "csv": csv_path, "rows": len(rows)})

    # ---- datasets ---------------------------------------------------------------

    def projects(self) -> None:
        rows = [{"id": p.id, "example": p.example, "programme": p.programme, "name": p.name, "owner": p.owner,
                 "status": p.status, "goal_fen": p.goal, "raised_fen": p.raised_fen, "spent_fen": p.spent_fen,
                 "accepting_pledges": p.accepting_pledges, "start": p.start, "end": p.end,
                 "fundraiser": p.fundraising.fundraiser if p.fundraising else None, "filing_number": p.filing_number,
                 "filing_valid_from": p.filing_valid_from, "filing_valid_until": p.filing_valid_until,
                 "url": url_of("project", p.id)} for p in self.site.projects.values()]
        self._add("projects", "公益项目", rows, list(rows[0]) if rows else ["id"])

    def filings(self) -> None:
        """信息公开: each filed fundraising plan with the charity that raises the money and its platforms."""
        s = self.site
        rows = []
        for p in s.projects.values():
            f, fr = p.filing, p.fundraising
            if f is None or fr is None:
                continue
            charity = s.orgs.get(fr.fundraiser or "")
            reg = charity.registration if charity else None
            rows.append({"project": p.id, "example": fr.example or p.example, "filing_number": f.number,
                         "valid_from": f.valid_from, "valid_until": f.valid_until, "authority": f.authority,
                         "filing_url": f.url, "fundraiser": fr.fundraiser, "fundraiser_name": s.org_name(fr.fundraiser),
                         "fundraiser_credit_code": reg.credit_code if reg else None,
                         "fundraiser_qualified": bool(charity and charity.may_raise_publicly),
                         "owner": p.owner, "accepting_pledges": p.accepting_pledges,
                         "platforms": " ".join(f"{x.name}<{x.url}>" for x in fr.platforms)})
        self._add("filings", "公开募捐备案", rows, FILING_FIELDS)

    def funding(self) -> None:
        rows = []
        for p in self.site.projects.values():
            for i, e in enumerate(p.funding):
                rows.append({"project": p.id, "n": i + 1, "date": e.date, "channel": e.channel, "amount_fen": e.amount,
                             "donor": e.donor, "via": e.via, "campaign": e.campaign, "note": e.note})
        self._add("funding", "资金来源（逐笔）", rows, ["project", "n", "date", "channel", "amount_fen", "donor", "via",
                                                   "campaign", "note"])
        uses = []
        for p in self.site.projects.values():
            for i, u in enumerate(p.uses):
                uses.append({"project": p.id, "n": i + 1, "date": u.date, "purpose": u.purpose, "amount_fen": u.amount,
                             "payee": u.payee, "batch": u.batch})
        self._add("uses", "资金去向（逐笔）", uses, ["project", "n", "date", "purpose", "amount_fen", "payee", "batch"])

    def cottages(self) -> None:
        s = self.site
        rows = []
        for cid in s.cottage_ids:
            c = s.cottages[cid]
            rows.append({"id": c.id, "example": c.example, "programme": c.programme, "township": c.township,
                         "alias": c.alias, "age_band": c.age_band, "stage": s.stage_of[cid], "built": cid in s.built_ids,
                         "batch": c.batch, "project": c.project, "cost_fen": c.cost})
        self._add("cottages", "希望小屋（仅公开字段）", rows, COTTAGE_FIELDS)

    def campaigns(self) -> None:
        from .pages import campaign_rules

        rows = [{"id": c.id, "example": c.example, "programme": c.programme, "name": c.name, "kind": c.kind,
                 "sponsor": c.sponsor, "pool_fen": c.pool, "start": c.windows[0].start, "end": c.windows[-1].end,
                 "projects": " ".join(c.projects), "rules_zh": "；".join(campaign_rules(c))}
                for c in self.site.campaigns.values()]
        self._add("campaigns", "公益日活动与配捐规则", rows, list(rows[0]) if rows else ["id"])

    def teams(self) -> None:
        rows = [{"id": t.id, "example": t.example, "name": t.name, "parent": t.parent, "project": t.project,
                 "campaign": t.campaign, "captain_alias": t.captain_alias, "target_fen": t.target}
                for t in self.site.teams.values()]
        self._add("teams", "网上战队", rows, list(rows[0]) if rows else ["id"])

    def ledgers(self) -> None:
        for pid, p in self.site.programmes.items():
            rows = self.site.ledger(pid)
            fields = ["date", "direction", "project", "project_name", "kind", "amount_fen", "party", "via",
                      "campaign", "purpose", "batch", "note"]
            self._add(f"ledger-{pid}", f"透明账本：{p.short_name}", rows, fields)

    def ledger_links(self, pid: str) -> tuple[str, str]:
        return f"data/ledger-{pid}.csv", f"data/ledger-{pid}.json"

    def giving(self) -> None:
        """Venture grants in the 360Giving Data Standard (package schema 1.4)."""
        s = self.site
        grants = []
        for v in sorted(s.ventures.values(), key=lambda v: v.id):
            if not v.granted:
                continue
            prog = s.programmes[v.programme]
            funder = prog.organiser
            award = v.stages.selection or v.stages.public_notice or dt.date(v.year, 1, 1)
            grant: dict[str, Any] = {
                "id": f"{PREFIX}{v.id}",
                "title": v.title,
                "description": v.summary,
                "currency": "CNY",
                "amountAppliedFor": v.requested / 100 if v.requested % 100 else v.requested // 100,
                "amountAwarded": v.granted / 100 if v.granted % 100 else v.granted // 100,
                # Full date-time: a bare date matches both branches of the standard's oneOf.
                "awardDate": f"{award.isoformat()}T00:00:00+08:00",
                "recipientOrganization": [{"id": f"{PREFIX}org-{v.applicant}", "name": s.org_name(v.applicant)}],
                "fundingOrganization": [{"id": f"{PREFIX}org-{funder}", "name": s.org_name(funder)}],
                "grantProgramme": [{"code": f"{PREFIX}programme-{prog.id}", "title": prog.name}],
                "classifications": [{"vocabulary": f"{PREFIX}theme", "code": v.theme, "title": THEME_ZH[v.theme]}],
                "dateModified": dt.datetime.combine(award, dt.time(0, 0), dt.timezone(dt.timedelta(hours=8))).isoformat(),
            }
            if self.site_url:
                grant["url"] = self.site_url + url_of("venture", v.id)
            grants.append(grant)
        package = {
            "version": "1.4",
            "title": "青益 公益创投资助（360Giving）",
            "description": "顺德青年益创行动已确定的公益创投资助。金额单位：元（CNY）。示例项目在 title 中不另行标注，见网站。",
            "grants": grants,
        }
        self.files[GIVING_FILE] = json.dumps(package, ensure_ascii=False, indent=1)
        self.datasets.append({"title": "公益创投资助（360Giving 格式）", "json": GIVING_FILE, "csv": "", "rows": len(grants)})

    def feed(self) -> None:
        """An Atom feed of every dated update, newest first."""
        base = self.site_url or "https://qingyi.invalid/"
        entries = []
        updates = self.site.updates()
        for d, title, body, url, _rid in updates[:100]:
            stamp = f"{d.isoformat()}T00:00:00+08:00"
            entries.append(
                f"<entry><id>{escape(base + url)}#{d.isoformat()}</id><title>{escape(title)}</title>"
                f"<updated>{stamp}</updated><link href=\"{escape(base + url)}\"/>"
                f"<summary>{escape(body or title)}</summary></entry>")
        newest = f"{updates[0][0].isoformat()}T00:00:00+08:00" if updates else "2021-12-23T00:00:00+08:00"
        self.files["feed.xml"] = (
            '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">'
            f"<id>{escape(base)}</id><title>青益：项目动态</title><updated>{newest}</updated>"
            f'<link rel="self" href="{escape(base)}feed.xml"/><link href="{escape(base)}"/>'
            "<author><name>青益</name></author>" + "".join(entries) + "</feed>\n")

    def build(self) -> None:
        self.projects()
        self.filings()
        self.funding()
        self.cottages()
        self.campaigns()
        self.teams()
        self.ledgers()
        self.giving()
        self.feed()

    def write(self, site_dir: Path) -> int:
        for rel_path, text in self.files.items():
            path = site_dir / rel_path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return len(self.files)
