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


class _Pledged(Base):
    """What the ledger counts for a project and for a team alike."""

    name: ShortText = Field(description="名称 / name")
    raised_fen: Count = Field(description="已到账的认捐合计（分；未付款的认捐不计）/ paid pledges, fen (unpaid ones never count)")
    pledge_count: Count = Field(description="已付款笔数 / paid pledges")
    donor_count: Count = Field(description="付款人数 / distinct payers")


class TeamTotal(_Pledged):
    team_id: Ref = Field(description="战队编号 / team id")


class ProjectTotal(_Pledged):
    project_id: Ref = Field(description="项目编号 / project id")
    paid_fen: Count = Field(description="已到账（分）/ paid, fen")
    matched_fen: Count = Field(description="配捐（分）/ matched, fen")
    awaiting_refund_fen: Count = Field(
        0, description="付款到达时认捐已关闭或金额不符、待退款的金额 / paid to a closed pledge or with the wrong amount: to refund"
    )
    teams: list[TeamTotal] = Field(default_factory=list, description="各战队汇总 / per-team totals")


class Settlement(Record):
    KIND = "settlement"
    FOLDER = "settlements"
    TITLE_ZH = "配捐结算公示"

    campaign_id: Ref = Field(description="结算的活动，与 id 相同 / the campaign settled; equals id")
    name: ShortText = Field(description="活动名称 / campaign name")
    settled_at: dt.datetime = Field(description="结算时间 / when it was settled")
    pool_fen: Count = Field(description="配捐资金池（分）/ matching pool, fen")
    committed_fen: Count = Field(description="已承诺的配捐（分）/ match committed, fen")
    remaining_fen: Count = Field(description="资金池剩余（分）/ pool remaining, fen")
    matched_fen: Count = Field(description="配捐合计（分）/ match total, fen")
    reconciled: bool = Field(description="账本是否已核对一致 / whether the ledger reconciles")
    content_path: ShortText = Field(description="应提交的文件路径 / the path to commit this file at")
    projects: list[ProjectTotal] = Field(default_factory=list, description="各项目汇总 / per-project totals")
