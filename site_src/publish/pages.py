"""Markdown pages generated from content through Jinja2 templates (never committed).

:func:`generate` returns ``{src_uri: markdown}`` for every page MkDocs renders
with the Material theme: home, programmes, projects, campaigns, teams, batches,
the cottage overview, needs, venture projects, notices, ledgers and the data
page. Per-cottage pages and the paginated cottage listings are not here: they
are written by :mod:`.cottages` with a light template (see its docstring).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from functools import cache
from html import escape
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ..models.batch import Result
from ..models.cottage import COTTAGE_STAGE_ZH
from ..models.need import NEED_STAGE_ZH, NEED_STAGES
from ..models.programme import ProgrammeKind
from ..models.project import Channel, ProjectStatus
from ..models.settlement import Settlement
from ..models.venture_project import THEME_ZH, VENTURE_STAGE_ZH, VENTURE_STAGES
from . import charts, fmt, share, trust
from .published import Published, listing_url, rel, url_of

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# The labels are the models' own (site_src.models.common.Choice): one source for pages, schemas and importer.
KIND_ZH = ProgrammeKind.labels()
STATUS_ZH = ProjectStatus.labels()
CHANNEL_ZH = Channel.labels()
LEDGER_KIND_ZH = {**CHANNEL_ZH, "use": "支出", "grant": "创投资助"}
RESULT_ZH = Result.labels()


def src_uri(url: str) -> str:
    """'programmes/laiwu/' -> 'programmes/laiwu/index.md'; '' -> 'index.md'."""
    return f"{url}index.md" if url else "index.md"


@cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, trim_blocks=True,
                      lstrip_blocks=True, undefined=StrictUndefined, keep_trailing_newline=True)
    env.filters.update(money=fmt.money, wan=fmt.wan, count=fmt.count, date=fmt.date)
    return env


@cache
def light_environment() -> Environment:
    """For the per-cottage pages: no autoescape (it dominates the render time at 100,000 pages), so the
    templates escape every value that comes from content explicitly with ``| e``."""
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=False, trim_blocks=True,
                       lstrip_blocks=True, undefined=StrictUndefined, keep_trailing_newline=True)


def campaign_rules(campaign: Any) -> list[str]:
    """The campaign's rules in plain Chinese, from the same rule objects the API decides with."""
    from chalicelib.rules_text import describe

    return describe(campaign.matching())


