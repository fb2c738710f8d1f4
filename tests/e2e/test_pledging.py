"""Pledging in a real browser: the project page's widget against the real API and moto.

A pledge alone moves only 认捐中 (pending): 已到账, the match and the donor wall move when the
payment arrives (tests/e2e/test_paying.py walks that path on the fake providers)."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from .conftest import DEMO_PROJECT, LocalStack, screenshot

pytestmark = pytest.mark.browser

PROJECT_PAGE = f"/projects/{DEMO_PROJECT}/"


def open_project(page: Any, stack: LocalStack) -> None:
    page.goto(stack.site + PROJECT_PAGE)
    page.wait_for_selector('#pledge-widget [data-role="live-note"][data-state="live"]')


def live_fen(page: Any, field: str) -> int:
    return int(page.get_attribute(f'#pledge-widget [data-live="{field}"]', "data-fen"))


def wait_until(check: Any, timeout: float = 15, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def pledge_id_of(page: Any) -> str:
    """The pledge id the answer carried (kept on the result; the donor reads the short reference)."""
    result = page.locator('#pledge-widget [data-role="result"]')
    pledge_id = result.get_attribute("data-answer-pledge-id") or ""
    assert re.fullmatch(r"p_[0-9a-f]+", pledge_id), pledge_id
    return pledge_id


def pledge_ref(pledge_id: str) -> str:
    """QY-XXXX-XX: the first 30 bits of the id in Crockford base 32 (live.js's pledgeRef, independently)."""
    bits = int(pledge_id.removeprefix("p_")[:8], 16) >> 2
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    code = "".join(alphabet[(bits >> (5 * i)) & 31] for i in reversed(range(6)))
    return f"QY-{code[:4]}-{code[4:]}"


def submit_and_wait(page: Any) -> str:
    page.click("#pledge-widget button.qy-button")
    page.wait_for_selector('#pledge-widget [data-role="result"][data-state="ok"]')
    return pledge_id_of(page)


def donor_token_of(page: Any) -> str:
    """The private token in the answer's donor link (its fragment: #<pledge_id>.<token>)."""
    href = page.get_attribute('#pledge-widget [data-role="donor-link"]', "href") or ""
    match = re.search(r"#(p_[0-9a-f]{24})\.([0-9a-f]{32})$", href)
    assert match, href
    return match.group(2)


def submit_and_pay(page: Any, stack: LocalStack) -> str:
    """Pledge in the page, then pay it on the fake WeChat Pay as the donor would (tests/e2e/test_paying.py
    does it by clicking; here the page's own link and token are used, through the same routes)."""
    pledge_id = submit_and_wait(page)
    stack.pay(pledge_id, donor_token_of(page))
    return pledge_id


def wall_names(page: Any) -> list[str]:
    return page.locator('#pledge-widget [data-role="wall"] .qy-wall__name').all_inner_texts()


def test_a_pledge_alone_moves_only_the_pending_figure(page: Any, stack: LocalStack) -> None:
    open_project(page, stack)
    paid, matched, pending = live_fen(page, "raised"), live_fen(page, "matched"), live_fen(page, "pending")
    page.check(f"#qy-amt-{DEMO_PROJECT}-100")
    page.fill(f"#qy-name-{DEMO_PROJECT}", "浏览器测试甲")
    pledge_id = submit_and_wait(page)
    result = page.inner_text('#pledge-widget [data-role="result"]')
    assert "认捐已记录" in result and "¥100" in result and "预计配捐，以到账时为准" in result, result
    page.wait_for_function(
        "([want]) => Number(document.querySelector('#pledge-widget [data-live=\"pending\"]').dataset.fen) >= want",
        arg=[pending + 10000],
    )
    assert (live_fen(page, "raised"), live_fen(page, "matched")) == (paid, matched)
    assert not page.query_selector(f'#pledge-widget [data-role="wall"] [data-pledge-id="{pledge_id}"]')
    screenshot(page, "project-after-pledge", element="#pledge-widget")


def test_a_lost_answer_is_retried_with_the_same_key_and_counts_once(page: Any, stack: LocalStack) -> None:
    open_project(page, stack)
    before = stack.get(f"/projects/{DEMO_PROJECT}/progress")
    posts: list[dict[str, str]] = []

    def lose_the_first_answer(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        posts.append(route.request.headers)
        if len(posts) == 1:
            answer = route.fetch()  # the server records the pledge ...
            assert answer.status == 201
            route.abort("connectionreset")  # ... and the browser never hears back
        else:
            route.continue_()

    page.route(f"{stack.api}/projects/*/pledges", lose_the_first_answer)
    page.check(f"#qy-amt-{DEMO_PROJECT}-other")
    page.fill(f"#qy-amt-{DEMO_PROJECT}-other-value", "12.34")
    page.fill(f"#qy-name-{DEMO_PROJECT}", "网络重试乙")
    pledge_id = submit_and_wait(page)
    assert len(posts) == 2
    keys = {p.get("idempotency-key") for p in posts}
    assert len(keys) == 1 and None not in keys, keys
    after = stack.get(f"/projects/{DEMO_PROJECT}/progress")
    assert after["pending_count"] == before["pending_count"] + 1
    assert after["pending_fen"] == before["pending_fen"] + 1234
    stack.pay(pledge_id, donor_token_of(page))
    wall = stack.get(f"/projects/{DEMO_PROJECT}/pledges?limit=100")["pledges"]
    assert [w["pledge_id"] for w in wall if w["display_name"] == "网络重试乙"] == [pledge_id]


def test_an_anonymous_pledge_appears_as_aixin_renshi(page: Any, stack: LocalStack) -> None:
    open_project(page, stack)
    page.check(f"#qy-amt-{DEMO_PROJECT}-10")
    page.check(f"#qy-anon-{DEMO_PROJECT}")
    assert page.is_disabled(f"#qy-name-{DEMO_PROJECT}")
    pledge_id = submit_and_pay(page, stack)
    row = page.wait_for_selector(f'#pledge-widget [data-pledge-id="{pledge_id}"]')
    assert row.query_selector(".qy-wall__name").inner_text() == "爱心人士"


def test_keyboard_only_pledge(page: Any, stack: LocalStack) -> None:
    open_project(page, stack)
    page.focus(f"#qy-amt-{DEMO_PROJECT}-10")
    page.keyboard.press("ArrowRight")  # ¥50 (arrow keys move within the amount group)
    assert page.is_checked(f"#qy-amt-{DEMO_PROJECT}-50")
    focus_order = []
    for _ in range(2):  # amount group -> free amount -> display name
        page.keyboard.press("Tab")
        focus_order.append(page.evaluate("document.activeElement.name"))
    page.keyboard.type("键盘丙")
    for _ in range(4):  # -> anonymous -> team -> message -> button
        page.keyboard.press("Tab")
        focus_order.append(page.evaluate("document.activeElement.name || document.activeElement.textContent"))
    assert focus_order == ["free_amount", "display_name", "anonymous", "team_id", "message", "认捐"], focus_order
    page.keyboard.press("Enter")
    page.wait_for_selector('#pledge-widget [data-role="result"][data-state="ok"]')
    assert page.get_attribute('#pledge-widget [data-role="result"]', "aria-live") == "polite"
    assert "¥50" in page.inner_text('#pledge-widget [data-role="result"]')


def test_missing_name_is_explained_and_focused(page: Any, stack: LocalStack) -> None:
    open_project(page, stack)
    page.click("#pledge-widget button.qy-button")
    page.wait_for_selector('#pledge-widget [data-role="result"][data-state="error"]')
    assert "显示名" in page.inner_text('#pledge-widget [data-role="result"]')
    assert page.evaluate("document.activeElement.name") == "display_name"


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (429, {"code": "too_many_requests", "message": "请求过于频繁 / too many requests"}, "提交太频繁"),
        (409, {"code": "project_closed", "message": "项目已停止认捐 / closed"}, "不接受认捐"),
        (503, {"code": "busy", "message": "服务繁忙 / busy"}, "服务繁忙"),
    ],
)
def test_refusals_get_clear_messages(
    page: Any, stack: LocalStack, status: int, body: dict[str, str], expected: str
) -> None:
    open_project(page, stack)
    import json

    calls: list[str] = []

    def refuse(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        calls.append(route.request.headers.get("idempotency-key", ""))
        route.fulfill(
            status=status,
            body=json.dumps(body),
            headers={
                "Content-Type": "application/json",
                "Retry-After": "1",
                "Access-Control-Allow-Origin": stack.site,
                "Access-Control-Expose-Headers": "Retry-After",
            },
        )

    page.route(f"{stack.api}/projects/*/pledges", refuse)
    page.fill(f"#qy-name-{DEMO_PROJECT}", "被拒绝丁")
    page.click("#pledge-widget button.qy-button")
    page.wait_for_selector('#pledge-widget [data-role="result"][data-state="error"]', timeout=20000)
    text = page.inner_text('#pledge-widget [data-role="result"]')
    assert expected in text, text
    if status == 503:  # retried automatically after Retry-After, always with the one key
        assert len(calls) == 3 and len(set(calls)) == 1, calls
        assert "1 秒" in text
    else:
        assert len(calls) == 1


def test_without_the_api_the_snapshot_stays_with_a_note(page: Any, stack: LocalStack) -> None:
    page.route(f"{stack.api}/**", lambda route: route.abort("connectionrefused"))
    page.goto(stack.site + PROJECT_PAGE)
    note = page.wait_for_selector('#pledge-widget [data-role="live-note"][data-state="offline"]')
    assert "构建时快照" in note.inner_text()
    assert page.is_visible('#pledge-widget [data-role="snapshot"]')
    assert not page.is_visible('#pledge-widget [data-role="live"]')
    screenshot(page, "project-offline")


def test_zz_after_the_pool_is_used_up_the_reason_is_shown(page: Any, stack: LocalStack) -> None:
    """Runs last in this file: it empties the demo pool (the test content makes it small)."""
    for _ in range(20):  # bounded: the pool is a few hundred yuan and each pledge takes up to ¥100 of it
        remaining = stack.get(f"/projects/{DEMO_PROJECT}/progress")["campaign"]["remaining_fen"]
        if remaining == 0:
            break
        stack.pledge(min(remaining, 10000), paid=True)  # the match is drawn when the money arrives
    assert stack.get(f"/projects/{DEMO_PROJECT}/progress")["campaign"]["remaining_fen"] == 0
    open_project(page, stack)
    assert live_fen(page, "pool") == 0
    page.fill(f"#qy-name-{DEMO_PROJECT}", "池尽之后戊")
    submit_and_wait(page)
    result = page.locator('#pledge-widget [data-role="result"]')
    assert result.get_attribute("data-match-reason") == "pool_exhausted"
    text = result.inner_text()
    assert "这笔认捐没有配捐" in text and "配捐资金已经用完" in text, text
    assert "预计配捐 ¥" not in text
    assert "暂不" not in text  # nothing suggests a match may come later
    screenshot(page, "project-pool-used-up", element="#pledge-widget")


def test_a_pledge_on_a_team_page_counts_for_the_team(page: Any, stack: LocalStack) -> None:
    team = stack.get(f"/projects/{DEMO_PROJECT}")["team_ids"][0]
    before = stack.get(f"/teams/{team}")
    page.goto(stack.site + f"/teams/{team}/")
    page.wait_for_selector('#pledge-widget [data-role="live-note"][data-state="live"]')
    assert page.input_value(f"#qy-team-{team}") == team
    page.check(f"#qy-amt-{team}-10")
    page.fill(f"#qy-name-{team}", "战队支持者庚")
    pledge_id = submit_and_pay(page, stack)
    for _ in range(20):  # bounded: the API keeps public team totals for a moment (its own short cache)
        after = stack.get(f"/teams/{team}")
        if after["pledge_count"] > before["pledge_count"]:
            break
        time.sleep(0.25)
    assert after["raised_fen"] == before["raised_fen"] + 1000
    assert after["pledge_count"] == before["pledge_count"] + 1
    row = page.wait_for_selector(f'#pledge-widget [data-pledge-id="{pledge_id}"]')
    assert row.query_selector(".qy-wall__name").inner_text() == "战队支持者庚"
    page.goto(stack.site + "/teams/")
    cell = f'#team-leaderboard tr[data-team-id="{team}"] [data-live="raised"]'
    for _ in range(10):  # the API may serve a leaderboard cached a moment before the pledge: reload
        page.wait_for_selector('#team-leaderboard [data-role="live-note"][data-state="live"]')
        if int(page.get_attribute(cell, "data-fen")) == after["raised_fen"]:
            break
        page.wait_for_timeout(500)
        page.reload()
    assert int(page.get_attribute(cell, "data-fen")) == after["raised_fen"]


def test_the_donor_gets_a_short_reference_derived_from_the_pledge_id(page: Any, stack: LocalStack) -> None:
    open_project(page, stack)
    page.fill(f"#qy-name-{DEMO_PROJECT}", "编号测试丙")
    pledge_id = submit_and_wait(page)
    result = page.locator('#pledge-widget [data-role="result"]')
    ref = result.get_attribute("data-pledge-ref")
    assert re.fullmatch(r"QY-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{2}", ref), ref
    assert ref == pledge_ref(pledge_id)
    assert f"认捐编号 {ref}" in result.inner_text() and pledge_id not in result.inner_text()


def test_full_width_digits_are_accepted(page: Any, stack: LocalStack) -> None:
    open_project(page, stack)
    pending = live_fen(page, "pending")
    page.fill(f"#qy-amt-{DEMO_PROJECT}-other-value", "１２．５")  # a Chinese keyboard in full-width mode
    page.fill(f"#qy-name-{DEMO_PROJECT}", "全角数字丁")
    submit_and_wait(page)
    assert "认捐已记录：¥12.50" in page.inner_text('#pledge-widget [data-role="result"]')
    wait_until(lambda: live_fen(page, "pending") >= pending + 1250, what="the live pending figure to include ¥12.50")


def test_the_message_is_cleared_between_pledges(page: Any, stack: LocalStack) -> None:
    open_project(page, stack)
    page.fill(f"#qy-name-{DEMO_PROJECT}", "留言测试己")
    page.fill(f"#qy-msg-{DEMO_PROJECT}", "第一笔的留言")
    submit_and_wait(page)
    assert page.input_value(f"#qy-msg-{DEMO_PROJECT}") == ""
    page.check(f"#qy-anon-{DEMO_PROJECT}")
    second = submit_and_pay(page, stack)

    def on_the_wall() -> Any:  # the wall's first page may be up to the API's cache time old (wall.py)
        wall = stack.get(f"/projects/{DEMO_PROJECT}/pledges?limit=50")["pledges"]
        return next((w for w in wall if w["pledge_id"] == second), None)

    row = wait_until(on_the_wall, what="the paid pledge on the donor wall")
    assert not row.get("message") and row.get("display_name") == "爱心人士"


def test_team_names_not_ids_when_the_api_is_down(page: Any, stack: LocalStack) -> None:
    page.route(f"{stack.api}/**", lambda route: route.abort("connectionrefused"))
    page.goto(stack.site + PROJECT_PAGE)
    page.wait_for_selector('#pledge-widget [data-role="live-note"][data-state="offline"]')
    labels = page.locator(f"#qy-team-{DEMO_PROJECT} option").all_inner_texts()
    values = [v for v in page.eval_on_selector_all(f"#qy-team-{DEMO_PROJECT} option", "os => os.map(o => o.value)") if v]
    assert values and not set(values) & set(labels), labels  # every team shows its name, none its id
    assert all(re.search(r"[\u4e00-\u9fff]", label) for label in labels), labels


def test_the_sources_table_agrees_with_the_raised_figure(page: Any, stack: LocalStack) -> None:
    stack.pledge(800, paid=True)  # at least one online payment, whatever ran before
    open_project(page, stack)
    raised = live_fen(page, "raised")
    total = page.locator('#sources-and-uses [data-role="online-total"]')
    wait_until(lambda: total.is_visible(), what="the live sources row")
    recorded = int(page.get_attribute("#sources-and-uses", "data-recorded-fen"))
    assert int(total.get_attribute("data-fen")) == recorded + raised
    assert int(page.get_attribute('#sources-and-uses [data-role="online-amount"]', "data-fen")) == raised
    assert not page.is_visible('#sources-and-uses [data-role="no-records"]')


def test_back_to_top_never_covers_a_field(page: Any, stack: LocalStack) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    open_project(page, stack)
    page.mouse.wheel(0, 2500)  # scroll down, then up a little: Material shows the button on the way up
    page.wait_for_timeout(300)
    page.mouse.wheel(0, -400)
    page.wait_for_timeout(300)
    for field in (f"#qy-amt-{DEMO_PROJECT}-other-value", f"#qy-name-{DEMO_PROJECT}", f"#qy-msg-{DEMO_PROJECT}"):
        page.focus(field)
        page.wait_for_timeout(100)
        covered = page.evaluate("""(sel) => {
            const top = document.querySelector('.md-top');
            if (!top || getComputedStyle(top).display === 'none' || top.hidden) return false;
            const a = top.getBoundingClientRect(), b = document.querySelector(sel).getBoundingClientRect();
            return a.width > 0 && !(a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top);
        }""", field)
        assert not covered, field
