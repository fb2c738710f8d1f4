"""The valid/ and invalid/ example folders: every rule has an invalid file that names its file, line and rule."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from site_src.pipeline import check_content

EXAMPLES = Path(__file__).parent / "examples"
VALID = EXAMPLES / "valid" / "content"
INVALID = sorted((EXAMPLES / "invalid").glob("*.yml"))


def expectation(path: Path) -> tuple[str, str, int]:
    """(rule, destination, line) from the case's header; the line is the one marked `# <- here`."""
    text = path.read_text(encoding="utf-8")
    rule = re.search(r"^# expect: (\S+)$", text, re.M)
    into = re.search(r"^# into: (\S+)$", text, re.M)
    assert rule and into, f"{path.name}: header needs '# expect: RULE' and '# into: FOLDER/FILE.yml'"
    marked = [i for i, line in enumerate(text.split("\n"), 1) if line.endswith("# <- here")]
    stated = re.search(r"^# line: (\d+)$", text, re.M)
    line = marked[0] if marked else int(stated.group(1)) if stated else 0
    assert line, f"{path.name}: mark the offending line with '# <- here' or state '# line: N'"
    return rule.group(1), into.group(1), line


@pytest.fixture()
def content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(VALID, root)
    return root


def test_valid_examples_pass() -> None:
    loaded = check_content(VALID)
    assert loaded.report.errors == []
    assert loaded.files == 22


def test_there_is_an_invalid_example_for_at_least_30_rules() -> None:
    rules = {expectation(p)[0] for p in INVALID}
    assert len(INVALID) >= 30 and len(rules) >= 30, sorted(rules)


@pytest.mark.parametrize("case", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_example_reports_file_line_and_rule(case: Path, content: Path) -> None:
    rule, into, line = expectation(case)
    shutil.copy(case, content / into)
    report = check_content(content).report
    in_file = [e for e in report.errors if e.file == f"content/{into}"]
    assert any(e.rule == rule and e.line == line for e in in_file), (
        f"expected {rule} at content/{into}:{line}, got:\n" + "\n".join(e.text() for e in report.errors))
    for err in in_file:
        # Every message is bilingual and tells the editor what to do (the fix may be omitted only for syntax).
        assert err.zh and err.en and re.search(r"[\u4e00-\u9fff]", err.zh)


GUIDE = Path(__file__).resolve().parents[2] / "site_src" / "docs" / "editors" / "index.md"


def test_editors_guide_explains_every_rule_the_examples_exercise() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    for case in INVALID:
        rule = expectation(case)[0]
        family = rule.split(".")[0] + ".*"
        assert f"`{rule}`" in guide or f"`{family}`" in guide, f"{rule} is not explained in {GUIDE.name}"