class Pages:
    """Renders one page at a time; ``here`` is the page's own URL so every link can be relative."""

    def __init__(self, site: Published) -> None:
        self.site = site
        self.env = environment()
        self.out: dict[str, str] = {}
        self._rules: dict[str, list[str]] = {}

    def rules(self, campaign: Any) -> list[str]:
        if campaign.id not in self._rules:
            self._rules[campaign.id] = campaign_rules(campaign)
        return self._rules[campaign.id]

    def render(self, url: str, template: str, *, description: str = "", image: str = "", **ctx: Any) -> None:
        """Render one page; ``description`` and ``image`` (a share card's site URL) become its front matter,
        which the theme (overrides/main.html) turns into the meta description and the og:* tags."""
        charts.reset_ids()
        s = self.site

        def link(kind: str, rid: str = "") -> str:
            return rel(url, url_of(kind, rid))

        def rel_url(target: str) -> str:
            return rel(url, target)

        base: dict[str, Any] = {
            "link": link, "rel_url": rel_url, "org_name": s.org_name, "api_url": s.api_url, "built": s.built,
            "fig": lambda f: fmt.figure(f.value, f.unit, f.approx),
            "fig_count": lambda v, approx, unit: fmt.figure(v, "count", approx) + unit if approx != "at_least"
            else f"{fmt.count(v)}余{unit}",
            "kind_zh": KIND_ZH, "status_zh": STATUS_ZH, "channel_zh": CHANNEL_ZH, "result_zh": RESULT_ZH,
            "theme_zh": THEME_ZH, "venture_stage_zh": VENTURE_STAGE_ZH, "need_stage_zh": NEED_STAGE_ZH,
            "stage_zh": COTTAGE_STAGE_ZH, "rules": self.rules, "projects": s.projects, "campaigns_by_id": s.campaigns,
            "programmes": s.programmes, "batch_name": lambda b: s.batches[b].name if b in s.batches else b,
        }
        base.update(ctx, image=image)
        text = _wrap_tables(self.env.get_template(template).render(**base))
        meta = {k: v for k, v in (("description", _one_line(description)), ("image", image)) if v}
        if meta:  # JSON is YAML: any text is quoted safely
            text = "---\n" + "".join(f"{k}: {json.dumps(v, ensure_ascii=False)}\n" for k, v in meta.items()) + "---\n" + text
        self.out[src_uri(url)] = text

    # ---- pages ---------------------------------------------------------------

    def home(self) -> None:
        s = self.site
        giving = [p for p in s.projects.values() if p.accepting_pledges]
        self.render("", "home.md.j2", description="共青团基层组织的公益项目，钱从哪里来、花到哪里去、项目走到哪一步，逐笔公开；"
                    "在线认捐希望小屋、认领志愿服务需求、了解公益创投。", giving=sorted(giving, key=lambda p: p.id),
                    programmes=sorted(s.programmes.values(), key=_programme_order),
                    total_raised=sum(s.raised(p) for p in s.programmes),
                    total_granted=sum(s.granted(p) for p in s.programmes), updates=s.updates())

    def programme(self, pid: str) -> None:
        s = self.site
        p = s.programmes[pid]
        by_channel = s.funding_by_channel(pid)
        channels = [charts.Bar(CHANNEL_ZH[k], v, fmt.money(v)) for k, v in
                    sorted(by_channel.items(), key=lambda kv: -kv[1])]
        raised = s.raised(pid)
        projects = s.projects_of[pid]
        over_time = _cumulative([e for pr in projects for e in pr.funding])
        spent_over_time = _cumulative([u for pr in projects for u in pr.uses])
        ctx: dict[str, Any] = dict(
            p=p, channels=channels, raised=raised,
            channels_svg=charts.bars("资金来源（按渠道）", channels, unit_note="（元）") if channels else "",
            over_time_svg=_over_time_svg(projects, over_time, spent_over_time),
            over_time=over_time, spent_over_time=spent_over_time,
            funnel_svg=charts.funnel("需求调查漏斗", [(f.step, f.count, _funnel_text(f)) for f in p.funnel]),
            funnel_text=_funnel_text, projects=s.projects_of[pid], campaigns=s.campaigns_of[pid],
            batches=s.batches_of[pid], n_cottages=s.cottages_of[pid], n_built=s.built_of[pid],
            teams=[t for c in s.campaigns_of[pid] for t in s.teams_of_campaign[c.id]],
            n_needs=sum(1 for n in s.needs.values() if n.programme == pid),
            n_ventures=sum(1 for v in s.ventures.values() if v.programme == pid),
        )
        self.render(url_of("programme", pid), "programme.md.j2", description=f"{p.name}：{p.summary}", **ctx)

    def project(self, pid: str) -> None:
        from .disclosure_pages import project_block

        s = self.site
        p = s.projects[pid]
        matched = 0  # build-time snapshot: matching is earned live, through the pledge API
        donors = len(p.funding)
        svg = charts.progress(p.raised_fen, p.goal, f"{p.name} 筹款进度", value_text=fmt.money(p.raised_fen),
                              goal_text=fmt.money(p.goal))
        self.render(url_of("project", pid), "project.md.j2", image=share.share_url("project", pid),
                    description=f"{p.name}：{p.summary} 目标 {fmt.money(p.goal)}，已入账 {fmt.money(p.raised_fen)}。", p=p, programme=s.programmes[p.programme],
                    campaigns=s.campaigns_of_project[pid], teams=s.teams_of_project[pid], matched=matched,
                    team_names={t.id: t.name for t in s.teams_of_project[pid]},
                    donors=donors, progress_svg=svg, **project_block(s, p))

    def campaign(self, cid: str) -> None:
        s = self.site
        c = s.campaigns[cid]
        self.render(url_of("campaign", cid), "campaign.md.j2", description=f"{c.name}：配捐规则、参与战队和结算。", c=c, programme=s.programmes[c.programme],
                    teams=s.teams_of_campaign[cid], settlement=s.loaded.of(Settlement).get(cid))

    def team(self, tid: str) -> None:
        s = self.site
        t = s.teams[tid]
        c = s.campaigns[t.campaign]
        bonus = ""
        if c.rules.team_bonus:
            bonus = (f"本活动中，每支战队筹款满 {fmt.money(c.rules.team_bonus.threshold)}，"
                     f"项目的配捐上限增加 {fmt.money(c.rules.team_bonus.extra_project_cap)}。")
        svg = charts.progress(0, t.target, f"{t.name} 筹款进度", value_text=fmt.money(0), goal_text=fmt.money(t.target))
        project = s.projects[t.project]
        self.render(url_of("team", tid), "team.md.j2", image=share.share_url("team", tid),
                    poster=share.poster_url(tid),
                    description=f"{t.name}：为“{project.name}”在{c.name}中筹款，目标 {fmt.money(t.target)}。一起为战队助力。", t=t, bonus=bonus, progress_svg=svg,
                    campaigns=s.campaigns)

    def batch(self, bid: str) -> None:
        s = self.site
        b = s.batches[bid]
        svg = charts.timeline(f"{b.name} 倒排工期", [(m.name, fmt.date(m.due)) for m in b.schedule],
                              _last_done(b.schedule))
        self.render(url_of("batch", bid), "batch.md.j2", description=f"{b.name}：倒排工期、验收和环境检测。", b=b, programme=s.programmes[b.programme],
                    timeline_svg=svg, n_cottages=len(s.by_batch.get(bid, [])), listing=listing_url("batch", bid))

    def need(self, nid: str) -> None:
        s = self.site
        n = s.needs[nid]
        stages = n.stages.model_dump()
        svg = charts.timeline("需求进度", [(NEED_STAGE_ZH[k], fmt.date(stages[k]) if stages[k] else "")
                                       for k in NEED_STAGES], NEED_STAGE_ZH[n.stage])
        self.render(url_of("need", nid), "need.md.j2", description=f"{n.title}：{NEED_STAGE_ZH[n.stage]}。", n=n, timeline_svg=svg)

    def needs(self) -> None:
        s = self.site
        structure = next(iter(s.structures.values()), None)
        svg = ""
        if structure:
            svg = charts.structure("“1+4+N”志愿服务体系", s.org_name(structure.association),
                                   [s.org_name(o) for o in structure.organisations],
                                   f"{fmt.count(structure.teams_count)}支注册志愿服务队")
        self.render(url_of("needs"), "needs.md.j2", description="需求广场：志愿服务需求从征集到完成的每一步，团队可在线认领。",
                    stages=NEED_STAGES, by_stage=s.needs_by_stage,
                    structure=structure, structure_svg=svg)

    def venture(self, vid: str) -> None:
        s = self.site
        v = s.ventures[vid]
        stages = v.stages.model_dump()
        svg = charts.timeline("七个阶段", [(VENTURE_STAGE_ZH[k], fmt.date(stages[k]) if stages[k] else "")
                                       for k in VENTURE_STAGES], VENTURE_STAGE_ZH[v.stage] if v.stage else None)
        self.render(url_of("venture", vid), "venture.md.j2", description=f"{v.title}：公益创投项目的七个阶段、评审和资助。", v=v, timeline_svg=svg)
        if v.notice:
            avg = "—"
            if v.scores:
                total = sum(x.public_benefit + x.innovation + x.sustainability for x in v.scores)
                avg = f"{total / (3 * len(v.scores)):.1f}"
            self.render(url_of("notice", vid), "notice.md.j2", v=v, programme=s.programmes[v.programme], avg_score=avg)

    def ventures(self) -> None:
        s = self.site
        vs = sorted(s.ventures.values(), key=lambda v: (VENTURE_STAGES.index(v.stage or "call") * -1, v.id))
        granted = sum(v.granted or 0 for v in vs)
        pooled = next((f for p in s.programmes.values() if p.kind == "venture_philanthropy" for f in p.figures
                       if f.key == "pooled_support"), None)
        pooled_fen = pooled.value * 100 if pooled else 0
        pooled_text = fmt.figure(pooled.value, pooled.unit, pooled.approx) if pooled else "（未公布）"
        granted_svg = charts.bars("已确定项目的资助与汇聚的支持", [
            charts.Bar("已确定项目资助合计", granted, fmt.money(granted)),
            charts.Bar("汇聚党政和社会支持", pooled_fen, pooled_text),
        ])
        stage_svg = charts.bars("各阶段项目数", [charts.Bar(VENTURE_STAGE_ZH[k], len(s.ventures_by_stage[k]),
                                                       f"{len(s.ventures_by_stage[k])}个") for k in VENTURE_STAGES])
        themes: dict[str, list[Any]] = {}
        for v in vs:
            themes.setdefault(v.theme, []).append(v)
        theme_svg = charts.bars("各主题项目数与资助额", [
            charts.Bar(THEME_ZH[t], len(items), f"{len(items)}个 · {fmt.money(sum(v.granted or 0 for v in items))}")
            for t, items in sorted(themes.items())])
        self.render(url_of("ventures"), "ventures.md.j2", description="公益创投：项目征集、评审、公示和资助，逐项公开。", ventures=vs, granted=granted, pooled_text=pooled_text,
                    granted_svg=granted_svg, stage_svg=stage_svg, theme_svg=theme_svg)

    def ledger(self, pid: str, csv_url: str, json_url: str) -> None:
        s = self.site
        rows = s.ledger(pid)
        self.render(url_of("ledger", pid), "ledger.md.j2", programme=s.programmes[pid], rows=rows,
                    total_in=sum(r["amount_fen"] for r in rows if r["direction"] == "in"),
                    total_out=sum(r["amount_fen"] for r in rows if r["direction"] == "out"),
                    csv_url=csv_url, json_url=json_url, kind_zh=LEDGER_KIND_ZH)

    def simple(self, url: str, template: str, **ctx: Any) -> None:
        self.render(url, template, **ctx)

    def about(self) -> None:
        self.render(ABOUT_URL, "about.md.j2", description="谁在运营青益：各计划的主办单位、接收和管理善款的慈善组织及其联系方式。",
                    facts=trust.facts(self.site))

    def privacy(self) -> None:
        self.render(PRIVACY_URL, "privacy.md.j2", description="青益隐私声明：公开什么、不公开什么，认捐时收集什么、怎样保存。",
                    facts=trust.facts(self.site))


