"""Images made at build time for sharing: a share card per project and team, a poster per team, the favicon.

Why PNG made here: WeChat (where most links to these pages are opened) shows a page's thumbnail only
from an image in the page or its ``og:image``; it does not render SVG, and a team captain needs a
poster to post in a group, with a QR code that opens the team page. Everything drawn is from content
(names, goals, recorded progress) and the page's own URL; nothing about a child or a donor.

Text needs a CJK font from the machine (fonts-wqy-microhei on Debian, or Noto CJK): found with
``fc-match`` or in the usual folders; without one the build stops and says which package to install.
Images are cached per process by everything they show, so ``mkdocs serve`` redraws only what changed.
"""

from __future__ import annotations

import glob
import io
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import segno
from mkdocs.exceptions import PluginError
from PIL import Image, ImageDraw, ImageFont

from . import fmt
from .published import Published, url_of

INDIGO = (40, 53, 147)
TRACK = (232, 234, 246)
ORANGE = (255, 111, 0)
INK = (26, 26, 26)
GREY = (60, 60, 60)
WHITE = (255, 255, 255)

CARD = (1200, 630)  # the size og:image consumers (WeChat, Weibo, link previews) crop least
POSTER = (750, 1334)  # a phone screen at 2x: the size people save and forward
FONT_GLOBS = ("/usr/share/fonts/**/wqy-microhei.ttc", "/usr/share/fonts/**/wqy-zenhei.ttc",
              "/usr/share/fonts/**/NotoSansCJK-Regular.ttc", "/usr/share/fonts/**/NotoSansSC-Regular.*",
              "/usr/share/fonts/**/SourceHanSans*.ttc")
FONT_MISSING = ("找不到中文字体，无法生成分享图片和海报。请安装：sudo apt-get install -y fonts-wqy-microhei / "
                "no CJK font found for the share images and posters; install one: "
                "sudo apt-get install -y fonts-wqy-microhei")


SITE_CARD = "share/site.png"  # the card of every page without one of its own (overrides/main.html)


def share_url(kind: str, rid: str) -> str:
    """Where a record's share card is published (site-relative)."""
    return f"share/{kind}s/{rid}.png"


def poster_url(team_id: str) -> str:
    return f"share/teams/{team_id}-poster.png"


