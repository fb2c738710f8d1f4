"""Matching (配捐) rules, one test per rule, from worked examples of real platforms.

Tencent 99公益日 (1:1 in windows with daily sessions, ¥1 minimum, ¥999 per donor
per day), Goteo (factor 1, ¥100 per pledge, ¥500 per project, one matched
pledge per donor), GlobalGiving (tiered rates on the first ¥1,000, ¥2,000 per
project), and online teams (网上战队) enlarging the project cap.

``SimLedger`` is a tiny in-memory ledger that keeps the totals a real ledger
keeps and feeds them to ``decide_match``; the property tests reuse it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

import pytest

from chalicelib.matching import (
    PRECEDENCE,
    REASON_TEXT,
    REASONS,
    MatchDecision,
    MatchState,
    decide_match,
    donor_day,
    full_match,
    is_open,
    project_cap_fen,
)
from chalicelib.rules import (
    SHANGHAI,
    Campaign,
    CampaignRules,
    RulesInvalid,
    TeamBonus,
    Tier,
    Window,
)

YUAN = 100


def bj(*args: int) -> datetime:
    """A Beijing-time instant."""
    return datetime(*args, tzinfo=SHANGHAI)


# ---- a small ledger that keeps what the real one keeps -----------------------


@dataclass
class Pledge:
    project_id: str
    amount_fen: int
    donor_key: str
    source: str
    team_id: str | None
    at: datetime
    decision: MatchDecision
    cancelled: bool = False


@dataclass
class SimLedger:
    campaign: Campaign
    pool_remaining_fen: int = -1
    donor_day_fen: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    donor_matched_pledges: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    project_matched_fen: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    team_raised_fen: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    pledges: list[Pledge] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.pool_remaining_fen < 0:
            self.pool_remaining_fen = self.campaign.pool_fen

    def bonus_teams(self, project_id: str) -> int:
        bonus = self.campaign.rules.team_bonus
        if bonus is None:
            return 0
        return bonus.qualifying_teams(v for (p, _), v in self.team_raised_fen.items() if p == project_id)

    def state(self, project_id: str, donor_key: str, source: str, at: datetime) -> MatchState:
        recent = [p for p in self.pledges if timedelta(0) <= at - p.at < timedelta(minutes=1)]
        return MatchState(
            now=at,
            pool_remaining_fen=self.pool_remaining_fen,
            donor_matched_today_fen=self.donor_day_fen[(donor_key, donor_day(at))],
            donor_matched_pledges=self.donor_matched_pledges[donor_key],
            project_matched_fen=self.project_matched_fen[project_id],
            project_bonus_teams=self.bonus_teams(project_id),
            donor_pledges_last_minute=sum(p.donor_key == donor_key for p in recent),
            source_pledges_last_minute=sum(p.source == source for p in recent),
        )

    def pledge(
        self,
        project_id: str,
        amount_fen: int,
        donor_key: str,
        at: datetime,
        *,
        source: str = "198.51.100.1",
        team_id: str | None = None,
    ) -> MatchDecision:
        state = self.state(project_id, donor_key, source, at)
        decision = decide_match(self.campaign, project_id, amount_fen, state)
        match = decision.match_fen
        self.pool_remaining_fen -= match
        self.donor_day_fen[(donor_key, donor_day(at))] += match
        self.donor_matched_pledges[donor_key] += match > 0
        self.project_matched_fen[project_id] += match
        if team_id is not None:
            self.team_raised_fen[(project_id, team_id)] += amount_fen
        self.pledges.append(Pledge(project_id, amount_fen, donor_key, source, team_id, at, decision))
        return decision

    def cancel(self, index: int) -> None:
        """Cancelling releases the match to the pool and every cap."""
        p = self.pledges[index]
        if p.cancelled:
            return
        p.cancelled = True
        match = p.decision.match_fen
        self.pool_remaining_fen += match
        self.donor_day_fen[(p.donor_key, donor_day(p.at))] -= match
        self.donor_matched_pledges[p.donor_key] -= match > 0
        self.project_matched_fen[p.project_id] -= match
        if p.team_id is not None:
            self.team_raised_fen[(p.project_id, p.team_id)] -= p.amount_fen


def campaign(rules: CampaignRules, *, pool_fen: int = 10**10, windows: tuple[Window, ...] | None = None) -> Campaign:
    if windows is None:
        windows = (Window(bj(2021, 1, 1), bj(2031, 1, 1)),)
    return Campaign("c", "测试活动", pool_fen, windows, rules, ("p", "q"))


def open_state(**kw: int) -> MatchState:
    return MatchState(now=bj(2021, 9, 7, 10), **{"pool_remaining_fen": 10**10, **kw})


# ---- Tencent 99公益日 style ----------------------------------------------------

TENCENT = Campaign(
    "99-2021",
    "共建莱芜希望小屋 · 99公益日",
    100_000_000 * YUAN,
    (Window(bj(2021, 9, 7), bj(2021, 9, 10), time(9, 0), time(23, 59)),),
    CampaignRules(ratio_bp=10_000, minimum_pledge_fen=1 * YUAN, per_donor_daily_cap_fen=999 * YUAN),
    ("laiwu-cottages",),
)


def test_ratio_one_to_one_matches_the_whole_pledge() -> None:
    d = decide_match(TENCENT, "laiwu-cottages", 500 * YUAN, open_state())
    assert d == MatchDecision(500 * YUAN, None, 500 * YUAN)


def test_donor_daily_cap_gives_partial_match_then_resets_next_beijing_day() -> None:
    ledger = SimLedger(TENCENT)
    first = ledger.pledge("laiwu-cottages", 500 * YUAN, "donor-a", bj(2021, 9, 7, 10))
    second = ledger.pledge("laiwu-cottages", 600 * YUAN, "donor-a", bj(2021, 9, 7, 11))
    third = ledger.pledge("laiwu-cottages", 50 * YUAN, "donor-a", bj(2021, 9, 7, 12))
    next_day = ledger.pledge("laiwu-cottages", 600 * YUAN, "donor-a", bj(2021, 9, 8, 9, 30))
    assert (first.match_fen, first.reason) == (500 * YUAN, None)
    assert (second.match_fen, second.reason, second.full_match_fen) == (499 * YUAN, "donor_cap", 600 * YUAN)
    assert (third.match_fen, third.reason) == (0, "donor_cap")
    assert (next_day.match_fen, next_day.reason) == (600 * YUAN, None)


def test_donor_daily_cap_is_per_donor_key() -> None:
    ledger = SimLedger(TENCENT)
    ledger.pledge("laiwu-cottages", 999 * YUAN, "donor-a", bj(2021, 9, 7, 10))
    other = ledger.pledge("laiwu-cottages", 999 * YUAN, "donor-b", bj(2021, 9, 7, 10, 5))
    assert (other.match_fen, other.reason) == (999 * YUAN, None)


def test_minimum_pledge_below_one_yuan_earns_nothing() -> None:
    d = decide_match(TENCENT, "laiwu-cottages", 99, open_state())
    assert d == MatchDecision(0, "below_minimum", 0)
    assert decide_match(TENCENT, "laiwu-cottages", 100, open_state()).match_fen == 100


@pytest.mark.parametrize(
    ("when", "open_"),
    [
        (bj(2021, 9, 6, 10), False),  # the day before the campaign
        (bj(2021, 9, 7, 8, 59, 59), False),  # before the first daily session
        (bj(2021, 9, 7, 9), True),  # the session opens at 9:00 sharp
        (bj(2021, 9, 7, 23, 58, 59), True),
        (bj(2021, 9, 7, 23, 59), False),  # daily_end is exclusive
        (bj(2021, 9, 8, 3), False),  # between two daily sessions
        (bj(2021, 9, 9, 23, 58), True),  # the last session
        (bj(2021, 9, 10, 10), False),  # after the campaign
        (datetime(2021, 9, 7, 15, 59, tzinfo=UTC), False),  # 23:59 in Beijing
        (datetime(2021, 9, 7, 16, 0, tzinfo=UTC), False),  # 0:00 on 9 Sept in Beijing, though still 7 Sept in UTC
        (datetime(2021, 9, 8, 0, 59, 59, tzinfo=UTC), False),  # 8:59:59 in Beijing
        (datetime(2021, 9, 8, 1, 0, tzinfo=UTC), True),  # 9:00 in Beijing
        (datetime(2021, 9, 6, 23, 30, tzinfo=UTC), False),  # 7 Sept 7:30 in Beijing, inside the dates but before 9:00
    ],
)
def test_window_closed_outside_windows_and_daily_sessions_in_beijing_time(when: datetime, open_: bool) -> None:
    assert is_open(TENCENT, when) is open_
    d = decide_match(TENCENT, "laiwu-cottages", 10 * YUAN, MatchState(when, 10**10))
    assert d.reason == (None if open_ else "window_closed")
    assert d.match_fen == (10 * YUAN if open_ else 0)
    assert d.full_match_fen == 10 * YUAN  # what the rules alone would give, said even when closed


def test_window_without_daily_session_is_open_all_day_and_end_is_exclusive() -> None:
    c = campaign(CampaignRules(), windows=(Window(bj(2021, 5, 20), bj(2021, 5, 21)),))
    assert is_open(c, bj(2021, 5, 20, 0, 0))
    assert is_open(c, bj(2021, 5, 20, 23, 59, 59))
    assert not is_open(c, bj(2021, 5, 21))
    assert not is_open(c, bj(2021, 5, 19, 23, 59, 59))


def test_several_windows_99_and_520() -> None:
    c = campaign(
        CampaignRules(),
        windows=(Window(bj(2021, 5, 20), bj(2021, 5, 21)), Window(bj(2021, 9, 7), bj(2021, 9, 10), time(9, 0), None)),
    )
    assert is_open(c, bj(2021, 5, 20, 3))
    assert not is_open(c, bj(2021, 7, 1, 12))
    assert not is_open(c, bj(2021, 9, 8, 8))
    assert is_open(c, bj(2021, 9, 8, 23, 59, 59))  # daily_end None = midnight


def test_donor_day_is_the_beijing_calendar_day() -> None:
    assert donor_day(datetime(2021, 9, 7, 15, 59, 59, tzinfo=UTC)) == "2021-09-07"
    assert donor_day(datetime(2021, 9, 7, 16, 0, 0, tzinfo=UTC)) == "2021-09-08"
    assert donor_day(bj(2021, 9, 8, 0, 0)) == "2021-09-08"


def test_donor_daily_cap_resets_at_beijing_midnight_not_utc_midnight() -> None:
    ledger = SimLedger(campaign(CampaignRules(per_donor_daily_cap_fen=999 * YUAN)))
    ledger.pledge("p", 999 * YUAN, "d", datetime(2021, 9, 7, 15, 0, tzinfo=UTC))  # 23:00 Beijing
    after_beijing_midnight = ledger.pledge("p", 100 * YUAN, "d", datetime(2021, 9, 7, 16, 30, tzinfo=UTC))
    assert (after_beijing_midnight.match_fen, after_beijing_midnight.reason) == (100 * YUAN, None)


# ---- Goteo style -------------------------------------------------------------

GOTEO = campaign(
    CampaignRules(
        ratio_bp=10_000,
        per_pledge_cap_fen=100 * YUAN,
        per_project_cap_fen=500 * YUAN,
        per_donor_matched_pledges=1,
    )
)


def test_per_pledge_cap_limits_a_large_pledge() -> None:
    d = decide_match(GOTEO, "p", 200 * YUAN, open_state())
    assert d == MatchDecision(100 * YUAN, "pledge_cap", 100 * YUAN)


def test_per_pledge_cap_not_reported_when_the_pledge_is_within_it() -> None:
    assert decide_match(GOTEO, "p", 100 * YUAN, open_state()) == MatchDecision(100 * YUAN, None, 100 * YUAN)


def test_one_matched_pledge_per_donor() -> None:
    ledger = SimLedger(GOTEO)
    first = ledger.pledge("p", 50 * YUAN, "donor-a", bj(2021, 9, 7, 10))
    second = ledger.pledge("p", 50 * YUAN, "donor-a", bj(2021, 9, 8, 10))  # another day changes nothing
    assert (first.match_fen, first.reason) == (50 * YUAN, None)
    assert (second.match_fen, second.reason, second.full_match_fen) == (0, "donor_cap", 50 * YUAN)


def test_donor_cap_not_pledge_cap_when_the_donor_allowance_binds() -> None:
    ledger = SimLedger(GOTEO)
    ledger.pledge("p", 10 * YUAN, "donor-a", bj(2021, 9, 7, 10))
    d = ledger.pledge("p", 200 * YUAN, "donor-a", bj(2021, 9, 7, 11))
    assert (d.match_fen, d.reason) == (0, "donor_cap")


def test_only_matched_pledges_use_the_donor_allowance() -> None:
    # A pledge that earned nothing (the window was closed) does not use the donor's one matched pledge.
    c = campaign(GOTEO.rules, windows=(Window(bj(2021, 9, 7), bj(2021, 9, 8)),))
    ledger = SimLedger(c)
    closed = ledger.pledge("p", 50 * YUAN, "donor-a", bj(2021, 9, 6, 10))
    opened = ledger.pledge("p", 50 * YUAN, "donor-a", bj(2021, 9, 7, 10))
    assert (closed.reason, opened.match_fen, opened.reason) == ("window_closed", 50 * YUAN, None)


def test_cancelling_a_pledge_returns_its_match_to_the_pool_and_every_cap() -> None:
    ledger = SimLedger(GOTEO)
    ledger.pledge("p", 80 * YUAN, "donor-a", bj(2021, 9, 7, 10))
    ledger.cancel(0)
    again = ledger.pledge("p", 90 * YUAN, "donor-a", bj(2021, 9, 7, 11))
    assert (again.match_fen, again.reason) == (90 * YUAN, None)
    assert ledger.pool_remaining_fen == GOTEO.pool_fen - 90 * YUAN
    assert ledger.project_matched_fen["p"] == 90 * YUAN


def test_per_project_cap_partial_then_zero() -> None:
    ledger = SimLedger(GOTEO)
    got = [ledger.pledge("p", 100 * YUAN, f"donor-{i}", bj(2021, 9, 7, 10, i)) for i in range(4)]
    assert [d.match_fen for d in got] == [100 * YUAN] * 4
    partial = ledger.pledge("p", 150 * YUAN, "donor-x", bj(2021, 9, 7, 11))
    none_left = ledger.pledge("p", 100 * YUAN, "donor-y", bj(2021, 9, 7, 12))
    other_project = ledger.pledge("q", 100 * YUAN, "donor-z", bj(2021, 9, 7, 12))
    assert (partial.match_fen, partial.reason) == (100 * YUAN, "pledge_cap")  # ¥100 left and pledge cap ¥100: tie
    assert (none_left.match_fen, none_left.reason) == (0, "project_cap")
    assert (other_project.match_fen, other_project.reason) == (100 * YUAN, None)
    assert ledger.project_matched_fen["p"] == 500 * YUAN


def test_per_project_cap_partial_match_names_project_cap() -> None:
    d = decide_match(GOTEO, "p", 100 * YUAN, open_state(project_matched_fen=470 * YUAN))
    assert d == MatchDecision(30 * YUAN, "project_cap", 100 * YUAN)


# ---- GlobalGiving style --------------------------------------------------------

GLOBALGIVING = campaign(
    CampaignRules(
        tiers=(
            Tier(100 * YUAN, 500 * YUAN, 2_000),
            Tier(500 * YUAN, 750 * YUAN, 3_000),
            Tier(750 * YUAN, None, 4_000),
        ),
        matchable_max_fen=1_000 * YUAN,
        per_project_cap_fen=2_000 * YUAN,
    )
)


@pytest.mark.parametrize(
    ("amount", "match", "reason"),
    [
        (99 * YUAN, 0, "below_minimum"),  # under the lowest tier
        (100 * YUAN, 20 * YUAN, None),
        (49_999, 9_999, None),  # ¥499.99 × 20% = ¥99.998, floored to ¥99.99
        (500 * YUAN, 150 * YUAN, None),
        (749 * YUAN, 224_70, None),
        (750 * YUAN, 300 * YUAN, None),
        (1_000 * YUAN, 400 * YUAN, None),
        (1_500 * YUAN, 400 * YUAN, "pledge_cap"),  # only the first ¥1,000 is matched: said as pledge_cap
    ],
)
def test_tiers_chosen_by_matchable_amount(amount: int, match: int, reason: str | None) -> None:
    d = decide_match(GLOBALGIVING, "p", amount, open_state())
    assert (d.match_fen, d.reason) == (match, reason)
    assert d.full_match_fen == match
    assert full_match(GLOBALGIVING.rules, amount) == match


def test_tiers_per_project_cap() -> None:
    ledger = SimLedger(GLOBALGIVING)
    got = [ledger.pledge("p", 1_500 * YUAN, f"d{i}", bj(2021, 9, 7, 10, i)) for i in range(6)]
    assert [d.match_fen for d in got] == [400 * YUAN] * 5 + [0]
    assert got[-1].reason == "project_cap"
    assert ledger.project_matched_fen["p"] == 2_000 * YUAN


def test_floor_division_never_rounds_up() -> None:
    c = campaign(CampaignRules(ratio_bp=3_333))
    assert full_match(c.rules, 1) == 0
    assert full_match(c.rules, 299) == 99  # 99.6567 floored
    assert decide_match(c, "p", 299, open_state()) == MatchDecision(99, None, 99)


def test_ratio_above_one_to_one() -> None:
    c = campaign(CampaignRules(ratio_bp=20_000))
    assert decide_match(c, "p", 100 * YUAN, open_state()) == MatchDecision(200 * YUAN, None, 200 * YUAN)


# ---- team bonus ------------------------------------------------------------------

TEAMS = campaign(
    CampaignRules(per_project_cap_fen=500 * YUAN, team_bonus=TeamBonus(1_000 * YUAN, 500 * YUAN)),
)


def test_project_cap_enlarged_by_each_qualifying_team() -> None:
    assert project_cap_fen(TEAMS, 0) == 500 * YUAN
    assert project_cap_fen(TEAMS, 2) == 1_500 * YUAN
    assert project_cap_fen(GLOBALGIVING, 3) == 2_000 * YUAN  # no team bonus in that campaign
    assert project_cap_fen(campaign(CampaignRules()), 3) is None


def test_team_bonus_reopens_matching_once_a_team_reaches_the_threshold() -> None:
    ledger = SimLedger(TEAMS)
    ledger.pledge("p", 500 * YUAN, "a", bj(2021, 9, 7, 10))
    full = ledger.pledge("p", 400 * YUAN, "b", bj(2021, 9, 7, 10, 1), team_id="t1")
    assert (full.match_fen, full.reason) == (0, "project_cap")
    # t1 reaches ¥1,000 with this pledge; the bonus applies from the next pledge on.
    reaching = ledger.pledge("p", 600 * YUAN, "c", bj(2021, 9, 7, 10, 2), team_id="t1")
    assert (reaching.match_fen, reaching.reason) == (0, "project_cap")
    assert ledger.bonus_teams("p") == 1
    after = ledger.pledge("p", 800 * YUAN, "d", bj(2021, 9, 7, 10, 3))
    assert (after.match_fen, after.reason) == (500 * YUAN, "project_cap")
    assert ledger.project_matched_fen["p"] == 1_000 * YUAN


def test_team_bonus_counts_teams_at_or_above_threshold() -> None:
    bonus = TeamBonus(1_000 * YUAN, 500 * YUAN)
    assert bonus.qualifying_teams([999_99, 1_000 * YUAN, 5_000 * YUAN, 0]) == 2


# ---- the pool ------------------------------------------------------------------


def test_pool_exhausted_gives_partial_then_zero() -> None:
    ledger = SimLedger(campaign(CampaignRules(), pool_fen=130 * YUAN))
    first = ledger.pledge("p", 100 * YUAN, "a", bj(2021, 9, 7, 10))
    partial = ledger.pledge("p", 100 * YUAN, "b", bj(2021, 9, 7, 10, 1))
    empty = ledger.pledge("p", 100 * YUAN, "c", bj(2021, 9, 7, 10, 2))
    assert (first.match_fen, first.reason) == (100 * YUAN, None)
    assert (partial.match_fen, partial.reason) == (30 * YUAN, "pool_exhausted")
    assert (empty.match_fen, empty.reason, empty.full_match_fen) == (0, "pool_exhausted", 100 * YUAN)
    assert ledger.pool_remaining_fen == 0


def test_pool_exactly_enough_is_a_full_match() -> None:
    d = decide_match(campaign(CampaignRules()), "p", 100 * YUAN, open_state(pool_remaining_fen=100 * YUAN))
    assert d == MatchDecision(100 * YUAN, None, 100 * YUAN)


def test_negative_pool_is_treated_as_empty() -> None:
    d = decide_match(campaign(CampaignRules()), "p", 100 * YUAN, open_state(pool_remaining_fen=-5))
    assert (d.match_fen, d.reason) == (0, "pool_exhausted")


# ---- not in campaign -------------------------------------------------------------


def test_not_in_campaign_for_a_project_outside_it_or_no_campaign() -> None:
    assert decide_match(TENCENT, "some-other-project", 100 * YUAN, open_state()) == MatchDecision(
        0, "not_in_campaign", 0
    )
    assert decide_match(None, "p", 100 * YUAN, open_state()) == MatchDecision(0, "not_in_campaign", 0)


# ---- velocity ------------------------------------------------------------------


def test_velocity_withholds_the_sixth_pledge_in_a_minute_from_one_donor_key() -> None:
    ledger = SimLedger(campaign(CampaignRules()))
    start = bj(2021, 9, 7, 10)
    got = [ledger.pledge("p", 10 * YUAN, "bot", start + timedelta(seconds=5 * i), source=f"s{i}") for i in range(7)]
    assert [d.reason for d in got] == [None] * 5 + ["velocity", "velocity"]
    assert [d.flagged for d in got] == [False] * 5 + [True, True]
    assert got[5].match_fen == 0 and got[5].full_match_fen == 10 * YUAN
    # Flagged pledges still count; 85 s in, only the two at 25 s and 30 s are within the last minute.
    later = ledger.pledge("p", 10 * YUAN, "bot", start + timedelta(seconds=85), source="s9")
    assert later.reason is None


def test_velocity_per_source_address_across_donor_keys() -> None:
    ledger = SimLedger(campaign(CampaignRules()))
    start = bj(2021, 9, 7, 10)
    got = [
        ledger.pledge("p", 10 * YUAN, f"key-{i}", start + timedelta(seconds=i), source="203.0.113.7") for i in range(6)
    ]
    assert [d.reason for d in got] == [None] * 5 + ["velocity"]


def test_velocity_disabled_when_none() -> None:
    c = campaign(CampaignRules(velocity_per_minute=None))
    d = decide_match(c, "p", 10 * YUAN, open_state(donor_pledges_last_minute=1000, source_pledges_last_minute=1000))
    assert d.reason is None


# ---- precedence ----------------------------------------------------------------


def test_reasons_are_the_documented_set_and_each_has_words() -> None:
    assert set(REASONS) == set(PRECEDENCE) == set(REASON_TEXT)
    assert len(REASONS) == 8


def test_precedence_gates() -> None:
    c = campaign(
        CampaignRules(minimum_pledge_fen=10 * YUAN), windows=(Window(bj(2021, 9, 7), bj(2021, 9, 8)),), pool_fen=0
    )
    busy = {"donor_pledges_last_minute": 9}
    closed = MatchState(bj(2021, 9, 9), 0, **busy)
    opened = MatchState(bj(2021, 9, 7, 12), 0, **busy)
    calm = MatchState(bj(2021, 9, 7, 12), 0)
    assert decide_match(c, "zz", 1, closed).reason == "not_in_campaign"
    assert decide_match(c, "p", 1, closed).reason == "window_closed"
    assert decide_match(c, "p", 1, opened).reason == "velocity"
    assert decide_match(c, "p", 1, calm).reason == "below_minimum"
    assert decide_match(c, "p", 10 * YUAN, calm).reason == "pool_exhausted"


def test_precedence_ties_between_binding_limits() -> None:
    rules = CampaignRules(per_pledge_cap_fen=100 * YUAN, per_donor_daily_cap_fen=200 * YUAN, per_project_cap_fen=10**6)
    c = campaign(rules)
    # pledge cap and donor cap both stop at ¥100: pledge_cap comes first.
    tie = decide_match(c, "p", 300 * YUAN, open_state(donor_matched_today_fen=100 * YUAN))
    assert (tie.match_fen, tie.reason) == (100 * YUAN, "pledge_cap")
    # donor cap binds tighter than the pledge cap: donor_cap.
    tighter = decide_match(c, "p", 300 * YUAN, open_state(donor_matched_today_fen=150 * YUAN))
    assert (tighter.match_fen, tighter.reason) == (50 * YUAN, "donor_cap")
    # project cap and pool both exactly at ¥40: project_cap comes first.
    both = decide_match(
        c, "p", 300 * YUAN, open_state(project_matched_fen=10**6 - 40 * YUAN, pool_remaining_fen=40 * YUAN)
    )
    assert (both.match_fen, both.reason) == (40 * YUAN, "project_cap")
    # the pool alone binds: pool_exhausted.
    pool = decide_match(c, "p", 300 * YUAN, open_state(pool_remaining_fen=7))
    assert (pool.match_fen, pool.reason) == (7, "pool_exhausted")


# ---- input checks -----------------------------------------------------------------


@pytest.mark.parametrize("amount", [0, -100, True, 1.5, "100"])
def test_decide_match_refuses_non_positive_or_non_integer_amounts(amount: object) -> None:
    with pytest.raises(ValueError):
        decide_match(TENCENT, "laiwu-cottages", amount, open_state())  # type: ignore[arg-type]


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError):
        is_open(TENCENT, datetime(2021, 9, 7, 10))
    with pytest.raises(ValueError):
        donor_day(datetime(2021, 9, 7, 10))
    with pytest.raises(ValueError):
        decide_match(TENCENT, "laiwu-cottages", 100, MatchState(datetime(2021, 9, 7, 10), 100))


# ---- the catalogue -------------------------------------------------------------------

TENCENT_CATALOGUE = {
    "campaign_id": "99-2021",
    "name": "共建莱芜希望小屋 · 99公益日",
    "pool_fen": 10_000_000_000,
    "project_ids": ["laiwu-cottages"],
    "sponsor": "ignored here",
    "windows": [
        {
            "start": "2021-09-07T00:00:00",
            "end": "2021-09-10T00:00:00+08:00",
            "daily_start": "9:00",
            "daily_end": "23:59",
        }
    ],
    "rules": {"ratio_bp": 10000, "minimum_pledge_fen": 100, "per_donor_daily_cap_fen": 99900},
}


def test_catalogue_builds_the_same_campaign_and_round_trips() -> None:
    built = Campaign.from_catalogue(TENCENT_CATALOGUE)
    assert built == TENCENT
    assert Campaign.from_catalogue(built.to_catalogue()) == built
    for c in (GOTEO, GLOBALGIVING, TEAMS):
        assert Campaign.from_catalogue(c.to_catalogue()) == c


def test_catalogue_accepts_id_and_24_00_and_utc_offsets() -> None:
    d = {
        "id": "520",
        "name": "520公益日",
        "pool_fen": 0,
        "demo": True,
        "project_ids": ["p"],
        "windows": [{"start": "2021-05-19T16:00:00Z", "end": "2021-05-20T16:00:00+00:00", "daily_end": "24:00"}],
    }
    c = Campaign.from_catalogue(d)
    assert c.campaign_id == "520" and c.demo and c.rules == CampaignRules()
    assert c.windows[0].start == bj(2021, 5, 20) and c.windows[0].daily_end is None
    assert is_open(c, bj(2021, 5, 20, 23, 59))


def _codes(d: dict) -> set[tuple[tuple, str]]:
    with pytest.raises(RulesInvalid) as info:
        Campaign.from_catalogue(d)
    return {(p.path, p.code) for p in info.value.problems}


def _with(rules: dict | None = None, **top: object) -> dict:
    d = {**TENCENT_CATALOGUE, **top}
    if rules is not None:
        d["rules"] = rules
    return d


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (_with({"ratio_bp": 10000, "per_pledge_cap": 5}), (("rules", "per_pledge_cap"), "rules.unknown_key")),
        (_with({"ratio_bp": 0}), (("rules", "ratio_bp"), "rules.range")),
        (_with({"ratio_bp": 1.5}), (("rules", "ratio_bp"), "rules.type")),
        (_with({"per_donor_daily_cap_fen": True}), (("rules", "per_donor_daily_cap_fen"), "rules.type")),
        (_with({"minimum_pledge_fen": -1}), (("rules", "minimum_pledge_fen"), "rules.range")),
        (
            _with(
                {
                    "tiers": [
                        {"min_fen": 100, "max_fen": 200, "rate_bp": 1},
                        {"min_fen": 300, "rate_bp": 2, "max_fen": None},
                    ]
                }
            ),
            (("rules", "tiers", 0, "max_fen"), "rules.tiers.gap"),
        ),
        (
            _with({"tiers": [{"min_fen": 100, "max_fen": 200, "rate_bp": 1}]}),
            (("rules", "tiers", 0, "max_fen"), "rules.tiers.top"),
        ),
        (
            _with({"tiers": [{"min_fen": 300, "max_fen": 200, "rate_bp": 1}]}),
            (("rules", "tiers", 0, "max_fen"), "rules.tiers.empty"),
        ),
        (_with({"tiers": [{"min_fen": 1, "rate": 1}]}), (("rules", "tiers", 0, "rate"), "rules.unknown_key")),
        (
            _with({"ratio_bp": 5000, "tiers": [{"min_fen": 1, "max_fen": None, "rate_bp": 1}]}),
            (("rules", "ratio_bp"), "rules.tiers.ratio"),
        ),
        (
            _with({"matchable_max_fen": 50, "tiers": [{"min_fen": 100, "max_fen": None, "rate_bp": 1}]}),
            (("rules", "matchable_max_fen"), "rules.tiers.unreachable"),
        ),
        (_with({"tiers": {"min_fen": 1}}), (("rules", "tiers"), "rules.type")),
        (
            _with({"team_bonus": {"threshold_fen": 100, "extra_project_cap_fen": 50}}),
            (("rules", "team_bonus"), "rules.team_bonus.no_cap"),
        ),
        (
            _with({"per_project_cap_fen": 9, "team_bonus": {"threshold_fen": 0, "extra_project_cap_fen": 50}}),
            (("rules", "team_bonus", "threshold_fen"), "rules.range"),
        ),
        (_with(windows=[]), (("windows",), "rules.windows.required")),
        (_with(windows=[{"start": "2021-09-10", "end": "2021-09-07"}]), (("windows", 0, "end"), "rules.window.order")),
        (_with(windows=[{"start": "yesterday", "end": "2021-09-07"}]), (("windows", 0, "start"), "rules.window.time")),
        (
            _with(windows=[{"start": "2021-09-07", "end": "2021-09-10", "daily_start": "20:00", "daily_end": "02:00"}]),
            (("windows", 0, "daily_end"), "rules.window.daily_order"),
        ),
        (
            _with(windows=[{"start": "2021-09-07", "end": "2021-09-10", "daily_start": "25:00"}]),
            (("windows", 0, "daily_start"), "rules.window.daily"),
        ),
        (_with(project_ids=[]), (("project_ids",), "rules.projects.required")),
        (_with(project_ids=["a", "a"]), (("project_ids",), "rules.projects.duplicate")),
        (_with(pool_fen="1000"), (("pool_fen",), "rules.type")),
        (_with(campaign_id=""), (("campaign_id",), "rules.required")),
    ],
)
def test_catalogue_problems_name_the_field(d: dict, expected: tuple[tuple, str]) -> None:
    assert expected in _codes(d)


def test_catalogue_reports_every_problem_at_once_in_both_languages() -> None:
    d = _with({"ratio_bp": -1, "typo": 1}, pool_fen=-1, windows=[{"start": "x", "end": "y"}])
    with pytest.raises(RulesInvalid) as info:
        Campaign.from_catalogue(d)
    paths = {p.path for p in info.value.problems}
    assert {
        ("rules", "typo"),
        ("rules", "ratio_bp"),
        ("pool_fen",),
        ("windows", 0, "start"),
        ("windows", 0, "end"),
    } <= paths
    for p in info.value.problems:
        assert p.zh and p.en and p.code.startswith("rules.")
    assert "pool_fen" in str(info.value)


def test_invalid_values_cannot_be_constructed_directly() -> None:
    with pytest.raises(RulesInvalid):
        CampaignRules(per_pledge_cap_fen=0)
    with pytest.raises(RulesInvalid):
        Window(datetime(2021, 9, 7), datetime(2021, 9, 8))  # naive
    with pytest.raises(RulesInvalid):
        Tier(500, 100, 2000)
