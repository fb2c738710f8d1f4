"""The needs board and a cottage's visit count change live; a restart of the stack keeps what was pledged."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from .conftest import CLAIM_TEAM, COTTAGE, DEMO_PROJECT, NEED, VISIT_TEAM, LocalStack, screenshot

pytestmark = pytest.mark.browser

BEIJING = timezone(timedelta(hours=8))


def reload_until(page: Any, selector: str, check: Any, tries: int = 10) -> str:
    """Reload (the API caches public reads for ~1.5 s) until the live text at ``selector`` passes ``check``."""
    text = ""
    for _ in range(tries):
        page.wait_for_selector(selector)
        text = page.inner_text(selector)
        if check(text):
            return text
        page.wait_for_timeout(500)
        page.reload()
    raise AssertionError(f"{selector}: last text {text!r}")


def test_a_claim_changes_the_needs_board(page: Any, stack: LocalStack) -> None:
    page.goto(stack.site + "/needs/")
    tag = f'li[data-need-id="{NEED}"] [data-role="live-claim"]'
    assert "可认领" in reload_until(page, tag, lambda t: "可认领" in t)
    status, body = stack.as_team(CLAIM_TEAM, "POST", f"/needs/{NEED}/claims", {"note": "浏览器测试认领"})
    assert status == 201, body
    team_name = stack.get(f"/needs/{NEED}/claim")["team_name"]
    text = reload_until(page, tag, lambda t: "待审核" in t)
    assert team_name and team_name in text
    assert page.get_attribute(tag, "data-claim-status") == "pending"
    summary = page.inner_text('#needs-board [data-role="live-summary"]')
    assert "已被认领" in summary
    page.goto(stack.site + f"/needs/{NEED}/")
    assert "待审核" in reload_until(page, '#claim-widget [data-role="live-claim"]', lambda t: "待审核" in t)


def test_a_visit_changes_a_cottages_count(page: Any, stack: LocalStack) -> None:
    page.goto(stack.site + f"/cottages/{COTTAGE}.html")
    count = '#cottage-visits [data-role="visit-count"]'
    page.wait_for_selector(count + ":not([hidden])")
    before = int(page.get_attribute(count, "data-count"))
    today = datetime.now(BEIJING).date().isoformat()
    status, body = stack.as_team(
        VISIT_TEAM,
        "POST",
        f"/cottages/{COTTAGE}/visits",
        {"date": today, "duration_minutes": 60, "what_was_done": "辅导作业（浏览器测试）"},
        key=uuid.uuid4().hex,
    )
    assert status == 201, body
    reload_until(page, count, lambda t: f"探访 {before + 1} 次" in t)
    assert int(page.get_attribute(count, "data-count")) == before + 1
    assert "辅导作业" not in page.content()  # the book is private; only the count is public
    screenshot(page, "cottage-after-visit")


def test_a_restart_keeps_the_pledges_made_before_it(page: Any, stack: LocalStack) -> None:
    made = stack.pledge(2345, paid=True, display_name="重启之前己")
    before = stack.get(f"/projects/{DEMO_PROJECT}/progress")
    stack.restart()  # SIGINT: state dumped with Scan; start: restored with BatchWriteItem
    after = stack.get(f"/projects/{DEMO_PROJECT}/progress")
    for field in ("raised_fen", "matched_fen", "pledge_count", "donor_count"):
        assert after[field] == before[field], field
    assert after["campaign"]["remaining_fen"] == before["campaign"]["remaining_fen"]
    page.goto(stack.site + f"/projects/{DEMO_PROJECT}/")
    row = page.wait_for_selector(f'#pledge-widget [data-pledge-id="{made["pledge_id"]}"]')
    assert row.query_selector(".qy-wall__name").inner_text() == "重启之前己"
    assert "restored" in stack.log_text()
