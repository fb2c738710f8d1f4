"""The content pipeline: one walk over content/, one loader, the privacy lint and the cross-record checks.

Everything that reads content goes through :func:`check_content`: ``python -m site_src check``
(``make check-content``), ``python -m site_src catalogue`` (``make catalogue``) and the MkDocs build
(``publish/build.py``). Each file is read once: its bytes go through the privacy lint and, for a record,
the loader (:func:`site_src.loader.load_record`); then the rules across records run
(:func:`site_src.checks.run_checks`).

With many files (:data:`PARALLEL_FROM`) the cottages are read by worker processes (fork), after the
other records, so that the build can have the workers write each cottage's page as they go
(``render``). Under ``mkdocs serve`` a :class:`ParseCache` keeps each file's result while its size and
modification time stay the same, so a rebuild reads only what was edited.

The report comes root causes first: the problems of each file on its own (it does not parse, a field is
wrong, a child's data is in it), then what the rules across records find. What refers to a record that
failed to load is not a problem of its own: it is one line each, after the errors
(:class:`~site_src.errors.Consequence`).
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

from . import privacy
from .checks import run_checks
from .errors import Consequence, ContentError, Waiver
from .loader import ContentFile, Failed, Loaded, load_record, unknown_folder_error, walk
from .models import KINDS, Record
from .yamlsrc import SCHEMA_POINTER, Source, load_text

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO / "content"
SCHEMA_DIR = REPO / "site_src" / "schemas"

log = logging.getLogger(__name__)

#: Fewer files than this to read are handled in-process (forking costs more than it saves).
PARALLEL_FROM = 3000
_KIND = {k.KIND: k for k in KINDS}


def content_root() -> Path:
    """The content folder: ``QINGYI_CONTENT`` when set (the build and the commands alike), else content/."""
    return Path(os.environ.get("QINGYI_CONTENT") or CONTENT)


def schema_ref(kind: str) -> str:
    """The schema pointer each YAML file starts with, relative to content/<folder>/."""
    return SCHEMA_POINTER.format(kind=kind).strip()


@dataclass
class FileResult:
    """What one file contributes: its own problems, its waivers and, for a record file, the record or why not."""

    name: str
    record: Record | None = None
    failed: Failed | None = None
    errors: list[ContentError] = field(default_factory=list)
    waivers: list[Waiver] = field(default_factory=list)
    digest: str = ""
    page_key: str | None = None  # set when a worker already wrote this cottage's page


def _schema_line(kind: str, name: str, raw: bytes) -> ContentError | None:
    first = raw.split(b"\n", 1)[0].decode("utf-8").strip()
    if first == schema_ref(kind):
        return None
    src = load_text(name, raw.decode("utf-8"))[0]  # positions, for this one file
    return src.error((), "file.schema_line", "第一行应指向本类记录的 JSON Schema，编辑器才能自动补全",
                     "the first line must point to this kind's JSON Schema so editors get autocomplete",
                     f"把第一行改为：{schema_ref(kind)}", f"make the first line: {schema_ref(kind)}")


def read_file(f: ContentFile) -> FileResult:
    """One file, read once: the privacy lint over its bytes, then (a record file) the loader."""
    res = FileResult(name=f.name)
    try:
        with open(f.path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        if f.kind is not None:
            res.failed = Failed(f.name)
            res.errors.append(ContentError(f.name, 1, 1, "file.unreadable", "", f"无法读取文件（{exc.strerror}）",
                                           f"the file cannot be read ({exc.strerror})",
                                           "检查文件权限，或重新保存该文件", "check the file's permissions or save it again"))
        return res
    res.digest = hashlib.sha1(raw).hexdigest()
    scanned = privacy.scan_file(f.name, raw, cottage=f.cottage, aliases=True)
    res.errors += scanned.errors
    res.waivers = scanned.waivers
    if f.kind is not None:
        record, errors, res.failed = load_record(_KIND[f.kind], f.name, raw, f.path)
        res.errors += errors
        if record is not None:
            res.record = record
            wrong_line = _schema_line(f.kind, f.name, raw)
            if wrong_line is not None:
                res.errors.append(wrong_line)
    return res


#: Set in the parent before forking: writes one cottage page and returns its cache key.
_RENDER: Callable[[Record, str], str] | None = None
RenderFactory = Callable[[Loaded], Callable[[Record, str], str]]


def _read_many(files: list[ContentFile]) -> list[FileResult]:
    out = []
    for f in files:
        res = read_file(f)
        if _RENDER is not None and res.record is not None and f.kind == "cottage" and not res.errors:
            res.page_key = _RENDER(res.record, res.digest)
        out.append(res)
    return out


@dataclass
class ParseCache:
    """Results by path, kept while (size, mtime) stay the same: ``mkdocs serve`` re-reads only edits."""

    results: dict[str, tuple[tuple[int, int], FileResult]] = field(default_factory=dict)
    parsed: int = 0
    reused: int = 0
    prerendered: dict[str, str] = field(default_factory=dict)  # cottage id -> page key, this run only


def _workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def _partial(root: Path, files: list[ContentFile], results: list[FileResult | None]) -> Loaded:
    """The records read so far (everything but cottages), for the page renderer's look-ups."""
    loaded = Loaded(root=root)
    for f, res in zip(files, results, strict=True):
        if res is not None and res.record is not None and f.kind is not None:
            loaded.records[f.kind].setdefault(res.record.id, res.record)
    return loaded


