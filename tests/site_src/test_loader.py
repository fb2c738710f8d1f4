"""The loader and the command line: positions, duplicate keys, annotations, and never a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from site_src.errors import ContentError, Report
from site_src.yamlsrc import load_text

REPO = Path(__file__).resolve().parents[2]
VALID = Path(__file__).parent / "examples" / "valid" / "content"


def test_duplicate_keys_are_errors_not_silently_last_wins() -> None:
    src, errors = load_text("x.yml", "a: 1\nb:\n  c: 2\n  c: 3\n")
    assert [(e.rule, e.line, e.column, e.field) for e in errors] == [("yaml.duplicate_key", 4, 3, "b.c")]
    assert src.data == {"a": 1, "b": {"c": 2}}


def test_positions_point_at_each_key() -> None:
    src, _ = load_text("x.yml", "a: 1\nlist:\n  - x: 1\n  - x: 2\n")
    assert src.where(("list", 1, "x")) == (4, 5)
    assert src.where(("list", 9)) == src.where(("list",)) == (2, 1)


def test_syntax_error_has_line_and_column() -> None:
    _, errors = load_text("x.yml", "a: [1, 2\nb: 3\n")
    assert errors and errors[0].rule == "yaml.syntax" and errors[0].line >= 1


def test_github_annotation_format() -> None:
    err = ContentError("content/cottages/HC-001.yml", 7, 3, "ref.missing", "batch", "找不到", "not found", "改", "fix")
    report = Report(errors=[err])
    line = report.render(github=True)
    assert line.startswith("::error file=content/cottages/HC-001.yml,line=7,col=3,title=ref.missing::")
    assert "找不到" in line and "not found" in line and "\n" not in line
    plain = report.render(github=False)
    assert "content/cottages/HC-001.yml:7:3: [ref.missing] batch" in plain and "修改：改" in plain


def run_check(content: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "site_src", "--content", str(content), "check"], cwd=REPO,
                          capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=120)


def test_cli_passes_on_valid_content() -> None:
    result = run_check(VALID)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "content checks passed" in result.stdout


@pytest.mark.parametrize(
    "garbage",
    [b"\x00\x01\x02binary", b"a: [unclosed\n", b"- a list\n", b"id: !!python/object:os.system x\n", b"\xff\xfe bad utf8"],
    ids=["binary", "unclosed", "list", "python-tag", "bad-utf8"],
)
def test_cli_never_shows_a_traceback(tmp_path: Path, garbage: bytes) -> None:
    content = tmp_path / "content"
    shutil.copytree(VALID, content)
    (content / "cottages" / "HC-001.yml").write_bytes(garbage)
    result = run_check(content, {"GITHUB_ACTIONS": "true"})
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "::error file=content/cottages/HC-001.yml,line=" in result.stdout
