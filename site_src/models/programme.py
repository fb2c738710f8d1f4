"""A programme: one county league committee's public-good effort (Laiwu, Linhai, Shunde)."""

from __future__ import annotations

from pydantic import Field

from .common import Approx, Base, Choice, Count, Figure, Record, Ref, Region, ShortText, Text


class ProgrammeKind(Choice):
    CROWDFUNDING = "crowdfunding", "网络众筹"
    VOLUNTEER_CLAIMING = "volunteer_claiming", "志愿服务项目认领"
    VENTURE_PHILANTHROPY = "venture_philanthropy", "公益创投"


class FunnelStep(Base):
    """One step of a needs survey (Laiwu: 300+ surveyed -> ... -> 138 built)."""

    step: ShortText = Field(description="步骤名称，如“摸排” / the step, such as the survey")
    count: Count | None = Field(None, description="人数或户数；公报未给出时留空 / count, empty when not published")
    approx: Approx = Field(Approx.EXACT, description="数字是确数、至少还是超过 / whether the count is exact, at least or more than")
    note: ShortText | None = Field(None, description="备注 / note")


class Programme(Record):
    KIND = "programme"
    FOLDER = "programmes"
    TITLE_ZH = "项目计划"

    name: ShortText = Field(description="计划全称，如“莱芜希望小屋” / the programme's full name")
    short_name: ShortText = Field(description="简称，用于导航和标题 / short name for navigation and titles")
    kind: ProgrammeKind = Field(description="计划类型 / kind of programme")
    organiser: Ref = Field(description="主办组织（organisations/ 中的编号）/ organiser organisation id")
    region: Region = Field(description="所在地区：省、市、区县 / where it runs: province, city, county")
    started: int | None = Field(None, ge=2000, le=2100, description="开始年份 / year started")
    summary: ShortText = Field(description="一句话简介（列表和分享卡片上显示）/ one-line summary shown in listings and share cards")
    story: Text = Field(description="项目故事（Markdown）/ the programme's story, Markdown")
    figures: list[Figure] = Field(default_factory=list, description="公报中的关键数字 / headline figures")
    funnel: list[FunnelStep] = Field(default_factory=list, description="需求调查漏斗 / needs-survey funnel")
    models: list[ShortText] = Field(default_factory=list, description="支持方式，如阵地共享 / support models")
    source: ShortText | None = Field(None, description="资料出处，如公报或简报 / where the facts come from, such as a bulletin")
