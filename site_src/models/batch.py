"""A building batch: a schedule worked back from a deadline (倒排工期), tender, supervision, acceptance."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from ..money import Fen
from .common import Base, Choice, Record, Ref, ShortText


class Result(Choice):
    PASSED = "passed", "合格"
    FAILED = "failed", "不合格"


class Milestone(Base):
    name: ShortText = Field(description="节点名称，如“进场施工” / milestone")
    due: dt.date = Field(description="计划日期 / date due")
    done: dt.date | None = Field(None, description="实际完成日期 / date done")


class Tender(Base):
    agent: Ref = Field(description="招标代理 / the firm that ran the tender")
    opened: dt.date = Field(description="开标日期 / date the bids were opened")
    awarded: dt.date = Field(description="中标日期 / date awarded")
    winner: Ref = Field(description="中标的施工单位编号 / the winning contractor's id")
    amount: Fen
    bidders: int = Field(ge=1, description="投标单位数 / number of bidders")


class Acceptance(Base):
    date: dt.date = Field(description="验收日期 / date accepted")
    by: Ref = Field(description="验收的监理单位 / the supervisor that accepted")
    result: Result = Field(description="验收结果 / result")
    note: ShortText | None = Field(None, description="备注 / note")


class AirQuality(Base):
    date: dt.date = Field(description="检测日期 / date tested")
    lab: Ref = Field(description="检测机构编号 / the testing lab's id")
    result: Result = Field(description="检测结果 / result")
    formaldehyde_mg_m3: ShortText | None = Field(None, description="甲醛浓度，如“0.05” / formaldehyde, mg/m³")
    standard: ShortText = Field("GB/T 18883", description="依据的标准 / standard applied")


class Batch(Record):
    KIND = "batch"
    FOLDER = "batches"
    TITLE_ZH = "建设批次"

    programme: Ref = Field(description="所属计划编号 / the programme's id")
    name: ShortText = Field(description="批次名称，如“第四批” / batch name")
    deadline: dt.date = Field(description="完工截止日期（倒排工期的终点）/ completion deadline the schedule works back from")
    schedule: list[Milestone] = Field(min_length=1, description="倒排工期 / schedule worked back from the deadline")
    contractor: Ref = Field(description="施工单位编号 / the contractor's id")
    supervisor: Ref = Field(description="监理单位编号 / the supervisor's id")
    tender: Tender | None = Field(None, description="招标信息 / the tender")
    checks: list[ShortText] = Field(default_factory=list, description="资质、施工、家具检查 / checks carried out")
    acceptance: Acceptance | None = Field(None, description="验收记录 / the acceptance record")
    air_quality: AirQuality | None = Field(None, description="环境（空气质量）检测记录 / the air-quality test")
