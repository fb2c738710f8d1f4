"""The 1+4+N volunteer structure (Linhai), squads and service events, as counts where no list exists."""

from __future__ import annotations

from pydantic import Field

from .common import Approx, Base, Count, Record, Ref, ShortText


class Squad(Base):
    kind: ShortText = Field(description="小分队类别，如医生、教师、民警 / squad kind")
    count: Count | None = None


class EventCount(Base):
    type: ShortText
    count: Count | None = Field(None, description="场次；公报未分列时留空 / count, empty when not published")


class MonthCount(Base):
    month: ShortText = Field(pattern=r"^\d{4}-\d{2}$")
    count: Count


class VolunteerStructure(Record):
    KIND = "volunteer_structure"
    FOLDER = "volunteer_structures"
    TITLE_ZH = "志愿服务体系"

    programme: Ref
    association: Ref = Field(description="“1”：市志愿者协会 / the leading association")
    organisations: list[Ref] = Field(min_length=1, description="“4”：大型志愿组织 / the large organisations")
    teams_count: Count = Field(description="“N”：注册志愿服务队数量 / registered teams")
    teams: list[Ref] = Field(default_factory=list, description="已列出的服务队（可少于总数）/ teams listed by name")
    registered_social_orgs: list[Ref] = Field(default_factory=list, description="当年在民政登记的志愿服务类社会组织")
    squads_count: Count
    squads_approx: Approx = Approx.EXACT
    squads: list[Squad] = Field(default_factory=list)
    events_count: Count
    events_approx: Approx = Approx.EXACT
    events_by_type: list[EventCount] = Field(default_factory=list)
    events_by_month: list[MonthCount] = Field(default_factory=list)
    resource_meetings: ShortText | None = None
