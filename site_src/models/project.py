"""A project the public can support, with every source and use of its funds."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field

from ..money import Fen
from .common import Base, Record, Ref, ShortText, Text, Update


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
    tags: list[ShortText] = Field(default_factory=list)

    @property
    def raised_fen(self) -> int:
        return sum(entry.amount for entry in self.funding)

    @property
    def spent_fen(self) -> int:
        return sum(use.amount for use in self.uses)