@cache
def font_path() -> str:
    """A font file with Chinese glyphs, or PluginError with the package to install."""
    if shutil.which("fc-match"):
        try:
            found = subprocess.run(["fc-match", "-f", "%{file}", ":lang=zh-cn"], capture_output=True, text=True,
                                   timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            found = ""
        if found and _has_cjk(found):
            return found
    for pattern in FONT_GLOBS:
        for path in sorted(glob.glob(pattern, recursive=True)):
            if _has_cjk(path):
                return path
    raise PluginError(FONT_MISSING)


def _has_cjk(path: str) -> bool:
    try:
        font = ImageFont.truetype(path, 20)
    except OSError:
        return False
    return font.getmask("益").getbbox() is not None and font.getbbox("益") != font.getbbox("\uffff")


@cache
def _font(size: int) -> Any:
    return ImageFont.truetype(font_path(), size)


def _fit(draw: ImageDraw.ImageDraw, text: str, size: int, width: int, lines: int = 2) -> list[str]:
    """``text`` in at most ``lines`` lines of ``width`` px, the last ending in "…" if it had to be cut."""
    font = _font(size)
    out: list[str] = []
    rest = text
    while rest and len(out) < lines:
        n = len(rest)
        while n > 1 and draw.textlength(rest[:n], font=font) > width:
            n -= 1
        if n < len(rest) and len(out) == lines - 1:
            while n > 1 and draw.textlength(rest[:n] + "…", font=font) > width:
                n -= 1
            out.append(rest[:n] + "…")
            break
        out.append(rest[:n])
        rest = rest[n:]
    return out


def mark(size: int) -> Image.Image:
    """The site's mark (site_src/assets/logo.svg: a house with a heart on indigo), drawn at ``size`` px."""
    s = size / 64
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((0, 0, size - 1, size - 1), radius=14 * s, fill=INDIGO)
    d.polygon([(32 * s, 10 * s), (8 * s, 30 * s), (15 * s, 30 * s), (15 * s, 52 * s), (49 * s, 52 * s),
               (49 * s, 30 * s), (56 * s, 30 * s)], fill=WHITE)
    r = 6.5 * s  # the heart: two circles and a triangle
    d.ellipse((25.5 * s - r, 32 * s - r, 25.5 * s + r, 32 * s + r), fill=ORANGE)
    d.ellipse((38.5 * s - r, 32 * s - r, 38.5 * s + r, 32 * s + r), fill=ORANGE)
    d.polygon([(19.4 * s, 34.5 * s), (44.6 * s, 34.5 * s), (32 * s, 47 * s)], fill=ORANGE)
    return img


def favicon_ico() -> bytes:
    out = io.BytesIO()
    mark(64).save(out, format="ICO", sizes=[(16, 16), (32, 32), (48, 48), (64, 64)])
    return out.getvalue()


QR_BORDER = 2  # quiet zone, in modules (scanners want at least 2 on a white background)


def qr_scale(url: str, size: int) -> int:
    """Pixels per module so the code, its quiet zone included, fits ``size`` px with whole-pixel modules."""
    width, _ = segno.make(url, error="m").symbol_size(scale=1, border=QR_BORDER)
    return max(int(size // width), 1)


def _qr(url: str, size: int) -> Image.Image:
    """The QR code of ``url``, whole-pixel modules (crisp for scanners), centred on white ``size`` x ``size``."""
    scale = qr_scale(url, size)
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=scale, border=QR_BORDER)
    buf.seek(0)
    code = Image.open(buf).convert("RGB")
    canvas = Image.new("RGB", (size, size), WHITE)
    canvas.paste(code, ((size - code.width) // 2, (size - code.height) // 2))
    return canvas


def _png(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.convert("RGB").save(out, format="PNG", optimize=True)
    return out.getvalue()


def _progress(d: ImageDraw.ImageDraw, box: tuple[int, int, int, int], value: int, goal: int) -> None:
    x0, y0, x1, y1 = box
    d.rounded_rectangle(box, radius=(y1 - y0) // 2, fill=TRACK, outline=INDIGO, width=2)
    if goal > 0 and value > 0:
        w = int((x1 - x0) * min(value, goal) / goal)
        d.rounded_rectangle((x0, y0, x0 + max(w, y1 - y0), y1), radius=(y1 - y0) // 2, fill=INDIGO)


@dataclass(frozen=True)
class Card:
    """What one share card shows."""

    title: str
    subtitle: str
    value: int  # fen reached at build time
    goal: int  # fen
    figures: str  # e.g. '已筹 ¥1,779,300 / 目标 ¥1,800,000（98%）'
    url: str  # the absolute page URL the QR code opens


def card_png(c: Card) -> bytes:
    img = Image.new("RGB", CARD, WHITE)
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, CARD[0], 14), fill=INDIGO)
    img.paste(mark(96), (64, 60), mark(96))
    d.text((180, 78), "青益 · 青年公益，公开透明", font=_font(34), fill=INDIGO)
    y = 200
    for line in _fit(d, c.title, 60, 700):
        d.text((64, y), line, font=_font(60), fill=INK)
        y += 76
    for line in _fit(d, c.subtitle, 30, 700, lines=1):
        d.text((64, y + 6), line, font=_font(30), fill=GREY)
    if c.goal > 0:
        _progress(d, (64, 470, 800, 510), c.value, c.goal)
    d.text((64, 530), c.figures, font=_font(32), fill=INK)
    qr = _qr(c.url, 300)
    img.paste(qr, (850, 150))
    d.text((1000, 470), "扫码查看和认捐", font=_font(28), fill=GREY, anchor="ma")
    return _png(img)


def poster_png(c: Card, captain: str, campaign: str) -> bytes:
    W, H = POSTER
    img = Image.new("RGB", POSTER, WHITE)
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, W, 300), fill=INDIGO)
    d.rounded_rectangle((W // 2 - 68, 32, W // 2 + 68, 168), radius=24, fill=WHITE)
    img.paste(mark(120), (W // 2 - 60, 40), mark(120))
    d.text((W // 2, 190), "青益 · 网上战队", font=_font(44), fill=WHITE, anchor="ma")
    y = 350
    for line in _fit(d, c.title, 56, W - 100):
        d.text((W // 2, y), line, font=_font(56), fill=INK, anchor="ma")
        y += 72
    for line in _fit(d, c.subtitle, 30, W - 100):
        d.text((W // 2, y + 4), line, font=_font(30), fill=GREY, anchor="ma")
        y += 42
    for line in _fit(d, campaign, 28, W - 100, lines=1):
        d.text((W // 2, y + 10), line, font=_font(28), fill=GREY, anchor="ma")
    _progress(d, (80, 640, W - 80, 676), c.value, c.goal)
    d.text((W // 2, 696), c.figures, font=_font(32), fill=INK, anchor="ma")
    qr = _qr(c.url, 420)
    img.paste(qr, (W // 2 - 210, 770))
    d.text((W // 2, 1210), "长按或扫码，为战队助力", font=_font(36), fill=INDIGO, anchor="ma")
    d.text((W // 2, 1262), f"队长：{captain}", font=_font(28), fill=GREY, anchor="ma")
    return _png(img)


_CACHE: dict[Any, bytes] = {}


def _cached(key: Any, make: Any) -> bytes:
    if key not in _CACHE:
        if len(_CACHE) > 2000:
            _CACHE.clear()
        _CACHE[key] = make()
    return _CACHE[key]


def _figures(value: int, goal: int, label: str = "已筹") -> str:
    return f"{label} {fmt.money(value)} / 目标 {fmt.money(goal)}（{fmt.percent(value, goal)}）"


def cards(site: Published, site_url: str) -> Sequence[tuple[str, Card]]:
    """(site-relative image URL, card) for every project and team."""
    base = site_url.rstrip("/") + "/"
    out: list[tuple[str, Card]] = [(SITE_CARD, Card("青益：青年公益，公开透明", "希望小屋 · 志愿服务项目认领 · 青年益创行动", 0, 0,
                                                     "钱从哪里来、花到哪里去，逐笔公开", base))]
    for pid, p in sorted(site.projects.items()):
        programme = site.programmes.get(p.programme)
        out.append((share_url("project", pid), Card(p.name, programme.name if programme else "", p.raised_fen, p.goal,
                                                    _figures(p.raised_fen, p.goal), base + url_of("project", pid))))
    for tid, t in sorted(site.teams.items()):
        project = site.projects.get(t.project)
        # A team's money is counted live by the pledge API; at build time only its goal is known.
        out.append((share_url("team", tid), Card(t.name, f"为“{project.name if project else t.project}”筹款", 0, t.target,
                                                 f"战队目标 {fmt.money(t.target)}", base + url_of("team", tid))))
    return out


def files(site: Published, site_url: str) -> list[tuple[str, bytes]]:
    """Every image, as (site-relative URL, PNG/ICO bytes)."""
    out = [("favicon.ico", _cached("favicon", favicon_ico))]
    made = cards(site, site_url)
    for uri, card in made:
        out.append((uri, _cached(("card", card), lambda card=card: card_png(card))))
    by_uri = dict(made)
    for tid, t in sorted(site.teams.items()):
        card = by_uri[share_url("team", tid)]
        campaign = site.campaigns[t.campaign].name if t.campaign in site.campaigns else ""
        out.append((poster_url(tid), _cached(("poster", card, t.captain_alias, campaign),
                                             lambda c=card, a=t.captain_alias, n=campaign: poster_png(c, a, n))))
    return out
