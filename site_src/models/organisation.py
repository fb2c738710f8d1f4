"""Organisations: league committees, foundations, funds, enterprises, volunteer bodies, contractors.

A charity also carries what the Charity Law asks to be public about it: its
registration (统一社会信用代码 and the registering authority) and whether it holds
the public-fundraising qualification (公开募捐资格), since only such a charity may
raise money from the public and receive it (site_src/disclosure.py checks this).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, StringConstraints

from .common import Base, Choice, Count, Record, Ref, ShortText, Text

#: A fact inside a real record that the demo invented (a code, a date): shown as 示例数据 beside it.
ExampleFlag = Annotated[bool, Field(description="示例数据：此项为演示填写，不是真实登记信息 / invented example data")]

#: 统一社会信用代码 (GB 32100-2015): 18 characters from digits and capital letters without I, O, S, V, Z.
#: The check character is verified by the org.credit_code rule, which can say what is wrong.
CreditCode = Annotated[str, StringConstraints(pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$"), Field(
    description="统一社会信用代码，18位 / unified social credit code, 18 characters")]

#: Organisation kinds that may be charities able to raise money from the public (Charity Law art. 8: a
#: charity takes the form of a foundation, a social group or a social service organisation).
CHARITY_KINDS = ("charity", "foundation", "charity_federation")


class Registration(Base):
    """登记信息: what the registering authority issued."""

    credit_code: CreditCode
    authority: ShortText = Field(description="登记管理机关，如“山东省民政厅” / registering authority")
    example: ExampleFlag = False


class FundraisingQualification(Base):
    """公开募捐资格: held or not; when held, since when and from which civil-affairs department."""

    held: bool = Field(description="是否具有公开募捐资格 / holds the public-fundraising qualification")
    date: dt.date | None = Field(None, description="取得资格的日期 / date the qualification was granted")
    authority: ShortText | None = Field(None, description="认定的民政部门 / the civil-affairs department that granted it")
    example: ExampleFlag = False


class OrgKind(Choice):
    LEAGUE_COMMITTEE = "league_committee", "团委"
    CHARITY = "charity", "慈善组织（社会团体或社会服务机构形式）"
    FOUNDATION = "foundation", "基金会"
    CHARITY_FEDERATION = "charity_federation", "慈善总会"
    FUND = "fund", "专项基金（挂在慈善总会或基金会下）"
    ENTERPRISE = "enterprise", "企业"
    GOVERNMENT_OFFICE = "government_office", "政府部门"
    YOUTH_FEDERATION = "youth_federation", "青联"
    VOLUNTEER_ASSOCIATION = "volunteer_association", "志愿者协会"
    VOLUNTEER_ORGANISATION = "volunteer_organisation", "大型志愿组织"
    VOLUNTEER_TEAM = "volunteer_team", "志愿服务队"
    SOCIAL_ORGANISATION = "social_organisation", "社会组织"
    CONTRACTOR = "contractor", "施工单位"
    SUPERVISOR = "supervisor", "监理单位"
    TENDER_AGENT = "tender_agent", "招标代理"
    TESTING_LAB = "testing_lab", "检测机构"
    LEAGUE_BRANCH = "league_branch", "基层团组织/少先队"


class Organisation(Record):
    KIND = "organisation"
    FOLDER = "organisations"
    TITLE_ZH = "组织"

    name: ShortText = Field(description="组织全称 / the organisation's full name")
    kind: OrgKind = Field(description="组织类型；能公开募捐的只有慈善组织、基金会、慈善总会 / kind; only charities, foundations and charity federations may raise publicly")
    parent: Ref | None = Field(None, description="上级组织编号（如专项基金所属的慈善总会）/ parent organisation id")
    region: ShortText | None = Field(None, description="所在地区 / region")
    focus: ShortText | None = Field(None, description="服务领域，如平安治理 / field of service")
    registered: int | None = Field(None, ge=1949, le=2100, description="登记年份 / year registered")
    members: Count | None = Field(None, description="成员人数 / number of members")
    about: Text | None = Field(None, description="简介（Markdown）/ about the organisation, Markdown")
    registration: Registration | None = Field(None, description="登记信息 / registration")
    fundraising_qualification: FundraisingQualification | None = Field(
        None, description="公开募捐资格 / public-fundraising qualification")

    contact: ShortText | None = Field(
        None, description="对外公开的机构联系方式（办公电话、机构邮箱或网址，不得填个人的）；页脚和“关于”页展示 / "
        "the organisation's public contact (office phone, office mailbox or website, never a person's)")

    @property
    def may_raise_publicly(self) -> bool:
        """A charity holding the public-fundraising qualification (Charity Law art. 22)."""
        q = self.fundraising_qualification
        return self.kind in CHARITY_KINDS and q is not None and q.held
