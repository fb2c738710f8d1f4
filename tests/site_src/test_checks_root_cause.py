"""Root cause first: a record that fails to load reports its own error, and what depends on it says so in one line.

The project: the valid examples plus 142 cottages that point at the example project, whose amount is then
made unreadable (generated in a temporary folder).
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from site_src.errors import GITHUB_ANNOTATIONS, Consequence, ContentError, Report
from site_src.pipeline import check_content
from site_src.synthetic import cottage_dict
from site_src.yamlsrc import write_record

from .test_content_examples import VALID

REPO = Path(__file__).resolve().parents[2]
POINTING = 142
PROJECT = "content/projects/cottages.yml"


@pytest.fixture()
def content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(VALID, root)
    rng = random.Random(13)
    for n in range(200, 200 + POINTING):  # not yet built: the example figures still hold
        write_record(root / "cottages" / f"HC-{n}.yml", "cottage",
                     cottage_dict(n, rng, programme="demo", upto=3, project="cottages"))
    assert check_content(root).report.ok
    return root


def break_project_amount(root: Path) -> None:
    path = root / "projects" / "cottages.yml"
    path.write_text(path.read_text(encoding="utf-8").replace('goal: "¥20,000.00"', "goal: 两万元"), encoding="utf-8")


def test_a_record_that_fails_to_load_reports_its_own_error(content: Path) -> None:
    break_project_amount(content)
    report = check_content(content).report
    assert [(e.file, e.line, e.rule, e.field) for e in report.errors] == [(PROJECT, 7, "money.format", "goal")]


def test_what_points_at_a_broken_record_says_so_in_one_line(content: Path) -> None:
    break_project_amount(content)
    report = check_content(content).report
    refs = [c for c in report.consequences if c.rule == "ref.has_errors"]
    # 142 cottages, the example cottage, the team and the campaign: one line each, none a failure
    assert len(refs) == POINTING + 3
    assert not any(e.rule == "ref.missing" for e in report.errors)
    text = report.render(github=False)
    line = next(x for x in text.split("\n") if x.strip().startswith("content/cottages/HC-200.yml"))
    assert "引用的公益项目“cottages”本身有错误" in line and "refers to project 'cottages', which has errors itself" in line
    assert PROJECT in line


def test_figure_checks_do_not_fire_on_records_that_failed_to_load(content: Path) -> None:
    break_project_amount(content)  # the total_raised figure counts this project
    cottage = content / "cottages" / "HC-001.yml"  # the one built cottage, counted by cottages_built
    cottage.write_text(cottage.read_text(encoding="utf-8").replace('age_band: "8-10"', "age_band: 9"), encoding="utf-8")
    report = check_content(content).report
    assert not [e for e in report.errors if e.rule == "sum.figure"]
    assert {e.rule for e in report.errors} == {"money.format", "field.choice"}
    unchecked = {c.field for c in report.consequences if c.rule == "sum.figure_unchecked"}
    assert unchecked == {"figures[0].value", "figures[1].value"}  # total_raised and cottages_built


def test_a_figure_still_fails_when_the_records_it_counts_all_loaded(content: Path) -> None:
    programme = content / "programmes" / "demo.yml"
    programme.write_text(programme.read_text(encoding="utf-8").replace("label: 已建成, value: 1", "label: 已建成, value: 2"),
                         encoding="utf-8")
    report = check_content(content).report
    assert [(e.rule, e.field) for e in report.errors] == [("sum.figure", "figures[1].value")]


def test_errors_are_printed_root_causes_first(content: Path) -> None:
    break_project_amount(content)
    cottage = content / "cottages" / "HC-001.yml"  # a rule across records, in a file that sorts first
    cottage.write_text(cottage.read_text(encoding="utf-8").replace("visited: 2021-03-20", "visited: 2021-03-05"),
                       encoding="utf-8")
    report = check_content(content).report
    assert [e.rule for e in report.errors] == ["money.format", "stage.order"]
    text = report.render(github=False)
    assert text.index("[money.format]") < text.index("[stage.order]") < text.index("本身有错误")


def _errors(n: int) -> list[ContentError]:
    return [ContentError(f"content/cottages/HC-{i:03d}.yml", 3, 1, "field.missing", "alias", "缺少", "missing")
            for i in range(n)]


def test_ci_annotations_show_the_root_causes_within_githubs_limit() -> None:
    note = Consequence("content/teams/t1.yml", 5, 1, "ref.has_errors", "project", "引用的本身有错误", "has errors itself")
    lines = Report(errors=_errors(GITHUB_ANNOTATIONS + 5), consequences=[note]).render(github=True).split("\n")
    errors = [x for x in lines if x.startswith("::error")]
    assert len(errors) == GITHUB_ANNOTATIONS
    assert all("file=content/cottages/HC-" in x for x in errors[:-1])
    assert "另有 6 个问题" in errors[-1] and "6 more problem(s)" in errors[-1]
    for i in range(GITHUB_ANNOTATIONS - 1, GITHUB_ANNOTATIONS + 5):  # the rest are in the log, in full
        assert any(x.startswith(f"content/cottages/HC-{i:03d}.yml:3:1: [field.missing]") for x in lines)
    notices = [x for x in lines if x.startswith("::notice")]
    assert len(notices) == 1 and "1 place(s) depend on records that have errors themselves" in notices[0]
    assert not any("file=content/teams/t1.yml" in x for x in lines)  # the consequence is no annotation


def test_ci_annotations_are_all_shown_up_to_the_limit() -> None:
    lines = Report(errors=_errors(GITHUB_ANNOTATIONS)).render(github=True).split("\n")
    assert [x for x in lines if x.startswith("::error")] == [e.annotation() for e in _errors(GITHUB_ANNOTATIONS)]


def test_the_command_line_in_ci_annotates_the_root_cause_first(content: Path) -> None:
    break_project_amount(content)
    done = subprocess.run([sys.executable, "-m", "site_src", "--content", str(content), "check"], cwd=REPO,
                          capture_output=True, text=True, timeout=120, env={"GITHUB_ACTIONS": "true", "PATH": ""})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    annotations = re.findall(r"^::error file=([^,]+),", done.stdout, re.M)
    assert annotations == [PROJECT]
    assert "1 content problem(s) found" in done.stderr
