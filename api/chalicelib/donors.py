"""A donor's state in a campaign: match per Beijing day, matched pledges, recent pledge times.

One item per donor and campaign, rewritten whole with its version as
condition, so two pledges by the same donor cannot both see the old state.
It exists only when a campaign rule needs it (a donor cap or the velocity rule).
"""

from __future__ import annotations

from typing import Any

from . import keys
from .rules import CampaignRules
from .store import ABSENT, Op, Put, eq

#: The velocity rule looks this far back.
VELOCITY_SECONDS = 60
#: Recent pledge times kept on the donor's item (more than any velocity limit needs).
RECENT_KEPT = 50


def tracked(rules: CampaignRules | None) -> bool:
    """Whether the campaign has a rule that reads the donor's state."""
    return rules is not None and (
        rules.per_donor_daily_cap_fen is not None
        or rules.per_donor_matched_pledges is not None
        or rules.velocity_per_minute is not None
    )


def recent(state: dict[str, Any] | None, since_ms: int) -> list[int]:
    return [t for t in (state or {}).get("recent", []) if t > since_ms]


def matched_today(state: dict[str, Any] | None, day: str) -> int:
    return int((state or {}).get("days", {}).get(day, 0))


def matched_pledges(state: dict[str, Any] | None) -> int:
    return int((state or {}).get("matched_pledges", 0))


def after_pledge(
    donor_ref: str, campaign_id: str, current: dict[str, Any] | None, day: str, match: int, now_ms: int, since_ms: int
) -> Op:
    """The donor's state once this pledge (with ``match``) is counted."""
    state = dict(current or {})
    version = int(state.get("version", 0))
    days = dict(state.get("days", {}))
    if match:
        days[day] = int(days.get(day, 0)) + match
    new = {
        "version": version + 1,
        "days": days,
        "matched_pledges": matched_pledges(state) + (1 if match else 0),
        "recent": recent(state, since_ms)[-RECENT_KEPT:] + [now_ms],
    }
    return Put(keys.donor(donor_ref, campaign_id), new, (ABSENT,) if current is None else (eq("version", version),))


def after_release(donor_ref: str, campaign_id: str, current: dict[str, Any], day: str, match: int) -> Op:
    """The donor's state once a matched pledge no longer counts (its match back under the caps)."""
    days = dict(current.get("days", {}))
    days[day] = int(days.get(day, 0)) - match
    version = int(current["version"])
    return Put(
        keys.donor(donor_ref, campaign_id),
        {
            **{k: v for k, v in current.items() if k not in ("pk", "sk")},
            "version": version + 1,
            "days": days,
            "matched_pledges": matched_pledges(current) - 1,
        },
        (eq("version", version),),
    )