_TABLE = re.compile(r"<table\b.*?</table>", re.S)
_CAPTION = re.compile(r"<caption[^>]*>(.*?)</caption>", re.S)
_TAGS = re.compile(r"<[^>]+>")


def _wrap_tables(text: str) -> str:
    """Every table in a region that scrolls sideways inside itself (a phone never scrolls the page sideways),
    focusable so keyboard users can scroll it too, and named by the table's caption. A table without a class
    gets ``qy-data``: Material styles and wraps (with JavaScript, after first paint) only ``table:not([class])``,
    and its left-aligned cells would outrank ``qy-num``; ours are styled by qingyi.css and wrapped here."""
    def wrap(m: re.Match[str]) -> str:
        table = m.group(0)
        opening = table[: table.index(">")]
        if not re.search(r"\sclass=", opening):
            table = '<table class="qy-data"' + table[len("<table"):]
        caption = _CAPTION.search(table)
        name = " ".join(_TAGS.sub("", caption.group(1)).split()) if caption else "表格"
        return (f'<div class="qy-table" role="region" tabindex="0" aria-label="{escape(name, quote=True)}" '
                f'markdown="0">\n{table}\n</div>')
    return _TABLE.sub(wrap, text)


ABOUT_URL = "about/"
PRIVACY_URL = "privacy/"


