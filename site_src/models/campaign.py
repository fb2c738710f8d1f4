"""A giving day or season (99公益日, 520公益日) with its matching (配捐) rules, written in yuan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from pydantic import Field

from ..money import Fen
from .common import Base, Record, Ref, ShortText


class CampaignKind(StrEnum):
    GIVING_DAY = "giving_day"
    SEASON = "season"


class Window(Base):
    start: dt.datetime = Field(description="开始时间，带时区，如 2021-09-07T00:00:00+08:00 / start, with offset")
    end: dt.datetime
    daily_start: dt.time | None = Field(None, description="每日场次开始（北京时间）/ daily session start, Asia/Shanghai")
    daily_end: dt.time | None = None


class Tier(Base):
    min: Fen
    max: Fen | None = None
    rate: Decimal = Field(gt=0, le=10, decimal_places=4, description="配捐比例，0.2 表示 20% / rate, 0.2 = 20%")


class TeamBonus(Base):
    threshold: Fen = Field(description="战队筹款达到此额（元）/ team total that earns the bonus")
    extra_project_cap: Fen = Field(description="每支达标战队为项目增加的配捐上限（元）/ extra project cap per team")


class MatchRules(Base):
    ratio: Decimal = Field(Decimal(1), ge=0, le=10, decimal_places=4, description="配捐比例，1 表示 1:1 / 1 means 1:1")
    minimum_pledge: Fen = Field(0, description="获得配捐的最低捐款（元）/ smallest pledge that earns a match")
    per_pledge_cap: Fen | None = None
    per_donor_daily_cap: Fen | None = None
    per_donor_matched_pledges: int | None = Field(None, ge=1, description="每位捐赠人获配捐的笔数上限")
    per_project_cap: Fen | None = None
    matchable_max: Fen | None = Field(None, description="每笔只计算前多少元 / only the first X yuan of a pledge")
    tiers: list[Tier] = Field(default_factory=list)
    team_bonus: TeamBonus | None = None
    velocity_per_minute: int | None = Field(5, ge=1, description="每分钟超过此笔数视为异常 / velocity limit")


class Campaign(Record):
    KIND = "campaign"
    FOLDER = "campaigns"
    TITLE_ZH = "公益日活动"

    programme: Ref
    name: ShortText
    kind: CampaignKind
    sponsor: Ref = Field(description="配捐方 / matching sponsor organisation id")
    pool: Fen = Field(description="配捐资金池（元）/ matching pool, yuan")
    windows: list[Window] = Field(min_length=1)
    rules: MatchRules = Field(default_factory=MatchRules)
    projects: list[Ref] = Field(min_length=1)
    demo: bool = Field(False, description="演示活动：窗口覆盖演示运行的任何时间 / demo campaign, always open")
    note: ShortText | None = None
