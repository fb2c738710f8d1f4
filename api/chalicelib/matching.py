"""How much match (配捐) one pledge earns: pure functions, integer fen, no I/O.

The ledger reads the state the rules need (:class:`MatchState`), calls
:func:`decide_match`, and then writes the pledge and the match with
conditions that re-check every limit, so the decision here is a proposal
that the store confirms atomically. Nothing here can overspend: every amount
is floored, and the match is the minimum of every limit.

Semantics (modelled on Tencent 99公益日, Goteo and GlobalGiving matching):

1. **Arithmetic.** Integer fen only; every division floors, so rounding can
   never overspend a pool. Ratio match = ``amount × ratio_bp // 10000``.
2. **Matchable amount.** ``matchable = min(amount, matchable_max_fen)``
   (GlobalGiving: only the first ¥1,000 of a pledge is matched).
3. **Tiers.** With tiers, the tier is chosen by the matchable amount
   (``min_fen <= matchable < max_fen``) and its rate applies to the
   matchable amount: ``matchable × rate_bp // 10000``. Without tiers the
   campaign ratio applies to the matchable amount the same way.
4. **Full match** (:func:`full_match`, "what the rules alone give"): that
   figure, then capped by ``per_pledge_cap_fen``; 0 below the minimum
   (``minimum_pledge_fen``, and with tiers the lowest tier's ``min_fen``).
5. **Gates**, checked in this order; the first that applies gives match 0
   and names the reason:
   ``not_in_campaign`` (no campaign, or the project is not in it),
   ``window_closed`` (:func:`is_open` is false at ``state.now``),
   ``velocity`` (this many or more pledges already recorded in the last 60 s
   from the donor key, or from the source address: the pledge that makes it
   more than ``velocity_per_minute`` a minute; the pledge still counts and is
   flagged: ``MatchDecision.flagged``),
   ``below_minimum`` (amount under the effective minimum).
6. **Limits.** Otherwise the match is the smallest of: the full match
   (``pledge_cap`` limits it when ``per_pledge_cap_fen`` or
   ``matchable_max_fen`` brought it below ``amount × rate``), the donor's
   remaining daily cap and matched-pledge allowance (``donor_cap``), the
   project's remaining cap including the team bonus (``project_cap``), and
   the pool's remaining fen (``pool_exhausted``). A partial match is granted
   (¥30 left of the donor's cap on a ¥100 pledge matches ¥30).
7. **Reason.** ``None`` only for a full match that nothing limited: the
   match equals ``amount × rate`` (the tier's rate, or the ratio). Otherwise
   the reason is the *binding* limit: the first, in the fixed precedence
   ``pledge_cap, donor_cap, project_cap, pool_exhausted``, whose own limit
   equals the match granted. So a Goteo donor's second ¥200 pledge (pledge
   cap ¥100, donor allowance used up) gets 0 with ``donor_cap``, not
   ``pledge_cap``; a pledge where both the pledge cap and the donor cap stop
   at the same ¥100 reports ``pledge_cap``.
8. **Days.** The donor-day cap counts Asia/Shanghai calendar days;
   :func:`donor_day` gives the key the ledger files totals under.
9. **State** (:class:`MatchState`) is what the ledger knows *before* this
   pledge: totals of earlier, not cancelled pledges in this campaign.
   Cancelling a pledge releases its match from the pool and every cap,
   including its place in ``per_donor_matched_pledges``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .rules import BP, SHANGHAI, Campaign, CampaignRules

#: Every reason a pledge can get less than the rules' full match, in precedence order.
REASONS = (
    "window_closed",
    "pool_exhausted",
    "pledge_cap",
    "donor_cap",
    "project_cap",
    "below_minimum",
    "velocity",
    "not_in_campaign",
)

#: Gates (match 0) in the order they are checked.
GATE_PRECEDENCE = ("not_in_campaign", "window_closed", "velocity", "below_minimum")
#: Limits (partial match possible) in the order that breaks ties between binding limits.
LIMIT_PRECEDENCE = ("pledge_cap", "donor_cap", "project_cap", "pool_exhausted")
#: The whole documented precedence.
PRECEDENCE = GATE_PRECEDENCE + LIMIT_PRECEDENCE

#: Plain words for each reason, Chinese first, for responses and pages.
REASON_TEXT: dict[str, tuple[str, str]] = {
    "not_in_campaign": ("该项目不在配捐活动中", "this project is not in a matching campaign"),
    "window_closed": ("当前不在配捐时段", "matching is closed at this time"),
    "velocity": ("短时间内捐款过于频繁，本笔暂不配捐", "too many pledges in a minute; this one is not matched"),
    "below_minimum": ("捐款金额未达到配捐门槛", "the pledge is below the minimum that earns a match"),
    "pledge_cap": ("已达单笔配捐上限", "the per-pledge match cap applies"),
    "donor_cap": ("已达每位捐赠人的配捐上限", "the donor's match cap is reached"),
    "project_cap": ("已达该项目的配捐上限", "the project's match cap is reached"),
    "pool_exhausted": ("配捐资金已用完", "the matching pool is used up"),
}


@dataclass(frozen=True)
class MatchState:
    """What the ledger knows before this pledge (all counts exclude it).

    ``now``: the pledge time, timezone-aware.
    ``pool_remaining_fen``: the campaign pool (or the pool shard the ledger
        draws on) minus match already committed; never trusted below 0.
    ``donor_matched_today_fen``: match already granted to this donor key in
        this campaign on ``donor_day(now)``.
    ``donor_matched_pledges``: this donor key's earlier pledges in this
        campaign that received a match > 0.
    ``project_matched_fen``: match already committed to this project in this campaign.
    ``project_bonus_teams``: teams under this project whose raised total in
        this campaign reached the team-bonus threshold.
    ``donor_pledges_last_minute``: pledges from this donor key recorded in the 60 s before ``now``.
    ``source_pledges_last_minute``: pledges from this source address recorded in the 60 s before ``now``.
    """

    now: datetime
    pool_remaining_fen: int
    donor_matched_today_fen: int = 0
    donor_matched_pledges: int = 0
    project_matched_fen: int = 0
    project_bonus_teams: int = 0
    donor_pledges_last_minute: int = 0
    source_pledges_last_minute: int = 0


@dataclass(frozen=True)
class MatchDecision:
    """The match one pledge earns.

    ``match_fen``: fen of match granted (0 when gated).
    ``reason``: None for an unlimited full match, else one of :data:`REASONS`.
    ``full_match_fen``: what the rules alone give (:func:`full_match`);
        0 when the project is not in the campaign.
    ``flagged``: True when the velocity check withheld the match (anti-fraud review).
    """

    match_fen: int
    reason: str | None
    full_match_fen: int
    flagged: bool = False


def donor_day(now: datetime) -> str:
    """The Asia/Shanghai calendar day (YYYY-MM-DD) the donor-day cap counts ``now`` in."""
    _require_aware(now)
    return now.astimezone(SHANGHAI).date().isoformat()


def is_open(campaign: Campaign, now: datetime) -> bool:
    """Whether matching is open at ``now`` (inside a window and its daily session)."""
    _require_aware(now)
    return any(window.contains(now) for window in campaign.windows)


def rate_bp(rules: CampaignRules, amount_fen: int) -> int:
    """The rate that applies to this pledge: the tier chosen by its matchable amount, or the ratio."""
    if not rules.tiers:
        return rules.ratio_bp
    matchable = _matchable(rules, amount_fen)
    for tier in rules.tiers:
        if tier.contains(matchable):
            return tier.rate_bp
    return 0  # below the lowest tier: the minimum gate gives 0 anyway


def full_match(rules: CampaignRules, amount_fen: int) -> int:
    """The match the rules alone give: rate on the matchable amount, capped per pledge; 0 below the minimum."""
    _require_amount(amount_fen)
    if amount_fen < rules.effective_minimum_fen:
        return 0
    match = _matchable(rules, amount_fen) * rate_bp(rules, amount_fen) // BP
    if rules.per_pledge_cap_fen is not None:
        match = min(match, rules.per_pledge_cap_fen)
    return match


def project_cap_fen(campaign: Campaign, bonus_teams: int) -> int | None:
    """The project's match cap in this campaign, enlarged by each qualifying team; None = no cap."""
    rules = campaign.rules
    if rules.per_project_cap_fen is None:
        return None
    extra = 0 if rules.team_bonus is None else max(0, bonus_teams) * rules.team_bonus.extra_project_cap_fen
    return rules.per_project_cap_fen + extra


