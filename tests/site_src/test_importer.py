"""The spreadsheet importer: a round trip that passes the checks, and all-or-nothing refusal."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from site_src.importer import import_cottages
from site_src.pipeline import check_content

VALID = Path(__file__).parent / "examples" / "valid" / "content"
HEADER = "id,programme,township,alias,age_band,household,identified,screened,visited,batch,cost,example\n"
GOOD = [
    "HC-101,demo,方下镇,小星,11-12,minimum_income;orphan,2022-03-01,2022-03-05,2022-03-09,,,是\n",
    "HC-102,demo,寨里镇,HC-102,8-10,registered_poor、single_parent,2022-03-02,,,,,yes\n",
]


@pytest.fixture()
def content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(VALID, root)
    return root


def write_csv(tmp_path: Path, rows: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "cottages.csv"
    path.write_text(header + "".join(rows), encoding="utf-8")
    return path


def cottage_files(content: Path) -> set[str]:
    return {p.name for p in (content / "cottages").glob("*.yml")}


def test_import_round_trip_writes_files_that_pass_every_check(tmp_path: Path, content: Path) -> None:
    ok, messages = import_cottages(write_csv(tmp_path, GOOD), content)
    assert ok, messages
    assert cottage_files(content) == {"HC-001.yml", "HC-101.yml", "HC-102.yml"}
    loaded = check_content(content)
    assert loaded.report.errors == []
    c = loaded.records["cottage"]["HC-101"]
    assert (c.township, c.alias, c.age_band, c.household) == ("方下镇", "小星", "11-12", ["minimum_income", "orphan"])
    assert c.example is True and c.stage == "visited"
    first_line = (content / "cottages" / "HC-101.yml").read_text(encoding="utf-8").split("\n")[0]
    assert first_line.endswith("site_src/schemas/cottage.schema.json")


def test_import_keeps_money_exact_in_yuan(tmp_path: Path, content: Path) -> None:
    row = "HC-103,demo,方下镇,小禾,8-10,disability,2022-03-01,,,,9800.55,\n"
    ok, messages = import_cottages(write_csv(tmp_path, [row]), content)
    assert ok, messages
    assert check_content(content).records["cottage"]["HC-103"].cost == 980055


@pytest.mark.parametrize(
    ("row", "rule", "column"),
    [
        ("HC-201,demo,方下镇,王小雨,8-10,orphan,2022-03-01,,,,,\n", "privacy.name_in_alias", 4),
        ("HC-201,demo,方下镇幸福路12号,小雨,8-10,orphan,2022-03-01,,,,,\n", "privacy.address", None),
        ("HC-201,demo,方下镇,小雨,8-10,orphan,2022-03-01,,,,,13812345678\n", "privacy.phone", None),
        ("HC-201,demo,方下镇,小雨,8-10,orphan,2022-13-01,,,,,\n", "field.date", 7),
        ("HC-201,demo,方下镇,小雨,7-9,orphan,2022-03-01,,,,,\n", "field.choice", 5),
        ("HC-201,demo,方下镇,小雨,8-10,orphan,2022-03-01,,,,12.345,\n", "money.precision", 11),
        ("HC-001,demo,方下镇,小雨,8-10,orphan,2022-03-01,,,,,\n", "import.exists", 1),
    ],
)
def test_import_refuses_bad_row_and_writes_nothing(tmp_path: Path, content: Path, row: str, rule: str,
                                                   column: int | None) -> None:
    before = {p: p.read_bytes() for p in (content / "cottages").glob("*.yml")}
    ok, messages = import_cottages(write_csv(tmp_path, [*GOOD, row]), content)
    assert not ok
    text = "\n".join(messages)
    assert f"[{rule}]" in text
    # The failing row is the 4th line of the CSV (header + two good rows).
    where = f"cottages.csv:4:{column}:" if column else "cottages.csv:4:"
    assert where in text, text
    assert "nothing was written" in text
    assert {p: p.read_bytes() for p in (content / "cottages").glob("*.yml")} == before


def test_import_refuses_unknown_columns(tmp_path: Path, content: Path) -> None:
    ok, messages = import_cottages(write_csv(tmp_path, GOOD, HEADER.replace("example", "remark")), content)
    assert not ok and "[import.header]" in "\n".join(messages)
    assert cottage_files(content) == {"HC-001.yml"}


def test_import_refuses_duplicate_ids_in_the_sheet(tmp_path: Path, content: Path) -> None:
    ok, messages = import_cottages(write_csv(tmp_path, [GOOD[0], GOOD[0]]), content)
    assert not ok and "[import.duplicate_id]" in "\n".join(messages)
    assert cottage_files(content) == {"HC-001.yml"}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_import_reads_utf8_with_or_without_bom_and_gbk(tmp_path: Path, content: Path, encoding: str) -> None:
    path = tmp_path / "小屋名单 (2).csv"
    path.write_bytes((HEADER + "".join(GOOD)).encode(encoding))
    ok, messages = import_cottages(path, content)
    assert ok, messages
    assert check_content(content).records["cottage"]["HC-101"].township == "方下镇"


def test_import_reads_excel_dates_and_skips_rows_of_only_commas(tmp_path: Path, content: Path) -> None:
    rows = ["HC-104,demo,方下镇,小禾,8-10,disability,2022/3/1,2022年3月5日,,,,\n", ",,,,,,,,,,,\n", ",,,,,,,,,,,\n"]
    ok, messages = import_cottages(write_csv(tmp_path, rows), content)
    assert ok, messages
    stages = check_content(content).records["cottage"]["HC-104"].stages
    assert (str(stages.identified), str(stages.screened)) == ("2022-03-01", "2022-03-05")


@pytest.mark.parametrize("band", ["11月12日", "2022/11/12"])
def test_import_explains_excel_mangled_age_band(tmp_path: Path, content: Path, band: str) -> None:
    row = f"HC-105,demo,方下镇,小禾,{band},disability,2022-03-01,,,,,\n"
    ok, messages = import_cottages(write_csv(tmp_path, [*GOOD, row]), content)
    text = "\n".join(messages)
    assert not ok and "[import.age_band_excel]" in text and "11-12" in text and "cottages.csv:4:5:" in text
    assert cottage_files(content) == {"HC-001.yml"}


def test_import_make_target_quotes_its_argument() -> None:
    import subprocess

    repo = Path(__file__).resolve().parents[2]
    run = subprocess.run(["make", "-n", "--no-print-directory", "-C", str(repo), "import-cottages",
                          "CSV=小屋名单 (2).csv"], capture_output=True, text=True, timeout=30, check=True)
    assert 'import-cottages "小屋名单 (2).csv"' in run.stdout


def test_import_reads_xlsx_with_serial_dates(tmp_path: Path, content: Path) -> None:
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    # Excel keeps dates as serial numbers; openpyxl gives them back as datetimes when the cell is date-formatted.
    sheet.append(["HC-106", "demo", "方下镇", "小禾", "8-10", "disability", dt.datetime(2022, 3, 1), None, None,
                  None, 9600, "是"])
    path = tmp_path / "小屋名单.xlsx"
    book.save(path)
    ok, messages = import_cottages(path, content)
    assert ok, messages
    c = check_content(content).records["cottage"]["HC-106"]
    assert (str(c.stages.identified), c.cost, c.example) == ("2022-03-01", 960000, True)


# ---- spreadsheets as county staff receive them ----------------------------------------

ZH_HEADER = "小屋编号,计划,乡镇,化名,年龄段,家庭类别,阶段：摸排确定,筛选日期,入户走访,改造费用,示例\n"


def test_import_chinese_column_headers(tmp_path: Path, content: Path) -> None:
    # The finding: Chinese column headers were refused. Choices may be written as their Chinese labels too.
    rows = ["HC-107,demo,方下镇,小禾,11至12岁,低保、孤儿,2022/3/1,2022年3月5日,,9600,是\n"]
    ok, messages = import_cottages(write_csv(tmp_path, rows, ZH_HEADER), content)
    assert ok, messages
    c = check_content(content).records["cottage"]["HC-107"]
    assert (c.township, c.alias, c.age_band, c.household) == ("方下镇", "小禾", "11-12", ["minimum_income", "orphan"])
    assert (str(c.stages.identified), str(c.stages.screened), c.cost, c.example) == ("2022-03-01", "2022-03-05",
                                                                                     960000, True)


def test_import_chinese_headers_come_from_one_table() -> None:
    from site_src.importer import HEADERS_ZH, OPTIONAL, REQUIRED, _field_of
    from site_src.models.cottage import COTTAGE_STAGE_ZH

    assert set(HEADERS_ZH.values()) == set(REQUIRED + OPTIONAL)  # every column has a Chinese header
    for stage, label in COTTAGE_STAGE_ZH.items():  # stage columns named by the model's own labels
        assert _field_of(label) == _field_of(f"{label}日期") == _field_of(f"阶段：{label}") == stage
    assert _field_of(" 乡镇 (街道) ") == "township" and _field_of("township") == "township"
    guide = (Path(__file__).resolve().parents[2] / "site_src" / "docs" / "editors" / "index.md").read_text(
        encoding="utf-8")
    assert all(f"`{h}`" in guide for h in HEADERS_ZH if h not in COTTAGE_STAGE_ZH.values()), "list them in the guide"


@pytest.mark.parametrize("column", ["姓名", "身份证号", "家庭住址", "学校", "联系电话", "name", " 儿童姓名 "])
def test_import_refuses_a_column_of_childrens_names_and_never_shows_it(tmp_path: Path, content: Path,
                                                                       column: str) -> None:
    header = HEADER.replace("alias,", f"alias,{column},")
    rows = [GOOD[0].replace("小星,", "小星,张小明,"), GOOD[1].replace(",HC-102,8-10", ",HC-102,李思琪,8-10")]
    assert "张小明" in rows[0] and "李思琪" in rows[1]
    ok, messages = import_cottages(write_csv(tmp_path, rows, header), content)
    text = "\n".join(messages)
    assert not ok and "[import.private_column]" in text and "cottages.csv:1:5:" in text
    assert "张小明" not in text and "李思琪" not in text  # not one cell reaches the terminal or the CI log
    assert "nothing was written" in text and cottage_files(content) == {"HC-001.yml"}


def test_import_bare_stage_column_is_explained(tmp_path: Path, content: Path) -> None:
    header = "id,programme,township,alias,age_band,household,阶段\n"
    ok, messages = import_cottages(write_csv(tmp_path, ["HC-108,demo,方下镇,小禾,8-10,orphan,入户走访\n"], header),
                                   content)
    text = "\n".join(messages)
    assert not ok and "[import.header]" in text and "'阶段'" in text and "摸排确定、筛选" in text


@pytest.mark.parametrize("shown", ["11月12日", "3月1日"])
def test_import_date_without_year_from_excel(tmp_path: Path, content: Path, shown: str) -> None:
    # A date column formatted "x月x日" is saved to CSV without its year: said at its cell, never guessed.
    row = f"HC-109,demo,方下镇,小禾,8-10,disability,{shown},,,,,\n"
    ok, messages = import_cottages(write_csv(tmp_path, [*GOOD, row]), content)
    text = "\n".join(messages)
    assert not ok and "[import.date_without_year]" in text and "cottages.csv:4:7:" in text and "没有年份" in text
    assert cottage_files(content) == {"HC-001.yml"}


def test_import_excel_serial_dates_in_csv(tmp_path: Path, content: Path) -> None:
    row = "HC-110,demo,方下镇,小禾,8-10,disability,44621,44625,,,,\n"  # a date column formatted as a number
    ok, messages = import_cottages(write_csv(tmp_path, [row]), content)
    assert ok, messages
    stages = check_content(content).records["cottage"]["HC-110"].stages
    assert (str(stages.identified), str(stages.screened)) == ("2022-03-01", "2022-03-05")


def test_import_file_name_with_spaces_and_brackets_through_the_make_target(tmp_path: Path, content: Path) -> None:
    import os
    import subprocess

    repo = Path(__file__).resolve().parents[2]
    sheet = tmp_path / "小屋 名单 (2)【终版】.csv"
    sheet.write_text(HEADER + "".join(GOOD), encoding="utf-8")
    # -o: the venv is there already; make must not try to reinstall it inside the suite.
    run = subprocess.run(["make", "--no-print-directory", "-C", str(repo), "-o", ".venv/.installed",
                          "import-cottages", f"CSV={sheet}"], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "QINGYI_CONTENT": str(content)})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 cottage(s) imported" in run.stdout
    assert cottage_files(content) == {"HC-001.yml", "HC-101.yml", "HC-102.yml"}


def test_import_writes_files_in_the_style_editors_write(tmp_path: Path, content: Path) -> None:
    # Dates as dates and the cost as a plain number in yuan, as in a hand-written file; no quotes, no anchors.
    row = "HC-111,demo,方下镇,小禾,8-10,disability,2022-03-01,2022-03-01,,,\"¥9,600.50\",\n"
    ok, messages = import_cottages(write_csv(tmp_path, [row]), content)
    assert ok, messages
    text = (content / "cottages" / "HC-111.yml").read_text(encoding="utf-8")
    assert "  identified: 2022-03-01\n  screened: 2022-03-01\n" in text and "\ncost: 9600.5\n" in text
    assert "'" not in text and '"' not in text and "&" not in text
    assert check_content(content).records["cottage"]["HC-111"].cost == 960050
