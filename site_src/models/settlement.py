"""A campaign's settlement: the frozen per-project summary the API exports for the public notice (公示).

Operators settle a campaign through the API (``POST /admin/campaigns/{id}/settle``),
which returns this YAML; editors commit it as ``content/settlements/<campaign>.yaml``.
Amounts here are integer fen exactly as the ledger counted them, not yuan.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from .common import Base, Count, Record, Ref, ShortText

Fen = int  # integer fen straight from the ledger (the one kind whose money is not written by hand)


class TeamTotal(Base):
    team_id: Ref
    name: ShortText
    raised_fen: Count
    pledge_count: Count
    donor_count: Count


class ProjectTotal(Base):
    project_id: Ref
    name: ShortText
    raised_fen: Count
    paid_fen: Count
    matched_fen: Count
    pledge_count: Count
    donor_count: Count
    awaiting_refund_fen: Count = Field(
        0, description="付款到达时认捐已关闭或金额不符、待退款的金额 / paid to a closed pledge or with the wrong amount: to refund"
    )
    teams: list[TeamTotal] = Field(default_factory=list)


class Settlement(Record):
    KIND = "settlement"
    FOLDER = "settlements"
    TITLE_ZH = "配捐结算公示"

    campaign_id: Ref = Field(description="结算的活动，与 id 相同 / the campaign settled; equals id")
    name: ShortText
    settled_at: dt.datetime
    pool_fen: Count
    committed_fen: Count
    remaining_fen: Count
    matched_fen: Count
    reconciled: bool
    content_path: ShortText
    projects: list[ProjectTotal] = Field(default_factory=list)
