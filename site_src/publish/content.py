"""Load and check content for a build, fast, with exactly the verdict of ``make check-content``.

The canonical pipeline (:func:`site_src.pipeline.check_content`) parses YAML with
PyYAML's pure-Python composer to keep every position, about 2.5 ms a file: 250 s
for 100,000 cottages. A build only needs positions when something is wrong, so
it takes a fast path first and falls back to the canonical pipeline whenever the
fast path sees any problem at all:

* each file is parsed with libyaml (C) straight into plain values: duplicate keys,
  non-text keys, tags or anything unusual make that file go through the canonical
  :func:`site_src.yamlsrc.load_text` instead;
* every record is validated by its real model, file name against id, the schema
  line, and every file goes through the real privacy lint (:func:`privacy.scan_source`,
  :func:`privacy.scan_image`); the cross-record checks are the real :func:`run_checks`;
* files are handled by worker processes (fork) when there are many, and a parsed
  file is reused across builds in one process (``mkdocs serve``) while its size and
  modification time are unchanged.

If the fast path finds any error, the canonical ``check_content`` runs and its report
is what the editor sees, so the messages, lines and columns are always the canonical
ones. tests/site_src/test_site_content.py checks that every invalid example fails here too.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import multiprocessing
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .. import privacy
from ..checks import run_checks
from ..errors import Waiver
from ..loader import Loaded, validate_source
from ..models import BY_FOLDER, KINDS, Record
from ..pipeline import check_content, schema_ref
from ..yamlsrc import Source, load_text
from .state import ContentFailed, State

log = logging.getLogger("mkdocs.plugins.qingyi")

#: Fewer files than this are handled in-process (forking costs more than it saves).
PARALLEL_FROM = 3000
_STR = "tag:yaml.org,2002:str"
_ALLOWED_EXTRA_FOLDERS = ("assets", "settlements")


class _Unusual(Exception):
    """The fast parser met something only the canonical loader should judge."""


_RESOLVED: dict[tuple[str, tuple[bool, bool]], str] = {}


class _CLoader(yaml.CSafeLoader):
    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        # libyaml calls back into Python to resolve every scalar's tag; the same few thousand
        # values (field names, dates, ids of shared records) repeat, so remember the answers.
        if kind is not ScalarNode:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = _RESOLVED.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(_RESOLVED) < 100_000:
                _RESOLVED[key] = tag
        return tag


#: Scalars other than text (dates, numbers, booleans) repeat across records; the values are immutable.
_SCALARS: dict[tuple[str, str], Any] = {}


def _value(loader: _CLoader, node: Any) -> Any:
    if isinstance(node, ScalarNode):
        if node.tag == _STR:
            return node.value
        key = (node.tag, node.value)
        try:
            return _SCALARS[key]
        except KeyError:
            value = loader.construct_object(node, deep=True)
            if len(_SCALARS) < 100_000:
                _SCALARS[key] = value
            return value
    if isinstance(node, MappingNode):
        loader.flatten_mapping(node)
        out: dict[str, Any] = {}
        for key, value in node.value:
            if not isinstance(key, ScalarNode) or key.tag != _STR or key.value in out:
                raise _Unusual
            out[key.value] = _value(loader, value)
        return out
    if isinstance(node, SequenceNode):
        return [_value(loader, child) for child in node.value]
    raise _Unusual


def fast_yaml(text: str) -> Any:
    """Plain values from YAML text through libyaml; raises _Unusual or YAMLError when in doubt."""
    loader = _CLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise _Unusual
        return _value(loader, node)
    finally:
        loader.dispose()


@dataclass
class FileResult:
    """What one file contributes: a record (or none) and whether anything is wrong with it."""

    name: str
    kind: str | None = None
    record: Record | None = None
    digest: str = ""
    bad: bool = False
    waivers: list[Waiver] = field(default_factory=list)
    page_key: str | None = None  # set when a worker already wrote this cottage's page


def _record_file(kind: type[Record], path: Path, name: str, text: str, res: FileResult) -> None:
    try:
        data = fast_yaml(text)
        src = Source(file=name, data=data, text=text)
    except (_Unusual, yaml.YAMLError, ValueError):
        src, syntax = load_text(name, text)
        if syntax:
            res.bad = True
    if src.data is None:
        res.bad = True
        return
    record, problems = validate_source(kind, src)
    if problems or record is None:
        res.bad = True
        return
    if path.stem != record.id or text.split("\n", 1)[0].strip() != schema_ref(kind.KIND):
        res.bad = True
        return
    res.kind, res.record = kind.KIND, record


def handle_file(item: tuple[str, str, str | None, bool]) -> FileResult:
    """One file: (path, display name, record folder or None, under cottages/)."""
    path_str, name, folder, cottage = item
    path = Path(path_str)
    res = FileResult(name=name)
    suffix = path.suffix.lower()
    try:
        with open(path_str, "rb") as fh:
            raw = fh.read()
    except OSError:
        res.bad = True
        return res
    res.digest = hashlib.sha1(raw).hexdigest()
    if suffix in privacy.IMAGE_SUFFIXES:
        res.bad = bool(privacy.scan_image(name, raw))
        return res
    is_record = folder is not None and suffix in (".yml", ".yaml")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        res.bad = is_record  # the loader refuses it; the privacy lint skips it
        if not is_record:
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                return res
        else:
            return res
    if suffix in privacy.TEXT_SUFFIXES:
        scan_text = text[1:] if text.startswith("\ufeff") else text
        children = not privacy.CHILDREN_FOLDERS.isdisjoint(Path(name).parts)
        scanned = privacy.scan_source(name, scan_text, cottage=cottage, children=children, aliases=True)
        if scanned.errors:
            res.bad = True
        res.waivers = scanned.waivers
    if is_record and folder is not None:
        _record_file(BY_FOLDER[folder], path, name, text, res)
    return res


#: Set in the parent before forking: writes one cottage page and returns its cache key.
_RENDER: Callable[[Record, str], str] | None = None


def _handle_many(items: list[tuple[str, str, str | None, bool]]) -> list[FileResult]:
    out = []
    for item in items:
        res = handle_file(item)
        if _RENDER is not None and res.record is not None and res.kind == "cottage":
            res.page_key = _RENDER(res.record, res.digest)
        out.append(res)
    return out


def _partial(root: Path, results: list[FileResult]) -> Loaded:
    """The records parsed so far (everything but cottages), for the renderer's look-ups."""
    loaded = Loaded(root=root)
    for res in results:
        if res.record is not None and res.kind is not None:
            loaded.records[res.kind].setdefault(res.record.id, res.record)
    return loaded


