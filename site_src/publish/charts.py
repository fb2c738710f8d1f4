"""Inline SVG made at build time: progress bars, bar charts, a funnel, timelines, the 1+4+N diagram.

Every chart works without JavaScript and prints. Each carries ``role="img"``,
a <title> and a <desc> that say the same figures in words (its text
alternative), and every bar carries ``data-value`` so tests and scripts can
read the number it stands for. Bar widths are ``value / max * WIDTH`` rounded
to 0.01 of a pixel.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 600  # drawing width of the bar area, in SVG user units
FILL = "#283593"  # indigo 800: 10:1 against white, 7:1 against the track
TRACK = "#e8eaf6"
TEXT = "#1a1a1a"
ACCENT = "#00695c"  # teal 800 for matched money

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


def _open(kind: str, height: int, title: str, desc: str, width: int = WIDTH + 220) -> tuple[str, str]:
    tid, did = _id("t"), _id("d")
    head = (f'<svg class="qy-chart qy-{kind}" role="img" aria-labelledby="{tid} {did}" '
            f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
            f'xmlns="http://www.w3.org/2000/svg">'
            f'<title id="{tid}">{escape(title)}</title><desc id="{did}">{escape(desc)}</desc>')
    return head, "</svg>"


def progress(value: int, goal: int, label: str, *, extra: int = 0, extra_label: str = "",
             value_text: str = "", goal_text: str = "") -> str:
    """A progress bar: ``value`` of ``goal`` (optionally with ``extra`` drawn in a second colour)."""
    pct = 0 if goal <= 0 else value * 100 // goal
    desc = f"{label}：已达成 {value_text or value}，目标 {goal_text or goal}，完成 {pct}%"
    if extra:
        desc += f"，其中{extra_label}"
    head, tail = _open("progress", 40, label, desc, width=WIDTH)
    w_all = bar_width(value, goal)
    w_extra = bar_width(min(extra, value), goal)
    parts = [head,
             f'<rect class="qy-track" x="0" y="8" width="{WIDTH}" height="24" rx="4" fill="{TRACK}" '
             f'stroke="{FILL}" stroke-width="1"/>',
             f'<rect class="qy-bar" x="0" y="8" width="{_w(w_all)}" height="24" rx="4" fill="{FILL}" '
             f'data-value="{value}" data-max="{goal}"/>']
    if extra:
        parts.append(f'<rect class="qy-bar-extra" x="{_w(w_all - w_extra)}" y="8" width="{_w(w_extra)}" height="24" '
                     f'fill="{ACCENT}" data-value="{extra}"/>')
    parts.append(tail)
    return "".join(parts)


@dataclass
class Bar:
    label: str
    value: int
    text: str  # the value as shown (e.g. '¥260,600')


def bars(title: str, items: Sequence[Bar], *, maximum: int | None = None, unit_note: str = "") -> str:
    """Horizontal bars, one per item, scaled to the largest (or ``maximum``)."""
    top = maximum if maximum is not None else max((b.value for b in items), default=0)
    row = 34
    height = row * len(items) + 8
    desc = f"{title}{unit_note}：" + "；".join(f"{b.label} {b.text}" for b in items)
    head, tail = _open("bars", height, title, desc)
    out = [head]
    for i, b in enumerate(items):
        y = 4 + i * row
        out.append(f'<text x="0" y="{y + 19}" font-size="14" fill="{TEXT}">{escape(_short(b.label, 12))}</text>'
                   f'<rect class="qy-track" x="180" y="{y + 2}" width="{WIDTH - 180}" height="24" fill="{TRACK}"/>'
                   f'<rect class="qy-bar" x="180" y="{y + 2}" width="{_w(bar_width(b.value, top, WIDTH - 180))}" '
                   f'height="24" fill="{FILL}" data-value="{b.value}" data-max="{top}"/>'
                   f'<text x="{WIDTH + 8}" y="{y + 19}" font-size="14" fill="{TEXT}">{escape(b.text)}</text>')
    out.append(tail)
    return "".join(out)


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def funnel(title: str, steps: Sequence[tuple[str, int | None, str]]) -> str:
    """Centred bars narrowing step by step; a step without a published count is drawn dashed."""
    known = [c for _, c, _ in steps if c]
    top = max(known, default=1)
    row = 40
    height = row * len(steps) + 8
    desc = f"{title}：" + " → ".join(f"{label} {text}" for label, _, text in steps)
    head, tail = _open("funnel", height, title, desc)
    out = [head]
    for i, (label, value, text) in enumerate(steps):
        y = 4 + i * row
        if value:
            w = bar_width(value, top)
            out.append(f'<rect class="qy-bar" x="{_w((WIDTH - w) / 2)}" y="{y}" width="{_w(w)}" height="30" '
                       f'fill="{FILL}" data-value="{value}" data-max="{top}"/>')
        else:
            out.append(f'<rect class="qy-unknown" x="{WIDTH * 0.2:.0f}" y="{y}" width="{WIDTH * 0.6:.0f}" height="30" '
                       f'fill="none" stroke="{FILL}" stroke-dasharray="6 4"/>')
        out.append(f'<text x="{WIDTH + 8}" y="{y + 20}" font-size="14" fill="{TEXT}">'
                   f'{escape(_short(label, 10))} {escape(text)}</text>')
    out.append(tail)
    return "".join(out)


def timeline(title: str, stages: Sequence[tuple[str, str]], current: str | None) -> str:
    """Stages left to right; every stage up to ``current`` is filled. ``stages`` are (name, date text)."""
    n = len(stages)
    step = WIDTH / max(n - 1, 1)
    reached_upto = -1
    for i, (name, _) in enumerate(stages):
        if name == current:
            reached_upto = i
    names = [s[0] for s in stages]
    desc = f"{title}：" + "，".join(f"{name}{'（' + d + '）' if d else '（未到）'}" for name, d in stages)
    if current:
        desc += f"。当前阶段：{current}"
    head, tail = _open("timeline", 92, title, desc, width=WIDTH + 80)
    out = [head, f'<line x1="40" y1="30" x2="{_w(40 + step * (n - 1))}" y2="30" stroke="{FILL}" stroke-width="2"/>']
    for i, (name, d) in enumerate(stages):
        x = 40 + step * i
        done = i <= reached_upto
        out.append(f'<circle cx="{_w(x)}" cy="30" r="9" fill="{FILL if done else "#ffffff"}" stroke="{FILL}" '
                   f'stroke-width="2" data-reached="{str(done).lower()}"/>'
                   f'<text x="{_w(x)}" y="58" font-size="13" text-anchor="middle" fill="{TEXT}">{escape(name)}</text>'
                   f'<text x="{_w(x)}" y="78" font-size="11" text-anchor="middle" fill="{TEXT}">{escape(d or "")}</text>')
    del names
    out.append(tail)
    return "".join(out)


def structure(title: str, one: str, four: Sequence[str], n_label: str) -> str:
    """The 1+4+N diagram: one association, four large organisations, N teams."""
    head, tail = _open("structure", 250, title, f"{title}：1个{one}牵头；4个大型志愿组织：{'、'.join(four)}；{n_label}")
    out = [head,
           f'<rect x="260" y="4" width="300" height="44" rx="6" fill="{FILL}"/>'
           f'<text x="410" y="32" font-size="15" text-anchor="middle" fill="#ffffff">1 · {escape(one)}</text>']
    for i, name in enumerate(four):
        x = 10 + i * 205
        out.append(f'<line x1="410" y1="48" x2="{x + 95}" y2="100" stroke="{FILL}" stroke-width="2"/>'
                   f'<rect x="{x}" y="100" width="190" height="44" rx="6" fill="{TRACK}" stroke="{FILL}"/>'
                   f'<text x="{x + 95}" y="128" font-size="14" text-anchor="middle" fill="{TEXT}">{escape(_short(name, 12))}</text>'
                   f'<line x1="{x + 95}" y1="144" x2="410" y2="196" stroke="{FILL}" stroke-width="1" stroke-dasharray="4 3"/>')
    out.append(f'<rect x="220" y="196" width="380" height="44" rx="6" fill="#ffffff" stroke="{FILL}" stroke-width="2"/>'
               f'<text x="410" y="224" font-size="15" text-anchor="middle" fill="{TEXT}">N · {escape(n_label)}</text>')
    out.append(tail)
    return "".join(out)
