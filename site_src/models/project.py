"""A project the public can support, with every source and use of its funds.

A project that raises money from the public also records what the Charity Law
asks to be shown with it (site_src/disclosure.py checks it): the qualified
charity that runs the fundraising and receives the money, the filing of the
fundraising plan (备案编号 and its dates), the designated platform pages, and
after it ends its final report with what happened to any money left over.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from ..money import Fen
from .common import Base, Record, Ref, ShortText, Text, Update
from .organisation import ExampleFlag

#: A web address editors paste from the platform; https only, so a page never links to a plain-HTTP donation page.
WebAddress = Annotated[str, StringConstraints(pattern=r"^https://[^\s]+$", max_length=500), Field(
    description="网址，以 https:// 开头 / web address starting with https://")]


class ProjectStatus(StrEnum):
    PLANNED = "planned"  # 筹备中
    FUNDRAISING = "fundraising"  # 募集中
    IN_PROGRESS = "in_progress"  # 执行中
    COMPLETED = "completed"  # 已完成
    CLOSED = "closed"  # 已结项


class Channel(StrEnum):
    ENTERPRISE = "enterprise"  # 企业捐赠
    FOUNDATION = "foundation"  # 基金会（含经基金会捐赠的个人）
    ONLINE = "online"  # 网络众筹
    GOVERNMENT = "government"  # 财政/政府
    OTHER = "other"


class FundingEntry(Base):
    """Money in: where it came from."""

    channel: Channel
    amount: Fen
    date: dt.date
    donor: Ref | None = Field(None, description="捐赠组织编号（公开时填写）/ donor organisation id, where public")
    via: Ref | None = Field(None, description="经由的组织，如基金会 / the organisation it came through")
    campaign: Ref | None = Field(None, description="网络众筹所属活动 / giving-day campaign id")
    note: ShortText | None = None


class Use(Base):
    """Money out: a disbursement with its purpose."""

    date: dt.date
    purpose: ShortText
    amount: Fen
    payee: Ref | None = None
    batch: Ref | None = None


class Filing(Base):
    """公开募捐方案备案: the fundraising plan as filed with the civil-affairs department (慈善中国)."""

    number: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z-]{6,40}$")] = Field(
        description="备案编号（慈善中国上的编号）/ filing number")
    valid_from: dt.date = Field(description="募捐起始日期 / fundraising starts")
    valid_until: dt.date = Field(description="募捐终止日期 / fundraising ends")
    authority: ShortText | None = Field(None, description="备案的民政部门 / the civil-affairs department filed with")
    url: WebAddress | None = Field(None, description="备案信息的公开网址 / public page of the filing")


class PlatformKind(StrEnum):
    DESIGNATED = "designated"  # 民政部指定的互联网公开募捐服务平台
    OWN_WEBSITE = "own_website"  # 慈善组织自己的网站（只能同时使用，不能单独使用）


class Platform(Base):
    """Where the public gives: a designated platform, or the charity's own website alongside one."""

    name: ShortText = Field(description="平台名称，如“腾讯公益”“亲青公益” / platform name")
    kind: PlatformKind = Field(PlatformKind.DESIGNATED, description="designated：民政部指定平台；own_website：慈善组织网站")
    url: WebAddress = Field(description="本项目在该平台的页面 / the project's page there")


class Fundraising(Base):
    """公开募捐: who raises and receives the money, under which filing, on which platforms."""

    fundraiser: Ref | None = Field(
        None, description="具有公开募捐资格的慈善组织编号，由它收款并管理善款 / the qualified charity's id")
    filing: Filing | None = None
    platforms: list[Platform] = Field(default_factory=list)
    example: ExampleFlag = False


class ReportKind(StrEnum):
    PROGRESS = "progress"  # 募捐情况与项目进展（含资金使用）
    FINAL = "final"  # 结项报告：项目实施和募得款物使用情况


class ProjectReport(Base):
    """A dated disclosure report; a final report also says what happened to the money left over."""

    kind: ReportKind
    date: dt.date = Field(description="公开日期 / date published")
    title: ShortText
    body: Text | None = None
    url: WebAddress | None = Field(None, description="报告全文网址 / the full report")
    leftover_handling: ShortText | None = Field(
        None, description="结项报告：剩余资金如何处理（无剩余也写明）/ final report: what happened to money left over")
    example: ExampleFlag = False


class Project(Record):
    KIND = "project"
    FOLDER = "projects"
    TITLE_ZH = "公益项目"

    programme: Ref
    name: ShortText
    summary: ShortText
    description: Text | None = None
    owner: Ref = Field(description="执行组织编号 / owning organisation id")
    goal: Fen = Field(description="筹款目标（元）/ fundraising goal, yuan")
    status: ProjectStatus
    start: dt.date
    end: dt.date | None = None
    accepting_pledges: bool = Field(False, description="是否在线接受认捐 / open to online pledges")
    stated_raised: Fen | None = Field(None, description="对外公布的筹款总额，须等于各笔来源之和 / must equal the funding entries")
    funding: list[FundingEntry] = Field(default_factory=list)
    uses: list[Use] = Field(default_factory=list)
    updates: list[Update] = Field(default_factory=list)
    fundraising: Fundraising | None = Field(None, description="公开募捐信息 / public fundraising")
    reports: list[ProjectReport] = Field(default_factory=list, description="进展报告与结项报告 / disclosure reports")
    tags: list[ShortText] = Field(default_factory=list)

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
