"""Invariants of the matching rules, for any combination of rules and any state (hypothesis).

- 0 <= match <= full match <= amount × the highest rate.
- The match never exceeds what is left of the pool, the donor's caps or the project's cap.
- A full match with no reason is exactly amount × rate; a gate always means 0.
- Replaying many pledges (and cancellations) against one campaign never overspends the
  pool nor exceeds any cap, and the sums of the matches equal what the ledger recorded.

Example counts are bounded so the whole module runs in a few seconds.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import time, timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from chalicelib.matching import (
    GATE_PRECEDENCE,
    LIMIT_PRECEDENCE,
    REASONS,
    MatchState,
    decide_match,
    donor_day,
    full_match,
    is_open,
    project_cap_fen,
    rate_bp,
)
from chalicelib.rules import BP, Campaign, CampaignRules, TeamBonus, Tier, Window
from tests.api.test_matching import SimLedger, bj

FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SIM = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CAMPAIGN_START = bj(2021, 9, 7)
CAMPAIGN_END = bj(2021, 9, 10)

optional_fen = st.one_of(st.none(), st.integers(1, 20_000), st.integers(1, 200_000))


@st.composite
def rules_strategy(draw: st.DrawFn) -> CampaignRules:
    tiers: tuple[Tier, ...] = ()
    ratio = 10_000
    if draw(st.booleans()):
        bounds = sorted(draw(st.sets(st.integers(0, 150_000), min_size=1, max_size=4)))
        bounds[0] = min(bounds[0], draw(st.integers(0, 20_000)))  # most pledges reach the first tier
        rates = draw(st.lists(st.integers(0, 20_000), min_size=len(bounds), max_size=len(bounds)))
        tiers = tuple(Tier(lo, bounds[i + 1] if i + 1 < len(bounds) else None, rates[i]) for i, lo in enumerate(bounds))
    else:
        ratio = draw(st.integers(1, 30_000))
    matchable_max = draw(optional_fen)
    if matchable_max is not None and tiers:
        matchable_max += tiers[0].min_fen
    project_cap = draw(optional_fen)
    bonus = None
    if project_cap is not None and draw(st.booleans()):
        bonus = TeamBonus(draw(st.integers(1, 300_000)), draw(st.integers(1, 100_000)))
    return CampaignRules(
        ratio_bp=ratio,
        minimum_pledge_fen=draw(st.integers(0, 5_000)),
        per_pledge_cap_fen=draw(optional_fen),
        per_donor_daily_cap_fen=draw(optional_fen),
        per_donor_matched_pledges=draw(st.one_of(st.none(), st.none(), st.integers(1, 3))),
        per_project_cap_fen=project_cap,
        matchable_max_fen=matchable_max,
        tiers=tiers,
        team_bonus=bonus,
        velocity_per_minute=draw(st.one_of(st.none(), st.integers(1, 6))),
    )


@st.composite
def campaign_strategy(draw: st.DrawFn) -> Campaign:
    daily = draw(st.booleans())
    window = Window(CAMPAIGN_START, CAMPAIGN_END, time(9) if daily else None, time(23) if daily else None)
    return Campaign(
        "c",
        "测试",
        draw(st.one_of(st.integers(0, 100_000), st.integers(0, 2_000_000))),
        (window,),
        draw(rules_strategy()),
        ("p", "q"),
    )


instants = st.integers(-86_400, 4 * 86_400).map(lambda s: CAMPAIGN_START + timedelta(seconds=s))


@st.composite
def state_strategy(draw: st.DrawFn) -> MatchState:
    return MatchState(
        now=draw(instants),
        pool_remaining_fen=draw(st.integers(-10, 2_000_000)),
        donor_matched_today_fen=draw(st.integers(0, 300_000)),
        donor_matched_pledges=draw(st.integers(0, 4)),
        project_matched_fen=draw(st.integers(0, 600_000)),
        project_bonus_teams=draw(st.integers(0, 4)),
        donor_pledges_last_minute=draw(st.integers(0, 8)),
        source_pledges_last_minute=draw(st.integers(0, 8)),
    )


amounts = st.integers(1, 300_000)


def max_rate(rules: CampaignRules) -> int:
    return max(t.rate_bp for t in rules.tiers) if rules.tiers else rules.ratio_bp


@FAST
@given(campaign_strategy(), st.sampled_from(["p", "q", "elsewhere"]), amounts, state_strategy())
def test_match_is_bounded_by_full_match_and_every_remaining_limit(
    c: Campaign, project: str, amount: int, state: MatchState
) -> None:
    d = decide_match(c, project, amount, state)
    rules = c.rules
    assert d.reason is None or d.reason in REASONS
    assert 0 <= d.match_fen <= d.full_match_fen <= amount * max_rate(rules) // BP
    assert d.match_fen <= max(0, state.pool_remaining_fen)
    if rules.per_donor_daily_cap_fen is not None:
        assert d.match_fen <= max(0, rules.per_donor_daily_cap_fen - state.donor_matched_today_fen)
    if rules.per_donor_matched_pledges is not None and state.donor_matched_pledges >= rules.per_donor_matched_pledges:
        assert d.match_fen == 0
    cap = project_cap_fen(c, state.project_bonus_teams)
    if cap is not None:
        assert d.match_fen <= max(0, cap - state.project_matched_fen)
    if rules.per_pledge_cap_fen is not None:
        assert d.match_fen <= rules.per_pledge_cap_fen


@FAST
@given(campaign_strategy(), st.sampled_from(["p", "q", "elsewhere"]), amounts, state_strategy())
def test_reason_says_why_the_match_is_short(c: Campaign, project: str, amount: int, state: MatchState) -> None:
    d = decide_match(c, project, amount, state)
    if project == "elsewhere":
        assert (d.match_fen, d.reason, d.full_match_fen) == (0, "not_in_campaign", 0)
        return
    assert d.full_match_fen == full_match(c.rules, amount)
    if not is_open(c, state.now):
        assert (d.match_fen, d.reason) == (0, "window_closed")
    if d.reason in GATE_PRECEDENCE:
        assert d.match_fen == 0
    if d.reason is None:
        # a full match that nothing limited: exactly amount × the rate
        assert d.match_fen == d.full_match_fen == amount * rate_bp(c.rules, amount) // BP
    elif d.reason in LIMIT_PRECEDENCE:
        assert d.match_fen < amount * rate_bp(c.rules, amount) // BP
    if d.match_fen < d.full_match_fen:
        assert d.reason in GATE_PRECEDENCE or d.reason in ("donor_cap", "project_cap", "pool_exhausted")
    assert d.flagged == (d.reason == "velocity")


@FAST
@given(campaign_strategy(), amounts, state_strategy(), st.integers(1, 1_000_000))
def test_more_pool_never_means_less_match(c: Campaign, amount: int, state: MatchState, extra: int) -> None:
    richer = MatchState(**{**state.__dict__, "pool_remaining_fen": state.pool_remaining_fen + extra})
    assert decide_match(c, "p", amount, richer).match_fen >= decide_match(c, "p", amount, state).match_fen


@FAST
@given(rules_strategy(), amounts, amounts)
def test_full_match_never_exceeds_rate_times_amount_and_is_floored(
    rules: CampaignRules, amount: int, more: int
) -> None:
    full = full_match(rules, amount)
    assert 0 <= full <= amount * rate_bp(rules, amount) // BP
    assert full * BP <= amount * rate_bp(rules, amount)  # never rounded up
    if amount < rules.effective_minimum_fen:
        assert full == 0


# ---- a giving day, replayed ------------------------------------------------------

pledge_op = st.tuples(
    st.just("pledge"),
    st.sampled_from(["p", "q", "elsewhere"]),
    st.integers(1, 150_000),
    st.sampled_from([f"d{i}" for i in range(8)]),
    st.sampled_from(["10.0.0.1", "10.0.0.2", "10.0.0.3"]),
    st.sampled_from([None, "t1", "t2"]),
    # seconds since the previous operation: mostly a busy giving day, sometimes hours
    st.one_of(*[st.integers(0, 30)] * 4, st.integers(0, 30_000)),
)
cancel_op = st.tuples(st.just("cancel"), st.integers(0, 10_000))


@SIM
@given(campaign_strategy(), st.lists(st.one_of(pledge_op, pledge_op, pledge_op, cancel_op), min_size=10, max_size=80))
def test_a_giving_day_never_overspends_the_pool_or_any_cap(c: Campaign, ops: list[tuple]) -> None:
    ledger = SimLedger(c)
    rules = c.rules
    now = bj(2021, 9, 7, 8, 50)
    for op in ops:
        if op[0] == "cancel":
            if ledger.pledges:
                ledger.cancel(op[1] % len(ledger.pledges))
            continue
        _, project, amount, donor, source, team, wait = op
        now += timedelta(seconds=wait)
        cap = project_cap_fen(c, ledger.bonus_teams(project))
        d = ledger.pledge(project, amount, donor, now, source=source, team_id=team)
        event(f"reason: {d.reason}")
        # every limit holds right after every grant
        assert ledger.pool_remaining_fen >= 0
        if rules.per_donor_daily_cap_fen is not None:
            assert ledger.donor_day_fen[(donor, donor_day(now))] <= rules.per_donor_daily_cap_fen
        if rules.per_donor_matched_pledges is not None:
            assert ledger.donor_matched_pledges[donor] <= rules.per_donor_matched_pledges
        if cap is not None and d.match_fen:
            assert ledger.project_matched_fen[project] <= cap
        if d.match_fen:
            assert is_open(c, now) and project != "elsewhere"

    # the totals the ledger kept equal the sums of the matches it granted
    live = [p for p in ledger.pledges if not p.cancelled]
    assert c.pool_fen - ledger.pool_remaining_fen == sum(p.decision.match_fen for p in live)
    by_project: dict[str, int] = defaultdict(int)
    by_donor_day: dict[tuple[str, str], int] = defaultdict(int)
    matched_pledges: dict[str, int] = defaultdict(int)
    for p in live:
        by_project[p.project_id] += p.decision.match_fen
        by_donor_day[(p.donor_key, donor_day(p.at))] += p.decision.match_fen
        matched_pledges[p.donor_key] += p.decision.match_fen > 0
    assert {k: v for k, v in ledger.project_matched_fen.items() if v} == {k: v for k, v in by_project.items() if v}
    assert {k: v for k, v in ledger.donor_day_fen.items() if v} == {k: v for k, v in by_donor_day.items() if v}
    assert {k: v for k, v in ledger.donor_matched_pledges.items() if v} == {
        k: v for k, v in matched_pledges.items() if v
    }
    assert "elsewhere" not in {k for k, v in ledger.project_matched_fen.items() if v}


@SIM
@given(campaign_strategy(), st.lists(st.integers(1, 150_000), min_size=1, max_size=60))
def test_demand_beyond_the_pool_spends_it_exactly_when_nothing_else_limits(c: Campaign, amounts_: list[int]) -> None:
    # One-to-one, no caps, distinct donors and sources, all inside the window:
    # the pool is spent down to the last fen and never beyond.
    plain = Campaign(c.campaign_id, c.name, c.pool_fen, c.windows, CampaignRules(velocity_per_minute=None), ("p",))
    ledger = SimLedger(plain)
    at = bj(2021, 9, 7, 10)
    for i, amount in enumerate(amounts_):
        ledger.pledge("p", amount, f"donor-{i}", at + timedelta(seconds=i), source=f"s{i}")
    granted = sum(p.decision.match_fen for p in ledger.pledges)
    assert granted == min(c.pool_fen, sum(amounts_))
    assert ledger.pool_remaining_fen == c.pool_fen - granted >= 0
