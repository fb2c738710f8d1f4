"""A campaign settlement exported by the API passes the content checks as it is, and a hand-edited one does not."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from chalicelib.settlement import to_yaml
from site_src.pipeline import check_content

VALID = Path(__file__).parent / "examples" / "valid" / "content"


def summary(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "campaign_id": "giving-day", "name": "示例公益日", "settled_at": "2021-09-12T04:00:00.000Z",
        "pool_fen": 100000, "committed_fen": 3000, "remaining_fen": 97000, "matched_fen": 3000, "reconciled": True,
        "content_path": "content/settlements/giving-day.yaml",
        "projects": [{
            "project_id": "cottages", "name": "示例小屋项目", "raised_fen": 9000, "paid_fen": 5000, "matched_fen": 3000,
            "pledge_count": 3, "donor_count": 2,
            "teams": [{"team_id": "t1", "name": "示例战队", "raised_fen": 5000, "pledge_count": 2, "donor_count": 1}],
        }],
    }
    base.update(changes)
    return base


@pytest.fixture()
def content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(VALID, root)
    (root / "settlements").mkdir()
    return root


def test_the_api_export_passes_the_checks_unchanged(content: Path) -> None:
    (content / "settlements" / "giving-day.yaml").write_text(to_yaml(summary()), encoding="utf-8")
    loaded = check_content(content)
    assert loaded.report.errors == []
    assert loaded.records["settlement"]["giving-day"].projects[0].teams[0].raised_fen == 5000


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"matched_fen": 2999}, "matched_fen"),
        ({"committed_fen": 4000}, "committed_fen"),
        ({"reconciled": False}, "reconciled"),
    ],
)
def test_a_hand_edited_settlement_is_refused(content: Path, changes: dict[str, Any], field: str) -> None:
    (content / "settlements" / "giving-day.yaml").write_text(to_yaml(summary(**changes)), encoding="utf-8")
    errors = check_content(content).report.errors
    assert any(e.rule == "settlement.sum" and e.field == field for e in errors), [e.text() for e in errors]


def test_a_settlement_for_an_unknown_campaign_is_refused(content: Path) -> None:
    text = to_yaml(summary(campaign_id="nope", content_path="content/settlements/nope.yaml"))
    (content / "settlements" / "nope.yaml").write_text(text, encoding="utf-8")
    errors = check_content(content).report.errors
    assert any(e.rule == "ref.missing" and e.field == "campaign_id" for e in errors)


def test_the_campaign_page_publishes_the_settlement(content: Path, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    (content / "settlements" / "giving-day.yaml").write_text(to_yaml(summary()), encoding="utf-8")
    repo = Path(__file__).resolve().parents[2]
    site = tmp_path / "site"
    env = {**os.environ, "QINGYI_CONTENT": str(content), "NO_MKDOCS_2_WARNING": "1", "CI": "true"}
    result = subprocess.run([str(Path(sys.executable).with_name("mkdocs")), "build", "--strict", "-q", "-f",
                             str(repo / "mkdocs.yml"), "-d", str(site)], cwd=repo, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    page = (site / "campaigns" / "giving-day" / "index.html").read_text(encoding="utf-8")
    assert "结算公示" in page and "实际配捐 <strong>¥30</strong>" in page and "示例战队（¥50）" in page
