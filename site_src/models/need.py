"""A volunteer need (Linhai): need -> published -> claimed -> undertaken -> summarised."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from .common import Base, Count, Record, Ref, ShortText, Text, current_stage

NEED_STAGES = ("need", "published", "claimed", "undertaken", "summarised")
NEED_STAGE_ZH = {"need": "需求", "published": "发布", "claimed": "认领", "undertaken": "承办", "summarised": "总结"}


class Place(Base):
    grid: ShortText | None = Field(None, description="网格 / grid")
    community: ShortText | None = Field(None, description="社区或村 / community or village")
    township: ShortText


class NeedStages(Base):
    need: dt.date
    published: dt.date | None = None
    claimed: dt.date | None = None
    undertaken: dt.date | None = None
    summarised: dt.date | None = None


class Need(Record):
    KIND = "need"
    FOLDER = "needs"
    TITLE_ZH = "志愿需求"

    programme: Ref
    title: ShortText
    description: Text
    category: ShortText = Field(description="服务类别，如家政、心理疏导 / service category")
    where: Place
    skills: list[ShortText] = Field(default_factory=list)
    volunteers_needed: Count | None = None
    starts: dt.date | None = None
    ends: dt.date | None = None
    claim_opens: dt.date | None = None
    claim_closes: dt.date | None = None
    stages: NeedStages
    claimed_by: Ref | None = Field(None, description="认领的志愿服务队 / claiming team (organisation id)")
    summary: Text | None = None
    contest_funded: bool = Field(False, description="获志愿服务项目创新大赛资助 / funded through the innovation contest")

    @property
    def stage(self) -> str:
        return current_stage(vars(self.stages), NEED_STAGES) or "need"