def _one_line(text: str) -> str:
    return " ".join(str(text or "").split())


def _programme_order(p: Any) -> tuple[int, str]:
    return ({"crowdfunding": 0, "volunteer_claiming": 1, "venture_philanthropy": 2}.get(p.kind, 9), p.id)


def _funnel_text(step: Any) -> str:
    if step.count is None:
        return step.note or "未公布"
    return fmt.figure(step.count, "count", step.approx) if step.approx != "at_least" else f"{fmt.count(step.count)}余"


def _last_done(schedule: list[Any]) -> str | None:
    done = [m.name for m in schedule if m.done]
    return done[-1] if done else None


def _over_time_svg(projects: list[Any], raised: list[tuple[dt.date, int]], spent: list[tuple[dt.date, int]]) -> str:
    """Money in and money out as running totals, from the first project's start to the last entry."""
    if not raised:
        return ""
    days = [d for d, _ in raised + spent]
    start = min([p.start for p in projects] + days)
    end = max(days)
    return charts.cumulative("累计筹得与累计支出（按入账日期）",
                             [("累计筹得", charts.FILL, raised), ("累计支出", charts.ACCENT, spent)],
                             start, end, fmt.money)


def _cumulative(entries: list[Any]) -> list[tuple[dt.date, int]]:
    by_day: dict[dt.date, int] = {}
    for e in entries:
        by_day[e.date] = by_day.get(e.date, 0) + e.amount
    out, total = [], 0
    for day in sorted(by_day):
        total += by_day[day]
        out.append((day, total))
    return out