@dataclass
class ParseCache:
    """Results by path, kept while (size, mtime) stay the same: ``mkdocs serve`` re-parses only edits."""

    results: dict[str, tuple[tuple[int, int], FileResult]] = field(default_factory=dict)
    parsed: int = 0
    reused: int = 0
    prerendered: dict[str, str] = field(default_factory=dict)  # cottage id -> page key, this run only


def _walk(root: Path) -> tuple[list[tuple[str, str, str | None, bool]], list[tuple[int, int]], bool]:
    """Every file under content/ as work items, their (size, mtime), and whether a folder is unknown."""
    items, stats, unknown = [], [], False
    base = root.parent
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        rel_dir = Path(dirpath).relative_to(root)
        parts = rel_dir.parts
        if len(parts) == 1 and parts[0] not in BY_FOLDER and parts[0] not in _ALLOWED_EXTRA_FOLDERS:
            unknown = True
        folder = parts[0] if len(parts) == 1 and parts[0] in BY_FOLDER else None
        cottage = "cottages" in parts
        prefix = os.path.relpath(dirpath, base).replace(os.sep, "/")
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            st = os.stat(full)
            items.append((full, f"{prefix}/{name}", folder, cottage))
            stats.append((st.st_size, st.st_mtime_ns))
    return items, stats, unknown


def _workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


RenderFactory = Callable[[Loaded], Callable[[Record, str], str]]


def fast_check(root: Path, cache: ParseCache | None = None, render: RenderFactory | None = None,
               ) -> tuple[Loaded | None, dict[tuple[str, str], str]]:
    """The checked content, or None when anything is wrong; and each record's file digest.

    With many files, cottages are handled by worker processes after everything else; ``render``
    then builds, from the other records, a function the workers call to write each cottage's page
    (into a staging folder the build moves into place only if every check passes).
    """
    # Hundreds of thousands of small objects (models, dicts, dates) are made here and none form cycles
    # worth collecting: the cyclic collector's passes over the growing heap (in the workers too, over
    # the heap they inherit) cost seconds at 100,000 records. Paused here, restored on the way out.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _fast_check(root, cache, render)
    finally:
        if was_enabled:
            gc.enable()


