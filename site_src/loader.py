"""Load content/ into typed records, keeping where each came from for error positions.

One file per record, ``content/<folder>/<id>.yml``. Problems are collected, not
raised: an editor sees every error in one run.

A file is parsed by libyaml (C) straight into plain values. The position of every
field (PyYAML's composer, :func:`site_src.yamlsrc.load_text`, about 25 times
slower) is worked out only for a file that has something wrong with it, or when a
cross-record check reports on the record (:meth:`Loaded.source`); anything unusual
(duplicate or non-text keys, tags, impossible dates) goes through ``load_text``
straight away. So every message, line and column is ``load_text``'s, and 100,000
clean records load in seconds.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .errors import ContentError, Report
from .models import BY_FOLDER, KINDS, Record
from .yamlsrc import Source, load_text

R = TypeVar("R", bound=Record)

#: Folders under content/ that hold no records but are allowed (pictures, attachments).
EXTRA_FOLDERS = ("assets",)


@dataclass(frozen=True)
class Failed:
    """A record file that did not load: where it is and, when it could be read, its programme."""

    file: str
    id: str | None = None  # the id it gives itself, when it could be read
    programme: str | None = None


@dataclass
class Loaded:
    """Every valid record by kind and id, with the source it came from."""

    root: Path
    records: dict[str, dict[str, Record]] = field(default_factory=lambda: {k.KIND: {} for k in KINDS})
    sources: dict[tuple[str, str], Source] = field(default_factory=dict)
    report: Report = field(default_factory=Report)
    files: int = 0
    #: (kind, id) -> the file of a record that failed to load, so what refers to it can say so.
    failed: dict[tuple[str, str], Failed] = field(default_factory=dict)
    #: (kind, id) -> SHA-1 of the record's file (page caches key on it).
    digests: dict[tuple[str, str], str] = field(default_factory=dict)
    #: (kind, id) -> the file on disk, for a source whose positions are not worked out yet.
    on_disk: dict[tuple[str, str], str] = field(default_factory=dict)

    def of(self, kind: type[R]) -> dict[str, R]:
        return self.records[kind.KIND]  # type: ignore[return-value]

    def source(self, record: Record) -> Source:
        """The record's source with every field's position (parsed again here the first time it is asked)."""
        key = (record.KIND, record.id)
        src = self.sources[key]
        path = self.on_disk.pop(key, None)
        if path is not None:
            with open(path, "rb") as fh:
                src = self.sources[key] = load_text(src.file, fh.read().decode("utf-8"))[0]
        return src

    def failed_ref(self, kind: type[Record], rid: str) -> Failed | None:
        """The failed record a reference points at, if it points at one."""
        return self.failed.get((kind.KIND, rid))

    def all(self) -> Iterator[Record]:
        for by_id in self.records.values():
            yield from by_id.values()


# ---- walking content/ ----------------------------------------------------------

@dataclass(frozen=True)
class ContentFile:
    """One file under content/, as the walk finds it."""

    path: str  # on disk
    name: str  # as messages show it: content/cottages/HC-001.yml
    kind: str | None  # the record kind, for a .yml/.yaml file directly in a record folder
    cottage: bool  # under a cottages/ folder: the privacy lint also refuses school names
    stamp: tuple[int, int]  # (size, mtime in ns): under ``mkdocs serve`` an unchanged file is not read again


@dataclass
class Tree:
    files: list[ContentFile]
    unknown_folders: list[str]


def walk(root: Path) -> Tree:
    """Every file under ``root`` (top-down, folders and files sorted by name, ``.git`` skipped), and the
    top-level folders that are neither a record folder nor an allowed extra one."""
    root = Path(root)
    base = str(root.parent)
    files: list[ContentFile] = []
    unknown: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        inside = os.path.relpath(dirpath, root).replace(os.sep, "/")
        if inside == ".":
            unknown = [d for d in sorted(dirnames) if d not in BY_FOLDER and d not in EXTRA_FOLDERS]
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        shown = os.path.relpath(dirpath, base).replace(os.sep, "/")
        folder_kind = BY_FOLDER[inside].KIND if inside in BY_FOLDER else None
        cottage = "cottages" in shown.split("/")
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            try:
                st = os.stat(full)
            except OSError:  # a dangling link: nothing to read or check
                continue
            is_record = folder_kind is not None and name.endswith((".yml", ".yaml")) and os.path.isfile(full)
            files.append(ContentFile(full, f"{shown}/{name}", folder_kind if is_record else None, cottage,
                                     (st.st_size, st.st_mtime_ns)))
    return Tree(files, unknown)


def record_files(root: Path) -> Iterator[tuple[type[Record], Path]]:
    """Every record file under ``root``, by kind in load order."""
    by_kind: dict[str, list[Path]] = {k.KIND: [] for k in KINDS}
    for f in walk(root).files:
        if f.kind is not None:
            by_kind[f.kind].append(Path(f.path))
    for kind in KINDS:
        for path in by_kind[kind.KIND]:
            yield kind, path


def unknown_folder_error(root: Path, folder: str) -> ContentError:
    return ContentError(
        f"{root.name}/{folder}", 1, 1, "content.unknown_folder", "",
        f"未知的内容文件夹“{folder}”", f"unknown content folder {folder!r}",
        f"记录只能放在：{', '.join(sorted(BY_FOLDER))}", f"records go in: {', '.join(sorted(BY_FOLDER))}")


# ---- parsing: libyaml first, positions only when needed -------------------------

class _Unusual(Exception):
    """The fast parser met something only the position-keeping parser should judge."""


_STR = "tag:yaml.org,2002:str"
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


# ---- pydantic errors in editors' words -------------------------------------

def _field_hint(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names allowed where ``loc`` points, for 'did you mean' hints."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        info = getattr(current, "model_fields", {}).get(part)
        if info is None:
            return []
        ann = info.annotation
        for candidate in (ann, *getattr(ann, "__args__", ())):
            candidate = getattr(candidate, "__args__", (candidate,))[0] if hasattr(candidate, "__origin__") else candidate
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                current = candidate
                break
        else:
            return []
    return list(getattr(current, "model_fields", {}))


# A nested key typed with the Chinese input method on ("identified：2021-01-01"): no YAML error, just text.
_FULL_WIDTH = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*：")


def _explain(err: Any, model: type[BaseModel]) -> tuple[str, str, str, str, str]:
    """(rule, zh, en, fix_zh, fix_en) for one pydantic error."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    name = str(err["loc"][-1]) if err["loc"] else ""
    if kind.startswith("money."):
        return kind, ctx["zh"], ctx["en"], "金额以元为单位，最多两位小数", "write yuan with at most two decimals"
    if kind == "missing":
        return ("field.missing", f"缺少必填字段“{name}”", f"the required field {name!r} is missing",
                f"添加 {name}:", f"add {name}:")
    if kind == "extra_forbidden":
        allowed = _field_hint(model, tuple(err["loc"]))
        near = difflib.get_close_matches(name, allowed, n=1)
        hint_zh = f"是不是“{near[0]}”？" if near else "请删除或检查拼写"
        hint_en = f"did you mean {near[0]!r}?" if near else "remove it or check the spelling"
        return "field.unknown", f"未知字段“{name}”", f"unknown field {name!r}", hint_zh, hint_en
    if kind in ("enum", "literal_error"):
        expected = ctx.get("expected", "")
        return ("field.choice", f"“{value}”不是允许的取值", f"{value!r} is not one of the allowed values",
                f"改为以下之一：{expected}", f"use one of: {expected}")
    if kind.startswith(("date", "datetime", "time")):
        return ("field.date", f"“{value}”不是有效的日期/时间", f"{value!r} is not a valid date or time",
                "日期写成 2021-09-07，时间写成 2021-09-07T09:00:00+08:00",
                "write dates as 2021-09-07 and times as 2021-09-07T09:00:00+08:00")
    if kind.startswith(("int_", "float_", "decimal_")) or kind in ("bool_type", "bool_parsing"):
        return ("field.type", f"“{value}”不是{'整数' if kind.startswith('int') else '正确的数值'}",
                f"{value!r} is not a valid {'whole number' if kind.startswith('int') else 'number'}",
                "填写数字，不加引号和单位", "write a plain number")
    if kind in ("dict_type", "model_type") and isinstance(value, str) and _FULL_WIDTH.match(value):
        key = _FULL_WIDTH.match(value).group(1)  # type: ignore[union-attr]
        return ("yaml.syntax", f"“{value}”里的冒号是中文全角冒号“：”，YAML 把整行当成了文字",
                f"{value!r} has a full-width colon (：), so YAML read the whole line as text",
                f"把“：”改成英文冒号加一个空格：{key}: ", f"type an ASCII colon and a space: {key}: ")
    if kind in ("string_type", "list_type", "dict_type", "model_type", "model_attributes_type"):
        want = {"string_type": ("文字", "text"), "list_type": ("列表（以 - 开头的多行）", "a list"),
                "dict_type": ("键值对", "a mapping"), "model_type": ("键值对", "a mapping"),
                "model_attributes_type": ("键值对", "a mapping")}[kind]
        return ("field.type", f"这里应该是{want[0]}", f"this should be {want[1]}",
                f"改写为{want[0]}", f"write {want[1]} here")
    if kind == "string_pattern_mismatch":
        return ("field.format", f"“{value}”的格式不对", f"{value!r} does not have the required format",
                f"应符合 {ctx.get('pattern')}（编号只用字母、数字和短横线）",
                f"it must match {ctx.get('pattern')} (ids use letters, digits and dashes)")
    if kind in ("string_too_short", "too_short"):
        return ("field.empty", "不能为空", "must not be empty", "至少填写一项", "fill in at least one entry")
    if kind in ("string_too_long", "too_long"):
        return ("field.too_long", "内容太长", "too long", f"最多 {ctx.get('max_length')}", f"at most {ctx.get('max_length')}")
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = next(iter(ctx.values()), "")
        zh_op = {"greater_than_equal": "不小于", "greater_than": "大于", "less_than_equal": "不大于", "less_than": "小于"}[kind]
        return ("field.range", f"“{value}”超出范围：应{zh_op} {bound}", f"{value!r} is out of range ({kind} {bound})",
                f"改为{zh_op} {bound} 的值", f"use a value {kind.replace('_', ' ')} {bound}")
    return ("field.invalid", f"取值无效：{err['msg']}", f"invalid value: {err['msg']}", "", "")


