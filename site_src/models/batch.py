"""A building batch: a schedule worked back from a deadline (倒排工期), tender, supervision, acceptance."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field

from ..money import Fen
from .common import Base, Record, Ref, ShortText


class Result(StrEnum):
    PASSED = "passed"
    FAILED = "failed"


class Milestone(Base):
    name: ShortText
    due: dt.date
    done: dt.date | None = None


class Tender(Base):
    agent: Ref = Field(description="招标代理 / the firm that ran the tender")
    opened: dt.date
    awarded: dt.date
    winner: Ref
    amount: Fen
    bidders: int = Field(ge=1)


class Acceptance(Base):
    date: dt.date
    by: Ref = Field(description="验收的监理单位 / the supervisor that accepted")
    result: Result
    note: ShortText | None = None


class AirQuality(Base):
    date: dt.date
    lab: Ref
    result: Result
    formaldehyde_mg_m3: ShortText | None = Field(None, description="甲醛浓度，如“0.05” / formaldehyde, mg/m³")
    standard: ShortText = "GB/T 18883"


class Batch(Record):
    KIND = "batch"
    FOLDER = "batches"
    TITLE_ZH = "建设批次"

    programme: Ref
    name: ShortText
    deadline: dt.date
    schedule: list[Milestone] = Field(min_length=1, description="倒排工期 / schedule worked back from the deadline")
    contractor: Ref
    supervisor: Ref
    tender: Tender | None = None
    checks: list[ShortText] = Field(default_factory=list, description="资质、施工、家具检查 / checks carried out")
    acceptance: Acceptance | None = None
    air_quality: AirQuality | None = None
