"""A matching (配捐) campaign and its rules, as frozen values built from the catalogue.

Pure and stdlib-only: this module ships in the Lambda bundle and the site build
imports it to check campaign YAML. Nothing here does I/O. The decision itself
lives in :mod:`chalicelib.matching`; the plain-Chinese description in
:mod:`chalicelib.rules_text`.

Catalogue shape (one campaign; every amount integer fen, every rate basis points
where 10000 bp = 100 %)::

    {
      "campaign_id": "99-2021",              # "id" is accepted too
      "name": "共建莱芜希望小屋 · 99公益日",
      "pool_fen": 100000000,
      "demo": false,                          # optional, default false
      "project_ids": ["laiwu-cottages"],
      "windows": [
        {"start": "2021-09-07T00:00:00+08:00", # ISO 8601; without an offset = Asia/Shanghai
         "end":   "2021-09-10T00:00:00+08:00", # exclusive
         "daily_start": "09:00",              # optional daily session, Asia/Shanghai
         "daily_end": "23:59"}                # exclusive; "24:00" or absent = midnight
      ],
      "rules": {                              # every key optional; unknown keys are errors
        "ratio_bp": 10000,
        "minimum_pledge_fen": 100,
        "per_pledge_cap_fen": null,
        "per_donor_daily_cap_fen": 99900,
        "per_donor_matched_pledges": null,
        "per_project_cap_fen": null,
        "matchable_max_fen": null,
        "tiers": [{"min_fen": 10000, "max_fen": 50000, "rate_bp": 2000}],
        "team_bonus": {"threshold_fen": 100000, "extra_project_cap_fen": 50000},
        "velocity_per_minute": 5
      }
    }

Other keys on the campaign (sponsor, description, ...) are ignored here: the
catalogue may carry more than the rules need. Unknown keys inside ``rules``,
``windows[i]``, ``tiers[i]`` and ``team_bonus`` are refused, because a typo in a
money rule must never be silently dropped.

**One definition of each rule.** Every field below is declared once, with
:func:`rule`: its unit (fen, basis points or a count), its bounds and a Chinese
and an English description. Everything else is derived from those fields: the
range checks (:func:`_declared_problems`), the catalogue form (``to_catalogue``
and ``from_catalogue`` walk the fields), the editors' YAML model and its JSON
Schema (``site_src/models/campaign.py`` builds them from :func:`content_fields`),
and the way a problem's path is shown to editors (:func:`content_path`). The
editors' name of a field is its name without the unit (``minimum_pledge_fen`` is
written ``minimum_pledge`` in yuan, ``ratio_bp`` is written ``ratio`` as a
decimal); yuan become fen once, when the YAML is read. So a new matching rule is
a field here (plus its decision in :mod:`chalicelib.matching`), a sentence in
:mod:`chalicelib.rules_text`, ``make schemas`` and its tests.

Every value is checked when it is constructed (``__post_init__``): an invalid
campaign cannot exist. :class:`RulesInvalid` carries *all* problems found, each
a :class:`RuleProblem` with a path into the catalogue dict, a machine code, and
a Chinese and an English sentence, so the site build can point editors at the
field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import MISSING, Field, dataclass, field, fields
from datetime import datetime, time, timedelta, timezone, tzinfo
from typing import Any

try:  # pragma: no cover - which branch runs depends on the host's tz database
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    SHANGHAI: tzinfo = ZoneInfo("Asia/Shanghai")
except (ImportError, ZoneInfoNotFoundError):  # pragma: no cover
    # Some minimal Lambda images ship without a tz database. China has kept
    # UTC+8 without daylight saving since 1991, so a fixed offset is exact for
    # every campaign this platform can hold.
    SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

#: 10000 basis points = 100 % = a 1:1 match.
BP = 10_000

Path = tuple[str | int, ...]

# 9:00, 09:00, 23:59:59 (wall clock, 24-hour).
_WALL = re.compile(r"^(?P<h>[01]?[0-9]|2[0-3]):(?P<m>[0-5][0-9])(?::(?P<s>[0-5][0-9]))?$")


# ---- problems --------------------------------------------------------------


@dataclass(frozen=True)
class RuleProblem:
    """One thing wrong with a campaign: where (path into the catalogue dict), what, in both languages."""

    path: Path  # e.g. ("rules", "tiers", 1, "max_fen")
    code: str  # e.g. "rules.tiers.gap"
    zh: str
    en: str

    def text(self) -> str:
        where = ".".join(str(p) for p in self.path) or "(campaign)"
        return f"{where}: [{self.code}] {self.zh} / {self.en}"


class RulesInvalid(ValueError):
    """A campaign or its rules break one or more checks; ``problems`` lists them all."""

    def __init__(self, problems: list[RuleProblem]) -> None:
        super().__init__("; ".join(p.text() for p in problems))
        self.problems = problems


def _fail_if(problems: list[RuleProblem]) -> None:
    if problems:
        raise RulesInvalid(problems)


def _prefixed(prefix: Path, problems: list[RuleProblem]) -> list[RuleProblem]:
    return [RuleProblem(prefix + p.path, p.code, p.zh, p.en) for p in problems]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_int(problems: list[RuleProblem], path: Path, value: Any, *, minimum: int, optional: bool = False) -> None:
    """Append a problem unless ``value`` is an int >= minimum (or None when optional)."""
    name = str(path[-1])
    if value is None and optional:
        return
    if not _is_int(value):
        problems.append(RuleProblem(path, "rules.type", f"{name} 必须是整数", f"{name} must be an integer"))
    elif value < minimum:
        problems.append(
            RuleProblem(path, "rules.range", f"{name} 不能小于 {minimum}", f"{name} must be at least {minimum}")
        )


# ---- declaring a rule once ---------------------------------------------------

#: Units a declared number can carry. Fen and basis points are what editors write as
#: yuan and as a decimal rate; counts are written as they are.
FEN, BASIS_POINTS, COUNT = "fen", "bp", "count"
#: An unpaid pledge expires after this long unless its campaign says otherwise (online payment).
DEFAULT_PLEDGE_EXPIRY_MINUTES = 30
#: At most 30 days: a bank transfer confirmed by an operator takes days, not months.
MAX_PLEDGE_EXPIRY_MINUTES = 30 * 24 * 60


def rule(
    default: Any = MISSING,
    *,
    unit: str | None = None,
    minimum: int | None = None,
    maximum: int | None = None,
    zh: str,
    en: str,
    content: str | None = None,
    default_factory: Any = MISSING,
) -> Any:
    """A dataclass field with what every other view of the rule is derived from.

    ``unit``: FEN, BASIS_POINTS or COUNT for numbers (checked as integers within
    ``minimum``..``maximum``; None allowed when the default is None). ``zh``/``en``:
    the description editors see in the JSON Schema. ``content``: the editors' name
    when it is not the field's name without its unit.
    """
    meta = {"unit": unit, "minimum": minimum, "maximum": maximum, "zh": zh, "en": en, "content": content}
    if default_factory is not MISSING:
        return field(default_factory=default_factory, metadata=meta)
    if default is MISSING:
        return field(metadata=meta)
    return field(default=default, metadata=meta)


def content_name(f: Field[Any]) -> str:
    """The name editors write for this field in content/ YAML."""
    named = f.metadata.get("content")
    if named:
        return str(named)
    unit = f.metadata.get("unit")
    return f.name.removesuffix(f"_{unit}") if unit in (FEN, BASIS_POINTS) else f.name


def content_fields(cls: type) -> Iterator[Field[Any]]:
    """The declared fields of a rules dataclass (those made with :func:`rule`)."""
    return (f for f in fields(cls) if "zh" in f.metadata)


def optional(f: Field[Any]) -> bool:
    """A field that may be None (its annotation admits None)."""
    return "None" in str(f.type)


def _declared_problems(value: Any) -> list[RuleProblem]:
    """The unit and range checks every declared number gets, in field order."""
    out: list[RuleProblem] = []
    for f in content_fields(type(value)):
        unit = f.metadata["unit"]
        if unit not in (FEN, BASIS_POINTS, COUNT):
            continue
        current = getattr(value, f.name)
        minimum, maximum = f.metadata["minimum"], f.metadata["maximum"]
        _check_int(out, (f.name,), current, minimum=minimum or 0, optional=optional(f))
        if maximum is not None and _is_int(current) and current > maximum:
            out.append(
                RuleProblem(
                    (f.name,), "rules.range", f"{f.name} 不能大于 {maximum}", f"{f.name} must be at most {maximum}"
                )
            )
    return out


def _plain_from_catalogue(cls: type, d: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for a dataclass of plain numbers; unknown keys are refused."""
    names = [f.name for f in fields(cls)]
    _only_keys(d, set(names), ())
    return {name: d.get(name) for name in names}


