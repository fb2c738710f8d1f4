"""Per-cottage pages and the paginated cottage listings, written straight to the site folder.

Why not MkDocs pages: Material renders the whole navigation and runs the full
page pipeline (Markdown, TOC, search parsing, theme template) for every page,
which costs milliseconds per page and makes 100,000 cottages take minutes
(README.md, "Facts that shaped the design"). A cottage page here is one plain string template (cottage_page.py,
every content value escaped) joined into a shell (head, header, footer) that
links the theme's own stylesheet, so it looks like the rest of the site; the
shell is built once per build. Pages are kept
out of the navigation by construction. Rendered pages are cached by a key made
from the record's source text and the names it shows, so a rebuild under
``mkdocs serve`` re-renders only what changed.

Search: a cottage is not indexed one by one. Each township listing page goes
into the search index with the ids it lists (about 10 bytes per cottage), so
searching an id or a township finds the listing that holds it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from markupsafe import Markup

from ..models import Cottage
from ..models.cottage import COTTAGE_STAGE_ZH, COTTAGE_STAGES, ActivityKind, Household
from . import cottage_page, fmt
from .pages import TEMPLATES, light_environment
from .published import Published, listing_url

PAGE_SIZE = 500
ROOT = "\x00root\x00"  # stands for a listing page's relative root inside cached rows

HOUSEHOLD_ZH = Household.labels()
ACTIVITY_ZH = ActivityKind.labels()


@dataclass
class Shell:
    """The parts every light page shares, with links relative to the page's depth."""

    site_name: str
    css: list[str]
    js: list[str]
    _cache: dict[int, tuple[str, str, str, str]] = field(default_factory=dict)

    def parts(self, depth: int) -> tuple[str, str, str, str]:
        """(root, head, header, footer) for a page ``depth`` folders below the site root."""
        if depth not in self._cache:
            root = "../" * depth
            links = "".join(f'<link rel="stylesheet" href="{root}{c}">' for c in self.css)
            head = ('<!doctype html>\n<html lang="zh-CN" class="no-js"><head><meta charset="utf-8">'
                    '<meta name="viewport" content="width=device-width,initial-scale=1">'
                    f'<meta name="robots" content="noindex,follow">'
                    f'<link rel="icon" href="{root}assets/qingyi/logo.svg"><meta name="theme-color" content="#283593">{links}')
            header = ('<a href="#main" class="md-skip">跳到正文</a>'
                      '<header class="md-header md-header--shadow" data-md-component="header">'
                      '<nav class="md-header__inner md-grid" aria-label="页眉">'
                      f'<a href="{root}" class="md-header__button md-logo qy-home" aria-label="{escape(self.site_name)} 首页">'
                      f'<img src="{root}assets/qingyi/logo.svg" alt="" width="32" height="32"></a>'
                      '<div class="md-header__title"><div class="md-header__ellipsis"><div class="md-header__topic">'
                      f'<span class="md-ellipsis">{escape(self.site_name)} · 希望小屋</span></div></div></div></nav></header>')
            scripts = "".join(f'<script src="{root}{j}" defer></script>' for j in self.js)
            footer = ('<footer class="md-footer"><div class="md-footer-meta md-typeset"><div class="md-footer-meta__inner md-grid">'
                      f'<p class="qy-footer qy-footer__links"><a href="{root}about/">关于我们与联系方式</a> · '
                      f'<a href="{root}privacy/">隐私声明</a> · <a href="{root}data/">开放数据</a> · '
                      f'<a href="{root}cottages/">全部希望小屋</a></p>'
                      f'</div></div></footer>{scripts}</body></html>\n')
            self._cache[depth] = (root, Markup(head), Markup(header), Markup(footer))
        return self._cache[depth]


def theme_css(theme_dirs: list[str]) -> list[str]:
    """The Material stylesheets (hashed names) as site-relative paths, found in the theme folder."""
    out = []
    for d in theme_dirs:
        folder = Path(d, "assets", "stylesheets")
        if folder.is_dir():
            for prefix in ("main.", "palette."):
                out += sorted(f"assets/stylesheets/{p.name}" for p in folder.glob(f"{prefix}*.min.css"))
            if out:
                break
    return out


def _template_version() -> str:
    h = hashlib.sha1()
    h.update(Path(cottage_page.__file__).read_bytes())
    h.update((TEMPLATES / "listing.html.j2").read_bytes())
    return h.hexdigest()


