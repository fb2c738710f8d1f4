"""A project the public can support, with every source and use of its funds.

A project that raises money from the public also records what the Charity Law
asks to be shown with it (site_src/disclosure.py checks it): the qualified
charity that runs the fundraising and receives the money, the filing of the
fundraising plan (备案编号 and its dates), the designated platform pages, and
after it ends its final report with what happened to any money left over.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, StringConstraints

from ..money import Fen
from .common import Base, Choice, Record, Ref, ShortText, Text, Update
from .organisation import ExampleFlag

#: A web address editors paste from the platform; https only, so a page never links to a plain-HTTP donation page.
WebAddress = Annotated[str, StringConstraints(pattern=r"^https://[^\s]+$", max_length=500), Field(
    description="网址，以 https:// 开头 / web address starting with https://")]


class ProjectStatus(Choice):
    PLANNED = "planned", "筹备中"
    FUNDRAISING = "fundraising", "募集中"
    IN_PROGRESS = "in_progress", "执行中"
    COMPLETED = "completed", "已完成"
    CLOSED = "closed", "已结项"


class Channel(Choice):
    ENTERPRISE = "enterprise", "企业捐赠"
    FOUNDATION = "foundation", "基金会渠道"  # including individuals who gave through a foundation
    ONLINE = "online", "网络众筹"
    GOVERNMENT = "government", "财政资金"
    OTHER = "other", "其他"


class FundingEntry(Base):
    """Money in: where it came from."""

    channel: Channel = Field(description="资金渠道 / channel the money came through")
    amount: Fen
    date: dt.date = Field(description="到账日期 / date received")
    donor: Ref | None = Field(None, description="捐赠组织编号（公开时填写）/ donor organisation id, where public")
    via: Ref | None = Field(None, description="经由的组织，如基金会 / the organisation it came through")
    campaign: Ref | None = Field(None, description="网络众筹所属活动 / giving-day campaign id")
    note: ShortText | None = Field(None, description="备注 / note")


class Use(Base):
    """Money out: a disbursement with its purpose."""

    date: dt.date = Field(description="支出日期 / date paid")
    purpose: ShortText = Field(description="用途 / what the money was for")
    amount: Fen
    payee: Ref | None = Field(None, description="收款组织编号 / the receiving organisation's id")
    batch: Ref | None = Field(None, description="对应的建设批次编号 / the building batch it paid for")


class Filing(Base):
    """公开募捐方案备案: the fundraising plan as filed with the civil-affairs department (慈善中国)."""

    number: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z-]{6,40}$")] = Field(
        description="备案编号（慈善中国上的编号）/ filing number")
    valid_from: dt.date = Field(description="募捐起始日期 / fundraising starts")
    valid_until: dt.date = Field(description="募捐终止日期 / fundraising ends")
    authority: ShortText | None = Field(None, description="备案的民政部门 / the civil-affairs department filed with")
    url: WebAddress | None = Field(None, description="备案信息的公开网址 / public page of the filing")


class PlatformKind(Choice):
    DESIGNATED = "designated", "民政部指定的互联网公开募捐服务平台"
    OWN_WEBSITE = "own_website", "慈善组织自己的网站（只能与指定平台同时使用）"


class Platform(Base):
    """Where the public gives: a designated platform, or the charity's own website alongside one."""

    name: ShortText = Field(description="平台名称，如“腾讯公益”“亲青公益” / platform name")
    kind: PlatformKind = Field(PlatformKind.DESIGNATED, description="平台类型：民政部指定平台或慈善组织自己的网站 / designated platform or the charity's own website")
    url: WebAddress = Field(description="本项目在该平台的页面 / the project's page there")


class Fundraising(Base):
    """公开募捐: who raises and receives the money, under which filing, on which platforms."""

    fundraiser: Ref | None = Field(
        None, description="具有公开募捐资格的慈善组织编号，由它收款并管理善款 / the qualified charity's id")
    filing: Filing | None = Field(None, description="募捐方案备案：编号和起止日期 / the filing: number and dates")
    platforms: list[Platform] = Field(default_factory=list, description="募捐平台及本项目页面 / the platforms and the project's page on each")
    example: ExampleFlag = False


