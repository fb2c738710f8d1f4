"""An online fundraising team (网上战队) rallying pledges for a project in a campaign."""

from __future__ import annotations

from pydantic import Field

from ..money import Fen
from .common import Record, Ref, ShortText


class Team(Record):
    KIND = "team"
    FOLDER = "teams"
    TITLE_ZH = "网上战队"

    name: ShortText = Field(description="战队名称 / team name")
    parent: Ref = Field(description="所属团组织或少先队 / parent league or Young Pioneer branch")
    project: Ref = Field(description="为之筹款的项目编号 / the project it raises for")
    campaign: Ref = Field(description="参加的活动编号 / the campaign it takes part in")
    captain_alias: ShortText = Field(description="队长化名 / captain's alias")
    target: Fen