def _to_catalogue(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_to_catalogue(v) for v in value]
    if hasattr(value, "to_catalogue"):
        return value.to_catalogue()
    return value


def _fields_to_catalogue(value: Any) -> dict[str, Any]:
    return {f.name: _to_catalogue(getattr(value, f.name)) for f in fields(value)}


# ---- values ----------------------------------------------------------------


@dataclass(frozen=True)
class Tier:
    """One rate band (GlobalGiving-style tiers).

    ``min_fen``: the band starts at this matchable amount (inclusive).
    ``max_fen``: the band ends *before* this matchable amount (exclusive); None = no upper end.
    ``rate_bp``: the match, in basis points of the matchable amount (2000 = 20 %).
    """

    min_fen: int = rule(unit=FEN, minimum=0, zh="档位下限（元，含）", en="the band starts at this amount (yuan, inclusive)")
    max_fen: int | None = rule(
        unit=FEN, minimum=1, zh="档位上限（元，不含）；最高一档不写", en="the band ends before this amount; leave out on the top band"
    )
    rate_bp: int = rule(
        unit=BASIS_POINTS, minimum=0, maximum=10 * BP, zh="配捐比例，0.2 表示 20%", en="rate, 0.2 = 20%"
    )

    def __post_init__(self) -> None:
        _fail_if(self.problems())

    def problems(self) -> list[RuleProblem]:
        out = _declared_problems(self)
        if not out and self.max_fen is not None and self.max_fen <= self.min_fen:
            out.append(
                RuleProblem(
                    ("max_fen",),
                    "rules.tiers.empty",
                    "档位上限必须大于下限",
                    "a tier's max_fen must be greater than its min_fen",
                )
            )
        return out

    def contains(self, matchable_fen: int) -> bool:
        return self.min_fen <= matchable_fen and (self.max_fen is None or matchable_fen < self.max_fen)

    @classmethod
    def from_catalogue(cls, d: dict[str, Any]) -> Tier:
        return cls(**_plain_from_catalogue(cls, d))

    def to_catalogue(self) -> dict[str, Any]:
        return _fields_to_catalogue(self)