def donor_remaining_fen(rules: CampaignRules, state: MatchState) -> int | None:
    """How much more match this donor key may receive now; None = no donor limit."""
    remaining: int | None = None
    if rules.per_donor_daily_cap_fen is not None:
        remaining = max(0, rules.per_donor_daily_cap_fen - state.donor_matched_today_fen)
    if rules.per_donor_matched_pledges is not None and state.donor_matched_pledges >= rules.per_donor_matched_pledges:
        remaining = 0
    return remaining


def project_remaining_fen(campaign: Campaign, state: MatchState) -> int | None:
    """How much more match this project may receive now; None = no project limit."""
    cap = project_cap_fen(campaign, state.project_bonus_teams)
    return None if cap is None else max(0, cap - state.project_matched_fen)


def velocity_exceeded(rules: CampaignRules, state: MatchState) -> bool:
    """True when this pledge makes more than ``velocity_per_minute`` in a minute from one donor key or address."""
    limit = rules.velocity_per_minute
    if limit is None:
        return False
    return state.donor_pledges_last_minute >= limit or state.source_pledges_last_minute >= limit


def decide_match(campaign: Campaign | None, project_id: str, amount_fen: int, state: MatchState) -> MatchDecision:
    """The match for one pledge of ``amount_fen`` to ``project_id`` given ``state`` (see the module notes)."""
    _require_amount(amount_fen)
    _require_aware(state.now)
    if campaign is None or not campaign.includes(project_id):
        return MatchDecision(0, "not_in_campaign", 0)
    rules = campaign.rules
    full = full_match(rules, amount_fen)
    if not is_open(campaign, state.now):
        return MatchDecision(0, "window_closed", full)
    if velocity_exceeded(rules, state):
        return MatchDecision(0, "velocity", full, flagged=True)
    if amount_fen < rules.effective_minimum_fen:
        return MatchDecision(0, "below_minimum", full)

    uncapped = amount_fen * rate_bp(rules, amount_fen) // BP
    limits: list[tuple[str, int]] = []
    if full < uncapped:
        limits.append(("pledge_cap", full))
    donor = donor_remaining_fen(rules, state)
    if donor is not None:
        limits.append(("donor_cap", donor))
    project = project_remaining_fen(campaign, state)
    if project is not None:
        limits.append(("project_cap", project))
    limits.append(("pool_exhausted", max(0, state.pool_remaining_fen)))

    match = min([full] + [limit for _, limit in limits])
    if match == uncapped:
        return MatchDecision(match, None, full)
    # The binding limit, first in LIMIT_PRECEDENCE (limits are listed in that order).
    reason = next(name for name, limit in limits if limit == match)
    return MatchDecision(match, reason, full)


# ---- helpers ---------------------------------------------------------------


def _matchable(rules: CampaignRules, amount_fen: int) -> int:
    return amount_fen if rules.matchable_max_fen is None else min(amount_fen, rules.matchable_max_fen)


def _require_amount(amount_fen: int) -> None:
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
        raise ValueError(f"amount_fen must be a positive integer, got {amount_fen!r}")


def _require_aware(now: datetime) -> None:
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be a timezone-aware datetime, got {now!r}")
