"""信息公开: the rules a project raising money from the public must follow, and the disclosure deadlines.

The Charity Law (amended 29 Dec 2023, in force 5 Sep 2024) lets only a charity holding
the public-fundraising qualification raise money from the public (art. 22); an
organisation without it, such as a league committee, works with such a charity,
which raises and manages the money (art. 26). The fundraising plan is filed before
fundraising starts (art. 24) and online fundraising runs on a platform designated by
the Ministry of Civil Affairs, optionally also on the charity's own website (art. 27).
Progress is disclosed at least every three months, and within three months after a
project ends its final report and what happened to money left over (the law's
information-disclosure chapter; 慈善组织信息公开办法, Ministry order no. 81, in force
1 Jan 2026).

The rules are registered in :mod:`site_src.checks` with the others. The deadline rules
warn from two and a half months and fail after three; "today" comes from :func:`today`,
the one clock every date rule and the site's snapshot date read.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import os
from collections.abc import Iterator
from typing import Any

from .errors import ContentError
from .loader import Loaded
from .models import Organisation, Project
from .models.organisation import CHARITY_KINDS
from .models.project import PlatformKind, ProjectStatus
from .money import fen_to_yuan_text

#: Set to an ISO date (2026-12-01) to check and build as of that day: tests and previews.
CLOCK_ENV = "QINGYI_TODAY"
#: Beijing time has had no daylight saving since 1991: a fixed offset is exact.
BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")

#: Every disclosure deadline is three calendar months; a warning starts half a month before it.
DEADLINE_MONTHS = 3
WARN_DAYS_BEFORE = 15
#: A filing that ends this soon is worth a warning while pledges are open.
FILING_ENDING_DAYS = 14

ACTIVE = (ProjectStatus.FUNDRAISING, ProjectStatus.IN_PROGRESS)
STATUS_ZH = {"fundraising": "募集中", "in_progress": "执行中", "completed": "已完成", "closed": "已结项"}
STATUS_EN = {"fundraising": "a fundraising", "in_progress": "an in-progress", "completed": "completed", "closed": "closed"}
CHARITY_KINDS_ZH = "慈善组织（charity）、基金会（foundation）或慈善总会（charity_federation）"


def clock() -> tuple[dt.date, str | None]:
    """Today in Beijing, or the day QINGYI_TODAY names; the second item is the bad value, if it is one."""
    raw = os.environ.get(CLOCK_ENV, "").strip()
    if raw:
        try:
            return dt.date.fromisoformat(raw), None
        except ValueError:
            pass
    return dt.datetime.now(BEIJING).date(), raw or None


def today() -> dt.date:
    return clock()[0]


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months later (31 Jan + 1 month = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


@dataclasses.dataclass(frozen=True)
class Deadline:
    """A disclosure due by ``due``, counted from ``since``; warned about from ``warn_from``."""

    since: dt.date
    due: dt.date
    warn_from: dt.date

    @classmethod
    def after(cls, since: dt.date) -> Deadline:
        due = add_months(since, DEADLINE_MONTHS)
        return cls(since, due, due - dt.timedelta(days=WARN_DAYS_BEFORE))

    def state(self, day: dt.date) -> str:
        """'ok', 'soon' (a warning) or 'late' (an error) on ``day``."""
        return "late" if day > self.due else "soon" if day >= self.warn_from else "ok"


def update_deadline(p: Project) -> Deadline | None:
    """When an active project's next update or report is due (None when the project is not active)."""
    if p.status not in ACTIVE:
        return None
    return Deadline.after(p.last_disclosed() or p.start)


def final_report_deadline(p: Project) -> Deadline | None:
    """When an ended project's final report is due (None when it has not ended or has no end date)."""
    if not p.ended or p.end is None:
        return None
    return Deadline.after(p.end)


# ---- reporting ----------------------------------------------------------------

def _err(loaded: Loaded, record: Any, path: tuple[Any, ...], rule: str, zh: str, en: str,
         fix_zh: str, fix_en: str) -> ContentError:
    return loaded.source(record).error(path, rule, zh, en, fix_zh, fix_en)


def _warn(err: ContentError) -> ContentError:
    return dataclasses.replace(err, severity="warning")


def _qualified(org: Organisation | None) -> bool:
    return org is not None and org.may_raise_publicly


# ---- the rules ----------------------------------------------------------------

