"""A Hope Cottage (希望小屋) case: an alias, an age band and a township, never a child's identity."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field

from ..money import Fen
from .common import Base, Record, Ref, ShortText, current_stage

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


class AgeBand(StrEnum):
    A8_10 = "8-10"
    A11_12 = "11-12"
    A13_14 = "13-14"


class Household(StrEnum):
    REGISTERED_POOR = "registered_poor"  # 建档立卡
    MINIMUM_INCOME = "minimum_income"  # 低保
    DISABILITY = "disability"  # 残疾
    SINGLE_PARENT = "single_parent"  # 单亲
    ORPHAN = "orphan"  # 孤儿


class ActivityKind(StrEnum):
    CHILDRENS_DAY = "childrens_day"  # 六一文艺汇演
    SUMMER_CAMP = "summer_camp"  # 七彩假期、逐梦成长
    BOOK_DRIFT = "book_drift"  # 图书漂流
    BIRTHDAY = "birthday"  # 生日蛋糕
    OTHER = "other"


class Activity(Base):
    date: dt.date
    kind: ActivityKind
    note: ShortText | None = None


class CottageStages(Base):
    """The date each stage was reached; later stages stay empty until reached."""

    identified: dt.date | None = None
    screened: dt.date | None = None
    visited: dt.date | None = None
    approved: dt.date | None = None
    scheduled: dt.date | None = None
    tendered: dt.date | None = None
    building: dt.date | None = None
    accepted: dt.date | None = None
    air_checked: dt.date | None = None
    in_service: dt.date | None = None


class Cottage(Record):
    KIND = "cottage"
    FOLDER = "cottages"
    TITLE_ZH = "希望小屋"

    programme: Ref
    township: ShortText = Field(description="乡镇或街道，不得更细 / township or street office, nothing finer")
    alias: ShortText = Field(description="化名或编号，如“小雨”或 HC-013，绝不能是真实姓名 / alias, never a name")
    age_band: AgeBand
    household: list[Household] = Field(min_length=1, description="家庭类别（类别，不是身份）/ household categories")
    stages: CottageStages
    batch: Ref | None = None
    cost: Fen | None = None
    project: Ref | None = Field(None, description="资金来源项目 / funding project id")
    team: Ref | None = Field(None, description="结对志愿服务队 / paired volunteer team (organisation id)")
    activities: list[Activity] = Field(default_factory=list)

    @property
    def stage(self) -> str | None:
        return current_stage(vars(self.stages), COTTAGE_STAGES)

    @property
    def built(self) -> bool:
        stage = self.stage
        return stage is not None and COTTAGE_STAGES.index(stage) >= COTTAGE_STAGES.index(BUILT_FROM)
