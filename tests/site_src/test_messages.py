"""Messages editors meet: hints for the common slips, "did you mean", no machine-made YAML anchors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from site_src.yamlsrc import write_record

REPO = Path(__file__).resolve().parents[2]


def test_demo_content_has_no_yaml_anchors() -> None:
    # `&id001` / `*id001` are PyYAML's doing, not an editor's: deleting the first use breaks the second.
    marked = [p.relative_to(REPO).as_posix() for p in sorted((REPO / "content").rglob("*.yml"))
              if "&id0" in p.read_text(encoding="utf-8") or "*id0" in p.read_text(encoding="utf-8")]
    assert marked == []


def test_written_records_have_no_yaml_anchors(tmp_path: Path) -> None:
    day = dt.date(2021, 4, 20)
    path = tmp_path / "x.yml"
    write_record(path, "need", {"claim_opens": day, "stages": {"published": day}})
    text = path.read_text(encoding="utf-8")
    assert "&" not in text and "*" not in text
    assert text.count("2021-04-20") == 2


def _only_error(text: str):  # type: ignore[no-untyped-def]
    from site_src.yamlsrc import load_text

    _, errors = load_text("content/cottages/HC-001.yml", text)
    assert len(errors) == 1, [e.text() for e in errors]
    return errors[0]


def test_full_width_colon_gets_a_hint_at_its_line() -> None:
    err = _only_error("id: HC-001\ntownship：方下镇\nalias: 小雨\n")
    assert (err.line, err.column, err.field) == (2, 9, "township")
    assert "全角冒号" in err.zh and "full-width colon" in err.en and "township: " in err.fix_en
    assert "simple key" not in err.en  # not the parser's words


def test_tab_indent_gets_a_hint() -> None:
    err = _only_error("id: HC-001\nstages:\n\tidentified: 2021-01-01\n")
    assert err.line == 3 and "Tab" in err.zh and "tab" in err.en


def test_undefined_alias_gets_alias_advice_not_indentation() -> None:
    err = _only_error("id: HC-001\nstages:\n  identified: *id001\n")
    assert err.rule == "yaml.alias" and "*id001" in err.zh and "&id001" in err.en
    assert "缩进" not in err.fix_zh and "indentation" not in err.fix_en


def test_rename_advice_never_points_at_an_existing_file(tmp_path: Path) -> None:
    import shutil

    from site_src.pipeline import check_content as load

    root = tmp_path / "content"
    shutil.copytree(REPO / "tests" / "site_src" / "examples" / "valid" / "content", root)
    folder = root / "cottages"
    original = (folder / "HC-001.yml").read_text(encoding="utf-8")
    (folder / "HC-002.yml").write_text(original, encoding="utf-8")  # a copy that still says id: HC-001
    (err,) = [e for e in load(root).report.errors if e.rule == "record.file_name"]
    assert "HC-001.yml already exists" in err.fix_en and "change the id to 'HC-002'" in err.fix_en
    assert "rename" not in err.fix_en
    (folder / "HC-001.yml").unlink()
    (err,) = [e for e in load(root).report.errors if e.rule == "record.file_name"]
    assert "rename the file to HC-001.yml" in err.fix_en


def _content(tmp_path: Path) -> Path:
    import shutil

    root = tmp_path / "content"
    shutil.copytree(REPO / "tests" / "site_src" / "examples" / "valid" / "content", root)
    return root


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_missing_reference_gets_did_you_mean_from_existing_ids(tmp_path: Path) -> None:
    from site_src.pipeline import check_content

    root = _content(tmp_path)
    _replace(root / "cottages" / "HC-001.yml", "project: cottages", "project: cotages")  # a letter left out
    (err,) = check_content(root).report.errors
    assert (err.rule, err.file, err.field) == ("ref.missing", "content/cottages/HC-001.yml", "project")
    assert "是不是“cottages”" in err.fix_zh and "did you mean 'cottages'?" in err.fix_en


def test_missing_reference_did_you_mean_offers_only_the_right_kind_of_organisation(tmp_path: Path) -> None:
    from site_src.checks import nearest_ids
    from site_src.pipeline import check_content

    assert nearest_ids("laiwu-2022-b5", ["laiwu-2022-b4", "laiwu-2021-b3", "linhai"]) == ["laiwu-2022-b4", "laiwu-2021-b3"]
    assert nearest_ids("LAIWU", ["laiwu", "linhai"]) == ["laiwu"]
    assert nearest_ids("zzz", ["laiwu", "linhai"]) == []
    root = _content(tmp_path)
    _replace(root / "cottages" / "HC-001.yml", "team: vteam", "team: vteams")
    (err,) = check_content(root).report.errors
    assert err.rule == "ref.missing" and "did you mean 'vteam'?" in err.fix_en
    # A cottage's team is a volunteer team: a contractor with a close id is never suggested.
    _replace(root / "cottages" / "HC-001.yml", "team: vteams", "team: contractors")
    (err,) = check_content(root).report.errors
    assert err.rule == "ref.missing" and "did you mean" not in err.fix_en and "add content/organisations/" in err.fix_en


def test_full_width_colon_in_a_text_block_is_not_blamed_for_another_error() -> None:
    # "Tips：" inside a block of text is no key: the unclosed quote two lines down is the cause, named where it opens.
    err = _only_error('id: HC-001\ndescription: |\n  Tips：见附件\n  更多\nalias: "小雨\nage_band: 8-10\n')
    assert (err.line, err.column, err.rule) == (5, 8, "yaml.syntax")
    assert "引号" in err.zh and "quote" in err.en and "全角" not in err.zh


def test_full_width_colon_nearest_the_error_is_named() -> None:
    err = _only_error("id: HC-001\nstages:\n  identified: 2021-01-01\n  screened：2021-01-02\nalias: x\n")
    assert (err.line, err.field) == (4, "screened") and "screened: " in err.fix_en


def test_full_width_colon_that_yaml_reads_as_text_gets_the_hint() -> None:
    # "identified：2021-01-01" alone under stages: is no YAML error, only text where a mapping belongs.
    from site_src.loader import load_record
    from site_src.models import Cottage

    text = (REPO / "content" / "cottages" / "HC-001.yml").read_text(encoding="utf-8")
    start, end = text.index("stages:\n"), text.index("batch:")
    broken = text[:start] + "stages:\n  identified：2020-06-24\n" + text[end:]
    _, errors, _ = load_record(Cottage, "content/cottages/HC-001.yml", broken.encode("utf-8"))
    (err,) = errors
    assert (err.rule, err.field) == ("yaml.syntax", "stages") and "全角冒号" in err.zh and "identified: " in err.fix_en
    line = broken.split("\n").index("  identified：2020-06-24") + 1
    assert (err.line, err.column) == (line, len("  identified：")), err.text()  # at the colon, not at stages:


def test_tab_in_a_text_block_is_not_blamed_for_another_error() -> None:
    err = _only_error('id: HC-001\ndescription: |\n  a\n  \tb\nalias: "x\n')
    assert err.line == 5 and "Tab" not in err.zh


def test_missing_reference_is_said_once_not_again_by_the_rules_that_need_it(tmp_path: Path) -> None:
    # A mistyped batch on a built cottage: ref.missing with "did you mean", not also "a built cottage needs a batch".
    from site_src.pipeline import check_content

    root = _content(tmp_path)
    _replace(root / "cottages" / "HC-001.yml", "batch: b1", "batch: b2")
    errors = check_content(root).report.errors
    assert [(e.rule, e.field) for e in errors] == [("ref.missing", "batch")] and "'b1'" in errors[0].fix_en


@pytest.mark.parametrize(("file", "old", "new", "name"), [
    ("cottages/HC-001.yml", "kind: childrens_day}", "kind: childrens_day, note: 张小明在六一文艺汇演上表演了诗朗诵}", "张小明"),
    ("needs/n1.yml", "description: 为社区老人义诊。", "description: 李思琪（9岁）需要课业辅导。", "李思琪"),
    ("projects/cottages.yml", "title: 第一间小屋完工}", "title: 第一间小屋完工, body: 留守儿童王芳住进了新小屋。}", "王芳"),
])
def test_child_name_in_free_text_fails_the_content_checks(tmp_path: Path, file: str, old: str, new: str,
                                                          name: str) -> None:
    # The finding: a child's name in free text passed every check. End to end, as `make check-content` runs.
    from site_src.pipeline import check_content

    root = _content(tmp_path)
    _replace(root / file, old, new)
    errors = check_content(root).report.errors
    assert [(e.rule, e.file) for e in errors] == [("privacy.child_name", f"content/{file}")]
    assert name in errors[0].zh
