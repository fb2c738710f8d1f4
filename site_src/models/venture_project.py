"""A venture-philanthropy project (公益创投, Shunde) along its seven stages."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field

from ..money import Fen
from .common import Approx, Base, Count, Record, Ref, ShortText, Text, Update, current_stage

VENTURE_STAGES = ("call", "review", "public_notice", "selection", "execution", "midterm", "supervision")
VENTURE_STAGE_ZH = {
    "call": "项目征集", "review": "项目评审", "public_notice": "公示公告", "selection": "项目确定",
    "execution": "项目执行", "midterm": "中期评估", "supervision": "组织督导",
}


class Theme(StrEnum):
    THOUGHT_GUIDANCE = "thought_guidance"  # 青少年思想引领
    YOUTH_VENUES = "youth_venues"  # 青年阵地
    RURAL_REVITALISATION = "rural_revitalisation"  # 乡村振兴
    CULTURAL_CREATIVE = "cultural_creative"  # 文化创意公益
    LEADER_TRAINING = "leader_training"  # 青年骨干培养
    VOLUNTEER_SERVICE = "volunteer_service"  # 志愿服务


THEME_ZH = {
    "thought_guidance": "青少年思想引领", "youth_venues": "青年阵地", "rural_revitalisation": "乡村振兴",
    "cultural_creative": "文化创意公益", "leader_training": "青年骨干培养", "volunteer_service": "志愿服务",
}


class VentureStages(Base):
    call: dt.date | None = None
    review: dt.date | None = None
    public_notice: dt.date | None = None
    selection: dt.date | None = None
    execution: dt.date | None = None
    midterm: dt.date | None = None
    supervision: dt.date | None = None


class Score(Base):
    reviewer: ShortText = Field(description="评审专家代号 / reviewer code")
    public_benefit: int = Field(ge=0, le=100)
    innovation: int = Field(ge=0, le=100)
    sustainability: int = Field(ge=0, le=100)


class Notice(Base):
    start: dt.date
    end: dt.date
    days: int = Field(ge=1, description="规定公示天数 / declared notice days")
    objections_to: ShortText = Field(description="异议受理方式 / how to object")


class Outcomes(Base):
    sessions: Count | None = None
    attendance: Count | None = None
    attendance_approx: Approx = Approx.EXACT


class VentureProject(Record):
    KIND = "venture_project"
    FOLDER = "venture_projects"
    TITLE_ZH = "公益创投项目"

    programme: Ref
    title: ShortText
    applicant: Ref
    theme: Theme
    summary: Text
    requested: Fen
    granted: Fen | None = None
    year: int = Field(ge=2000, le=2100)
    stages: VentureStages
    scores: list[Score] = Field(default_factory=list)
    notice: Notice | None = None
    outcomes: Outcomes | None = None
    updates: list[Update] = Field(default_factory=list)
    midterm_result: ShortText | None = None
    supervision_notes: ShortText | None = None

    @property
    def stage(self) -> str | None:
        return current_stage(vars(self.stages), VENTURE_STAGES)