def generate(site: Published, data_links: Callable[[str], tuple[str, str]], datasets: list[dict[str, Any]],
             giving_url: str, prefix: str, cottage_overview: Callable[[Pages], None]) -> dict[str, str]:
    """Every Markdown page, as {src_uri: text}."""
    pages = Pages(site)
    pages.home()
    for pid in site.programmes:
        pages.programme(pid)
        csv_url, json_url = data_links(pid)
        pages.ledger(pid, csv_url, json_url)
    for pid in site.projects:
        pages.project(pid)
    for cid in site.campaigns:
        pages.campaign(cid)
    pages.simple(url_of("campaigns"), "campaigns.md.j2",
                 campaigns=sorted(site.campaigns.values(), key=lambda c: c.windows[0].start))
    for tid in site.teams:
        pages.team(tid)
    pages.simple(url_of("teams"), "teams.md.j2", teams=sorted(site.teams.values(), key=lambda t: (-t.target, t.id)),
                 campaigns=site.campaigns)
    for bid in site.batches:
        pages.batch(bid)
    pages.simple(url_of("batches"), "batches.md.j2", batches=sorted(site.batches.values(), key=lambda b: b.deadline),
                 counts={b: len(site.by_batch.get(b, [])) for b in site.batches})
    for nid in site.needs:
        pages.need(nid)
    pages.needs()
    for vid in site.ventures:
        pages.venture(vid)
    pages.ventures()
    cottage_overview(pages)
    pages.about()
    pages.privacy()
    pages.simple(url_of("pledge"), "pledge.md.j2")
    pages.simple(url_of("data"), "data.md.j2", datasets=datasets, giving_url=giving_url, prefix=prefix)
    return pages.out