@dataclass(frozen=True)
class TeamBonus:
    """Online teams (网上战队) enlarge their project's match cap.

    Every team under the project whose raised total *in this campaign* reached
    ``threshold_fen`` adds ``extra_project_cap_fen`` to the project's cap.
    """

    threshold_fen: int = rule(unit=FEN, minimum=1, zh="战队筹款达到此额（元）", en="team total that earns the bonus")
    extra_project_cap_fen: int = rule(
        unit=FEN, minimum=1, zh="每支达标战队为项目增加的配捐上限（元）", en="extra project cap per team"
    )

    def __post_init__(self) -> None:
        _fail_if(_declared_problems(self))

    def qualifying_teams(self, team_raised_fen: Any) -> int:
        """How many of these team totals (an iterable of fen) reached the threshold."""
        return sum(1 for raised in team_raised_fen if raised >= self.threshold_fen)

    @classmethod
    def from_catalogue(cls, d: dict[str, Any]) -> TeamBonus:
        return cls(**_plain_from_catalogue(cls, d))

    def to_catalogue(self) -> dict[str, Any]:
        return _fields_to_catalogue(self)


@dataclass(frozen=True)
class Window:
    """When matching is open: ``start`` (inclusive) to ``end`` (exclusive), aware datetimes.

    With a daily session, matching is open only while the Asia/Shanghai wall
    clock is in ``[daily_start, daily_end)`` on days inside the window.
    ``daily_start`` None = 0:00; ``daily_end`` None = 24:00 (midnight). A
    session must not wrap over midnight (split it into two windows instead).
    """

    start: datetime = rule(zh="开始时间，带时区，如 2021-09-07T00:00:00+08:00", en="start, with its offset")
    end: datetime = rule(zh="结束时间（不含）", en="end (exclusive)")
    daily_start: time | None = rule(None, zh="每日场次开始（北京时间）", en="daily session start, Asia/Shanghai")
    daily_end: time | None = rule(None, zh="每日场次结束（北京时间，不含）", en="daily session end, Asia/Shanghai")

    def __post_init__(self) -> None:
        _fail_if(self.problems())

    def problems(self) -> list[RuleProblem]:
        out: list[RuleProblem] = []
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
                out.append(
                    RuleProblem(
                        (name,),
                        "rules.window.time",
                        f"{name} 必须是带时区的时间",
                        f"{name} must be a timezone-aware datetime",
                    )
                )
        for name in ("daily_start", "daily_end"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, time) or value.tzinfo is not None):
                out.append(
                    RuleProblem(
                        (name,),
                        "rules.window.daily",
                        f"{name} 必须是北京时间的钟点，如 09:00",
                        f"{name} must be a wall-clock time in Asia/Shanghai, like 09:00",
                    )
                )
        if out:
            return out
        if self.end <= self.start:
            out.append(
                RuleProblem(("end",), "rules.window.order", "结束时间必须晚于开始时间", "end must be after start")
            )
        if self.daily_start is not None and self.daily_end is not None and self.daily_end <= self.daily_start:
            out.append(
                RuleProblem(
                    ("daily_end",),
                    "rules.window.daily_order",
                    "每日场次的结束钟点必须晚于开始钟点（跨午夜请拆成两个时段）",
                    "daily_end must be after daily_start (split a session over midnight into two windows)",
                )
            )
        return out

    @property
    def has_daily_session(self) -> bool:
        return self.daily_start is not None or self.daily_end is not None

    def contains(self, now: datetime) -> bool:
        if not (self.start <= now < self.end):
            return False
        if not self.has_daily_session:
            return True
        wall = now.astimezone(SHANGHAI).time().replace(tzinfo=None)
        if self.daily_start is not None and wall < self.daily_start:
            return False
        return not (self.daily_end is not None and wall >= self.daily_end)

    @classmethod
    def from_catalogue(cls, d: dict[str, Any]) -> Window:
        _only_keys(d, {f.name for f in fields(cls)}, ())
        problems: list[RuleProblem] = []
        start = _parse_datetime(problems, ("start",), d.get("start"))
        end = _parse_datetime(problems, ("end",), d.get("end"))
        daily_start = _parse_wall(problems, ("daily_start",), d.get("daily_start"), end_of_day=False)
        daily_end = _parse_wall(problems, ("daily_end",), d.get("daily_end"), end_of_day=True)
        _fail_if(problems)
        return cls(start=start, end=end, daily_start=daily_start, daily_end=daily_end)  # type: ignore[arg-type]

    def to_catalogue(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "daily_start": None if self.daily_start is None else self.daily_start.strftime("%H:%M"),
            "daily_end": None if self.daily_end is None else self.daily_end.strftime("%H:%M"),
        }


