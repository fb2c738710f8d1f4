"""The matching rules said in plain Chinese, one sentence per rule, money in yuan without trailing .00."""

from __future__ import annotations

from datetime import time

import pytest

from chalicelib.rules import Campaign, CampaignRules, TeamBonus, Tier, Window
from chalicelib.rules_text import (
    clock,
    describe,
    describe_rules,
    describe_window,
    percent,
    ratio,
    summary,
    yuan,
)
from tests.api.test_matching import GLOBALGIVING, GOTEO, TEAMS, TENCENT, bj

YUAN = 100


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (0, "0"),
        (50, "0.5"),
        (99, "0.99"),
        (100, "1"),
        (99_900, "999"),
        (100_000, "1,000"),
        (49_999, "499.99"),
        (100_000_000, "1,000,000"),
        (-150, "-1.5"),
    ],
)
def test_yuan_has_separators_and_no_trailing_zeros(fen: int, text: str) -> None:
    assert yuan(fen) == text


@pytest.mark.parametrize(("bp", "text"), [(2000, "20%"), (1250, "12.5%"), (1, "0.01%"), (10000, "100%")])
def test_percent(bp: int, text: str) -> None:
    assert percent(bp) == text


@pytest.mark.parametrize(("bp", "text"), [(10000, "1:1"), (20000, "1:2"), (5000, "1:0.5"), (12500, "1:1.25")])
def test_ratio(bp: int, text: str) -> None:
    assert ratio(bp) == text


def test_clock() -> None:
    assert clock(time(9, 0)) == "9:00"
    assert clock(time(23, 59)) == "23:59"
    assert clock(None) == "0:00"
    assert clock(None, end=True) == "24:00"


def test_window_whole_days_read_as_0_00_to_24_00_beijing() -> None:
    w = Window(bj(2021, 9, 7), bj(2021, 9, 10))
    assert describe_window(w) == "2021年9月7日0:00至9月9日24:00（北京时间）"


def test_window_with_daily_session() -> None:
    assert describe_window(TENCENT.windows[0]) == "2021年9月7日至9月9日，每天9:00至23:59（北京时间）"


def test_window_inside_one_day_and_across_a_year() -> None:
    assert describe_window(Window(bj(2021, 5, 20, 9), bj(2021, 5, 20, 18))) == "2021年5月20日9:00至18:00（北京时间）"
    assert (
        describe_window(Window(bj(2021, 12, 31, 20), bj(2022, 1, 2)))
        == "2021年12月31日20:00至2022年1月1日24:00（北京时间）"
    )


def test_window_given_in_utc_is_said_in_beijing_time() -> None:
    c = Campaign.from_catalogue(
        {
            "id": "c",
            "name": "n",
            "pool_fen": 1,
            "project_ids": ["p"],
            "windows": [{"start": "2021-09-06T16:00:00Z", "end": "2021-09-09T16:00:00Z"}],
        }
    )
    assert describe_window(c.windows[0]) == "2021年9月7日0:00至9月9日24:00（北京时间）"


def test_window_partial_days_with_daily_session_keeps_times() -> None:
    w = Window(bj(2021, 9, 7, 12), bj(2021, 9, 9, 18), time(9), time(23, 59))
    assert describe_window(w) == "2021年9月7日12:00至9月9日18:00，每天9:00至23:59（北京时间）"


def test_tencent_rules() -> None:
    assert describe_rules(TENCENT.rules) == ["每笔1:1配捐", "单笔捐款满1元才获得配捐", "每人每天最多配捐999元"]


def test_goteo_rules() -> None:
    assert describe_rules(GOTEO.rules) == [
        "每笔1:1配捐",
        "单笔最多配捐100元",
        "每位捐赠人仅首笔捐款获得配捐",
        "每个项目最多配捐500元",
    ]


def test_globalgiving_tiers() -> None:
    assert describe_rules(GLOBALGIVING.rules) == [
        "捐100–499.99元配20%",
        "捐500–749.99元配30%",
        "捐750–1,000元配40%",
        "每笔捐款仅前1,000元参与配捐",
        "每个项目最多配捐2,000元",
    ]


def test_open_ended_top_tier_and_minimum_above_lowest_tier() -> None:
    rules = CampaignRules(tiers=(Tier(100, 10_000, 5_000), Tier(10_000, None, 10_000)), minimum_pledge_fen=500)
    assert describe_rules(rules) == ["捐1–99.99元配50%", "捐100元及以上配100%", "单笔捐款满5元才获得配捐"]


def test_team_bonus() -> None:
    assert describe_rules(TEAMS.rules)[-1] == "每支战队筹款满1,000元，项目配捐上限增加500元"


def test_several_matched_pledges_per_donor() -> None:
    assert "每位捐赠人最多3笔捐款获得配捐" in describe_rules(CampaignRules(per_donor_matched_pledges=3))


def test_describe_the_whole_campaign_in_order() -> None:
    demo = Campaign(
        "demo",
        "演示",
        1_000_000 * YUAN,
        (Window(bj(2021, 9, 7), bj(2021, 9, 10)),),
        CampaignRules(
            per_pledge_cap_fen=100 * YUAN,
            team_bonus=TeamBonus(1_000 * YUAN, 500 * YUAN),
            per_project_cap_fen=500 * YUAN,
        ),
        ("p",),
        demo=True,
    )
    assert describe(demo) == [
        "示例活动，仅供演示，不涉及真实配捐资金",
        "配捐时间：2021年9月7日0:00至9月9日24:00（北京时间）",
        "每笔1:1配捐",
        "单笔最多配捐100元",
        "每个项目最多配捐500元",
        "每支战队筹款满1,000元，项目配捐上限增加500元",
        "配捐资金共1,000,000元，用完即止；配捐在捐款到账时确定",
        "同一付款账户1分钟内付款超过5笔时，超出的捐款暂不配捐",
    ]


def test_velocity_sentence_absent_when_disabled() -> None:
    c = Campaign(
        "c", "n", 1, (Window(bj(2021, 9, 7), bj(2021, 9, 8)),), CampaignRules(velocity_per_minute=None), ("p",)
    )
    assert not any("1分钟" in s for s in describe(c))


def test_summary_is_one_line_for_a_project_card() -> None:
    assert summary(TENCENT) == "每笔1:1配捐，单笔捐款满1元才获得配捐，每人每天最多配捐999元"


def test_no_trailing_zero_yuan_anywhere() -> None:
    for c in (TENCENT, GOTEO, GLOBALGIVING, TEAMS):
        for sentence in describe(c):
            assert ".00" not in sentence and ".0元" not in sentence
