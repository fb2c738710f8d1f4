"""A volunteer need (Linhai): need -> published -> claimed -> undertaken -> summarised."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from .common import Base, Count, Record, Ref, ShortText, Text, current_stage, stage_date

NEED_STAGES = ("need", "published", "claimed", "undertaken", "summarised")
NEED_STAGE_ZH = {"need": "需求", "published": "发布", "claimed": "认领", "undertaken": "承办", "summarised": "总结"}


class Place(Base):
    grid: ShortText | None = Field(None, description="网格 / grid")
    community: ShortText | None = Field(None, description="社区或村 / community or village")
    township: ShortText = Field(description="乡镇或街道 / township or street office")


class NeedStages(Base):
    need: dt.date = stage_date(NEED_STAGE_ZH, "need", required=True)
    published: dt.date | None = stage_date(NEED_STAGE_ZH, "published")
    claimed: dt.date | None = stage_date(NEED_STAGE_ZH, "claimed")
    undertaken: dt.date | None = stage_date(NEED_STAGE_ZH, "undertaken")
    summarised: dt.date | None = stage_date(NEED_STAGE_ZH, "summarised")


class Need(Record):
    KIND = "need"
    FOLDER = "needs"
    TITLE_ZH = "志愿需求"

    programme: Ref = Field(description="所属计划编号 / the programme's id")
    title: ShortText = Field(description="需求标题 / title")
    description: Text = Field(description="需求说明：不写孩子或服务对象的姓名 / what is needed, never naming a child or client")
    category: ShortText = Field(description="服务类别，如家政、心理疏导 / service category")
    where: Place = Field(description="服务地点，最细到网格、社区或村 / where, down to grid, community or village")
    skills: list[ShortText] = Field(default_factory=list, description="需要的技能 / skills needed")
    volunteers_needed: Count | None = Field(None, description="需要的志愿者人数 / volunteers needed")
    starts: dt.date | None = Field(None, description="服务开始日期 / service starts")
    ends: dt.date | None = Field(None, description="服务结束日期 / service ends")
    claim_opens: dt.date | None = Field(None, description="开始接受认领的日期 / claims open")
    claim_closes: dt.date | None = Field(None, description="认领截止日期 / claims close")
    stages: NeedStages = Field(description="各阶段日期：需求、发布、认领、承办、总结 / the date of each stage")
    claimed_by: Ref | None = Field(None, description="认领的志愿服务队 / claiming team (organisation id)")
    summary: Text | None = Field(None, description="服务总结，总结阶段必填 / summary, required once summarised")
    contest_funded: bool = Field(False, description="获志愿服务项目创新大赛资助 / funded through the innovation contest")

    @property
    def stage(self) -> str:
        return current_stage(vars(self.stages), NEED_STAGES) or "need"
