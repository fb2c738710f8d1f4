"""The 1+4+N volunteer structure (Linhai), squads and service events, as counts where no list exists."""

from __future__ import annotations

from pydantic import Field

from .common import Approx, Base, Count, Record, Ref, ShortText


class Squad(Base):
    kind: ShortText = Field(description="小分队类别，如医生、教师、民警 / squad kind")
    count: Count | None = Field(None, description="数量 / number")


class EventCount(Base):
    type: ShortText = Field(description="活动类型 / type of event")
    count: Count | None = Field(None, description="场次；公报未分列时留空 / count, empty when not published")


class MonthCount(Base):
    month: ShortText = Field(pattern=r"^\d{4}-\d{2}$", description="月份，写成 2021-05 / month as 2021-05")
    count: Count = Field(description="场次 / events")


class VolunteerStructure(Record):
    KIND = "volunteer_structure"
    FOLDER = "volunteer_structures"
    TITLE_ZH = "志愿服务体系"

    programme: Ref = Field(description="所属计划编号 / the programme's id")
    association: Ref = Field(description="“1”：市志愿者协会 / the leading association")
    organisations: list[Ref] = Field(min_length=1, description="“4”：大型志愿组织 / the large organisations")
    teams_count: Count = Field(description="“N”：注册志愿服务队数量 / registered teams")
    teams: list[Ref] = Field(default_factory=list, description="已列出的服务队（可少于总数）/ teams listed by name")
    registered_social_orgs: list[Ref] = Field(default_factory=list, description="当年在民政登记的志愿服务类社会组织 / volunteer social organisations registered that year")
    squads_count: Count = Field(description="小分队总数 / number of squads")
    squads_approx: Approx = Field(Approx.EXACT, description="小分队数是确数、至少还是超过 / whether the squad count is exact, at least or more than")
    squads: list[Squad] = Field(default_factory=list, description="小分队类别及数量 / squads by kind")
    events_count: Count = Field(description="活动总场次 / number of service events")
    events_approx: Approx = Field(Approx.EXACT, description="场次是确数、至少还是超过 / whether the event count is exact, at least or more than")
    events_by_type: list[EventCount] = Field(default_factory=list, description="按类型分的场次 / events by type")
    events_by_month: list[MonthCount] = Field(default_factory=list, description="按月份分的场次 / events by month")
    resource_meetings: ShortText | None = Field(None, description="资源对接会情况 / resource-matching meetings")
