"""Inline SVG made at build time: progress bars, bar charts, a funnel, timelines, a cumulative chart, the 1+4+N diagram.

Every chart works without JavaScript and prints. Each carries ``role="img"``,
a <title> and a <desc> that say the same figures in words (its text
alternative), and every bar carries ``data-value`` so tests and scripts can
read the number it stands for. Bar widths are ``value / max * WIDTH`` rounded
to 0.01 of a pixel.

Why the drawing is 360 units wide: most readers open these pages on a phone,
where the content column is about 358 CSS px at a 390 px viewport. With a
360-unit viewBox one unit is about one pixel there, so text drawn at
``MIN_FONT`` (13) units is at least 12 px on screen (tests/e2e checks it). On
a wide screen the stylesheet caps a chart at ``max-width: 24rem`` (480 px) so the text
does not grow past about 1.35 times. Labels never run past the drawing: they
wrap onto a second line and, when even two lines are not enough, end in "…"
with the full text in a <title> of their own (a tooltip and the accessible
name). Widths are estimated per character: CJK and full-width 1 em, others
0.6 em, which over-estimates Latin digits slightly (wider is the safe side).
"""

from __future__ import annotations

import datetime as dt
import itertools
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 360  # drawing width, in SVG user units (≈ CSS px on a 390 px phone)
MIN_FONT = 13  # the smallest text drawn, in units
FONT = 14  # labels
FILL = "#283593"  # indigo 800: 10:1 against white, 7:1 against the track
TRACK = "#e8eaf6"
TEXT = "#1a1a1a"
ACCENT = "#00695c"  # teal 800 for matched money and spending

_ids = itertools.count(1)


def _id(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}"


def reset_ids() -> None:
    """Ids restart per page so pages are reproducible build to build."""
    global _ids
    _ids = itertools.count(1)


def bar_width(value: int, maximum: int, width: int = WIDTH) -> float:
    if maximum <= 0 or value <= 0:
        return 0.0
    return round(min(value, maximum) * width / maximum, 2)


