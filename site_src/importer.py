"""Turn an editor's spreadsheet of cottages (.xlsx, or CSV in UTF-8 or GBK) into one YAML file per cottage.

All or nothing: every row is parsed, validated by the Cottage model and run
through the privacy lint first; if any row fails, nothing is written and every
problem is reported with the CSV's line and column. Existing cottages are never
overwritten.

Columns (header row required, order free): id, programme, township, alias,
age_band, household (separated by ; or 、), one column per stage date
(identified ... in_service), batch, cost, project, team, example (是/否, yes/no).
Chinese headers name the same columns (:data:`HEADERS_ZH`, one table, listed in the
editors' guide), and choices may be written as their Chinese labels (低保户, 孤儿).
A column of children's personal data (姓名, 身份证号, 电话, 住址, 学校 ...) stops the
import before any cell is read into a message: such data is never imported.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

from . import privacy
from .errors import ContentError
from .loader import validate_source
from .models import Cottage
from .models.common import Choice
from .models.cottage import COTTAGE_STAGE_ZH, COTTAGE_STAGES, AgeBand, Household
from .money import fen_to_yuan_text
from .pipeline import schema_ref
from .yamlsrc import Source, Yuan, write_record

REQUIRED = ("id", "programme", "township", "alias", "age_band", "household")
OPTIONAL = ("batch", "cost", "project", "team", "example", *COTTAGE_STAGES)
TRUE = {"1", "true", "yes", "y", "是", "示例"}
FALSE = {"", "0", "false", "no", "n", "否"}

#: Chinese column headers -> the field each one fills. Stage columns are named by their stage (摸排确定, or
#: 摸排确定日期, 阶段：摸排确定) from the model's own labels.
HEADERS_ZH: dict[str, str] = {
    "编号": "id", "小屋编号": "id",
    "计划": "programme", "项目计划": "programme", "计划编号": "programme",
    "乡镇": "township", "乡镇街道": "township", "乡镇（街道）": "township", "街道": "township",
    "化名": "alias",
    "年龄段": "age_band",
    "家庭类别": "household", "困境类型": "household",
    "批次": "batch", "建设批次": "batch",
    "费用": "cost", "改造费用": "cost", "金额": "cost",
    "资金来源项目": "project", "项目编号": "project",
    "结对服务队": "team", "服务队": "team",
    "示例": "example", "示例数据": "example",
    **{label: stage for stage, label in COTTAGE_STAGE_ZH.items()},
}

#: Headers of children's personal data (Chinese and English). Refused whole: not one cell is read into a message.
PRIVATE_HEADERS = {
    "姓名", "名字", "真实姓名", "儿童姓名", "孩子姓名", "学生姓名", "监护人", "家长姓名", "父亲姓名", "母亲姓名",
    "身份证", "身份证号", "身份证号码", "电话", "手机", "手机号", "手机号码", "联系电话", "联系方式",
    "住址", "地址", "家庭住址", "详细地址", "门牌号", "学校", "就读学校", "班级", "出生日期", "生日", "照片",
    "name", "real_name", "id_number", "phone", "mobile", "address", "school", "birthday", "photo",
}


def _field_of(header: str) -> str:
    """The field a column header names (an English field name, or a Chinese header), else the header itself."""
    h = re.sub(r"\s+", "", header).replace("(", "（").replace(")", "）").strip("*")
    h = re.sub(r"^阶段[：:\-]", "", h)
    h = h.removesuffix("日期") if h.removesuffix("日期") in COTTAGE_STAGE_ZH.values() else h
    return HEADERS_ZH.get(h, header.strip())


def _private(header: str) -> bool:
    return re.sub(r"\s+", "", header).strip("*").lower() in PRIVATE_HEADERS


# Excel's date forms for a date column: 2022/3/1, 2022.3.1, 2022年3月1日 -> 2022-03-01.
_EXCEL_DATE = re.compile(r"^(\d{4})\s*[/.年-]\s*(\d{1,2})\s*[/.月-]\s*(\d{1,2})\s*日?$")
# Excel reads the age band 11-12 as 12 November and shows it as 11月12日 (or 2022/11/12).
_MANGLED_AGE = re.compile(r"^(?:\d{4}[/-])?(\d{1,2})(?:月|[/-])(\d{1,2})日?$")
# A date column formatted "3月1日" is saved to CSV as shown: without its year.
_NO_YEAR = re.compile(r"^\d{1,2}\s*月\s*\d{1,2}\s*日$")
# A date column formatted as a number is saved as Excel's serial day (44621 = 2022-03-01).
_SERIAL = re.compile(r"^[1-9]\d{4}$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _iso_date(value: str) -> str:
    value = value.strip()
    if _SERIAL.match(value):
        return (_EXCEL_EPOCH + dt.timedelta(days=int(value))).isoformat()
    m = _EXCEL_DATE.match(value)
    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else value


def _choices(value: str, choice: type[Choice]) -> str:
    """A choice as written in a sheet: its value, or its Chinese label with or without 户/家庭 (低保, 低保户)."""
    for text in (value, f"{value}户", f"{value}家庭"):
        found = choice.from_label(text)
        if found is not None:
            return found
    return value


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_as_csv(path: Path) -> str:
    """The first sheet of a workbook as CSV text, so one parser (and the privacy lint) reads both; row N of
    the sheet is line N of the text. Date cells (Excel stores them as serial numbers) come back as dates."""
    from openpyxl import load_workbook  # only needed for .xlsx

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for row in book.worksheets[0].iter_rows(values_only=True):
            writer.writerow([_cell_text(v) for v in row])
        return out.getvalue()
    finally:
        book.close()


def _read_text(path: Path) -> str:
    """UTF-8 (with or without BOM), else GB18030, which covers GBK: Excel/WPS's CSV on Chinese Windows."""
    if path.suffix.lower() == ".xlsx":
        return _xlsx_as_csv(path)
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030")