def clock_is_a_date(loaded: Loaded) -> Iterator[ContentError]:
    """A QINGYI_TODAY that is not a date must not silently check against the real clock."""
    _, bad = clock()
    if bad is not None:
        yield ContentError(CLOCK_ENV, 1, 1, "clock.today", CLOCK_ENV,
                           f"环境变量 {CLOCK_ENV}=“{bad}”不是日期，日期检查改用了今天的日期",
                           f"{CLOCK_ENV}={bad!r} is not a date; the date rules used the real date instead",
                           f"写成 {CLOCK_ENV}=2026-12-01，或删去该变量", f"set {CLOCK_ENV}=2026-12-01 or unset it")


#: GB 32100-2015: the 31 characters of a credit code and the weights of its first 17.
CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    total = sum(CODE_CHARS.index(c) * w for c, w in zip(first17, CODE_WEIGHTS, strict=True))
    return CODE_CHARS[(31 - total % 31) % 31]


def organisation_registration_and_qualification(loaded: Loaded) -> Iterator[ContentError]:
    for o in loaded.of(Organisation).values():
        reg = o.registration
        if reg is not None:
            want = credit_code_check_char(reg.credit_code[:17])
            if reg.credit_code[17] != want:
                yield _err(loaded, o, ("registration", "credit_code"), "org.credit_code",
                           f"统一社会信用代码“{reg.credit_code}”的校验位应为“{want}”，可能抄错了一位",
                           f"the credit code {reg.credit_code} should end in {want!r}: a character was probably mistyped",
                           "对照登记证书或“慈善中国”重新抄写 18 位代码",
                           "copy the 18 characters again from the registration certificate")
        q = o.fundraising_qualification
        if q is not None and q.held and (q.date is None or q.authority is None):
            missing = [name for name, value in (("date", q.date), ("authority", q.authority)) if value is None]
            yield _err(loaded, o, ("fundraising_qualification", "held"), "org.qualification",
                       f"写了具有公开募捐资格，但缺少{'和'.join({'date': '取得日期', 'authority': '认定的民政部门'}[m] for m in missing)}",
                       f"the public-fundraising qualification is held but {' and '.join(missing)} is missing",
                       f"按公开募捐资格证书补上 {'、'.join(missing)}", f"add {', '.join(missing)} from the certificate")
        if q is not None and q.held and o.kind not in CHARITY_KINDS:
            yield _err(loaded, o, ("kind",), "org.qualification",
                       f"只有慈善组织才能具有公开募捐资格，而这个组织是 {o.kind}",
                       f"only a charity can hold the public-fundraising qualification; this organisation is a {o.kind}",
                       f"把 kind 改为{CHARITY_KINDS_ZH}，或把 held 改为 false",
                       f"set kind: to one of {', '.join(CHARITY_KINDS)}, or held: false")


def pledges_need_a_qualified_fundraiser(loaded: Loaded) -> Iterator[ContentError]:
    orgs = loaded.of(Organisation)
    for p in loaded.of(Project).values():
        fr = p.fundraising
        if p.accepting_pledges and (fr is None or fr.fundraiser is None):
            owner = orgs.get(p.owner)
            partner = "" if _qualified(owner) else f"；{owner.name if owner else p.owner}没有公开募捐资格，须与具有资格的慈善组织合作"
            yield _err(loaded, p, ("fundraising",) if fr else ("accepting_pledges",), "disclosure.fundraiser",
                       f"在线接受认捐的项目必须写明负责募捐、收款的慈善组织{partner}",
                       "a project taking pledges must name the qualified charity that raises and receives the money"
                       + ("" if _qualified(owner) else "; its owner has no public-fundraising qualification, so it "
                          "must work with a charity that has one"),
                       "在 fundraising: 下写 fundraiser:（具有公开募捐资格的慈善组织编号），或把 accepting_pledges 改为 false",
                       "add fundraising: with fundraiser: (the qualified charity's id), or set accepting_pledges: false")
            continue
        if fr is None or fr.fundraiser is None:
            continue
        org = orgs.get(fr.fundraiser)
        if org is None:
            continue  # ref.missing says so
        where = ("fundraising", "fundraiser")
        if org.kind not in CHARITY_KINDS:
            yield _err(loaded, p, where, "disclosure.fundraiser",
                       f"“{org.name}”是 {org.kind}，只有慈善组织能公开募捐",
                       f"{org.name} is a {org.kind}; only a charity may raise money from the public",
                       f"改为合作的{CHARITY_KINDS_ZH}的编号", f"name the partner charity ({', '.join(CHARITY_KINDS)})")
        elif not org.may_raise_publicly:
            yield _err(loaded, p, where, "disclosure.fundraiser",
                       f"“{org.name}”没有登记公开募捐资格",
                       f"{org.name} has no public-fundraising qualification on record",
                       f"在 content/organisations/{org.id}.yml 写 fundraising_qualification:（held、date、authority），"
                       "或改为具有资格的慈善组织",
                       f"record fundraising_qualification: (held, date, authority) in content/organisations/{org.id}.yml, "
                       "or name a qualified charity")
        elif org.registration is None:
            yield _err(loaded, p, where, "disclosure.fundraiser",
                       f"“{org.name}”没有登记信息（统一社会信用代码和登记管理机关），捐赠人无法核实",
                       f"{org.name} has no registration on record (credit code and registering authority)",
                       f"在 content/organisations/{org.id}.yml 写 registration:（credit_code、authority）",
                       f"add registration: (credit_code, authority) to content/organisations/{org.id}.yml")
        else:
            q = org.fundraising_qualification
            if q is not None and q.date and fr.filing and q.date > fr.filing.valid_from:
                yield _err(loaded, p, ("fundraising", "filing", "valid_from"), "disclosure.fundraiser",
                           f"募捐开始于 {fr.filing.valid_from}，早于“{org.name}”取得公开募捐资格的 {q.date}",
                           f"the fundraising starts {fr.filing.valid_from}, before {org.name} got its qualification ({q.date})",
                           "核对备案日期和资格取得日期", "check the filing's dates and the qualification's date")