def _w(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


# ---- text that fits ----------------------------------------------------------------

def text_width(text: str, size: float) -> float:
    """The drawn width of ``text`` at font ``size``, estimated (CJK and full-width 1 em, others 0.6 em)."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.6 for ch in text)


def wrap(text: str, size: float, width: float, lines: int = 2) -> tuple[list[str], bool]:
    """``text`` broken into at most ``lines`` lines no wider than ``width``; True when it had to be cut."""
    out: list[str] = []
    rest = text
    while rest and len(out) < lines:
        n = len(rest)
        while n > 1 and text_width(rest[:n], size) > width:
            n -= 1
        if n < len(rest) and len(out) == lines - 1:  # last line and still too long: end in an ellipsis
            while n > 1 and text_width(rest[:n] + "…", size) > width:
                n -= 1
            out.append(rest[:n] + "…")
            return out, True
        out.append(rest[:n])
        rest = rest[n:]
    return out, False


def _text(x: float, y: float, lines: Sequence[str], size: int = FONT, anchor: str = "start", full: str = "",
          fill: str = TEXT, line_height: int = 18, bold: bool = False) -> str:
    """A <text> with one <tspan> per line; ``full`` (the uncut text) becomes its <title> when it was cut."""
    spans = "".join(f'<tspan x="{_w(x)}" dy="{0 if i == 0 else line_height}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    title = f"<title>{escape(full)}</title>" if full else ""
    anchor_attr = f' text-anchor="{anchor}"' if anchor != "start" else ""
    weight = ' font-weight="700"' if bold else ""
    return f'<text x="{_w(x)}" y="{_w(y)}" font-size="{size}"{anchor_attr}{weight} fill="{fill}">{title}{spans}</text>'


def _label(x: float, y: float, text: str, width: float, size: int = FONT, anchor: str = "start",
           fill: str = TEXT) -> tuple[str, int]:
    """A label wrapped to ``width``: (svg, number of lines)."""
    lines, cut = wrap(text, size, width)
    return _text(x, y, lines, size, anchor, text if cut else "", fill), len(lines)


def _open(kind: str, height: float, title: str, desc: str, width: int = WIDTH) -> tuple[str, str]:
    tid, did = _id("t"), _id("d")
    head = (f'<svg class="qy-chart qy-{kind}" role="img" aria-labelledby="{tid} {did}" '
            f'viewBox="0 0 {width} {_w(height)}" width="100%" preserveAspectRatio="xMinYMin meet" '
            f'xmlns="http://www.w3.org/2000/svg">'
            f'<title id="{tid}">{escape(title)}</title><desc id="{did}">{escape(desc)}</desc>')
    return head, "</svg>"


# ---- charts ------------------------------------------------------------------------

def progress(value: int, goal: int, label: str, *, extra: int = 0, extra_label: str = "",
             value_text: str = "", goal_text: str = "") -> str:
    """A progress bar: ``value`` of ``goal`` (optionally with ``extra`` drawn in a second colour)."""
    pct = 0 if goal <= 0 else value * 100 // goal
    desc = f"{label}：已达成 {value_text or value}，目标 {goal_text or goal}，完成 {pct}%"
    if extra:
        desc += f"，其中{extra_label}"
    head, tail = _open("progress", 28, label, desc)
    w_all = bar_width(value, goal)
    w_extra = bar_width(min(extra, value), goal)
    parts = [head,
             f'<rect class="qy-track" x="0.5" y="2" width="{WIDTH - 1}" height="24" rx="4" fill="{TRACK}" '
             f'stroke="{FILL}" stroke-width="1"/>',
             f'<rect class="qy-bar" x="0" y="2" width="{_w(w_all)}" height="24" rx="4" fill="{FILL}" '
             f'data-value="{value}" data-max="{goal}"/>']
    if extra:
        parts.append(f'<rect class="qy-bar-extra" x="{_w(w_all - w_extra)}" y="2" width="{_w(w_extra)}" height="24" '
                     f'fill="{ACCENT}" data-value="{extra}"/>')
    parts.append(tail)
    return "".join(parts)


@dataclass
class Bar:
    label: str
    value: int
    text: str  # the value as shown (e.g. '¥260,600')


def bars(title: str, items: Sequence[Bar], *, maximum: int | None = None, unit_note: str = "") -> str:
    """Horizontal bars, one per item, scaled to the largest (or ``maximum``): the label and the value on a
    line above each bar (the label wraps), the bar the full width below."""
    top = maximum if maximum is not None else max((b.value for b in items), default=0)
    desc = f"{title}{unit_note}：" + "；".join(f"{b.label} {b.text}" for b in items)
    out: list[str] = []
    y = 0.0
    for b in items:
        value_w = text_width(b.text, FONT)
        label, n = _label(0, y + 15, b.label, WIDTH - value_w - 10)
        out.append(label + _text(WIDTH, y + 15, [b.text], anchor="end"))
        y += 18 * n + 2
        out.append(f'<rect class="qy-track" x="0" y="{_w(y)}" width="{WIDTH}" height="16" fill="{TRACK}"/>'
                   f'<rect class="qy-bar" x="0" y="{_w(y)}" width="{_w(bar_width(b.value, top))}" '
                   f'height="16" fill="{FILL}" data-value="{b.value}" data-max="{top}"/>')
        y += 16 + 12
    head, tail = _open("bars", y, title, desc)
    return head + "".join(out) + tail


def funnel(title: str, steps: Sequence[tuple[str, int | None, str]]) -> str:
    """Centred bars narrowing step by step, each under its label; a step without a published count is dashed."""
    known = [c for _, c, _ in steps if c]
    top = max(known, default=1)
    desc = f"{title}：" + " → ".join(f"{label} {text}" for label, _, text in steps)
    out: list[str] = []
    y = 0.0
    for label, value, text in steps:
        line, n = _label(WIDTH / 2, y + 15, f"{label}：{text}", WIDTH, anchor="middle")
        out.append(line)
        y += 18 * n + 2
        if value:
            w = bar_width(value, top)
            out.append(f'<rect class="qy-bar" x="{_w((WIDTH - w) / 2)}" y="{_w(y)}" width="{_w(w)}" height="30" '
                       f'fill="{FILL}" data-value="{value}" data-max="{top}"/>')
        else:
            out.append(f'<rect class="qy-unknown" x="{WIDTH * 0.2:.0f}" y="{_w(y + 0.5)}" width="{WIDTH * 0.6:.0f}" '
                       f'height="29" fill="none" stroke="{FILL}" stroke-dasharray="6 4"/>')
        y += 30 + 10
    head, tail = _open("funnel", y, title, desc)
    return head + "".join(out) + tail


def timeline(title: str, stages: Sequence[tuple[str, str]], current: str | None) -> str:
    """Stages top to bottom (a column reads at any width; seven stages side by side do not fit a phone);
    every stage up to ``current`` is filled. ``stages`` are (name, date text)."""
    reached_upto = -1
    for i, (name, _) in enumerate(stages):
        if name == current:
            reached_upto = i
    desc = f"{title}：" + "，".join(f"{name}{'（' + d + '）' if d else '（未到）'}" for name, d in stages)
    if current:
        desc += f"。当前阶段：{current}"
    row = 34
    n = len(stages)
    height = row * n
    head, tail = _open("timeline", height, title, desc)
    out = [head]
    if n > 1:
        out.append(f'<line x1="12" y1="{row // 2}" x2="12" y2="{row * (n - 1) + row // 2}" stroke="{FILL}" stroke-width="2"/>')
    for i, (name, d) in enumerate(stages):
        cy = row * i + row // 2
        done = i <= reached_upto
        date_text = d or "未到"
        date_w = text_width(date_text, MIN_FONT)
        out.append(f'<circle cx="12" cy="{cy}" r="9" fill="{FILL if done else "#ffffff"}" stroke="{FILL}" '
                   f'stroke-width="2" data-reached="{str(done).lower()}"/>')
        lines, cut = wrap(name, FONT, WIDTH - 34 - date_w - 8, lines=1)
        out.append(_text(32, cy + 5, lines, full=name if cut else "", bold=name == current))
        out.append(_text(WIDTH, cy + 5, [date_text], size=MIN_FONT, anchor="end", fill=TEXT if d else "#4a4a4a"))
    out.append(tail)
    return "".join(out)


def cumulative(title: str, series: Sequence[tuple[str, str, Sequence[tuple[dt.date, int]]]], start: dt.date,
               end: dt.date, money: object) -> str:
    """Running totals over time as step lines from ``start`` to ``end``: ``series`` are (name, colour, points),
    points (day, running total) in date order. ``money`` formats fen for the labels. One chart for money in and
    out says more than one bar per entry date: when the money came, and how far spending has drawn on it."""
    fmt_money = money if callable(money) else str
    days = max((end - start).days, 1)
    top = max((v for _, _, pts in series for _, v in pts), default=0) or 1
    plot_top, plot_h, legend_h = 22, 120, 20
    x0, x1 = 4.0, float(WIDTH - 6)  # room for the end points' dots

    def x(day: dt.date) -> float:
        return x0 + (x1 - x0) * min(max((day - start).days, 0), days) / days

    def y(v: int) -> float:
        return plot_top + plot_h - plot_h * v / top

    desc_parts = []
    body = [f'<line x1="0" y1="{_w(y(0))}" x2="{WIDTH}" y2="{_w(y(0))}" stroke="#4a4a4a" stroke-width="1"/>']
    for name, colour, pts in series:
        if not pts:
            continue
        path = [f"M{_w(x(start))} {_w(y(0))}"]
        last = 0
        for day, v in pts:
            path.append(f"H{_w(x(day))} V{_w(y(v))}")
            last = v
        path.append(f"H{_w(x(end))}")
        body.append(f'<path class="qy-line" d="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="3" '
                    f'data-value="{last}" data-max="{top}"/>')
        for day, v in pts:
            body.append(f'<circle cx="{_w(x(day))}" cy="{_w(y(v))}" r="3.5" fill="{colour}" data-value="{v}" '
                        f'data-date="{day.isoformat()}"/>')
        desc_parts.append(f"{name}：" + "，".join(f"{d.isoformat()} 累计 {fmt_money(v)}" for d, v in pts))
    # legend: a swatch and the name with its final total
    lx = 0.0
    legend = []
    for name, colour, pts in series:
        if not pts:
            continue
        label = f"{name} {fmt_money(pts[-1][1])}"
        legend.append(f'<rect x="{_w(lx)}" y="4" width="12" height="12" fill="{colour}"/>'
                      + _text(lx + 16, 15, [label], size=MIN_FONT))
        lx += 16 + text_width(label, MIN_FONT) + 14
    axis_y = plot_top + plot_h + 17
    axis = (_text(0, axis_y, [start.isoformat()], size=MIN_FONT)
            + _text(WIDTH, axis_y, [end.isoformat()], size=MIN_FONT, anchor="end"))
    height = plot_top + plot_h + legend_h + 4
    head, tail = _open("cumulative", height, title, f"{title}：" + "；".join(desc_parts))
    return head + "".join(legend) + "".join(body) + axis + tail


def structure(title: str, one: str, four: Sequence[str], n_label: str) -> str:
    """The 1+4+N diagram: one association on top, the four large organisations two by two, N teams below."""
    head_h, box_h, gap = 44, 44, 22
    col_w = (WIDTH - 12) / 2
    rows = (len(four) + 1) // 2
    y_four = head_h + gap
    y_n = y_four + rows * (box_h + 10) - 10 + gap
    height = y_n + box_h + 2
    head, tail = _open("structure", height, title, f"{title}：1个{one}牵头；{len(four)}个大型志愿组织：{'、'.join(four)}；{n_label}")
    out = [head, f'<rect x="1" y="1" width="{WIDTH - 2}" height="{head_h - 2}" rx="6" fill="{FILL}"/>',
           _label(WIDTH / 2, 27, f"1 · {one}", WIDTH - 16, size=15, anchor="middle", fill="#ffffff")[0]]
    # a trunk down the gap between the two columns, from the association to the N teams, and a short branch
    # to each organisation's inner side (lines to the box centres ran across the first row's boxes)
    out.append(f'<line x1="{_w(WIDTH / 2)}" y1="{head_h}" x2="{_w(WIDTH / 2)}" y2="{_w(y_n)}" stroke="{FILL}" stroke-width="1.5"/>')
    for i, name in enumerate(four):
        bx = 1 + (i % 2) * (col_w + 10)
        by = y_four + (i // 2) * (box_h + 10)
        inner = bx + col_w if i % 2 == 0 else bx
        out.append(f'<line x1="{_w(WIDTH / 2)}" y1="{_w(by + box_h / 2)}" x2="{_w(inner)}" y2="{_w(by + box_h / 2)}" '
                   f'stroke="{FILL}" stroke-width="1.5"/>'
                   f'<rect x="{_w(bx)}" y="{_w(by)}" width="{_w(col_w)}" height="{box_h}" rx="6" fill="{TRACK}" stroke="{FILL}"/>')
        lines, cut = wrap(name, MIN_FONT, col_w - 12)
        if len(lines) == 2 and not cut and " " not in name:  # two even lines, not one character left over
            half = (len(name) + 1) // 2
            lines = [name[:half], name[half:]]
        first_y = by + (27 if len(lines) == 1 else 19)
        out.append(_text(bx + col_w / 2, first_y, lines, size=MIN_FONT, anchor="middle", full=name if cut else "",
                         line_height=16))
    out.append(f'<rect x="1" y="{_w(y_n)}" width="{WIDTH - 2}" height="{box_h}" rx="6" fill="#ffffff" stroke="{FILL}" '
               f'stroke-width="2"/>')
    out.append(_label(WIDTH / 2, y_n + 27, f"N · {n_label}", WIDTH - 16, size=15, anchor="middle")[0])
    out.append(tail)
    return "".join(out)