# Codes of checks that look across several rules at once.
_CROSS = ("rules.tiers.", "rules.team_bonus.")


@dataclass(frozen=True)
class CampaignRules:
    """The matching rules of one campaign; every rule optional and combinable.

    ``ratio_bp``: match = amount × ratio_bp / 10000, floored (10000 = 1:1). Ignored
        when ``tiers`` is set, so it must then stay at its default.
    ``minimum_pledge_fen``: a pledge below this amount earns no match (reason
        ``below_minimum``). With tiers, the lowest tier's ``min_fen`` is a minimum too.
    ``per_pledge_cap_fen``: at most this much match for one pledge (reason ``pledge_cap``).
    ``per_donor_daily_cap_fen``: at most this much match per paying account (the
        verified payer, api/TABLE.md) per Asia/Shanghai calendar day in this campaign
        (reason ``donor_cap``).
    ``per_donor_matched_pledges``: at most this many payments per paying account in
        this campaign earn a match (Goteo: 1); later ones get 0 (reason
        ``donor_cap``). Only payments that received a match > 0 (and are not
        refunded) count.
    ``per_project_cap_fen``: at most this much match per project in this
        campaign, enlarged by ``team_bonus`` (reason ``project_cap``).
    ``matchable_max_fen``: only the first this-many fen of a pledge are matched
        (GlobalGiving: the first $1,000). Reported as ``pledge_cap`` when it
        reduces the match.
    ``tiers``: rate bands chosen by the matchable amount (amount capped at
        ``matchable_max_fen``); contiguous, ascending, the last one open-ended
        unless ``matchable_max_fen`` stays below its ``max_fen``.
    ``team_bonus``: see :class:`TeamBonus`; needs ``per_project_cap_fen``.
    ``velocity_per_minute``: a payment arriving when this many (or more) payments
        from the same paying account were already recorded in the last 60 s gets
        no match (reason ``velocity``); the payment itself still counts and is
        flagged. None disables the check.
    """

    ratio_bp: int = rule(
        BP, unit=BASIS_POINTS, minimum=1, maximum=10 * BP, zh="配捐比例，1 表示 1:1", en="match ratio, 1 means 1:1"
    )
    minimum_pledge_fen: int = rule(
        0, unit=FEN, minimum=0, zh="获得配捐的最低捐款（元）", en="smallest pledge that earns a match"
    )
    per_pledge_cap_fen: int | None = rule(None, unit=FEN, minimum=1, zh="单笔最多配捐（元）", en="match cap per pledge")
    per_donor_daily_cap_fen: int | None = rule(
        None, unit=FEN, minimum=1, zh="每人每天最多配捐（元）", en="match cap per donor per Beijing day"
    )
    per_donor_matched_pledges: int | None = rule(
        None, unit=COUNT, minimum=1, zh="每位捐赠人获配捐的笔数上限", en="pledges per donor that earn a match"
    )
    per_project_cap_fen: int | None = rule(
        None, unit=FEN, minimum=1, zh="每个项目最多配捐（元）", en="match cap per project"
    )
    matchable_max_fen: int | None = rule(
        None, unit=FEN, minimum=1, zh="每笔只计算前多少元", en="only the first X yuan of a pledge are matched"
    )
    tiers: tuple[Tier, ...] = rule((), zh="分档配捐，从低到高、首尾相接", en="rate bands, ascending without gaps")
    team_bonus: TeamBonus | None = rule(None, zh="战队加额", en="online teams enlarge the project cap")
    velocity_per_minute: int | None = rule(
        5, unit=COUNT, minimum=1, zh="每分钟超过此笔数视为异常", en="pledges a minute above which none is matched"
    )

    def __post_init__(self) -> None:
        # Accept a list for convenience but keep the value hashable and frozen.
        if isinstance(self.tiers, list):
            object.__setattr__(self, "tiers", tuple(self.tiers))
        _fail_if(self.problems())

    def problems(self) -> list[RuleProblem]:
        out = _declared_problems(self)
        if not isinstance(self.tiers, tuple) or not all(isinstance(t, Tier) for t in self.tiers):
            out.append(RuleProblem(("tiers",), "rules.type", "tiers 必须是档位列表", "tiers must be a list of tiers"))
            return out
        if self.team_bonus is not None and not isinstance(self.team_bonus, TeamBonus):
            out.append(RuleProblem(("team_bonus",), "rules.type", "team_bonus 格式不对", "team_bonus is malformed"))
            return out
        if out:
            return out
        if self.tiers:
            if self.ratio_bp != BP:
                out.append(
                    RuleProblem(
                        ("ratio_bp",),
                        "rules.tiers.ratio",
                        "设置了分档比例时不要再写 ratio_bp（二者只能选一）",
                        "with tiers, leave ratio_bp out (use either a ratio or tiers)",
                    )
                )
            for i, (lower, upper) in enumerate(zip(self.tiers, self.tiers[1:], strict=False)):
                if lower.max_fen is None or lower.max_fen != upper.min_fen:
                    out.append(
                        RuleProblem(
                            ("tiers", i, "max_fen"),
                            "rules.tiers.gap",
                            f"第{i + 1}档的上限必须等于第{i + 2}档的下限（档位须从低到高、首尾相接）",
                            f"tier {i + 1}'s max_fen must equal tier {i + 2}'s min_fen (tiers ascend without gaps)",
                        )
                    )
            top = self.tiers[-1]
            if top.max_fen is not None and (self.matchable_max_fen is None or self.matchable_max_fen >= top.max_fen):
                out.append(
                    RuleProblem(
                        ("tiers", len(self.tiers) - 1, "max_fen"),
                        "rules.tiers.top",
                        "最高一档不写上限，或让 matchable_max_fen 小于它的上限，否则大额捐款无档可依",
                        "leave the top tier's max_fen out, or keep matchable_max_fen below it,"
                        " so every large pledge falls in a tier",
                    )
                )
            if self.matchable_max_fen is not None and self.matchable_max_fen < self.tiers[0].min_fen:
                out.append(
                    RuleProblem(
                        ("matchable_max_fen",),
                        "rules.tiers.unreachable",
                        "matchable_max_fen 小于最低一档的下限，任何捐款都得不到配捐",
                        "matchable_max_fen is below the lowest tier, so no pledge could ever be matched",
                    )
                )
        if self.team_bonus is not None and self.per_project_cap_fen is None:
            out.append(
                RuleProblem(
                    ("team_bonus",),
                    "rules.team_bonus.no_cap",
                    "战队加额需要先设置每个项目的配捐上限 per_project_cap_fen",
                    "team_bonus enlarges per_project_cap_fen, so set that cap too",
                )
            )
        return out

    @property
    def effective_minimum_fen(self) -> int:
        """The smallest pledge that can earn a match: the stated minimum, or the lowest tier's start."""
        return max(self.minimum_pledge_fen, self.tiers[0].min_fen if self.tiers else 0)

    @classmethod
    def from_catalogue(cls, d: dict[str, Any]) -> CampaignRules:
        problems: list[RuleProblem] = []
        try:
            _only_keys(d, {f.name for f in fields(cls)}, ())
        except RulesInvalid as exc:
            problems += exc.problems
        kwargs: dict[str, Any] = {
            f.name: d[f.name] for f in fields(cls) if f.name in d and f.name not in ("tiers", "team_bonus")
        }
        tiers: list[Tier] = []
        raw_tiers = d.get("tiers") or []
        if not isinstance(raw_tiers, list | tuple):
            problems.append(
                RuleProblem(("tiers",), "rules.type", "tiers 必须是档位列表", "tiers must be a list of tiers")
            )
            raw_tiers = []
        for i, raw in enumerate(raw_tiers):
            try:
                tiers.append(Tier.from_catalogue(_as_dict(raw, ())))
            except RulesInvalid as exc:
                problems += _prefixed(("tiers", i), exc.problems)
        kwargs["tiers"] = tuple(tiers)
        if d.get("team_bonus") is not None:
            try:
                kwargs["team_bonus"] = TeamBonus.from_catalogue(_as_dict(d["team_bonus"], ()))
            except RulesInvalid as exc:
                problems += _prefixed(("team_bonus",), exc.problems)
        if problems:
            # Report the other rules' problems too, but not cross-checks on a
            # tier list or team bonus that failed to parse.
            broken = {p.path[0] for p in problems}
            try:
                cls(**kwargs)
            except RulesInvalid as exc:
                problems += [
                    p for p in exc.problems if not ({"tiers", "team_bonus"} & broken and p.code.startswith(_CROSS))
                ]
            raise RulesInvalid(problems)
        return cls(**kwargs)

    def to_catalogue(self) -> dict[str, Any]:
        return _fields_to_catalogue(self)


