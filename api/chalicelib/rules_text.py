"""A campaign's matching rules said in plain Chinese, for project and campaign pages.

Generated from the same :class:`~chalicelib.rules.Campaign` the API decides
with, so the page can never promise a rule the API does not apply. Money is in
yuan with thousands separators and no trailing ``.00`` (``1,000元``,
``499.99元``); times are Beijing time (Asia/Shanghai).

Sentence order: demo note, windows, rate (ratio or tiers), matchable part,
minimum, per-pledge cap, per-donor caps, per-project cap, team bonus, pool,
velocity.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from .rules import BP, SHANGHAI, Campaign, CampaignRules, Tier, Window


def yuan(fen: int) -> str:
    """Fen as yuan text: 100000 -> '1,000', 49999 -> '499.99', 50 -> '0.5'."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), 100)
    text = f"{whole:,}"
    if part:
        text += f".{part:02d}".rstrip("0")
    return sign + text


def percent(bp: int) -> str:
    """Basis points as a percentage: 2000 -> '20%', 1250 -> '12.5%'."""
    whole, part = divmod(bp, 100)
    return f"{whole}%" if not part else f"{whole}.{part:02d}".rstrip("0") + "%"


def ratio(bp: int) -> str:
    """A ratio as Chinese platforms write it: 10000 -> '1:1', 5000 -> '1:0.5', 20000 -> '1:2'."""
    whole, part = divmod(bp, BP)
    return f"1:{whole}" if not part else f"1:{whole}.{part:04d}".rstrip("0")


def clock(t: time | None, *, end: bool = False) -> str:
    """Wall-clock text without a leading zero: 9:00, 23:59; None is 0:00 (start) or 24:00 (end)."""
    if t is None:
        return "24:00" if end else "0:00"
    text = f"{t.hour}:{t.minute:02d}"
    return text + (f":{t.second:02d}" if t.second else "")


def _local(dt: datetime) -> datetime:
    return dt.astimezone(SHANGHAI)


def _date(dt: datetime, *, with_year: bool) -> str:
    return (f"{dt.year}年" if with_year else "") + f"{dt.month}月{dt.day}日"


def _end_parts(end: datetime) -> tuple[datetime, str]:
    """An exclusive end at local midnight reads as 24:00 of the day before."""
    local = _local(end)
    if local.time() == time(0, 0):
        return local - timedelta(days=1), "24:00"
    return local, clock(local.time())


def describe_window(window: Window) -> str:
    """'2021年9月7日0:00至9月9日24:00（北京时间）' or with a daily session '…，每天9:00至23:59（北京时间）'."""
    start = _local(window.start)
    end_day, end_clock = _end_parts(window.end)
    start_text = _date(start, with_year=True)
    end_text = _date(end_day, with_year=end_day.year != start.year)
    whole_days = start.time() == time(0, 0) and end_clock == "24:00"
    if window.has_daily_session and whole_days:
        span = start_text if end_day.date() == start.date() else f"{start_text}至{end_text}"
        return f"{span}，每天{clock(window.daily_start)}至{clock(window.daily_end, end=True)}（北京时间）"
    if end_day.date() == start.date():
        span = f"{start_text}{clock(start.time())}至{end_clock}"
    else:
        span = f"{start_text}{clock(start.time())}至{end_text}{end_clock}"
    if window.has_daily_session:
        span += f"，每天{clock(window.daily_start)}至{clock(window.daily_end, end=True)}"
    return f"{span}（北京时间）"


def describe_tier(tier: Tier, matchable_max_fen: int | None) -> str:
    """'捐100–499.99元配20%' (the upper bound is exclusive, so it reads one fen lower)."""
    rate = f"配{percent(tier.rate_bp)}"
    if tier.max_fen is not None:
        return f"捐{yuan(max(tier.min_fen, 1))}–{yuan(tier.max_fen - 1)}元{rate}"
    if matchable_max_fen is not None:
        return f"捐{yuan(max(tier.min_fen, 1))}–{yuan(matchable_max_fen)}元{rate}"
    return f"捐{yuan(max(tier.min_fen, 1))}元及以上{rate}"


def describe_rules(rules: CampaignRules) -> list[str]:
    """The rules alone, one plain sentence each (no windows, no pool)."""
    out: list[str] = []
    if rules.tiers:
        out += [describe_tier(t, rules.matchable_max_fen) for t in rules.tiers]
    else:
        out.append(f"每笔{ratio(rules.ratio_bp)}配捐")
    if rules.matchable_max_fen is not None:
        out.append(f"每笔捐款仅前{yuan(rules.matchable_max_fen)}元参与配捐")
    if rules.minimum_pledge_fen > 0 and (not rules.tiers or rules.minimum_pledge_fen > rules.tiers[0].min_fen):
        out.append(f"单笔捐款满{yuan(rules.minimum_pledge_fen)}元才获得配捐")
    if rules.per_pledge_cap_fen is not None:
        out.append(f"单笔最多配捐{yuan(rules.per_pledge_cap_fen)}元")
    if rules.per_donor_daily_cap_fen is not None:
        out.append(f"每人每天最多配捐{yuan(rules.per_donor_daily_cap_fen)}元")
    if rules.per_donor_matched_pledges == 1:
        out.append("每位捐赠人仅首笔捐款获得配捐")
    elif rules.per_donor_matched_pledges is not None:
        out.append(f"每位捐赠人最多{rules.per_donor_matched_pledges}笔捐款获得配捐")
    if rules.per_project_cap_fen is not None:
        out.append(f"每个项目最多配捐{yuan(rules.per_project_cap_fen)}元")
    if rules.team_bonus is not None:
        bonus = rules.team_bonus
        out.append(
            f"每支战队筹款满{yuan(bonus.threshold_fen)}元，项目配捐上限增加{yuan(bonus.extra_project_cap_fen)}元"
        )
    return out


def describe(campaign: Campaign) -> list[str]:
    """Every rule of the campaign as a plain Chinese sentence, in the order the module notes give."""
    out: list[str] = []
    if campaign.demo:
        out.append("示例活动，仅供演示，不涉及真实配捐资金")
    out += [f"配捐时间：{describe_window(w)}" for w in campaign.windows]
    out += describe_rules(campaign.rules)
    out.append(f"配捐资金共{yuan(campaign.pool_fen)}元，用完即止；配捐在捐款到账时确定")
    if campaign.rules.velocity_per_minute is not None:
        out.append(
            f"同一付款账户1分钟内付款超过{campaign.rules.velocity_per_minute}笔时，超出的捐款暂不配捐"
        )
    return out


def summary(campaign: Campaign) -> str:
    """The rules in one line for a project card: '每笔1:1配捐，单笔最多配捐100元，每人每天最多配捐999元'."""
    return "，".join(describe_rules(campaign.rules))
