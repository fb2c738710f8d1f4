"""The donor path in a real browser: pledge → pay on the fake provider → 已到账, the final match, the wall.

The local stack starts the fake WeChat Pay and Alipay (infra/fakes/) as ``make serve`` does; their pay
pages are marked 本地模拟支付 and their 确认支付 button sends the signed (and, for WeChat Pay, encrypted)
notification to the API exactly as the real service does. A phone-sized window (390 px) walks it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import DEMO_PROJECT, LocalStack, screenshot
from .test_pledging import PROJECT_PAGE, live_fen, submit_and_wait, wait_until

pytestmark = pytest.mark.browser


def progress(stack: LocalStack) -> dict[str, Any]:
    return stack.get(f"/projects/{DEMO_PROJECT}/progress")


def test_pledge_pay_on_the_fake_wechat_pay_then_progress_match_and_wall_change(page: Any, stack: LocalStack) -> None:
    page.set_viewport_size({"width": 390, "height": 844})  # phones first
    page.goto(stack.site + PROJECT_PAGE)
    page.wait_for_selector('#pledge-widget [data-role="live-note"][data-state="live"]')
    before = progress(stack)
    page.check(f"#qy-amt-{DEMO_PROJECT}-50")
    page.fill(f"#qy-name-{DEMO_PROJECT}", "付款测试甲")
    pledge_id = submit_and_wait(page)
    result = page.inner_text('#pledge-widget [data-role="result"]')
    assert "预计配捐" in result and "以到账时为准" in result, result
    assert page.is_visible('#pledge-widget [data-role="pay-step"] [data-provider="alipay"]')
    screenshot(page, "pay-step-phone", element="#pledge-widget [data-role='result']")

    # on a phone WeChat Pay is H5: the browser goes to the (fake) WeChat page and comes back
    page.click('#pledge-widget [data-role="pay-step"] [data-provider="wechat"]')
    page.wait_for_url(re.compile(r"http://127\.0\.0\.1:\d+/pay/" + pledge_id))
    assert "本地模拟支付" in page.inner_text(".banner")
    assert "¥50.00" in page.inner_text(".amount")
    screenshot(page, "fake-wechat-pay-page")
    page.click("text=确认支付")
    page.wait_for_selector(".paid")
    assert "HTTP 204" in page.content()
    page.click("text=返回 / back")

    # the donor's private page: paid, and the final match
    page.wait_for_selector('[data-role="donor-view"][data-status="paid"]', timeout=20000)
    view = page.inner_text('[data-role="donor-view"]')
    assert "已到账" in view and "配捐（最终）" in view, view
    screenshot(page, "donor-page-paid")
    # every field of the receipt form is drawn as a field (the e-mail one had no border: invisible)
    for field in ("#qy-receipt-name", "#qy-receipt-code", "#qy-receipt-email"):
        assert page.eval_on_selector(field, "e => getComputedStyle(e).borderTopStyle") == "solid", field

    after = wait_until(lambda: (p := progress(stack))["paid_fen"] > before["paid_fen"] and p, what="已到账")
    assert after["paid_fen"] == before["paid_fen"] + 5000
    assert after["matched_fen"] > before["matched_fen"]
    assert after["pending_fen"] == before["pending_fen"]
    # the wall's first page may be up to the API's cache time old (api/chalicelib/wall.py), like 已到账 above
    wait_until(
        lambda: any(w["pledge_id"] == pledge_id for w in stack.get(f"/projects/{DEMO_PROJECT}/pledges")["pledges"]),
        what="the paid pledge on the API's donor wall",
    )
    page.goto(stack.site + PROJECT_PAGE)
    row = page.wait_for_selector(f'#pledge-widget [data-role="wall"] [data-pledge-id="{pledge_id}"]')
    assert row.query_selector(".qy-wall__name").inner_text() == "付款测试甲"
    wait_until(lambda: live_fen(page, "raised") >= after["paid_fen"], what="已到账 to include the payment")


def test_an_abandoned_payment_changes_nothing_public_but_pending(page: Any, stack: LocalStack) -> None:
    page.goto(stack.site + PROJECT_PAGE)
    page.wait_for_selector('#pledge-widget [data-role="live-note"][data-state="live"]')
    before = progress(stack)
    wall_before = stack.get(f"/projects/{DEMO_PROJECT}/pledges?limit=100")["pledges"]
    page.fill(f"#qy-name-{DEMO_PROJECT}", "放弃付款乙")
    pledge_id = submit_and_wait(page)
    page.click('#pledge-widget [data-role="pay-step"] [data-provider="wechat"]')  # desktop: Native, a code
    link = page.wait_for_selector('#pledge-widget [data-role="pay-link"]')
    page.goto(link.get_attribute("href"))  # the donor opens the pay page ...
    assert "本地模拟支付" in page.inner_text(".banner")
    page.go_back()  # ... and leaves without paying
    # the API keeps public figures for a moment (its own short cache): wait for the pending pledge to show
    after = wait_until(lambda: (p := progress(stack))["pending_fen"] > before["pending_fen"] and p, what="认捐中")
    for field in ("paid_fen", "matched_fen", "donor_count"):
        assert after[field] == before[field], field
    assert after["campaign"]["remaining_fen"] == before["campaign"]["remaining_fen"]
    assert after["pending_fen"] == before["pending_fen"] + 5000
    assert stack.get(f"/projects/{DEMO_PROJECT}/pledges?limit=100")["pledges"] == wall_before
    # the donor's link still offers to pay (until it expires) and says when it lapses
    page.goto(stack.site + PROJECT_PAGE)
    page.wait_for_selector('#pledge-widget [data-role="live-note"][data-state="live"]')
    assert not page.query_selector(f'#pledge-widget [data-role="wall"] [data-pledge-id="{pledge_id}"]')


def test_the_donor_cancels_from_their_link_and_nothing_public_moves(page: Any, stack: LocalStack) -> None:
    start = progress(stack)["pending_fen"]
    made = stack.pledge(3000, display_name="取消测试丙")
    want = start + 3000
    before = wait_until(lambda: (p := progress(stack))["pending_fen"] == want and p, what="the pledge as pending")
    page.goto(stack.site + f"/pledge/#{made['pledge_id']}.{made['donor_token']}")
    page.wait_for_selector('[data-role="donor-view"][data-status="pledged"]')
    assert "付款截止" in page.inner_text('[data-role="donor-view"]')
    page.click('[data-role="cancel"]')
    page.wait_for_selector('[data-role="donor-view"][data-status="cancelled"]')
    after = wait_until(lambda: (p := progress(stack))["pending_fen"] == start and p, what="认捐中 back down")
    assert (after["paid_fen"], after["matched_fen"]) == (before["paid_fen"], before["matched_fen"])


def test_a_paid_donor_asks_for_a_receipt_and_it_stays_private(page: Any, stack: LocalStack) -> None:
    made = stack.pledge(2000, paid=True, display_name="票据测试丁")
    page.goto(stack.site + f"/pledge/#{made['pledge_id']}.{made['donor_token']}")
    page.wait_for_selector('[data-role="donor-view"][data-status="paid"]')
    page.fill("#qy-receipt-name", "丁某某")
    page.fill("#qy-receipt-email", "ding@example.org")
    page.click('[data-role="receipt-form"] button')
    page.wait_for_selector('[data-role="receipt-done"]')
    for path in (f"/projects/{DEMO_PROJECT}/pledges?limit=100", f"/projects/{DEMO_PROJECT}/progress"):
        assert "ding@example.org" not in str(stack.get(path))


def test_a_link_without_its_token_shows_nothing_private(page: Any, stack: LocalStack) -> None:
    made = stack.pledge(1000, display_name="无凭据戊")
    page.goto(stack.site + f"/pledge/#{made['pledge_id']}.{'0' * 32}")
    page.wait_for_selector('[data-role="donor-view"] p')
    text = page.inner_text('[data-role="donor-view"]')
    assert "链接无效" in text and "¥10" not in text