@dataclass(frozen=True)
class Campaign:
    """A giving day or season (99公益日, 520公益日) with its matching pool and rules.

    ``campaign_id``: stable id (the ledger keys on it). ``name``: shown to people.
    ``pool_fen``: the sponsor's matching pool for the whole campaign.
    ``windows``: when matching is open (at least one). ``rules``: see :class:`CampaignRules`.
    ``project_ids``: the participating projects; others get ``not_in_campaign``.
    ``demo``: example campaign for local demos (示例数据), never a real pool.
    ``programme_id``: the programme (计划) it belongs to, when the catalogue says.
    """

    campaign_id: str
    name: str
    pool_fen: int = rule(unit=FEN, minimum=0, zh="配捐资金池（元）", en="matching pool, yuan")
    windows: tuple[Window, ...] = rule(zh="配捐时段，至少一个", en="when matching is open, at least one window")
    rules: CampaignRules = rule(default_factory=CampaignRules, zh="配捐规则", en="matching rules")
    project_ids: tuple[str, ...] = rule((), content="projects", zh="参与项目", en="participating projects")
    demo: bool = rule(False, zh="演示活动：窗口覆盖演示运行的任何时间", en="demo campaign, always open")
    pledge_expiry_minutes: int = rule(
        DEFAULT_PLEDGE_EXPIRY_MINUTES,
        unit=COUNT,
        minimum=5,
        maximum=MAX_PLEDGE_EXPIRY_MINUTES,
        zh="认捐多久未付款即过期（分钟；网上支付约 30，对公转账可设几天，如 4320）",
        en="minutes an unpaid pledge stays open (about 30 for online payment, days such as 4320 for bank transfer)",
    )
    programme_id: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.windows, list):
            object.__setattr__(self, "windows", tuple(self.windows))
        if isinstance(self.project_ids, list):
            object.__setattr__(self, "project_ids", tuple(self.project_ids))
        _fail_if(self.problems())

    def problems(self) -> list[RuleProblem]:
        out: list[RuleProblem] = []
        for name in ("campaign_id", "name"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                out.append(RuleProblem((name,), "rules.required", f"{name} 不能为空", f"{name} must not be empty"))
        out += _declared_problems(self)
        if (
            not isinstance(self.windows, tuple)
            or not self.windows
            or not all(isinstance(w, Window) for w in self.windows)
        ):
            out.append(
                RuleProblem(
                    ("windows",),
                    "rules.windows.required",
                    "至少要有一个配捐时段",
                    "a campaign needs at least one window",
                )
            )
        if not isinstance(self.rules, CampaignRules):
            out.append(RuleProblem(("rules",), "rules.type", "rules 格式不对", "rules is malformed"))
        ids = self.project_ids
        if not isinstance(ids, tuple) or not ids or not all(isinstance(p, str) and p for p in ids):
            out.append(
                RuleProblem(
                    ("project_ids",),
                    "rules.projects.required",
                    "至少要有一个参与项目",
                    "a campaign needs at least one project id",
                )
            )
        elif len(set(ids)) != len(ids):
            out.append(
                RuleProblem(
                    ("project_ids",), "rules.projects.duplicate", "参与项目有重复", "project_ids has duplicates"
                )
            )
        if not isinstance(self.demo, bool):
            out.append(RuleProblem(("demo",), "rules.type", "demo 必须是 true 或 false", "demo must be true or false"))
        if self.programme_id is not None and not isinstance(self.programme_id, str):
            out.append(RuleProblem(("programme_id",), "rules.type", "programme_id 必须是文字", "programme_id must be text"))
        return out

    def includes(self, project_id: str) -> bool:
        return project_id in self.project_ids

    @classmethod
    def from_catalogue(cls, d: dict[str, Any]) -> Campaign:
        """Build a campaign from its catalogue dict; raises :class:`RulesInvalid` listing every problem."""
        problems: list[RuleProblem] = []
        d = _as_dict(d, ())
        windows: list[Window] = []
        raw_windows = d.get("windows")
        if not isinstance(raw_windows, list | tuple):
            raw_windows = []
        for i, raw in enumerate(raw_windows):
            try:
                windows.append(Window.from_catalogue(_as_dict(raw, ())))
            except RulesInvalid as exc:
                problems += _prefixed(("windows", i), exc.problems)
        rules: CampaignRules | None = None
        try:
            rules = CampaignRules.from_catalogue(_as_dict(d.get("rules") or {}, ()))
        except RulesInvalid as exc:
            problems += _prefixed(("rules",), exc.problems)
        project_ids = d.get("project_ids")
        fields = {
            "campaign_id": d.get("campaign_id", d.get("id")),
            "name": d.get("name"),
            "pool_fen": d.get("pool_fen"),
            "windows": tuple(windows),
            "rules": rules if rules is not None else CampaignRules(),
            "project_ids": tuple(project_ids) if isinstance(project_ids, list | tuple) else project_ids,
            "demo": d.get("demo", False),
            "pledge_expiry_minutes": d.get("pledge_expiry_minutes", DEFAULT_PLEDGE_EXPIRY_MINUTES),
            "programme_id": d.get("programme_id"),
        }
        if problems:
            # Report the campaign-level problems too, but not "no windows" when
            # the windows were there and merely malformed.
            try:
                cls(**fields)
            except RulesInvalid as exc:
                problems += [p for p in exc.problems if not (p.path == ("windows",) and raw_windows)]
            raise RulesInvalid(problems)
        return cls(**fields)

    def to_catalogue(self) -> dict[str, Any]:
        return _fields_to_catalogue(self)


# ---- where a problem is, in the editors' words -------------------------------

#: Every declared field's catalogue name -> the name editors write (pool_fen -> pool).
_CONTENT_NAMES = {
    f.name: content_name(f) for cls in (Campaign, CampaignRules, Tier, TeamBonus, Window) for f in content_fields(cls)
} | {"campaign_id": "id"}


def content_path(path: Path) -> Path:
    """A problem's path into the catalogue, as a path into the campaign's YAML file."""
    return tuple(_CONTENT_NAMES.get(p, p) if isinstance(p, str) else p for p in path)


# ---- parsing helpers ---------------------------------------------------------


def _as_dict(value: Any, path: Path) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RulesInvalid([RuleProblem(path, "rules.type", "这里应当是一个映射（键: 值）", "expected a mapping here")])
    return value


def _only_keys(d: dict[str, Any], allowed: set[str], path: Path) -> None:
    unknown = sorted(set(d) - allowed)
    if unknown:
        raise RulesInvalid(
            [
                RuleProblem(
                    path + (key,),
                    "rules.unknown_key",
                    f"不认识的字段 {key}（可用：{'、'.join(sorted(allowed))}）",
                    f"unknown field {key} (allowed: {', '.join(sorted(allowed))})",
                )
                for key in unknown
            ]
        )


def _parse_datetime(problems: list[RuleProblem], path: Path, value: Any) -> datetime | None:
    """ISO 8601 text or a datetime; a value without an offset is Beijing time."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            parsed = None
    else:
        parsed = None
    if parsed is None:
        problems.append(
            RuleProblem(
                path,
                "rules.window.time",
                f"无法识别的时间 {value!r}，请写成 2021-09-07T00:00:00+08:00",
                f"cannot read the time {value!r}; write 2021-09-07T00:00:00+08:00",
            )
        )
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        parsed = parsed.replace(tzinfo=SHANGHAI)
    return parsed


def _parse_wall(problems: list[RuleProblem], path: Path, value: Any, *, end_of_day: bool) -> time | None:
    """'09:00' (or a time) to a naive wall-clock time; '24:00' as an end means midnight (None)."""
    if value is None:
        return None
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        text = value.strip()
        if end_of_day and text in ("24:00", "24:00:00"):
            return None
        m = _WALL.match(text)
        if m:
            return time(int(m["h"]), int(m["m"]), int(m["s"] or 0))
    problems.append(
        RuleProblem(
            path,
            "rules.window.daily",
            f"无法识别的钟点 {value!r}，请写成 09:00",
            f"cannot read the wall-clock time {value!r}; write 09:00",
        )
    )
    return None