class ReportKind(Choice):
    PROGRESS = "progress", "募捐与进展报告"  # 募捐情况与项目进展（含资金使用）
    FINAL = "final", "结项报告"  # 项目实施和募得款物使用情况，及剩余资金的处理


class ProjectReport(Base):
    """A dated disclosure report; a final report also says what happened to the money left over."""

    kind: ReportKind = Field(description="报告类型 / kind of report")
    date: dt.date = Field(description="公开日期 / date published")
    title: ShortText = Field(description="标题 / title")
    body: Text | None = Field(None, description="正文（可选，Markdown）/ text, optional, Markdown")
    url: WebAddress | None = Field(None, description="报告全文网址 / the full report")
    leftover_handling: ShortText | None = Field(
        None, description="结项报告：剩余资金如何处理（无剩余也写明）/ final report: what happened to money left over")
    example: ExampleFlag = False


class Project(Record):
    KIND = "project"
    FOLDER = "projects"
    TITLE_ZH = "公益项目"

    programme: Ref = Field(description="所属计划编号（programmes/ 中的文件名）/ the programme's id")
    name: ShortText = Field(description="项目名称 / project name")
    summary: ShortText = Field(description="一句话简介 / one-line summary")
    description: Text | None = Field(None, description="详细介绍（Markdown）/ full description, Markdown")
    owner: Ref = Field(description="执行组织编号 / owning organisation id")
    goal: Fen = Field(description="筹款目标（元）/ fundraising goal, yuan")
    status: ProjectStatus = Field(description="项目状态 / status")
    start: dt.date = Field(description="开始日期 / start date")
    end: dt.date | None = Field(None, description="结束日期；已完成或已结项的项目必填 / end date; required once completed or closed")
    accepting_pledges: bool = Field(False, description="是否在线接受认捐 / open to online pledges")
    stated_raised: Fen | None = Field(None, description="对外公布的筹款总额，须等于各笔来源之和 / must equal the funding entries")
    funding: list[FundingEntry] = Field(default_factory=list, description="资金来源，每笔一行 / money in, one entry each")
    uses: list[Use] = Field(default_factory=list, description="资金支出，每笔一行 / money out, one entry each")
    updates: list[Update] = Field(default_factory=list, description="项目动态 / project news")
    fundraising: Fundraising | None = Field(None, description="公开募捐信息 / public fundraising")
    reports: list[ProjectReport] = Field(default_factory=list, description="进展报告与结项报告 / disclosure reports")
    tags: list[ShortText] = Field(default_factory=list, description="标签 / tags")

    @property
    def raised_fen(self) -> int:
        return sum(entry.amount for entry in self.funding)

    @property
    def spent_fen(self) -> int:
        return sum(use.amount for use in self.uses)

    @property
    def filing(self) -> Filing | None:
        return self.fundraising.filing if self.fundraising else None

    @property
    def filing_number(self) -> str | None:
        return self.filing.number if self.filing else None

    @property
    def filing_valid_from(self) -> dt.date | None:
        """First day pledges may be taken (with accepting_pledges); the API's catalogue copies it."""
        return self.filing.valid_from if self.filing else None

    @property
    def filing_valid_until(self) -> dt.date | None:
        """Last day pledges may be taken (with accepting_pledges); the API's catalogue copies it."""
        return self.filing.valid_until if self.filing else None

    def takes_pledges_on(self, day: dt.date) -> bool:
        """Open to pledges on ``day``: accepting_pledges and the day inside the filing's dates."""
        f = self.filing
        return self.accepting_pledges and f is not None and f.valid_from <= day <= f.valid_until

    @property
    def ended(self) -> bool:
        return self.status in (ProjectStatus.COMPLETED, ProjectStatus.CLOSED)

    @property
    def final_report(self) -> ProjectReport | None:
        finals = [r for r in self.reports if r.kind == ReportKind.FINAL]
        return min(finals, key=lambda r: r.date) if finals else None

    def last_disclosed(self) -> dt.date | None:
        """The newest dated update or report: what the every-three-months rule counts from."""
        days = [u.date for u in self.updates] + [r.date for r in self.reports]
        return max(days) if days else None
