"""Pieces shared by every kind of record: ids, references, dates, updates, figures."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Self

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


class Choice(StrEnum):
    """A closed list of values editors choose from. Each value carries its Chinese label, written once
    beside it (``PLANNED = "planned", "筹备中"``): the JSON Schemas show it in completion, the importer reads
    it back from a spreadsheet, and the public pages print it."""

    label_zh: str

    def __new__(cls, value: str, label_zh: str = "") -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label_zh = label_zh
        return member

    @classmethod
    def labels(cls) -> dict[str, str]:
        """value -> Chinese label, in declaration order."""
        return {m.value: m.label_zh for m in cls}

    @classmethod
    def from_label(cls, text: str) -> str | None:
        """The value an editor meant by ``text``: the value itself or its Chinese label, else None."""
        text = text.strip()
        for m in cls:
            if text in (m.value, m.label_zh):
                return m.value
        return None


def choices() -> dict[str, type[Choice]]:
    """Every choice list by class name (the JSON Schema's title for it); the names are unique."""
    found: dict[str, type[Choice]] = {}
    todo = list(Choice.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls.__name__ in found and found[cls.__name__] is not cls:
            raise TypeError(f"two choice lists are named {cls.__name__}")
        found[cls.__name__] = cls
        todo += cls.__subclasses__()
    return found


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

    date: dt.date = Field(description="日期，如 2022-06-01 / date, such as 2022-06-01")
    title: ShortText = Field(description="标题 / title")
    body: Text | None = Field(None, description="正文（可选，Markdown）/ text, optional, Markdown")


class Approx(Choice):
    EXACT = "exact", "确数"
    AT_LEAST = "at_least", "至少（“300+”“650余个”）"
    MORE_THAN = "more_than", "超过（“超过100万元”）"


class FigureUnit(Choice):
    YUAN = "yuan", "元（金额）"
    COUNT = "count", "个数"
    PEOPLE = "people", "人数"
    SESSIONS = "sessions", "场次"
    ATTENDANCES = "attendances", "人次"
    PERCENT = "percent", "百分比"


class Figure(Base):
    """A headline figure as the bulletin states it, with how it is checked against the records."""

    key: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")] = Field(
        description="数字的代号（小写字母、数字、下划线），如 total_raised；部分代号会与记录核对 / "
                    "key such as total_raised; some keys are checked against the records")
    label: ShortText = Field(description="数字的中文说明，如“累计筹款” / what the figure counts, in Chinese")
    value: int = Field(description="数值；金额类（unit: yuan）以元为单位 / value; yuan when unit is yuan")
    unit: FigureUnit = Field(FigureUnit.COUNT, description="单位 / unit")
    approx: Approx = Field(Approx.EXACT, description="公报的说法：确数、至少（“余”）或超过 / how the bulletin states it: exact, at least or more than")
    source: ShortText | None = Field(None, description="出处，例如“团中央简报2021年第25期” / where the figure comes from")


class Region(Base):
    province: ShortText = Field(description="省 / province")
    city: ShortText = Field(description="市 / city")
    county: ShortText = Field(description="区/县/县级市 / district or county")


StageName = str


def stage_date(names_zh: dict[str, str], stage: str, required: bool = False) -> Any:
    """The field for the date a stage was reached, described in the editors' words."""
    zh = f"到达“{names_zh[stage]}”的日期" + ("" if required else "，未到达时留空")
    en = f"the date the {stage.replace('_', ' ')} stage was reached" + ("" if required else "; empty until then")
    return Field(... if required else None, description=f"{zh} / {en}")


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
