"""One build of the site: checked content in, pages and files out. Called by the hooks."""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig

from ..pipeline import check_content, content_root
from . import disclosure_pages, share, trust
from .cottages import PAGE_SIZE, CottageWriter, Shell, merge_staging, renderer, theme_css
from .opendata import GIVING_FILE, PREFIX, OpenData
from .pages import Pages, generate
from .published import Published, listing_url, url_of
from .state import ContentFailed, State

log = logging.getLogger("mkdocs.plugins.qingyi")
ASSETS = Path(__file__).resolve().parent.parent / "assets"
EDITORS = Path(__file__).resolve().parent.parent / "docs" / "editors"


@dataclass
class Build:
    published: Published
    state: State
    site_url: str
    theme_dirs: list[str]
    site_name: str
    shell: Shell
    staging: Path | None = None
    records: int = 0
    opendata: OpenData = field(init=False)

    def __post_init__(self) -> None:
        self.opendata = OpenData(self.published, self.site_url)
        self.opendata.build()

    # ---- navigation: a handful of entries; records are reached through listings -----

    def nav(self, config: MkDocsConfig) -> list[Any]:
        s = self.published
        order = sorted(s.programmes.values(), key=lambda p: ({"crowdfunding": 0, "volunteer_claiming": 1}.get(p.kind, 2), p.id))
        nav: list[Any] = [
            {"首页": "index.md"},
            {"三个计划": [{p.short_name: f"{url_of('programme', p.id)}index.md"} for p in order]},
            {"希望小屋": [{"查找小屋": "cottages/index.md"}, {"建设批次": "batches/index.md"}]},
            {"公益日与战队": [{"公益日活动": "campaigns/index.md"}, {"战队排行": "teams/index.md"}]},
            {"需求广场": "needs/index.md"},
            {"公益创投": "ventures/index.md"},
            {"透明账本": [{p.short_name: f"{url_of('ledger', p.id)}index.md"} for p in order]},
            {"信息公开": [{p.short_name: f"{url_of('disclosure', p.id)}index.md"} for p in order]},
            {"开放数据": "data/index.md"},
        ]
        docs_dir = Path(config.docs_dir)
        editors = sorted(EDITORS.glob("*.md")) if EDITORS.is_dir() and EDITORS.parent == docs_dir else []
        if editors:
            editors.sort(key=lambda p: (p.name != "index.md", p.name))
            nav.append({"编辑指南": [f"editors/{p.name}" for p in editors]})
        return nav

    # ---- pages MkDocs renders --------------------------------------------------------

    def cottage_overview(self, pages: Pages) -> None:
        s = self.published
        pages.simple(url_of("cottages"), "cottages.md.j2", total=len(s.cottage_ids),
                     built=sum(s.built_of.values()), page_size=PAGE_SIZE, all_url=listing_url("all", ""),
                     listing=listing_url,
                     townships=[(t, len(s.by_township[t])) for t in s.townships],
                     stages=[(st, len(s.by_stage[st])) for st in s.stages],
                     batches=[(s.batches[b], len(s.by_batch[b])) for b in sorted(s.by_batch, key=lambda b: s.batches[b].deadline)
                              if b in s.batches])

    def markdown_pages(self) -> dict[str, str]:
        out = generate(self.published, self.opendata.ledger_links, self.opendata.datasets, GIVING_FILE, PREFIX,
                       self.cottage_overview)
        out.update(disclosure_pages.programme_pages(self.published, self.opendata.ledger_links))
        return out

    def asset_files(self) -> list[tuple[str, Path]]:
        # site_src/assets/live/ (the live widgets) is copied too, as assets/qingyi/live/.
        return [(f"assets/qingyi/{p.relative_to(ASSETS).as_posix()}", p) for p in sorted(ASSETS.rglob("*")) if p.is_file()]

    def generated_files(self) -> list[tuple[str, bytes]]:
        # Share cards, team posters and /favicon.ico, drawn from content (publish/share.py).
        return share.files(self.published, self.site_url)

    # ---- written straight to the site folder ----------------------------------------

    def write_static(self, site_dir: Path) -> dict[str, Any]:
        marks = [time.monotonic()]
        prerendered = self.state.content.prerendered
        if self.staging is not None:
            merge_staging(self.staging, site_dir)
        marks.append(time.monotonic())
        writer = CottageWriter(self.published, site_dir, self.shell, self.state.cottages, self.published.loaded.digests)
        cottages = writer.write_cottages(prerendered) + len(prerendered)
        marks.append(time.monotonic())
        before = writer.written
        entries = writer.write_listings()
        listings = writer.written - before
        marks.append(time.monotonic())
        data = self.opendata.write(site_dir)
        marks.append(time.monotonic())
        self._extend_search(site_dir, entries)
        marks.append(time.monotonic())
        names = ["merge", "cottages", "listings", "open data", "search"]
        timings = ", ".join(f"{n} {b - a:.1f}s" for n, a, b in zip(names, marks, marks[1:], strict=False))
        return {"cottages": cottages, "listings": listings, "data": data, "timings": timings}

    def _extend_search(self, site_dir: Path, entries: list[dict[str, str]]) -> None:
        index = site_dir / "search" / "search_index.json"
        if not index.is_file() or not entries:
            return
        data = json.loads(index.read_text(encoding="utf-8"))
        data["docs"].extend(entries)
        index.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def shell_for(config: MkDocsConfig) -> Shell:
    # The light pages link what mkdocs.yml's extra_css / extra_javascript list (qingyi.* and the live widgets).
    css = [str(c) for c in config.extra_css] or ["assets/qingyi/qingyi.css"]
    js = [str(j) for j in config.extra_javascript] or ["assets/qingyi/qingyi.js"]
    return Shell(config.site_name, theme_css(list(config.theme.dirs)) + css, js)


def prepare(config: MkDocsConfig, state: State) -> Build:
    shell = shell_for(config)
    site_dir = Path(config.site_dir)
    staging = site_dir.parent / f".qingyi-staging-{os.getpid()}"  # made only when workers write pages
    shutil.rmtree(staging, ignore_errors=True)
    try:
        loaded = check_content(content_root(), cache=state.content,
                               render=renderer(shell, staging, str(config.extra.get("api_url", ""))))
        report = loaded.report
        if not report.ok:
            raise ContentFailed(f"内容检查发现 {len(report.errors)} 个问题，未生成网站 / "
                                f"{len(report.errors)} content problem(s); the site was not built\n{report.render()}")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    t0 = time.monotonic()
    published = Published(loaded, api_url=str(config.extra.get("api_url", "")))
    config.extra["qingyi_trust"] = trust.for_theme(published)  # the footer (overrides/main.html) reads it
    t1 = time.monotonic()
    build = Build(published=published, state=state, site_url=config.site_url or "", theme_dirs=list(config.theme.dirs),
                  site_name=config.site_name, shell=shell, staging=staging)
    build.records = sum(len(v) for v in loaded.records.values())
    log.debug(f"arranged for pages {t1 - t0:.1f}s, open data {time.monotonic() - t1:.1f}s")
    return build