def _row_to_record(row: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key in ("id", "programme", "township", "alias", "age_band", "batch", "cost", "project", "team"):
        value = (row.get(key) or "").strip()
        if value:
            data[key] = value
    if data.get("age_band"):
        data["age_band"] = _choices(data["age_band"], AgeBand)
    if (row.get("example") or "").strip().lower() in TRUE:
        data["example"] = True
    household = re.sub(r"[、,，;；]", ";", row.get("household") or "")
    data["household"] = [_choices(h.strip(), Household) for h in household.split(";") if h.strip()]
    data["stages"] = {s: _iso_date(row[s]) for s in COTTAGE_STAGES if (row.get(s) or "").strip()}
    return data


def import_cottages(csv_path: Path, content: Path, *, dry_run: bool = False) -> tuple[bool, list[str]]:
    """Import every row or none. Returns (ok, messages for the editor)."""
    name = str(csv_path)
    try:
        text = _read_text(csv_path)
    except Exception as exc:  # a damaged workbook or unreadable file: a message, never a traceback
        return False, [f"{name}: 无法读取（需要 UTF-8 或 GBK 编码的 CSV）/ cannot read the file (UTF-8 or GBK CSV needed): {exc}"]
    errors: list[ContentError] = []
    raw_header = next(csv.reader(io.StringIO(text)), [])
    private = [(i + 1, h.strip()) for i, h in enumerate(raw_header) if _private(h)]
    if private:
        # Children's personal data: refused before any cell is read, so no name or number reaches a log.
        shown = "、".join(h for _, h in private)
        return False, [ContentError(
            name, 1, private[0][0], "import.private_column", "",
            f"表格有“{shown}”列：孩子的姓名、身份证号、电话、住址和学校绝不导入，也不写进任何文件",
            f"the sheet has a column of children's personal data ({', '.join(h for _, h in private)}); "
            "names, ID numbers, phones, addresses and schools are never imported",
            f"删除“{shown}”列（孩子只写化名 alias），另存后再导入",
            "delete the column (a child has an alias only), save and import again").text(),
            "导入失败，未写入任何文件 / import failed; nothing was written (1 problem(s))"]
    # The privacy lint reads the raw file so that its line and column point into the spreadsheet.
    found, _waivers = privacy.scan_text(name, text, cottage=True)
    errors.extend(found)

    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is not None:  # reads the header row; the columns then go by the fields they name
        reader.fieldnames = [_field_of(h) for h in reader.fieldnames]
    header = list(reader.fieldnames or [])
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
    if missing or unknown:
        errors.append(ContentError(
            name, 1, 1, "import.header", "",
            f"表头缺少 {missing} 或含有未知列 {unknown}", f"the header lacks {missing} or has unknown columns {unknown}",
            f"表头应包含 {', '.join(REQUIRED)}（中文表头：小屋编号、计划、乡镇、化名、年龄段、家庭类别），"
            f"可选 {', '.join(OPTIONAL)}；阶段按每个阶段一列日期填写（摸排确定、筛选、入户走访……），不用一列“阶段”",
            f"columns: {', '.join(REQUIRED)}; optional: {', '.join(OPTIONAL)}; one date column per stage "
            "(identified, screened, ...), not one column of stage names"))
        return False, [e.text() for e in sorted(errors)]

    columns = {c: i + 1 for i, c in enumerate(header)}
    records: list[Cottage] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue  # a row of only commas, as spreadsheets leave below the data
        band = (row.get("age_band") or "").strip()
        mangled = _MANGLED_AGE.match(band)
        if mangled and "-" not in band[-3:]:
            fixed = f"{int(mangled.group(1))}-{int(mangled.group(2))}"
            errors.append(ContentError(
                name, line, columns["age_band"], "import.age_band_excel", "age_band",
                f"年龄段“{band}”被 Excel 当成了日期（原来应是 {fixed}）",
                f"the age band {band!r} was turned into a date by Excel (it was {fixed})",
                f"改回 {fixed}，并把该列设为“文本”格式后再另存为 CSV",
                f"type {fixed} again with the column formatted as Text, then save as CSV"))
            continue
        undated = [(stage, row[stage].strip()) for stage in COTTAGE_STAGES if _NO_YEAR.match((row.get(stage) or "").strip())]
        for stage, shown in undated:
            errors.append(ContentError(
                name, line, columns[stage], "import.date_without_year", stage,
                f"“{COTTAGE_STAGE_ZH[stage]}”的日期“{shown}”没有年份（Excel 按“x月x日”格式另存 CSV 时会丢掉年份）",
                f"the {stage} date {shown!r} has no year (Excel drops it when a column formatted 3月1日 is saved as CSV)",
                "把该列格式改为“2022/3/1”或写成 2022-03-01，再另存为 CSV（或直接导入 .xlsx）",
                "format the column as 2022/3/1 or type 2022-03-01, then save as CSV again (or import the .xlsx)"))
        if undated:
            continue
        data = _row_to_record(row)
        src = Source(file=name, data=data)
        # Point every field at its CSV cell (stage dates at their own column).
        src.positions[()] = (line, 1)
        for key in data:
            src.positions[(key,)] = (line, columns.get(key, 1))
        for stage in data["stages"]:
            src.positions[("stages", stage)] = (line, columns[stage])
        errors.extend(privacy.scan_alias(name, line, columns["alias"], "alias", data.get("alias", "")))
        record, problems = validate_source(Cottage, src)
        errors.extend(problems)
        if record is None:
            continue
        if record.id in seen:
            errors.append(src.error(("id",), "import.duplicate_id", f"编号 {record.id} 与第 {seen[record.id]} 行重复",
                                    f"id {record.id} repeats line {seen[record.id]}", "每行用不同的编号", "use one id per row"))
        elif (content / Cottage.FOLDER / f"{record.id}.yml").exists():
            errors.append(src.error(("id",), "import.exists", f"小屋 {record.id} 已存在，导入不会覆盖",
                                    f"cottage {record.id} already exists; the import never overwrites",
                                    "换一个编号，或直接编辑已有的 YAML 文件", "use a new id, or edit the existing YAML file"))
        seen.setdefault(record.id, line)
        records.append(record)

    if errors:
        return False, [e.text() for e in sorted(errors)] + [
            f"导入失败，未写入任何文件 / import failed; nothing was written ({len(errors)} problem(s))"]
    if not dry_run:
        for rec in records:
            # As editors write a record: dates as dates and the cost as a plain number in yuan, not as quoted text.
            data = rec.model_dump(exclude_defaults=True, exclude_none=True)
            data["stages"] = {k: v for k, v in data.get("stages", {}).items() if v}
            if rec.cost is not None:
                data["cost"] = Yuan(fen_to_yuan_text(rec.cost))
            write_record(content / Cottage.FOLDER / f"{rec.id}.yml", Cottage.KIND, _ordered(data))
    verb = "可导入" if dry_run else "已导入"
    return True, [f"{verb} {len(records)} 间小屋 / {len(records)} cottage(s) {'would be ' if dry_run else ''}imported"
                  f" -> {content / Cottage.FOLDER}", f"(schema line: {schema_ref(Cottage.KIND)})"]


def _ordered(data: dict[str, Any]) -> dict[str, Any]:
    order = list(Cottage.model_fields)
    return {k: data[k] for k in sorted(data, key=order.index)}