def _clean_loc(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    # Drop pydantic's internal markers (e.g. "function-before[...]", union tags).
    return tuple(p for p in loc if isinstance(p, int) or ("[" not in p and not p.startswith("function-")))


def _at_the_colon(src: Source, err: ContentError, value: str) -> ContentError:
    start = sum(len(line) + 1 for line in src.text.split("\n")[: err.line - 1])
    at = src.text.find(value, start)
    if at < 0:
        return err
    colon = src.text.index("：", at)
    return replace(err, line=src.text.count("\n", 0, colon) + 1, column=colon - src.text.rfind("\n", 0, colon))


def validate_source(model: type[R], src: Source) -> tuple[R | None, list[ContentError]]:
    if not isinstance(src.data, dict):
        return None, [src.error((), "yaml.not_mapping", "文件内容应是键值对（字段: 值）",
                                "the file must be a mapping of field: value", "参考 docs 中的示例", "see the examples")]
    try:
        return model.model_validate(src.data), []
    except ValidationError as exc:
        errors, seen = [], set()
        for err in exc.errors():
            loc = _clean_loc(tuple(err["loc"]))
            rule, zh, en, fix_zh, fix_en = _explain(err, model)
            if (loc, rule) in seen:
                continue
            seen.add((loc, rule))
            found = src.error(loc, rule, zh, en, fix_zh, fix_en)
            if rule == "yaml.syntax":  # a full-width colon: said at the colon itself, not at the field above it
                found = _at_the_colon(src, found, str(err.get("input")))
            errors.append(found)
        return None, errors



def _rename_advice(path: str | Path | None, file_name: str, record_id: str) -> tuple[str, str]:
    """Rename advice that never points at a file that exists: then only the id can change."""
    taken = f"{record_id}.yml"
    stem = file_name.rsplit(".", 1)[0]
    if path is not None and Path(path).with_name(taken).exists():
        return (f"{taken} 已存在（另一条记录），请把编号改为“{stem}”",
                f"{taken} already exists (another record): change the id to {stem!r}")
    return f"把文件改名为 {taken}，或把编号改为“{stem}”", f"rename the file to {taken} or change the id to {stem!r}"


def load_record(kind: type[R], name: str, raw: bytes, path: str | Path | None = None
                ) -> tuple[R | None, list[ContentError], Failed | None]:
    """One record file: the record (or None), its own errors, and when it failed, what is known of it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [ContentError(name, 1, exc.start + 1, "file.encoding", "",
                                   "文件不是 UTF-8 编码的文本", "the file is not UTF-8 text",
                                   "用 UTF-8 编码另存为", "save it again as UTF-8")], Failed(name)
    src: Source | None = None
    try:
        src = Source(file=name, data=fast_yaml(text))
        record, problems = validate_source(kind, src)
        if problems:
            src = None  # work out the positions for the messages
    except (_Unusual, yaml.YAMLError, ValueError):
        src = None
    errors: list[ContentError] = []
    if src is None:
        src, errors = load_text(name, text)
        if src.data is None:
            return None, errors, Failed(name)
        record, problems = validate_source(kind, src)
        errors += problems
    if record is None:
        data = src.data if isinstance(src.data, dict) else {}
        rid, programme = data.get("id"), data.get("programme")
        return None, errors, Failed(name, rid if isinstance(rid, str) else None,
                                    programme if isinstance(programme, str) else None)
    file_name = name.rsplit("/", 1)[-1]
    if file_name.rsplit(".", 1)[0] != record.id:
        src = src if src.positions else load_text(name, text)[0]
        errors.append(src.error(("id",), "record.file_name", f"编号“{record.id}”与文件名“{file_name}”不一致",
                                f"the id {record.id!r} does not match the file name {file_name!r}",
                                *_rename_advice(path, file_name, record.id)))
        return None, errors, Failed(name, record.id, getattr(record, "programme", None))
    return record, errors, None
