"""Money, counts and dates in Chinese (Babel), and chart geometry."""

from __future__ import annotations

import datetime as dt

import pytest

from site_src.publish import charts, fmt
from site_src.publish.published import rel


@pytest.mark.parametrize("fen,money,wan", [
    (177_930_000, "¥1,779,300", "177.93万元"), (26_060_000, "¥260,600", "26.06万元"), (99_850_000, "¥998,500", "99.85万元"),
    (960_000, "¥9,600", "9,600元"), (12_345, "¥123.45", "123.45元"), (100_000_000, "¥1,000,000", "100万元"),
    (0, "¥0", "0元"),
])
def test_money(fen: int, money: str, wan: str) -> None:
    assert fmt.money(fen) == money
    assert fmt.wan(fen) == wan


def test_dates_and_counts() -> None:
    assert fmt.date(dt.date(2021, 12, 23)) == "2021年12月23日"
    assert fmt.count(2300) == "2,300"
    assert fmt.figure(650, "count", "at_least") == "650余"
    assert fmt.figure(1_000_000, "yuan", "more_than") == "超过100万元"
    assert fmt.figure(4000, "attendances", "at_least") == "4,000余人次"
    assert fmt.percent(1_779_300, 1_800_000) == "98%"


def test_bar_widths_and_progress() -> None:
    assert charts.bar_width(50, 100) == charts.WIDTH / 2
    assert charts.bar_width(150, 100) == charts.WIDTH  # never past the end
    svg = charts.progress(1, 3, "进度")
    assert 'width="200"' in svg and 'role="img"' in svg and "完成 33%" in svg


@pytest.mark.parametrize("start,target,href", [
    ("programmes/laiwu/", "projects/x/", "../../projects/x/"), ("", "data/", "data/"),
    ("cottages/", "", "../"), ("data/", "data/x.csv", "x.csv"),
])
def test_relative_links(start: str, target: str, href: str) -> None:
    assert rel(start, target) == href
