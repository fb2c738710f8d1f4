"""An online fundraising team (网上战队) rallying pledges for a project in a campaign."""

from __future__ import annotations

from pydantic import Field

from ..money import Fen
from .common import Record, Ref, ShortText


class Team(Record):
    KIND = "team"
    FOLDER = "teams"
    TITLE_ZH = "网上战队"

    name: ShortText
    parent: Ref = Field(description="所属团组织或少先队 / parent league or Young Pioneer branch")
    project: Ref
    campaign: Ref
    captain_alias: ShortText = Field(description="队长化名 / captain's alias")
    target: Fen
