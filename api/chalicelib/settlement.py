"""Settling a campaign: a frozen per-project summary for the public notice (公示).

After a campaign's last window an admin settles it. The summary is computed
from the paid pledge items themselves (not the sharded counters), frozen in the
ledger (settling twice returns the first result), and exported as YAML that
editors commit as ``content/settlements/<campaign_id>.yaml`` in a pull
request; the site publishes it as the campaign's notice, closing the loop
between the ledger and the site.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import clock, errors, keys
from .catalogue import Catalogue
from .ledger import Ledger
from .pledges import REFUND_STATUSES
from .store import ABSENT, Put

CONTENT_PATH = "content/settlements/{campaign_id}.yaml"


def summarize(ledger: Ledger, catalogue: Catalogue, campaign_id: str, now: datetime) -> dict[str, Any]:
    campaign = catalogue.campaign(campaign_id)
    figures = ledger.campaign_figures(campaign)
    projects: list[dict[str, Any]] = []
    for project_id in campaign.project_ids:
        project = catalogue.projects.get(project_id)
        # Money that arrived and was matched in this campaign: paid pledges (not refunded). Unpaid
        # pledges never count; payments awaiting an operator's refund are listed apart.
        closed = [r for r in ledger.pledges_of_project(project_id) if r.get("campaign_id") == campaign_id]
        rows = [r for r in closed if r.get("status") == "paid"]
        refunds = [r for r in closed if r.get("status") in REFUND_STATUSES]
        teams: dict[str, dict[str, Any]] = {}
        for row in rows:
            team_id = row.get("team_id")
            if not team_id:
                continue
            team = teams.setdefault(
                team_id,
                {
                    "team_id": team_id,
                    "name": known.name if (known := catalogue.teams.get(team_id)) else team_id,
                    "raised_fen": 0,
                    "pledge_count": 0,
                    "_donors": set(),
                },
            )
            team["raised_fen"] += int(row["amount_fen"])
            team["pledge_count"] += 1
            team["_donors"].add(row["payer_ref"])
        team_list = []
        for team in sorted(teams.values(), key=lambda t: (-t["raised_fen"], t["team_id"])):
            donors = team.pop("_donors")
            team_list.append({**team, "donor_count": len(donors)})
        projects.append(
            {
                "project_id": project_id,
                "name": project.name if project else project_id,
                "raised_fen": sum(int(r["amount_fen"]) for r in rows),  # = paid: money that arrived
                "paid_fen": sum(int(r["amount_fen"]) for r in rows),
                "matched_fen": sum(int(r.get("match_fen", 0)) for r in rows),
                "pledge_count": len(rows),
                "donor_count": len({r["payer_ref"] for r in rows}),
                "awaiting_refund_fen": sum(int(r.get("paid_amount_fen", 0)) for r in refunds),
                "teams": team_list,
            }
        )
    matched = sum(p["matched_fen"] for p in projects)
    return {
        "campaign_id": campaign_id,
        "name": campaign.name,
        "settled_at": clock.iso(now),
        "pool_fen": figures["pool_fen"],
        "committed_fen": figures["committed_fen"],
        "remaining_fen": figures["remaining_fen"],
        "matched_fen": matched,
        "reconciled": matched == figures["committed_fen"],
        "content_path": CONTENT_PATH.format(campaign_id=campaign_id),
        "projects": projects,
    }


def settle(ledger: Ledger, catalogue: Catalogue, campaign_id: str) -> dict[str, Any]:
    """Freeze the campaign's summary once (after its last window) and return it."""
    campaign = catalogue.campaign(campaign_id)
    existing = ledger.records.get(keys.settlement(campaign_id))
    if existing is not None:
        return existing["summary"]
    now = ledger.now()
    if now < max(w.end for w in campaign.windows):
        raise errors.CampaignStillOpen()
    summary = summarize(ledger, catalogue, campaign_id, now)

    def attempt(_n: int) -> dict[str, Any]:
        try:
            ledger.records.write(Put(keys.settlement(campaign_id), {"summary": summary}, (ABSENT,)))
        except errors.ConditionFailed:
            stored = ledger.records.get(keys.settlement(campaign_id))
            assert stored is not None  # the condition failed because it exists
            return stored["summary"]
        return summary

    return ledger.records.retry.run(attempt)


def frozen(ledger: Ledger, campaign_id: str) -> dict[str, Any]:
    existing = ledger.records.get(keys.settlement(campaign_id))
    if existing is None:
        raise errors.NotFound("这个活动还没有结算", "this campaign has not been settled yet")
    return existing["summary"]


# ---- YAML -------------------------------------------------------------------------------


def yaml_text(header: list[str], data: dict[str, Any]) -> str:
    """Comment lines, then ``data`` as block YAML in its own key order (strings that look like
    numbers or dates are quoted, so the file loads back exactly as ``data``)."""
    import yaml  # only the operator exports need it: public cold starts stay cheap

    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1000)
    return "\n".join(header) + "\n" + body


def to_yaml(summary: dict[str, Any]) -> str:
    header = [
        # The content checks want this first line: editors' tools autocomplete from it.
        "# yaml-language-server: $schema=../../site_src/schemas/settlement.schema.json",
        f"# 配捐活动结算公示 / campaign settlement: {summary['campaign_id']}",
        f"# Generated by the API at {summary['settled_at']}. Commit as {summary['content_path']}",
        "# in a pull request; amounts are integer fen (分).",
    ]
    return yaml_text(header, {"id": summary["campaign_id"], **summary})
