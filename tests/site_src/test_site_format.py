"""Money, counts and dates in Chinese (Babel), and chart geometry."""

from __future__ import annotations

import datetime as dt
import re

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
    assert 'width="120"' in svg and 'role="img"' in svg and "完成 33%" in svg


@pytest.mark.parametrize("start,target,href", [
    ("programmes/laiwu/", "projects/x/", "../../projects/x/"), ("", "data/", "data/"),
    ("cottages/", "", "../"), ("data/", "data/x.csv", "x.csv"),
])
def test_relative_links(start: str, target: str, href: str) -> None:
    assert rel(start, target) == href


# ---- charts read on a phone: nothing past the drawing, nothing under MIN_FONT ----------------------

LONG = "摸排（建档立卡、低保、残疾家庭、单亲家庭、孤儿以及其他困境儿童家庭，由各镇街团委和少先队逐户核实登记）"


def _texts(svg: str) -> list[tuple[float, float, str, str, bool]]:
    """(x, font size, anchor, the drawn lines joined, has its own <title>) for every <text> of a chart."""
    import re

    out = []
    for m in re.finditer(r'<text x="([\d.]+)" y="[\d.]+" font-size="(\d+)"( text-anchor="(\w+)")?[^>]*>(.*?)</text>', svg):
        body = m.group(5)
        lines = re.findall(r"<tspan[^>]*>(.*?)</tspan>", body)
        out.append((float(m.group(1)), float(m.group(2)), m.group(4) or "start", "\n".join(lines), "<title>" in body))
    return out


def _charts() -> dict[str, str]:
    return {
        "bars": charts.bars("资金来源", [charts.Bar(LONG, 5, "¥260,600"), charts.Bar("网络众筹", 9, "¥998,500")]),
        "funnel": charts.funnel("漏斗", [(LONG, 300, "300余"), ("筛选（单亲、孤儿、能腾出一间房）", None, "公报未公布人数")]),
        "timeline": charts.timeline("七个阶段", [("项目征集", "2021年3月1日"), (LONG, ""), ("组织督导", "")], "项目征集"),
        "structure": charts.structure("1+4+N", "临海市志愿者协会", ["临海市新时代文明实践志愿服务总队（理论宣讲）", "短", "平安志愿者", "救援"],
                                      "2,300支注册志愿服务队"),
    }


@pytest.mark.parametrize("kind", ["bars", "funnel", "timeline", "structure"])
def test_chart_labels_stay_inside_the_drawing_and_readable(kind: str) -> None:
    svg = _charts()[kind]
    texts = _texts(svg)
    assert texts
    for x, size, anchor, lines, _ in texts:
        assert size >= charts.MIN_FONT, (kind, size, lines)
        for line in lines.split("\n"):
            w = charts.text_width(line, size)
            left = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
            assert left >= -0.01 and left + w <= charts.WIDTH + 0.01, (kind, line, left, w)


@pytest.mark.parametrize("kind", ["bars", "funnel", "timeline"])
def test_a_cut_label_keeps_its_full_text_in_a_title(kind: str) -> None:
    svg = _charts()[kind]
    cut = [t for t in _texts(svg) if t[3].endswith("…")]
    assert cut, "the long label should not fit"
    assert all(t[4] for t in cut)
    assert f"<title>{LONG}" in svg or f"<title>{LONG}：" in svg


def test_wrap_breaks_then_cuts() -> None:
    lines, cut = charts.wrap("一二三四五六七八九十", 10, 40)
    assert lines == ["一二三四", "五六七…"] and cut
    assert charts.wrap("短", 14, 100) == (["短"], False)


def test_money_over_time_is_a_running_total_in_and_out() -> None:
    svg = charts.cumulative("累计", [("累计筹得", charts.FILL, [(dt.date(2021, 12, 23), 177_930_000)]),
                                    ("累计支出", charts.ACCENT, [(dt.date(2020, 12, 31), 40_070_000),
                                                             (dt.date(2021, 6, 30), 91_330_000)])],
                            dt.date(2020, 6, 1), dt.date(2021, 12, 23), fmt.money)
    assert svg.count('class="qy-line"') == 2
    assert 'data-value="177930000"' in svg and 'data-value="91330000"' in svg
    assert "2021-06-30 累计 ¥913,300" in svg  # the text alternative says every step
    assert all(size >= charts.MIN_FONT for _, size, *_ in _texts(svg))


def test_the_structure_diagram_lines_run_between_boxes_not_across_them() -> None:
    svg = charts.structure("1+4+N", "临海市志愿者协会", ["临海市平安治理志愿服务组织", "临海市理论宣传志愿服务组织",
                                                         "临海市文明实践志愿服务组织", "临海市便民助困志愿服务组织"], "687支注册志愿服务队")
    rects = [tuple(float(v) for v in m) for m in re.findall(r'<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"', svg)]
    lines = [tuple(float(v) for v in m) for m in re.findall(r'<line x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="([\d.]+)"', svg)]
    assert len(rects) == 6 and lines
    for x1, y1, x2, y2 in lines:
        for k in range(1, 20):  # points along the line, its ends excluded, stay outside every box
            px, py = x1 + (x2 - x1) * k / 20, y1 + (y2 - y1) * k / 20
            assert not any(rx + 0.5 < px < rx + w - 0.5 and ry + 0.5 < py < ry + h - 0.5 for rx, ry, w, h in rects), (x1, y1, x2, y2)
    # a two-line name is split evenly, never one character left on the second line
    body = re.findall(r"<tspan[^>]*>(.*?)</tspan>", svg)
    assert "临海市平安治理" in body and "志愿服务组织" in body, body