def _fast_check(root: Path, cache: ParseCache | None, render: RenderFactory | None,
                ) -> tuple[Loaded | None, dict[tuple[str, str], str]]:
    global _RENDER
    cache = cache if cache is not None else ParseCache()
    t0 = time.monotonic()
    items, stats, unknown = _walk(root)
    t_walk = time.monotonic()
    results: list[FileResult | None] = []
    todo: list[int] = []
    for i, (item, st) in enumerate(zip(items, stats, strict=True)):
        hit = cache.results.get(item[0])
        if hit and hit[0] == st:
            results.append(hit[1])
            cache.reused += 1
        else:
            results.append(None)
            todo.append(i)
    if len(todo) >= PARALLEL_FROM and _workers() > 1:
        first = [i for i in todo if not items[i][3]]
        later = [i for i in todo if items[i][3]]
        for i, res in zip(first, _handle_many([items[i] for i in first]), strict=True):
            results[i] = res
        try:
            if render is not None:
                _RENDER = render(_partial(root, [r for r in results if r is not None]))
            fresh = [items[i] for i in later]
            size = max(200, len(fresh) // (_workers() * 8))
            chunks = [fresh[i:i + size] for i in range(0, len(fresh), size)]
            with multiprocessing.get_context("fork").Pool(_workers()) as pool:
                done = [r for chunk in pool.imap(_handle_many, chunks) for r in chunk]
        finally:
            _RENDER = None
        for i, res in zip(later, done, strict=True):
            results[i] = res
    else:
        for i, res in zip(todo, _handle_many([items[i] for i in todo]), strict=True):
            results[i] = res
    t_parse = time.monotonic()
    cache.parsed += len(todo)
    cache.prerendered = {}
    for i in todo:
        fresh_res = results[i]
        assert fresh_res is not None
        cache.results[items[i][0]] = (stats[i], fresh_res)
        if fresh_res.page_key is not None and fresh_res.record is not None:
            cache.prerendered[fresh_res.record.id] = fresh_res.page_key
    live = {item[0] for item in items}
    for gone in [k for k in cache.results if k not in live]:
        del cache.results[gone]

    loaded = Loaded(root=root)
    digests: dict[tuple[str, str], str] = {}
    bad = unknown or not root.is_dir()
    by_kind_order = {k.KIND: i for i, k in enumerate(KINDS)}
    kept: list[FileResult] = []
    for maybe in results:
        assert maybe is not None
        if maybe.bad:
            bad = True
        loaded.report.waivers.extend(maybe.waivers)
        if maybe.record is not None:
            kept.append(maybe)
    kept.sort(key=lambda r: (by_kind_order[r.kind or ""], r.name))
    for res in kept:
        record = res.record
        assert record is not None and res.kind is not None
        loaded.files += 1
        by_id = loaded.records[res.kind]
        if record.id in by_id:
            bad = True
            continue
        by_id[record.id] = record
        loaded.sources[(res.kind, record.id)] = Source(file=res.name, data=None, text="")
        digests[(res.kind, record.id)] = res.digest
    t_merge = time.monotonic()
    failed = bad or any(e.severity == "error" for e in run_checks(loaded))  # a warning still builds
    log.debug(f"content: walk {t_walk - t0:.1f}s, parse {t_parse - t_walk:.1f}s ({len(todo)} files), "
              f"merge {t_merge - t_parse:.1f}s, cross-record checks {time.monotonic() - t_merge:.1f}s")
    if failed:
        return None, digests
    return loaded, digests


def check(root: Path, state: State, render: RenderFactory | None = None) -> Loaded:
    """Checked content for the build; raises ContentFailed with the canonical report on any error."""
    if state.content is None:
        state.content = ParseCache()
    loaded, digests = fast_check(root, state.content, render)
    if loaded is None:
        canonical = check_content(root)
        if canonical.report.ok:  # the fast path is stricter than it should be: trust the canonical verdict
            loaded = canonical
        else:
            text = canonical.report.render()
            raise ContentFailed(f"内容检查发现 {len(canonical.report.errors)} 个问题，未生成网站 / "
                                f"{len(canonical.report.errors)} content problem(s); the site was not built\n{text}")
    state.digests = digests
    return loaded
