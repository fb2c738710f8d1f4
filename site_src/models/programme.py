"""A programme: one county league committee's public-good effort (Laiwu, Linhai, Shunde)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from .common import Approx, Base, Count, Figure, Record, Ref, Region, ShortText, Text


class ProgrammeKind(StrEnum):
    CROWDFUNDING = "crowdfunding"  # 网络众筹
    VOLUNTEER_CLAIMING = "volunteer_claiming"  # 项目认领
    VENTURE_PHILANTHROPY = "venture_philanthropy"  # 公益创投


class FunnelStep(Base):
    """One step of a needs survey (Laiwu: 300+ surveyed -> ... -> 138 built)."""

    step: ShortText
    count: Count | None = Field(None, description="人数或户数；公报未给出时留空 / count, empty when not published")
    approx: Approx = Approx.EXACT
    note: ShortText | None = None


class Programme(Record):
    KIND = "programme"
    FOLDER = "programmes"
    TITLE_ZH = "项目计划"

    name: ShortText
    short_name: ShortText
    kind: ProgrammeKind
    organiser: Ref = Field(description="主办组织（organisations/ 中的编号）/ organiser organisation id")
    region: Region
    started: int | None = Field(None, ge=2000, le=2100, description="开始年份 / year started")
    summary: ShortText
    story: Text = Field(description="项目故事（Markdown）/ the programme's story, Markdown")
    figures: list[Figure] = Field(default_factory=list, description="公报中的关键数字 / headline figures")
    funnel: list[FunnelStep] = Field(default_factory=list, description="需求调查漏斗 / needs-survey funnel")
    models: list[ShortText] = Field(default_factory=list, description="支持方式，如阵地共享 / support models")
    source: ShortText | None = None
