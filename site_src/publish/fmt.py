"""Chinese formatting with Babel: money (¥1,779,300 and 177.93万元), counts and dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache

from babel.dates import format_date
from babel.numbers import format_compact_decimal, format_currency, format_decimal

LOCALE = "zh_CN"


def _yuan(fen: int) -> Decimal:
    return Decimal(fen) / 100


@lru_cache(maxsize=8192)
def money(fen: int | None) -> str:
    """Fen as yuan with the currency sign: 177930000 -> '¥1,779,300'; fen kept when there are any."""
    if fen is None:
        return "—"
    pattern = "¤#,##0" if fen % 100 == 0 else "¤#,##0.00"
    return format_currency(_yuan(fen), "CNY", format=pattern, locale=LOCALE, currency_digits=False)


@lru_cache(maxsize=8192)
def wan(fen: int | None) -> str:
    """Fen in the Chinese large units: 177930000 -> '177.93万元', 960000 -> '9,600元'."""
    if fen is None:
        return "—"
    yuan = _yuan(fen)
    if abs(yuan) < 10_000:
        return f"{format_decimal(yuan, format='#,##0.##', locale=LOCALE)}元"
    return f"{format_compact_decimal(yuan, locale=LOCALE, fraction_digits=2)}元"


@lru_cache(maxsize=8192)
def count(n: int | None) -> str:
    return "—" if n is None else format_decimal(n, locale=LOCALE)


@lru_cache(maxsize=8192)
def date(d: dt.date | dt.datetime | None) -> str:
    """'2021年12月23日'."""
    if d is None:
        return "—"
    if isinstance(d, dt.datetime):
        d = d.date()
    return format_date(d, format="long", locale=LOCALE)


@lru_cache(maxsize=8192)
def month(d: dt.date) -> str:
    return format_date(d, format="yyyy年M月", locale=LOCALE)


def percent(part: int, whole: int) -> str:
    """Integer percentage, rounded down: never shows 100% before the goal is reached."""
    if whole <= 0:
        return "0%"
    return f"{part * 100 // whole}%"


APPROX_ZH = {"exact": "", "at_least": "余", "more_than": "超过"}


def figure(value: int, unit: str, approx: str) -> str:
    """A bulletin figure as the bulletin says it: '300余人', '超过100万元', '¥1,779,300'."""
    if unit == "yuan":
        text = money(value * 100)
        if approx == "more_than":
            return f"超过{wan(value * 100)}"
        return text + ("余" if approx == "at_least" else "")
    suffix = {"count": "", "people": "人", "sessions": "场", "attendances": "人次", "percent": "%"}[unit]
    text = count(value)
    if approx == "at_least":
        return f"{text}余{suffix}"
    if approx == "more_than":
        return f"超过{text}{suffix}"
    return f"{text}{suffix}"
