"""Organisations: league committees, foundations, funds, enterprises, volunteer bodies, contractors."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from .common import Count, Record, Ref, ShortText, Text


class OrgKind(StrEnum):
    LEAGUE_COMMITTEE = "league_committee"  # 团委
    FOUNDATION = "foundation"  # 基金会
    CHARITY_FEDERATION = "charity_federation"  # 慈善总会
    FUND = "fund"  # 专项基金（挂在慈善总会下）
    ENTERPRISE = "enterprise"  # 企业
    GOVERNMENT_OFFICE = "government_office"  # 政府部门
    YOUTH_FEDERATION = "youth_federation"  # 青联
    VOLUNTEER_ASSOCIATION = "volunteer_association"  # 志愿者协会
    VOLUNTEER_ORGANISATION = "volunteer_organisation"  # 大型志愿组织
    VOLUNTEER_TEAM = "volunteer_team"  # 志愿服务队
    SOCIAL_ORGANISATION = "social_organisation"  # 社会组织
    CONTRACTOR = "contractor"  # 施工单位
    SUPERVISOR = "supervisor"  # 监理单位
    TENDER_AGENT = "tender_agent"  # 招标代理
    TESTING_LAB = "testing_lab"  # 检测机构
    LEAGUE_BRANCH = "league_branch"  # 基层团组织/少先队


class Organisation(Record):
    KIND = "organisation"
    FOLDER = "organisations"
    TITLE_ZH = "组织"

    name: ShortText
    kind: OrgKind
    parent: Ref | None = Field(None, description="上级组织编号（如专项基金所属的慈善总会）/ parent organisation id")
    region: ShortText | None = None
    focus: ShortText | None = Field(None, description="服务领域，如平安治理 / field of service")
    registered: int | None = Field(None, ge=1949, le=2100, description="登记年份 / year registered")
    members: Count | None = None
    about: Text | None = None
    contact: ShortText | None = Field(
        None, description="对外公开的机构联系方式（办公电话、机构邮箱或网址，不得填个人的）；页脚和“关于”页展示 / "
        "the organisation's public contact (office phone, office mailbox or website, never a person's)")