def pledges_need_a_filing_in_force(loaded: Loaded) -> Iterator[ContentError]:
    day = today()
    for p in loaded.of(Project).values():
        f = p.filing
        if f is not None and f.valid_until < f.valid_from:
            yield _err(loaded, p, ("fundraising", "filing", "valid_until"), "disclosure.filing",
                       f"募捐终止日期 {f.valid_until} 早于起始日期 {f.valid_from}",
                       f"the filing ends ({f.valid_until}) before it starts ({f.valid_from})",
                       "按备案信息更正 valid_from 和 valid_until", "correct valid_from and valid_until from the filing")
            continue
        if not p.accepting_pledges:
            continue
        if f is None:
            yield _err(loaded, p, ("fundraising",) if p.fundraising else ("accepting_pledges",), "disclosure.filing",
                       "在线接受认捐的项目必须写明募捐方案的备案编号和募捐起止日期",
                       "a project taking pledges must give its fundraising plan's filing number and dates",
                       "在 fundraising: 下写 filing:（number、valid_from、valid_until），或把 accepting_pledges 改为 false",
                       "add fundraising.filing (number, valid_from, valid_until), or set accepting_pledges: false")
        elif not f.valid_from <= day <= f.valid_until:
            when = "尚未开始" if day < f.valid_from else "已经结束"
            yield _err(loaded, p, ("fundraising", "filing", "valid_until" if day > f.valid_until else "valid_from"),
                       "disclosure.filing",
                       f"备案的募捐期 {f.valid_from} 至 {f.valid_until} {when}（今天是 {day}），不能接受认捐",
                       f"the filed fundraising period {f.valid_from} to {f.valid_until} "
                       f"{'has not started' if day < f.valid_from else 'is over'} (today is {day}); no pledges may be taken",
                       "把 accepting_pledges 改为 false，或写入新的备案", "set accepting_pledges: false, or record the new filing")
        elif (f.valid_until - day).days < FILING_ENDING_DAYS:
            yield _warn(_err(loaded, p, ("fundraising", "filing", "valid_until"), "disclosure.filing",
                             f"备案的募捐期将于 {f.valid_until} 结束，之后不能再接受认捐",
                             f"the filed fundraising period ends {f.valid_until}; after that no pledges may be taken",
                             "及时办理新的备案，或准备把 accepting_pledges 改为 false",
                             "file a new plan in time, or set accepting_pledges: false then"))


def pledges_need_a_designated_platform(loaded: Loaded) -> Iterator[ContentError]:
    for p in loaded.of(Project).values():
        platforms = p.fundraising.platforms if p.fundraising else []
        designated = [x for x in platforms if x.kind == PlatformKind.DESIGNATED]
        if p.accepting_pledges and not designated:
            yield _err(loaded, p, ("fundraising", "platforms") if p.fundraising else ("accepting_pledges",),
                       "disclosure.platform",
                       "网络公开募捐必须在民政部指定的互联网公开募捐服务平台进行，这里没有写平台和项目页面",
                       "online public fundraising must run on a platform designated by the Ministry of Civil Affairs; "
                       "none is given with the project's page there",
                       "在 fundraising.platforms 写 name（如 腾讯公益、亲青公益）、kind: designated 和 url（本项目页面）",
                       "add fundraising.platforms with name, kind: designated and url (the project's page there)")
        elif platforms and not designated:
            yield _err(loaded, p, ("fundraising", "platforms"), "disclosure.platform",
                       "慈善组织的网站只能与指定平台同时使用，不能单独用于网络募捐",
                       "the charity's own website may only be used alongside a designated platform",
                       "再加一个 kind: designated 的指定平台", "add a platform with kind: designated")


