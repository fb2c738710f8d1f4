"""MkDocs hooks: check the content, generate the pages, write cottages and open data.

Named in mkdocs.yml under ``hooks:``. Order of a build:

1. ``on_config``: load and check content/ (:func:`site_src.pipeline.check_content`, the one
   pipeline ``make check-content`` runs too); any error stops the build with the editors'
   report, before the site folder is touched.
   The navigation is set here from the records (programmes, ledgers, listings).
2. ``on_files``: every Markdown page is generated from a Jinja2 template and added
   as an in-memory ``File`` (nothing generated is committed).
3. ``on_post_build``: cottage pages and listings (light template, see cottages.py),
   open data, the Atom feed, and the cottage listings' entries in the search index.

Progress goes to the MkDocs log, and stays quiet when ``CI=true``.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig  # noqa: E402
from mkdocs.exceptions import PluginError  # noqa: E402
from mkdocs.plugins import event_priority  # noqa: E402
from mkdocs.structure.files import File, Files  # noqa: E402

from site_src.publish import state  # noqa: E402

log = logging.getLogger("mkdocs.plugins.qingyi")


def _say(message: str) -> None:
    if os.environ.get("CI", "").lower() != "true":
        log.info(message)


def on_startup(command: str, dirty: bool) -> None:
    state.STATE.serving = command == "serve"


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    from site_src.publish.build import prepare

    started = time.monotonic()
    try:
        build = prepare(config, state.STATE)
    except state.ContentFailed as exc:
        raise PluginError(exc.text) from None
    state.STATE.build = build
    config.nav = build.nav(config)
    _say(f"青益：已加载并检查 {build.records:,} 条记录（{time.monotonic() - started:.1f} 秒）"
         f" / loaded and checked {build.records:,} records")
    return config


class GeneratedPage(File):
    """A generated Markdown page that says whether its text changed since the last build, so that
    ``mkdocs serve --dirty`` re-renders only the pages an edit touched (a clean build renders all)."""

    changed = True

    def is_modified(self) -> bool:
        return self.changed or not os.path.isfile(self.abs_dest_path)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    build = state.STATE.build
    assert build is not None
    started = time.monotonic()
    pages = build.markdown_pages()
    previous = state.STATE.pages
    for uri, text in pages.items():
        page = GeneratedPage.generated(config, uri, content=text)
        assert isinstance(page, GeneratedPage)
        page.changed = previous.get(uri) != text
        files.append(page)
    state.STATE.pages = pages
    for uri, path in build.asset_files():
        files.append(File.generated(config, uri, abs_src_path=str(path)))
    for uri, data in build.generated_files():
        files.append(File.generated(config, uri, content=data))
    _say(f"青益：生成 {len(pages)} 个页面（{time.monotonic() - started:.1f} 秒） / generated {len(pages)} pages")
    return files


def on_env(env: Any, config: MkDocsConfig, files: Files) -> Any:
    """Keep the theme's compiled templates between builds (about a second a build: Material's ~60
    templates are otherwise compiled from source every time). Jinja2's own per-user cache folder
    (mode 0700, owner checked); an entry is used only while its template's source is unchanged."""
    try:
        from jinja2 import FileSystemBytecodeCache

        if env.bytecode_cache is None:
            env.bytecode_cache = FileSystemBytecodeCache()
    except Exception as exc:  # no usable temporary folder: compile as before
        log.debug(f"no template cache: {exc}")
    return env


@event_priority(-100)  # after the search plugin has written its index
def on_post_build(config: MkDocsConfig) -> None:
    build = state.STATE.build
    assert build is not None
    started = time.monotonic()
    written = build.write_static(Path(config.site_dir))
    log.debug(f"post-build phases: {written.pop('timings', '')}")
    _say(f"青益：写出 {written['cottages']:,} 个小屋页、{written['listings']:,} 个列表页、{written['data']} 个数据文件"
         f"（{time.monotonic() - started:.1f} 秒） / wrote {written['cottages']:,} cottage pages")


def on_build_error(error: Exception) -> None:
    build = state.STATE.build
    if build is not None and build.staging is not None:
        import shutil

        shutil.rmtree(build.staging, ignore_errors=True)


def on_serve(server: Any, config: MkDocsConfig, builder: Any) -> Any:
    from site_src.pipeline import content_root

    server.watch(str(content_root()))  # QINGYI_CONTENT may point outside the repository
    _use_native_watcher(server)
    return server


def _use_native_watcher(server: Any) -> None:
    """MkDocs polls every watched file twice a second; with 10,000 cottages one poll takes seconds, so an
    edit is noticed late. Watch with the system's file events (inotify) instead, passing on edits only
    (watcher.py: a read must not start a build); keep polling if that fails. MkDocs' LiveReloadServer
    has no public way to swap its observer, hence its two private attributes here."""
    try:
        from site_src.publish.watcher import EditObserver

        paths = list(server._watched_paths)
        native = EditObserver()
        old = server.observer
        server.observer = native
        server._watched_paths.clear()
        server._watch_refs.clear()
        for path in paths:
            server.watch(path)
        del old
    except Exception as exc:  # private MkDocs attributes changed: polling still works, only slower
        log.debug(f"keeping MkDocs' polling watcher: {exc}")


__all__ = ["on_startup", "on_config", "on_files", "on_env", "on_post_build", "on_build_error", "on_serve", "json"]
