"""Load content/ into typed records, keeping each record's source for error positions.

One file per record, ``content/<folder>/<id>.yml``. Problems are collected, not
raised: an editor sees every error in one run.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import ContentError, Report
from .models import BY_FOLDER, KINDS, Record
from .yamlsrc import Source, load_text

R = TypeVar("R", bound=Record)


@dataclass
class Loaded:
    """Every valid record by kind and id, with the source it came from."""

    root: Path
    records: dict[str, dict[str, Record]] = field(default_factory=lambda: {k.KIND: {} for k in KINDS})
    sources: dict[tuple[str, str], Source] = field(default_factory=dict)
    report: Report = field(default_factory=Report)
    files: int = 0

    def of(self, kind: type[R]) -> dict[str, R]:
        return self.records[kind.KIND]  # type: ignore[return-value]

    def source(self, record: Record) -> Source:
        return self.sources[(record.KIND, record.id)]

    def all(self) -> Iterator[Record]:
        for by_id in self.records.values():
            yield from by_id.values()


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
            errors.append(src.error(loc, rule, zh, en, fix_zh, fix_en))
        return None, errors


def record_files(root: Path) -> Iterator[tuple[type[Record], Path]]:
    for kind in KINDS:
        folder = root / kind.FOLDER
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.suffix in (".yml", ".yaml") and path.is_file():
                    yield kind, path


def display_path(path: Path, root: Path) -> str:
    """Paths in errors are relative to the repository (content/...)."""
    try:
        return os.path.relpath(path, root.parent)
    except ValueError:  # pragma: no cover - different drive
        return str(path)


def _rename_advice(path: Path, record_id: str) -> tuple[str, str]:
    """Rename advice that never points at a file that exists: then only the id can change."""
    taken = path.with_name(f"{record_id}{path.suffix}")
    if taken.exists():
        return (f"{taken.name} 已存在（另一条记录），请把编号改为“{path.stem}”",
                f"{taken.name} already exists (another record): change the id to {path.stem!r}")
    return f"把文件改名为 {taken.name}，或把编号改为“{path.stem}”", f"rename the file to {taken.name} or change the id to {path.stem!r}"


def load(root: Path) -> Loaded:
    """Parse and validate every record under ``root`` (the content/ folder)."""
    loaded = Loaded(root=root)
    errors = loaded.report.errors
    for folder in sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        if folder not in BY_FOLDER and folder != "assets":
            errors.append(ContentError(
                f"{root.name}/{folder}", 1, 1, "content.unknown_folder", "",
                f"未知的内容文件夹“{folder}”", f"unknown content folder {folder!r}",
                f"记录只能放在：{', '.join(sorted(BY_FOLDER))}", f"records go in: {', '.join(sorted(BY_FOLDER))}"))
    for kind, path in record_files(root):
        loaded.files += 1
        name = display_path(path, root)
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            errors.append(ContentError(name, 1, exc.start + 1, "file.encoding", "",
                                       "文件不是 UTF-8 编码的文本", "the file is not UTF-8 text",
                                       "用 UTF-8 编码另存为", "save it again as UTF-8"))
            continue
        src, syntax = load_text(name, text)
        errors.extend(syntax)
        if src.data is None:
            continue
        record, problems = validate_source(kind, src)
        errors.extend(problems)
        if record is None:
            continue
        if path.stem != record.id:
            errors.append(src.error(("id",), "record.file_name", f"编号“{record.id}”与文件名“{path.name}”不一致",
                                    f"the id {record.id!r} does not match the file name {path.name!r}",
                                    *_rename_advice(path, record.id)))
            continue
        by_id = loaded.records[kind.KIND]
        if record.id in by_id:
            first = loaded.sources[(kind.KIND, record.id)].file
            errors.append(src.error(("id",), "record.duplicate_id", f"编号“{record.id}”已被 {first} 使用",
                                    f"the id {record.id!r} is already used by {first}", "换一个编号", "choose another id"))
            continue
        by_id[record.id] = record
        loaded.sources[(kind.KIND, record.id)] = src
    return loaded