def _read_all(root: Path, files: list[ContentFile], cache: ParseCache, render: RenderFactory | None,
              ) -> list[FileResult]:
    global _RENDER
    results: list[FileResult | None] = []
    todo: list[int] = []
    for i, f in enumerate(files):
        hit = cache.results.get(f.path)
        if hit and hit[0] == f.stamp:
            results.append(hit[1])
            cache.reused += 1
        else:
            results.append(None)
            todo.append(i)
    if len(todo) >= PARALLEL_FROM and _workers() > 1:
        first = [i for i in todo if not files[i].cottage]
        later = [i for i in todo if files[i].cottage]
        for i, res in zip(first, _read_many([files[i] for i in first]), strict=True):
            results[i] = res
        try:
            if render is not None:
                _RENDER = render(_partial(root, files, results))
            fresh = [files[i] for i in later]
            size = max(200, len(fresh) // (_workers() * 8))
            chunks = [fresh[i:i + size] for i in range(0, len(fresh), size)]
            with multiprocessing.get_context("fork").Pool(_workers()) as pool:
                done = [r for chunk in pool.imap(_read_many, chunks) for r in chunk]
        finally:
            _RENDER = None
        for i, res in zip(later, done, strict=True):
            results[i] = res
    else:
        for i, res in zip(todo, _read_many([files[i] for i in todo]), strict=True):
            results[i] = res
    cache.parsed += len(todo)
    cache.prerendered = {}
    for i in todo:
        fresh_res = results[i]
        assert fresh_res is not None
        cache.results[files[i].path] = (files[i].stamp, fresh_res)
        if fresh_res.page_key is not None and fresh_res.record is not None:
            cache.prerendered[fresh_res.record.id] = fresh_res.page_key
    live = {f.path for f in files}
    for gone in [k for k in cache.results if k not in live]:
        del cache.results[gone]
    return [r for r in results if r is not None]


def check_content(root: Path | None = None, *, cache: ParseCache | None = None,
                  render: RenderFactory | None = None) -> Loaded:
    """Load, lint and check everything under ``root`` (default :func:`content_root`); the report is
    ``loaded.report``. ``cache`` keeps file results between calls; ``render`` (the build) makes, from the
    records other than cottages, the function worker processes call to write each cottage's page."""
    # Hundreds of thousands of small objects (models, dicts, dates) are made here and none form cycles
    # worth collecting: the cyclic collector's passes over the growing heap (in the workers too, over
    # the heap they inherit) cost seconds at 100,000 records. Paused here, restored on the way out.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _check(Path(root) if root is not None else content_root(), cache or ParseCache(), render)
    finally:
        if was_enabled:
            gc.enable()


def _check(root: Path, cache: ParseCache, render: RenderFactory | None) -> Loaded:
    t0 = time.monotonic()
    tree = walk(root)
    t_walk = time.monotonic()
    results = _read_all(root, tree.files, cache, render)
    t_read = time.monotonic()

    loaded = Loaded(root=root)
    own = [unknown_folder_error(root, folder) for folder in tree.unknown_folders]
    for f, res in zip(tree.files, results, strict=True):
        own += res.errors
        loaded.report.waivers += res.waivers
        if f.kind is None:
            continue
        loaded.files += 1
        if res.failed is not None:
            stem = f.name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
            for rid in {stem, res.failed.id or stem}:
                loaded.failed.setdefault((f.kind, rid), res.failed)
        record = res.record
        if record is None:
            continue
        key = (f.kind, record.id)
        by_id = loaded.records[f.kind]
        if record.id in by_id:
            first = loaded.sources[key].file
            with open(f.path, "rb") as fh:
                src = load_text(f.name, fh.read().decode("utf-8"))[0]
            own.append(src.error(("id",), "record.duplicate_id", f"编号“{record.id}”已被 {first} 使用",
                                 f"the id {record.id!r} is already used by {first}", "换一个编号", "choose another id"))
            continue
        by_id[record.id] = record
        loaded.sources[key] = Source(file=f.name, data=None)
        loaded.on_disk[key] = f.path
        loaded.digests[key] = res.digest
    for key in [k for k in loaded.failed if k[1] in loaded.records[k[0]]]:
        del loaded.failed[key]  # another file holds that id: references to it resolve
    t_merge = time.monotonic()

    across = run_checks(loaded)
    report = loaded.report
    report.errors, report.warnings = [], []
    report.extend(sorted(own) + sorted(e for e in across if not isinstance(e, Consequence)))  # a warning still builds
    report.consequences = sorted(e for e in across if isinstance(e, Consequence))
    log.debug(f"content: walk {t_walk - t0:.1f}s, read {t_read - t_walk:.1f}s ({cache.parsed} files read, "
              f"{cache.reused} unchanged), merge {t_merge - t_read:.1f}s, "
              f"rules across records {time.monotonic() - t_merge:.1f}s")
    return loaded
