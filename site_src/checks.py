"""Rules across records: references, sums, stage order, and the bulletin's figures.

One function per rule, each named after it and returning ContentErrors with the
file and line of the offending field. ``run_checks`` runs them all.

A record that failed to load is not there to check against: what refers to it, or
counts it, yields a :class:`~site_src.errors.Consequence` (one line, not a failure)
instead of an error of its own, so the editor sees the root cause first.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Iterator
from typing import Any

from .disclosure import RULES as DISCLOSURE_RULES
from .errors import Consequence, ContentError
from .loader import Loaded
from .models import (
    Batch,
    Campaign,
    Cottage,
    Need,
    Organisation,
    Programme,
    Project,
    Record,
    Settlement,
    Team,
    VentureProject,
    VolunteerStructure,
)
from .models.common import Approx, stage_dates_in_order, stage_gaps
from .models.cottage import COTTAGE_STAGE_ZH, COTTAGE_STAGES
from .models.need import NEED_STAGE_ZH, NEED_STAGES
from .models.organisation import OrgKind
from .models.venture_project import VENTURE_STAGE_ZH, VENTURE_STAGES
from .money import fen_to_yuan_text

Check = Callable[[Loaded], Iterator[ContentError]]
CHECKS: list[Check] = []


def check(fn: Check) -> Check:
    CHECKS.append(fn)
    return fn


def run_checks(loaded: Loaded) -> list[ContentError]:
    errors: list[ContentError] = []
    for fn in CHECKS:
        errors.extend(fn(loaded))
    return errors


def _err(loaded: Loaded, record: Record, path: tuple[Any, ...], rule: str, zh: str, en: str,
         fix_zh: str = "", fix_en: str = "") -> ContentError:
    return loaded.source(record).error(path, rule, zh, en, fix_zh, fix_en)


def _refers_to_failed(loaded: Loaded, record: Record, path: tuple[Any, ...], target: type[Record], ref: str,
                      ) -> Consequence | None:
    """The one line for a reference to a record that failed to load, or None when it points elsewhere."""
    failed = loaded.failed_ref(target, ref)
    if failed is None:
        return None
    err = _err(loaded, record, path, "ref.has_errors",
               f"引用的{target.TITLE_ZH}“{ref}”本身有错误（{failed.file}）",
               f"refers to {target.KIND} {ref!r}, which has errors itself ({failed.file})")
    return Consequence.of(err)


# ---- references -------------------------------------------------------------

#: (kind, path to a reference, kind referred to, allowed organisation kinds or None)
REFS: list[tuple[type[Record], str, type[Record], tuple[str, ...] | None]] = [
    (Programme, "organiser", Organisation, None),
    (Organisation, "parent", Organisation, None),
    (Project, "programme", Programme, None),
    (Project, "owner", Organisation, None),
    (Project, "funding[].donor", Organisation, None),
    (Project, "funding[].via", Organisation, None),
    (Project, "funding[].campaign", Campaign, None),
    (Project, "uses[].payee", Organisation, None),
    (Project, "uses[].batch", Batch, None),
    (Project, "fundraising.fundraiser", Organisation, None),
    (Batch, "programme", Programme, None),
    (Batch, "contractor", Organisation, ("contractor",)),
    (Batch, "supervisor", Organisation, ("supervisor",)),
    (Batch, "tender.agent", Organisation, ("tender_agent",)),
    (Batch, "tender.winner", Organisation, ("contractor",)),
    (Batch, "acceptance.by", Organisation, ("supervisor",)),
    (Batch, "air_quality.lab", Organisation, ("testing_lab",)),
    (Cottage, "programme", Programme, None),
    (Cottage, "batch", Batch, None),
    (Cottage, "project", Project, None),
    (Cottage, "team", Organisation, ("volunteer_team", "league_branch", "social_organisation")),
    (Campaign, "programme", Programme, None),
    (Campaign, "sponsor", Organisation, None),
    (Campaign, "projects[]", Project, None),
    (Team, "parent", Organisation, None),
    (Team, "project", Project, None),
    (Team, "campaign", Campaign, None),
    (Need, "programme", Programme, None),
    (Need, "claimed_by", Organisation, ("volunteer_team", "volunteer_organisation", "social_organisation")),
    (VolunteerStructure, "programme", Programme, None),
    (VolunteerStructure, "association", Organisation, ("volunteer_association",)),
    (VolunteerStructure, "organisations[]", Organisation, ("volunteer_organisation",)),
    (VolunteerStructure, "teams[]", Organisation, ("volunteer_team",)),
    (VolunteerStructure, "registered_social_orgs[]", Organisation, ("social_organisation",)),
    (VentureProject, "programme", Programme, None),
    (VentureProject, "applicant", Organisation, None),
    (Settlement, "campaign_id", Campaign, None),
    (Settlement, "projects[].project_id", Project, None),
    (Settlement, "projects[].teams[].team_id", Team, None),
]


def _walk(value: Any, parts: list[str], path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    if value is None:
        return
    if not parts:
        if isinstance(value, str):
            yield path, value
        return
    head, rest = parts[0], parts[1:]
    many = head.endswith("[]")
    name = head[:-2] if many else head
    child = getattr(value, name, None)
    if many:
        for i, item in enumerate(child or []):
            yield from _walk(item, rest, path + (name, i))
    else:
        yield from _walk(child, rest, path + (name,))


def nearest_ids(ref: str, ids: list[str], n: int = 2) -> list[str]:
    """The existing ids closest to a mistyped one (a letter wrong, case, a digit off), best first."""
    by_lower = {i.lower(): i for i in ids}
    if ref.lower() in by_lower:
        return [by_lower[ref.lower()]]
    return [by_lower[m] for m in difflib.get_close_matches(ref.lower(), list(by_lower), n=n, cutoff=0.5)]


@check
def references_resolve(loaded: Loaded) -> Iterator[ContentError]:
    for kind, dotted, target, org_kinds in REFS:
        pool = loaded.of(target)
        for record in loaded.of(kind).values():
            for path, ref in _walk(record, dotted.split("."), ()):
                found = pool.get(ref)
                if found is None and (note := _refers_to_failed(loaded, record, path, target, ref)) is not None:
                    yield note
                elif found is None:
                    near = nearest_ids(ref, [i for i, r in pool.items() if not org_kinds
                                             or not isinstance(r, Organisation) or r.kind in org_kinds])
                    yield _err(loaded, record, path, "ref.missing",
                               f"找不到{target.TITLE_ZH}“{ref}”", f"no {target.KIND} with id {ref!r}",
                               f"是不是“{'”或“'.join(near)}”？否则先在 content/{target.FOLDER}/ 中添加 {ref}.yml" if near
                               else f"先在 content/{target.FOLDER}/ 中添加 {ref}.yml，或改正编号",
                               f"did you mean {' or '.join(map(repr, near))}? If not, add content/{target.FOLDER}/{ref}.yml"
                               if near else f"add content/{target.FOLDER}/{ref}.yml or fix the id")
                elif org_kinds and isinstance(found, Organisation) and found.kind not in org_kinds:
                    yield _err(loaded, record, path, "ref.wrong_kind",
                               f"“{ref}”是 {found.kind}，这里需要 {'/'.join(org_kinds)}",
                               f"{ref!r} is a {found.kind}; this field needs a {' or '.join(org_kinds)}",
                               "引用正确类型的组织", "refer to an organisation of the right kind")


# ---- money sums -------------------------------------------------------------

@check
def project_stated_raised_equals_funding(loaded: Loaded) -> Iterator[ContentError]:
    for p in loaded.of(Project).values():
        if p.stated_raised is not None and p.stated_raised != p.raised_fen:
            yield _err(loaded, p, ("stated_raised",), "sum.stated_raised",
                       f"公布的筹款额 {fen_to_yuan_text(p.stated_raised)} 元不等于各笔来源之和 {fen_to_yuan_text(p.raised_fen)} 元",
                       f"stated raised {fen_to_yuan_text(p.stated_raised)} yuan differs from the funding entries' sum "
                       f"{fen_to_yuan_text(p.raised_fen)} yuan", "核对 funding 各笔金额或更正公布数",
                       "check the funding entries or correct the stated figure")


@check
def project_uses_within_funding(loaded: Loaded) -> Iterator[ContentError]:
    for p in loaded.of(Project).values():
        if p.spent_fen > p.raised_fen:
            yield _err(loaded, p, ("uses",), "sum.overspent",
                       f"支出合计 {fen_to_yuan_text(p.spent_fen)} 元超过了来源合计 {fen_to_yuan_text(p.raised_fen)} 元",
                       f"uses total {fen_to_yuan_text(p.spent_fen)} yuan, more than the {fen_to_yuan_text(p.raised_fen)} raised",
                       "补充资金来源或更正支出", "add the missing funding entry or correct the uses")


# ---- the bulletin's figures against the records -----------------------------

def _projects_of(loaded: Loaded, programme: str) -> list[Project]:
    return [p for p in loaded.of(Project).values() if p.programme == programme]


def _channel(channel: str | None) -> Callable[[Loaded, str], int]:
    def derive(loaded: Loaded, programme: str) -> int:
        return sum(e.amount for p in _projects_of(loaded, programme) for e in p.funding
                   if channel is None or e.channel == channel) // 100
    return derive


def _structure(loaded: Loaded, programme: str) -> VolunteerStructure | None:
    return next((s for s in loaded.of(VolunteerStructure).values() if s.programme == programme), None)


def _from_structure(attr: Callable[[VolunteerStructure], int]) -> Callable[[Loaded, str], int | None]:
    def derive(loaded: Loaded, programme: str) -> int | None:
        s = _structure(loaded, programme)
        return None if s is None else attr(s)
    return derive


#: Figure keys whose value the records must reproduce: what is counted, the kind of record counted,
#: and how to count it (yuan or a count).
DERIVED: dict[str, tuple[str, type[Record], Callable[[Loaded, str], int | None]]] = {
    "total_raised": ("各渠道资金合计", Project, _channel(None)),
    "raised_enterprise": ("企业捐赠合计", Project, _channel("enterprise")),
    "raised_foundation": ("基金会渠道合计", Project, _channel("foundation")),
    "raised_online": ("网络众筹合计", Project, _channel("online")),
    "cottages_built": ("已建成的小屋记录数", Cottage, lambda ld, pg: sum(
        1 for c in ld.of(Cottage).values() if c.programme == pg and c.built)),
    "needs_claimed": ("已认领的需求记录数", Need, lambda ld, pg: sum(
        1 for n in ld.of(Need).values() if n.programme == pg and NEED_STAGES.index(n.stage) >= 2)),
    "contest_funded": ("获大赛资助的需求记录数", Need, lambda ld, pg: sum(
        1 for n in ld.of(Need).values() if n.programme == pg and n.contest_funded)),
    "volunteer_teams": ("志愿服务体系中的服务队数", VolunteerStructure, _from_structure(lambda s: s.teams_count)),
    "volunteer_squads": ("志愿服务体系中的小分队数", VolunteerStructure, _from_structure(lambda s: s.squads_count)),
    "service_events": ("志愿服务体系中的活动场次", VolunteerStructure, _from_structure(lambda s: s.events_count)),
    "volunteer_organisations": ("志愿服务体系中的大型组织数", VolunteerStructure,
                                _from_structure(lambda s: len(s.organisations))),
    "social_orgs_registered": ("登记的志愿服务类社会组织记录数", VolunteerStructure,
                               _from_structure(lambda s: len(s.registered_social_orgs))),
    "venture_projects": ("已确定的创投项目记录数", VentureProject, lambda ld, pg: sum(
        1 for v in ld.of(VentureProject).values() if v.programme == pg and v.stage
        and VENTURE_STAGES.index(v.stage) >= VENTURE_STAGES.index("selection"))),
    "venture_themes": ("创投项目的主题数", VentureProject, lambda ld, pg: len(
        {v.theme for v in ld.of(VentureProject).values() if v.programme == pg})),
}


def _failed_in(loaded: Loaded, kind: type[Record], programme: str) -> list[str]:
    """Files of records of ``kind`` that failed to load and may belong to ``programme`` (unknown counts)."""
    return sorted(f.file for (k, _), f in loaded.failed.items()
                  if k == kind.KIND and f.programme in (programme, None))


@check
def figures_match_records(loaded: Loaded) -> Iterator[ContentError]:
    for prog in loaded.of(Programme).values():
        for i, fig in enumerate(prog.figures):
            if fig.key not in DERIVED:
                continue
            label, counted, derive = DERIVED[fig.key]
            broken = _failed_in(loaded, counted, prog.id)
            if broken:  # the count would be short by the broken records: not a figure to change
                err = _err(loaded, prog, ("figures", i, "value"), "sum.figure_unchecked",
                           f"公布数字 {fig.value}（{fig.label}）暂不核对：它统计的{counted.TITLE_ZH}中有 {len(broken)} 条本身有错误"
                           f"（{broken[0]}{' 等' if len(broken) > 1 else ''}）",
                           f"the figure {fig.value} ({fig.key}) is not checked while {len(broken)} of the {counted.KIND} "
                           f"records it counts have errors themselves ({broken[0]}{' and others' if len(broken) > 1 else ''})")
                yield Consequence.of(err)
                continue
            actual = derive(loaded, prog.id)
            if actual is None:
                continue
            ok = {Approx.EXACT: actual == fig.value, Approx.AT_LEAST: actual >= fig.value,
                  Approx.MORE_THAN: actual > fig.value}[Approx(fig.approx)]
            if not ok:
                yield _err(loaded, prog, ("figures", i, "value"), "sum.figure",
                           f"公布数字 {fig.value}（{fig.label}）与记录不符：{label}为 {actual}",
                           f"the stated figure {fig.value} ({fig.key}) does not match the records, which give {actual}",
                           "补齐或更正相关记录，或更正公布数字", "add or fix the records, or correct the figure")


# ---- stages -----------------------------------------------------------------

def _stage_checks(loaded: Loaded, records: dict[str, Any], order: tuple[str, ...], names: dict[str, str],
                  ) -> Iterator[ContentError]:
    for rec in records.values():
        stages = rec.stages.model_dump()
        for earlier, later in stage_dates_in_order(stages, order):
            yield _err(loaded, rec, ("stages", later), "stage.order",
                       f"“{names[later]}”的日期 {stages[later]} 早于“{names[earlier]}”的 {stages[earlier]}",
                       f"stage {later} ({stages[later]}) is dated before {earlier} ({stages[earlier]})",
                       "按先后顺序更正日期", "correct the dates so the stages follow each other")
        for gap in stage_gaps(stages, order):
            yield _err(loaded, rec, ("stages",), "stage.gap",
                       f"已到达后面的阶段，但缺少“{names[gap]}”的日期",
                       f"a later stage is dated but {gap} is not", f"补上 {gap} 的日期", f"add the date for {gap}")


@check
def stages_in_order(loaded: Loaded) -> Iterator[ContentError]:
    yield from _stage_checks(loaded, loaded.of(Cottage), COTTAGE_STAGES, COTTAGE_STAGE_ZH)
    yield from _stage_checks(loaded, loaded.of(Need), NEED_STAGES, NEED_STAGE_ZH)
    yield from _stage_checks(loaded, loaded.of(VentureProject), VENTURE_STAGES, VENTURE_STAGE_ZH)


@check
def cottage_in_service_has_acceptance_and_air_check(loaded: Loaded) -> Iterator[ContentError]:
    batches = loaded.of(Batch)
    for c in loaded.of(Cottage).values():
        if not c.built:
            continue
        batch = batches.get(c.batch) if c.batch else None
        if batch is None and c.batch:
            continue  # references_resolve says the batch is missing (with "did you mean") or has errors itself
        if batch is None:  # no batch at all: said at the stage that needs one
            yield _err(loaded, c, ("stages", c.stage), "cottage.acceptance",
                       "已验收的小屋必须属于一个有验收记录的批次", "a built cottage must belong to a batch with an acceptance record",
                       "填写 batch:", "set batch:")
            continue
        needed: list[tuple[str, Any, str]] = [("acceptance", batch.acceptance, "验收")]
        if c.stage in ("air_checked", "in_service"):
            needed.append(("air_quality", batch.air_quality, "环境检测"))
        for name, rec, zh in needed:
            if rec is None or rec.result != "passed":
                yield _err(loaded, c, ("stages", c.stage), "cottage.acceptance",
                           f"小屋已到“{COTTAGE_STAGE_ZH[c.stage or '']}”，但批次 {batch.id} 没有合格的{zh}记录",
                           f"the cottage is {c.stage} but batch {batch.id} has no passed {name} record",
                           f"在 content/batches/{batch.id}.yml 中补充 {name}", f"add {name} to content/batches/{batch.id}.yml")


@check
def batch_schedule_worked_back_from_deadline(loaded: Loaded) -> Iterator[ContentError]:
    for b in loaded.of(Batch).values():
        for i, m in enumerate(b.schedule):
            if m.due > b.deadline:
                yield _err(loaded, b, ("schedule", i, "due"), "batch.schedule",
                           f"节点“{m.name}”的计划日期 {m.due} 晚于截止日期 {b.deadline}",
                           f"milestone {m.name!r} is due {m.due}, after the deadline {b.deadline}",
                           "倒排工期：每个节点都不能晚于截止日期", "work the schedule back from the deadline")
            if i and m.due < b.schedule[i - 1].due:
                yield _err(loaded, b, ("schedule", i, "due"), "batch.schedule",
                           f"节点“{m.name}”排在上一个节点之前", f"milestone {m.name!r} is due before the previous one",
                           "按时间先后排列节点", "list milestones in date order")


@check
def claimed_need_names_a_team(loaded: Loaded) -> Iterator[ContentError]:
    for n in loaded.of(Need).values():
        claimed = NEED_STAGES.index(n.stage) >= NEED_STAGES.index("claimed")
        if claimed and not n.claimed_by:
            yield _err(loaded, n, ("stages", "claimed"), "need.claimed_team",
                       "需求已被认领，但没有写认领的服务队", "the need is claimed but names no claiming team",
                       "填写 claimed_by:（志愿服务队编号）", "set claimed_by: to the team's id")
        if not claimed and n.claimed_by:
            yield _err(loaded, n, ("claimed_by",), "need.claimed_team",
                       "需求尚未认领，却写了认领服务队", "the need names a team but has no claimed date",
                       "补上 stages.claimed 的日期或删去 claimed_by", "add stages.claimed or remove claimed_by")
        if n.stage == "summarised" and not n.summary:
            yield _err(loaded, n, ("stages", "summarised"), "need.summary",
                       "需求已总结，但没有总结内容", "the need is summarised but has no summary",
                       "填写 summary:", "write the summary:")


@check
def public_notice_window_lasts_its_days(loaded: Loaded) -> Iterator[ContentError]:
    for v in loaded.of(VentureProject).values():
        reached = v.stage is not None and VENTURE_STAGES.index(v.stage) >= VENTURE_STAGES.index("public_notice")
        if reached and v.notice is None:
            yield _err(loaded, v, ("stages", "public_notice"), "venture.notice",
                       "已进入公示阶段，但没有公示信息", "the project reached public notice but has no notice record",
                       "填写 notice:（start、end、days、objections_to）", "add notice: with start, end, days, objections_to")
        if v.notice is None:
            continue
        lasts = (v.notice.end - v.notice.start).days + 1
        if lasts < v.notice.days:
            yield _err(loaded, v, ("notice", "end"), "venture.notice_window",
                       f"公示期只有 {lasts} 天，少于规定的 {v.notice.days} 天",
                       f"the notice window lasts {lasts} days, fewer than the declared {v.notice.days}",
                       f"把结束日期延后到 {v.notice.start + dt.timedelta(days=v.notice.days - 1)}",
                       f"end the notice on {v.notice.start + dt.timedelta(days=v.notice.days - 1)} or later")


@check
def venture_grant_within_request(loaded: Loaded) -> Iterator[ContentError]:
    for v in loaded.of(VentureProject).values():
        if v.granted is not None and v.granted > v.requested:
            yield _err(loaded, v, ("granted",), "venture.granted",
                       "资助金额超过了申请金额", "the grant is larger than the amount requested",
                       "更正 granted 或 requested", "correct granted or requested")
        selected = v.stage is not None and VENTURE_STAGES.index(v.stage) >= VENTURE_STAGES.index("selection")
        if selected and v.granted is None:
            yield _err(loaded, v, ("stages", "selection"), "venture.granted",
                       "项目已确定，但没有写资助金额", "the project is selected but has no grant amount",
                       "填写 granted:", "set granted:")


@check
def campaign_projects_belong_to_programme(loaded: Loaded) -> Iterator[ContentError]:
    projects = loaded.of(Project)
    for c in loaded.of(Campaign).values():
        for i, pid in enumerate(c.projects):
            p = projects.get(pid)
            if p is not None and p.programme != c.programme:
                yield _err(loaded, c, ("projects", i), "campaign.project",
                           f"项目 {pid} 属于另一个计划 {p.programme}", f"project {pid} belongs to programme {p.programme}",
                           "只列本计划的项目", "list only this programme's projects")


@check
def team_project_is_in_its_campaign(loaded: Loaded) -> Iterator[ContentError]:
    campaigns = loaded.of(Campaign)
    for t in loaded.of(Team).values():
        c = campaigns.get(t.campaign)
        if c is not None and t.project not in c.projects:
            yield _err(loaded, t, ("project",), "team.campaign",
                       f"项目 {t.project} 不在活动 {c.id} 的项目名单里", f"project {t.project} is not in campaign {c.id}",
                       f"在 content/campaigns/{c.id}.yml 的 projects 中加入它，或改正项目", "add it to the campaign or fix it")


@check
def event_counts_add_up(loaded: Loaded) -> Iterator[ContentError]:
    for s in loaded.of(VolunteerStructure).values():
        for name in ("events_by_type", "events_by_month"):
            total = sum(e.count or 0 for e in getattr(s, name))
            if total > s.events_count:
                yield _err(loaded, s, (name,), "sum.events",
                           f"分类合计 {total} 超过了活动总数 {s.events_count}",
                           f"the breakdown adds up to {total}, more than events_count {s.events_count}",
                           "更正分类数字或总数", "correct the breakdown or the total")


@check
def organisation_parent_kind(loaded: Loaded) -> Iterator[ContentError]:
    orgs = loaded.of(Organisation)
    for o in orgs.values():
        if o.kind == OrgKind.FUND and (o.parent is None or (o.parent in orgs and orgs[o.parent].kind not in (
                OrgKind.CHARITY_FEDERATION, OrgKind.FOUNDATION))):
            yield _err(loaded, o, ("parent",), "org.fund_parent",
                       "专项基金必须挂在慈善总会或基金会之下", "a named fund must sit under a charity federation or foundation",
                       "把 parent 设为慈善总会的编号", "set parent: to the charity federation's id")


@check
def campaign_rules_accepted_by_matching(loaded: Loaded) -> Iterator[ContentError]:
    # The matching rules check themselves (chalicelib.rules); this only says where, in the editor's words.
    from chalicelib.rules import RulesInvalid, content_path

    for c in loaded.of(Campaign).values():
        try:
            c.matching()
        except RulesInvalid as exc:
            for p in exc.problems:
                yield _err(loaded, c, content_path(p.path), p.code, p.zh, p.en,
                           "按配捐规则说明修改", "change the rule as the message says")


@check
def need_claim_window_in_order(loaded: Loaded) -> Iterator[ContentError]:
    for n in loaded.of(Need).values():
        if n.claim_opens and n.claim_closes and n.claim_closes < n.claim_opens:
            yield _err(loaded, n, ("claim_closes",), "need.claim_window",
                       f"认领截止日期 {n.claim_closes} 早于开始日期 {n.claim_opens}",
                       f"the claim window closes ({n.claim_closes}) before it opens ({n.claim_opens})",
                       "更正 claim_opens 或 claim_closes", "correct claim_opens or claim_closes")


@check
def settlement_adds_up(loaded: Loaded) -> Iterator[ContentError]:
    # The settlement is the ledger's own summary; editors must not change its figures by hand.
    for st in loaded.of(Settlement).values():
        problems: list[tuple[tuple[Any, ...], str, str]] = []
        if st.campaign_id != st.id:
            problems.append((("campaign_id",), "结算的活动与编号不一致", "campaign_id differs from id"))
        if st.committed_fen != st.pool_fen - st.remaining_fen:
            problems.append((("committed_fen",), "已承诺配捐不等于资金池减剩余", "committed_fen is not pool_fen - remaining_fen"))
        if st.matched_fen != sum(p.matched_fen for p in st.projects):
            problems.append((("matched_fen",), "配捐合计不等于各项目配捐之和", "matched_fen is not the sum of the projects' matched_fen"))
        if not st.reconciled or st.matched_fen != st.committed_fen:
            problems.append((("reconciled",), "配捐合计与资金池支出不一致，不能公示", "matched and committed disagree; the ledger is not reconciled"))
        for i, p in enumerate(st.projects):
            if p.paid_fen > p.raised_fen:
                problems.append((("projects", i, "paid_fen"), "已到账超过认捐", "paid_fen exceeds raised_fen"))
            if sum(t.raised_fen for t in p.teams) > p.raised_fen:
                problems.append((("projects", i, "teams"), "战队合计超过项目认捐", "the teams raise more than the project"))
        for path, zh, en in problems:
            yield _err(loaded, st, path, "settlement.sum", zh, en,
                       "结算文件应原样提交 API 导出的内容；如有出入请运营人员重新核对",
                       "commit the API's export unchanged; if it disagrees, ask an operator to check the ledger")


# ---- 信息公开: fundraising filings and disclosure deadlines (site_src/disclosure.py) ----
CHECKS.extend(DISCLOSURE_RULES)
