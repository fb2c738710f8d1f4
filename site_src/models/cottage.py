"""A Hope Cottage (希望小屋) case: an alias, an age band and a township, never a child's identity."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from ..money import Fen
from .common import Base, Choice, Record, Ref, ShortText, current_stage, stage_date

COTTAGE_STAGES = (
    "identified", "screened", "visited", "approved", "scheduled",
    "tendered", "building", "accepted", "air_checked", "in_service",
)
COTTAGE_STAGE_ZH = {
    "identified": "摸排确定", "screened": "筛选", "visited": "入户走访", "approved": "确定帮扶",
    "scheduled": "排期", "tendered": "招标", "building": "施工", "accepted": "验收",
    "air_checked": "环境检测", "in_service": "投入使用",
}
#: Stages from which a cottage counts as built (the bulletin's "138 built").
BUILT_FROM = "accepted"


class AgeBand(Choice):
    A8_10 = "8-10", "8至10岁"
    A11_12 = "11-12", "11至12岁"
    A13_14 = "13-14", "13至14岁"


class Household(Choice):
    REGISTERED_POOR = "registered_poor", "建档立卡户"
    MINIMUM_INCOME = "minimum_income", "低保户"
    DISABILITY = "disability", "残疾家庭"
    SINGLE_PARENT = "single_parent", "单亲家庭"
    ORPHAN = "orphan", "孤儿"


class ActivityKind(Choice):
    CHILDRENS_DAY = "childrens_day", "六一文艺汇演"
    SUMMER_CAMP = "summer_camp", "夏令营"  # 七彩假期、逐梦成长
    BOOK_DRIFT = "book_drift", "图书漂流"
    BIRTHDAY = "birthday", "生日蛋糕"
    OTHER = "other", "活动"  # the pages say "活动" for any other kind


class Activity(Base):
    date: dt.date = Field(description="活动日期 / date")
    kind: ActivityKind = Field(description="活动类型 / kind of activity")
    note: ShortText | None = Field(None, description="备注：不写孩子的姓名、学校 / note, never the child's name or school")


class CottageStages(Base):
    """The date each stage was reached; later stages stay empty until reached."""

    identified: dt.date | None = stage_date(COTTAGE_STAGE_ZH, "identified")
    screened: dt.date | None = stage_date(COTTAGE_STAGE_ZH, "screened")
    visited: dt.date | None = stage_date(COTTAGE_STAGE_ZH, "visited")
    approved: dt.date | None = stage_date(COTTAGE_STAGE_ZH, "approved")
    scheduled: dt.date | None = stage_date(COTTAGE_STAGE_ZH, "scheduled")
    tendered: dt.date | None = stage_date(COTTAGE_STAGE_ZH, "tendered")
    building: dt.date | None = stage_date(COTTAGE_STAGE_ZH, "building")
    accepted: dt.date | None = stage_date(COTTAGE_STAGE_ZH, "accepted")
    air_checked: dt.date | None = stage_date(COTTAGE_STAGE_ZH, "air_checked")
    in_service: dt.date | None = stage_date(COTTAGE_STAGE_ZH, "in_service")


class Cottage(Record):
    KIND = "cottage"
    FOLDER = "cottages"
    TITLE_ZH = "希望小屋"

    programme: Ref = Field(description="所属计划编号 / the programme's id")
    township: ShortText = Field(description="乡镇或街道，不得更细 / township or street office, nothing finer")
    alias: ShortText = Field(description="化名或编号，如“小雨”或 HC-013，绝不能是真实姓名 / alias, never a name")
    age_band: AgeBand = Field(description="年龄段，不写具体年龄 / age band, never an exact age")
    household: list[Household] = Field(min_length=1, description="家庭类别（类别，不是身份）/ household categories")
    stages: CottageStages = Field(description="各阶段到达的日期，按顺序填写 / the date each stage was reached, in order")
    batch: Ref | None = Field(None, description="建设批次编号；验收后必填 / the building batch; required once accepted")
    cost: Fen | None = Field(None, description="改造费用（元）/ cost of the cottage, yuan")
    project: Ref | None = Field(None, description="资金来源项目 / funding project id")
    team: Ref | None = Field(None, description="结对志愿服务队 / paired volunteer team (organisation id)")
    activities: list[Activity] = Field(default_factory=list, description="小屋里的活动（备注中不写孩子的姓名）/ activities, never naming the child")

    @property
    def stage(self) -> str | None:
        return current_stage(vars(self.stages), COTTAGE_STAGES)

    @property
    def built(self) -> bool:
        stage = self.stage
        return stage is not None and COTTAGE_STAGES.index(stage) >= COTTAGE_STAGES.index(BUILT_FROM)
