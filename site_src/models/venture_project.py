"""A venture-philanthropy project (公益创投, Shunde) along its seven stages."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from ..money import Fen
from .common import Approx, Base, Choice, Count, Record, Ref, ShortText, Text, Update, current_stage, stage_date

VENTURE_STAGES = ("call", "review", "public_notice", "selection", "execution", "midterm", "supervision")
VENTURE_STAGE_ZH = {
    "call": "项目征集", "review": "项目评审", "public_notice": "公示公告", "selection": "项目确定",
    "execution": "项目执行", "midterm": "中期评估", "supervision": "组织督导",
}


class Theme(Choice):
    THOUGHT_GUIDANCE = "thought_guidance", "青少年思想引领"
    YOUTH_VENUES = "youth_venues", "青年阵地"
    RURAL_REVITALISATION = "rural_revitalisation", "乡村振兴"
    CULTURAL_CREATIVE = "cultural_creative", "文化创意公益"
    LEADER_TRAINING = "leader_training", "青年骨干培养"
    VOLUNTEER_SERVICE = "volunteer_service", "志愿服务"


THEME_ZH = Theme.labels()


class VentureStages(Base):
    call: dt.date | None = stage_date(VENTURE_STAGE_ZH, "call")
    review: dt.date | None = stage_date(VENTURE_STAGE_ZH, "review")
    public_notice: dt.date | None = stage_date(VENTURE_STAGE_ZH, "public_notice")
    selection: dt.date | None = stage_date(VENTURE_STAGE_ZH, "selection")
    execution: dt.date | None = stage_date(VENTURE_STAGE_ZH, "execution")
    midterm: dt.date | None = stage_date(VENTURE_STAGE_ZH, "midterm")
    supervision: dt.date | None = stage_date(VENTURE_STAGE_ZH, "supervision")


class Score(Base):
    reviewer: ShortText = Field(description="评审专家代号 / reviewer code")
    public_benefit: int = Field(ge=0, le=100, description="公益性得分（0–100）/ public benefit, 0-100")
    innovation: int = Field(ge=0, le=100, description="创新性得分（0–100）/ innovation, 0-100")
    sustainability: int = Field(ge=0, le=100, description="可持续性得分（0–100）/ sustainability, 0-100")


class Notice(Base):
    start: dt.date = Field(description="公示开始日期 / notice starts")
    end: dt.date = Field(description="公示结束日期 / notice ends")
    days: int = Field(ge=1, description="规定公示天数 / declared notice days")
    objections_to: ShortText = Field(description="异议受理方式 / how to object")


class Outcomes(Base):
    sessions: Count | None = Field(None, description="活动场次 / sessions held")
    attendance: Count | None = Field(None, description="参与人次 / attendance")
    attendance_approx: Approx = Field(Approx.EXACT, description="人次是确数、至少还是超过 / whether attendance is exact, at least or more than")


class VentureProject(Record):
    KIND = "venture_project"
    FOLDER = "venture_projects"
    TITLE_ZH = "公益创投项目"

    programme: Ref = Field(description="所属计划编号 / the programme's id")
    title: ShortText = Field(description="项目名称 / title")
    applicant: Ref = Field(description="申报组织编号 / the applying organisation's id")
    theme: Theme = Field(description="主题领域 / theme")
    summary: Text = Field(description="项目简介 / summary")
    requested: Fen
    granted: Fen | None = Field(None, description="资助金额（元），确定后必填 / grant, yuan; required once selected")
    year: int = Field(ge=2000, le=2100, description="创投年度 / year of the call")
    stages: VentureStages = Field(description="七个阶段的日期 / the date of each of the seven stages")
    scores: list[Score] = Field(default_factory=list, description="评审打分 / reviewers' scores")
    notice: Notice | None = Field(None, description="公示信息 / the public notice")
    outcomes: Outcomes | None = Field(None, description="执行成果 / outcomes")
    updates: list[Update] = Field(default_factory=list, description="项目动态 / news")
    midterm_result: ShortText | None = Field(None, description="中期评估结果 / mid-term review result")
    supervision_notes: ShortText | None = Field(None, description="督导意见 / supervision notes")

    @property
    def stage(self) -> str | None:
        return current_stage(vars(self.stages), VENTURE_STAGES)