def _last_disclosure_path(p: Project) -> tuple[Any, ...]:
    dated = [(u.date, ("updates", i, "date")) for i, u in enumerate(p.updates)]
    dated += [(r.date, ("reports", i, "date")) for i, r in enumerate(p.reports)]
    return max(dated)[1] if dated else ("status",)


def active_projects_update_every_three_months(loaded: Loaded) -> Iterator[ContentError]:
    day = today()
    for p in loaded.of(Project).values():
        deadline = update_deadline(p)
        if deadline is None:
            continue
        state = deadline.state(day)
        if state == "ok":
            continue
        since_zh = f"上次更新是 {deadline.since}" if p.last_disclosed() else f"项目 {deadline.since} 开始后还没有更新"
        since_en = f"last update {deadline.since}" if p.last_disclosed() else f"no update since the start, {deadline.since}"
        err = _err(loaded, p, _last_disclosure_path(p), "disclosure.update_due",
                   f"{STATUS_ZH[p.status]}的项目至少每三个月公开一次进展和资金使用：{since_zh}，"
                   + (f"已超过期限 {deadline.due}" if state == "late" else f"须在 {deadline.due} 前更新"),
                   f"{STATUS_EN[p.status]} project discloses progress and use of funds at least every three months: {since_en}, "
                   + (f"past the deadline {deadline.due}" if state == "late" else f"due by {deadline.due}"),
                   f"在 updates 或 reports（kind: progress）中加一条 {day} 或更晚的进展",
                   f"add an update, or a report with kind: progress, dated {day} or later")
        yield err if state == "late" else _warn(err)


def ended_projects_publish_final_report(loaded: Loaded) -> Iterator[ContentError]:
    day = today()
    for p in loaded.of(Project).values():
        if not p.ended:
            continue
        if p.end is None:
            yield _err(loaded, p, ("status",), "disclosure.final_report",
                       f"项目已{STATUS_ZH[p.status]}，但没有写结束日期，无法计算结项报告的期限",
                       f"the project is {STATUS_EN[p.status]} but has no end date, so its final report has no deadline",
                       "写上 end:（项目结束日期）", "add end: (the day the project ended)")
            continue
        deadline = final_report_deadline(p)
        assert deadline is not None
        final = p.final_report
        if final is None:
            state = deadline.state(day)
            if state == "ok":
                continue
            err = _err(loaded, p, ("end",), "disclosure.final_report",
                       f"项目于 {p.end} 结束，结项报告和剩余资金的处理情况须在 {deadline.due} 前公开"
                       + ("，已经逾期" if state == "late" else ""),
                       f"the project ended {p.end}; its final report and the handling of money left over are due by "
                       f"{deadline.due}" + (" and are late" if state == "late" else ""),
                       "在 reports 中加一条 kind: final 的结项报告，并写 leftover_handling",
                       "add a report with kind: final and its leftover_handling")
            yield err if state == "late" else _warn(err)
            continue
        i = p.reports.index(final)
        if final.date > deadline.due:
            yield _err(loaded, p, ("reports", i, "date"), "disclosure.final_report",
                       f"结项报告 {final.date} 公开，晚于项目结束（{p.end}）后三个月的期限 {deadline.due}",
                       f"the final report ({final.date}) came after the deadline {deadline.due}, three months after the end",
                       "核对报告日期；确实逾期的，按实际日期记录并向登记的民政部门说明",
                       "check the date; if it was late, keep the real date and explain it to the civil-affairs department")
        if final.leftover_handling is None:
            left = p.raised_fen - p.spent_fen
            yield _err(loaded, p, ("reports", i), "disclosure.final_report",
                       f"结项报告没有写剩余资金的处理情况（按账目结余 {fen_to_yuan_text(left)} 元）",
                       f"the final report does not say what happened to the money left over ({fen_to_yuan_text(left)} yuan by the accounts)",
                       "写 leftover_handling:，例如“结余转入同类项目，经捐赠人同意”；没有结余也写明“无结余”",
                       "add leftover_handling:, e.g. moved to a similar project; write that there was none if so")


#: In the order they run; site_src.checks registers them with its own rules.
RULES = (
    clock_is_a_date,
    organisation_registration_and_qualification,
    pledges_need_a_qualified_fundraiser,
    pledges_need_a_filing_in_force,
    pledges_need_a_designated_platform,
    active_projects_update_every_three_months,
    ended_projects_publish_final_report,
)