@dataclass
class CottageCache:
    """The key of every cottage page written, kept between builds of one process (``mkdocs serve --dirty``)."""

    pages: dict[str, str] = field(default_factory=dict)  # id -> key
    rows: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (key, listing row with a root marker)
    listings: dict[str, str] = field(default_factory=dict)  # listing url -> digest of the html written
    site_dir: str = ""
    hits: int = 0
    misses: int = 0

    def forget_if_cleaned(self, site_dir: Path) -> None:
        """A clean build empties the site folder: then nothing cached is on disk any more."""
        probe = next(iter(self.pages), None)
        if self.site_dir != str(site_dir) or (probe and not (site_dir / "cottages" / f"{probe}.html").is_file()):
            self.pages.clear()
            self.listings.clear()
        self.site_dir = str(site_dir)


class CottageWriter:
    def __init__(self, site: Published, site_dir: Path, shell: Shell, cache: CottageCache | None = None,
                 digests: dict[tuple[str, str], str] | None = None) -> None:
        self.digests = digests or {}
        self.site = site
        self.site_dir = site_dir
        self.shell = shell
        self.cache = cache if cache is not None else CottageCache()
        env = light_environment()
        self.list_t = env.get_template("listing.html.j2")
        self.version = _template_version() + "".join(shell.css) + "".join(shell.js) + site.api_url
        self.written = 0
        self._cottage_dir = ""  # "<site>/cottages/" once made
        self._lines: dict[tuple[str, Any], str] = {}
        self._keys: dict[str, str] = {}

    # ---- one page per cottage -------------------------------------------------

    def _names(self, c: Cottage) -> tuple[str, str, str]:
        s = self.site
        batch = s.batches[c.batch].name if c.batch and c.batch in s.batches else ""
        project = s.projects[c.project].name if c.project and c.project in s.projects else ""
        team = s.org_name(c.team) if c.team else ""
        return batch, project, team

    def key(self, c: Cottage, source_key: str) -> str:
        """Changes whenever the page would: the record's file, the names it shows, the template."""
        return "\x00".join((self.version, source_key, *self._names(c)))

    def _stage_line(self, name: str, day: Any) -> str:
        line = self._lines.get((name, day))
        if line is None:
            label = COTTAGE_STAGE_ZH[name]
            line = (f'<li class="qy-reached">{label}：<time datetime="{day.isoformat()}">{fmt.date(day)}</time></li>'
                    if day is not None else f"<li>{label}（未到）</li>")
            self._lines[(name, day)] = line
        return line

    def render_cottage(self, c: Cottage) -> str:
        """One page. The repeated pieces (stage lines, dates, money) are made once per build and reused."""
        batch, project, team = self._names(c)
        root, head, header, footer = self.shell.parts(1)
        stages = c.stages
        current = self.site.stage_of.get(c.id) if c.id in self.site.stage_of else c.stage
        stage_lines = "\n".join(self._stage_line(name, getattr(stages, name)) for name in COTTAGE_STAGES)
        return cottage_page.render(
            c=c, head=head, header=header, footer=footer, root=root, site_name=self.shell.site_name,
            stage=COTTAGE_STAGE_ZH[current] if current else "摸排中", stage_lines=stage_lines, batch=batch,
            project=project, team=team, cost=fmt.money(c.cost) if c.cost else "", day_text=fmt.date,
            activity_zh=ACTIVITY_ZH, households="、".join(HOUSEHOLD_ZH[h] for h in c.household),
            township_url=listing_url("township", c.township), api_url=self.site.api_url,
        )

    def write(self, url: str, html: str) -> None:
        folder = self.site_dir / unquote(url)
        os.makedirs(folder, exist_ok=True)
        with open(folder / "index.html", "w", encoding="utf-8") as fh:
            fh.write(html)
        self.written += 1

    def write_page(self, cid: str, html: str) -> None:
        """cottages/<id>.html: one file, no folder (creating 100,000 folders costs more than the pages)."""
        if not self._cottage_dir:
            os.makedirs(self.site_dir / "cottages", exist_ok=True)
            self._cottage_dir = os.path.join(self.site_dir, "cottages", "")
        fd = os.open(f"{self._cottage_dir}{cid}.html", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, html.encode("utf-8"))
        finally:
            os.close(fd)
        self.written += 1

    def write_one(self, c: Cottage, source_key: str) -> str:
        """Render and write one cottage page; return its key (what the content workers call)."""
        key = self.key(c, source_key)
        self.write_page(c.id, self.render_cottage(c))
        return key

    def write_cottages(self, prerendered: dict[str, str] | None = None) -> int:
        """Write every cottage page not already written with the same key; return how many were written."""
        s = self.site
        prerendered = prerendered or {}
        self.cache.forget_if_cleaned(self.site_dir)
        pages = self.cache.pages
        written = 0
        self._keys = {}
        for cid in s.cottage_ids:
            c = s.cottages[cid]
            key = self.key(c, self.digests.get((Cottage.KIND, cid)) or c.model_dump_json())
            self._keys[cid] = key
            if prerendered.get(cid) == key or pages.get(cid) == key:
                self.cache.hits += 1
                pages[cid] = key
                continue
            self.cache.misses += 1
            self.write_page(cid, self.render_cottage(c))
            pages[cid] = key
            written += 1
        live = set(s.cottage_ids)
        for gone in [k for k in pages if k not in live]:
            del pages[gone]
            self.cache.rows.pop(gone, None)
            (self.site_dir / "cottages" / f"{gone}.html").unlink(missing_ok=True)
        return written


    # ---- paginated listings -----------------------------------------------------

    def facets(self) -> Iterator[tuple[str, str, str, list[str]]]:
        """(facet, value, title, ids) for every listing."""
        s = self.site
        yield "all", "", "全部希望小屋", s.cottage_ids
        for t in s.townships:
            yield "township", t, f"{t}的希望小屋", s.by_township[t]
        for st in s.stages:
            yield "stage", st, f"阶段：{COTTAGE_STAGE_ZH[st]}", s.by_stage[st]
        for b in sorted(s.by_batch):
            name = s.batches[b].name if b in s.batches else b
            yield "batch", b, f"{name}的希望小屋", s.by_batch[b]

    def row(self, cid: str) -> str:
        """The cottage's listing row, with ROOT where the page's relative root goes (same row on every listing)."""
        key = self._keys.get(cid, "")
        hit = self.cache.rows.get(cid)
        if hit and key and hit[0] == key:
            return hit[1]
        c = self.site.cottages[cid]
        current = self.site.stage_of.get(cid)
        stage = COTTAGE_STAGE_ZH[current] if current else "摸排中"
        batch = self.site.batches[c.batch].name if c.batch and c.batch in self.site.batches else "—"
        badge = ' <span class="qy-example" title="示例数据">示例数据</span>' if c.example else ""
        html = (f'<tr id="{cid}"><td><a href="{ROOT}cottages/{cid}.html">{cid}</a>{badge}</td><td>{escape(c.alias)}</td>'
                f'<td>{escape(c.township)}</td><td>{c.age_band}岁</td><td>{stage}</td><td>{escape(batch)}</td></tr>')
        if key:
            self.cache.rows[cid] = (key, html)
        return html

    def write_listings(self) -> list[dict[str, str]]:
        """Write every listing page; return the search entries (township listings with their ids)."""
        entries: list[dict[str, str]] = []
        for facet, value, title, ids in self.facets():
            pages = max(1, -(-len(ids) // PAGE_SIZE))
            for page in range(1, pages + 1):
                url = listing_url(facet, value, page)
                depth = url.count("/")
                root, head, header, footer = self.shell.parts(depth)
                chunk = ids[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
                prev = (root + listing_url(facet, value, page - 1)) if page > 1 else ""
                nxt = (root + listing_url(facet, value, page + 1)) if page < pages else ""
                rows = "\n".join(self.row(cid) for cid in chunk).replace(ROOT, root)
                html = self.list_t.render(head=head, header=header, footer=footer, root=root,
                                          site_name=self.shell.site_name, title=title, total=fmt.count(len(ids)),
                                          page=page, pages=pages, prev=prev, next=nxt, rows=Markup(rows))
                digest = hashlib.sha1(html.encode("utf-8")).hexdigest()
                if self.cache.listings.get(url) != digest:  # under serve, unchanged listings stay as they are
                    self.write(url, html)
                    self.cache.listings[url] = digest
                if facet == "township":
                    entries.append({"location": url, "title": f"{title}（第{page}页）",
                                    "text": f"{value} " + " ".join(chunk)})
        return entries


def renderer(shell: Shell, staging: Path, api_url: str = "") -> Callable[[Any], Callable[[Any, str], str]]:
    """For the content workers: given the records other than cottages, a function that writes one cottage page."""

    def make(partial: Any) -> Callable[[Any, str], str]:
        writer = CottageWriter(Published(partial, api_url=api_url), staging, shell)
        return writer.write_one

    return make


def merge_staging(staging: Path, site_dir: Path) -> None:
    """Move the pages the workers wrote into the site: one rename when the site has no cottages yet."""
    staged = staging / "cottages"
    if staged.is_dir():
        target = site_dir / "cottages"
        if not target.exists() or set(os.listdir(target)) <= {"index.html"}:
            if (target / "index.html").is_file():
                os.replace(target / "index.html", staged / "index.html")
            if target.exists():
                os.rmdir(target)
            os.rename(staged, target)
        else:
            for name in os.listdir(staged):
                os.replace(staged / name, target / name)
    shutil.rmtree(staging, ignore_errors=True)
