"""Pieces shared by every kind of record: ids, references, dates, updates, figures."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

#: A record id: letters, digits and dashes. It is also the file name (``<id>.yml``).
Id = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$"),
    Field(description="编号：字母、数字和短横线，与文件名相同 / id: letters, digits, dashes; equals the file name"),
]

#: A reference to another record's id (checked by the cross-reference rule).
Ref = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")]

Text = Annotated[str, StringConstraints(min_length=1, max_length=20_000, strip_whitespace=True)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]

Count = Annotated[int, Field(ge=0)]


class Base(BaseModel):
    """Every model refuses unknown fields: a typo must not vanish silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=True)


class Record(Base):
    """A record kept in its own file, ``content/<folder>/<id>.yml``."""

    KIND: ClassVar[str] = ""
    FOLDER: ClassVar[str] = ""
    TITLE_ZH: ClassVar[str] = ""

    id: Id
    example: bool = Field(
        False, description="示例数据：公报没有逐条列出的记录（单个小屋、战队、需求）为演示生成 / invented example data"
    )


class Update(Base):
    """A dated news item on a project, cottage or need."""

    date: dt.date
    title: ShortText
    body: Text | None = None


class Approx(StrEnum):
    EXACT = "exact"
    AT_LEAST = "at_least"  # "300+", "650余个"
    MORE_THAN = "more_than"  # "超过100万元"


class Figure(Base):
    """A headline figure as the bulletin states it, with how it is checked against the records."""

    key: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
    label: ShortText
    value: int = Field(description="数值；金额类（unit: yuan）以元为单位 / value; yuan when unit is yuan")
    unit: Literal["yuan", "count", "people", "sessions", "attendances", "percent"] = "count"
    approx: Approx = Approx.EXACT
    source: ShortText | None = Field(None, description="出处，例如“团中央简报2021年第25期” / where the figure comes from")


class Region(Base):
    province: ShortText
    city: ShortText
    county: ShortText = Field(description="区/县/县级市 / district or county")


StageName = str


def stage_dates_in_order(stages: dict[str, dt.date | None], order: tuple[str, ...]) -> list[tuple[str, str]]:
    """Pairs (earlier, later) of reached stages whose dates go backwards."""
    bad = []
    prev: tuple[str, dt.date] | None = None
    for name in order:
        day = stages.get(name)
        if day is None:
            continue
        if prev and day < prev[1]:
            bad.append((prev[0], name))
        prev = (name, day)
    return bad


def stage_gaps(stages: dict[str, dt.date | None], order: tuple[str, ...]) -> list[str]:
    """Stages skipped before the last one reached (a stage needs every earlier stage dated)."""
    reached = [name for name in order if stages.get(name) is not None]
    if not reached:
        return []
    last = order.index(reached[-1])
    return [name for name in order[:last] if stages.get(name) is None]


def current_stage(stages: dict[str, dt.date | None], order: tuple[str, ...]) -> str | None:
    reached = [name for name in order if stages.get(name) is not None]
    return reached[-1] if reached else None
