"""How the live widgets poll, in a real browser: jitter, If-None-Match, back-off on 429, nothing while hidden.

The project page is served as built, except that its API address points at ``/api`` on the site's own
origin (the way the CDN serves the API's reads in production): there live.js sends If-None-Match
itself. ``page.route`` forwards ``/api/...`` to the real local API (real ETags, real 304s), counts the
requests and, where a test says so, answers 304 or 429 instead. ``window.QINGYI_POLL_MS`` (live.js's
test hook) shortens the 15 s interval so each test sees several polls in a few seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from .conftest import DEMO_PROJECT, LocalStack

pytestmark = pytest.mark.browser

PROJECT_PAGE = f"/projects/{DEMO_PROJECT}/"
POLL_MS = 400
PROGRESS = f"/projects/{DEMO_PROJECT}/progress"
# Records the delay of every setTimeout the page schedules, to see the poller's own timers.
RECORD_TIMERS = """
window.QINGYI_POLL_MS = {poll_ms};
window.__delays = [];
(function () {
  var original = window.setTimeout;
  window.setTimeout = function (fn, ms) { window.__delays.push(ms); return original.apply(window, arguments); };
})();
""".replace("{poll_ms}", str(POLL_MS))
HIDE = """(hidden) => {
  Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
  Object.defineProperty(document, "visibilityState", { configurable: true, get: () => hidden ? "hidden" : "visible" });
  document.dispatchEvent(new Event("visibilitychange"));
}"""


@dataclass
class Seen:
    """One API request the page made: when, which path, the If-None-Match it sent, what it was answered."""

    at: float
    path: str
    if_none_match: str | None
    status: int = 0
    etag: str | None = None


@dataclass
class Api:
    """The page's API traffic; ``fake(path, n)`` may return (status, headers) to answer the n-th request."""

    stack: LocalStack
    fake: Any = None
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def progress(self) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.path == PROGRESS]

    def handle(self, route: Any) -> None:
        request = route.request
        path = request.url.split("/api", 1)[1]
        seen = Seen(time.monotonic(), path.split("?")[0], request.headers.get("if-none-match"))
        with self.lock:
            n = sum(1 for s in self.seen if s.path == seen.path)
            self.seen.append(seen)
        answer = self.fake(seen.path, n) if self.fake else None
        if answer is not None:
            seen.status = answer[0]
            route.fulfill(status=answer[0], headers=answer[1], body="")
            return
        response = route.fetch(url=self.stack.api + path, headers=request.headers)
        seen.status, seen.etag = response.status, response.headers.get("etag")
        route.fulfill(response=response)


def open_page(page: Any, stack: LocalStack, fake: Any = None) -> Api:
    api = Api(stack, fake)

    def same_origin_page(route: Any) -> None:
        response = route.fetch()
        route.fulfill(response=response, body=response.text().replace(stack.api, stack.site + "/api"))

    page.add_init_script(RECORD_TIMERS)
    page.route(stack.site + PROJECT_PAGE, same_origin_page)
    page.route(stack.site + "/api/**", api.handle)
    page.goto(stack.site + PROJECT_PAGE)
    page.wait_for_selector('#pledge-widget [data-role="live-note"][data-state="live"]')
    return api


@pytest.fixture
def quiet_page(page: Any) -> Iterator[Any]:
    """``page``, whose routes are dropped before it closes (a poll in flight then may not raise)."""
    yield page
    page.unroute_all(behavior="ignoreErrors")


def wait_until(page: Any, check: Any, timeout: float = 10, what: str = "") -> Any:
    """Polls check() every 50 ms. Not test_pledging's wait_until: that one sleeps in Python, and while the
    sync API sleeps Playwright runs no route handler, so the page's requests would hang; this one waits
    with page.wait_for_timeout, which does."""
    for _ in range(int(timeout * 20) + 1):
        if value := check():
            return value
        page.wait_for_timeout(50)
    raise AssertionError(f"timed out waiting for {what}")


def poll_delays(page: Any) -> list[int]:
    """The page's timers of poll length (the 10 s fetch timeouts and the 2 s post-pledge refresh excluded)."""
    delays = page.evaluate("window.__delays")
    return [d for d in delays if isinstance(d, int | float) and POLL_MS * 0.5 <= d <= POLL_MS * 1.5]


def test_each_poll_delay_is_jittered_within_twenty_percent(quiet_page: Any, stack: LocalStack) -> None:
    page = quiet_page
    api = open_page(page, stack)
    wait_until(page, lambda: len(api.progress()) >= 5, what="five polls")
    delays = poll_delays(page)
    assert len(delays) >= 4, delays
    assert all(POLL_MS * 0.8 <= d <= POLL_MS * 1.2 for d in delays), delays
    assert len(set(delays)) > 1, f"every delay the same, no jitter: {delays}"


def test_sends_if_none_match_after_the_first_answer(quiet_page: Any, stack: LocalStack) -> None:
    page = quiet_page
    api = open_page(page, stack)
    wait_until(page, lambda: len(api.progress()) >= 3, what="three polls")
    first, *later = api.progress()
    assert first.if_none_match is None
    assert first.status == 200 and first.etag and first.etag.startswith('"'), first
    # Nothing pledged meanwhile (this test pledges nothing): the real API answers 304 to the kept ETag.
    assert later[0].if_none_match == first.etag, later[0]
    assert later[0].status in (200, 304), later[0]
    assert all(s.if_none_match for s in later), later
    # End to end: some read the page repeats unchanged (the donor wall, nobody pledging) gets a real 304.
    wait_until(page, lambda: any(s.status == 304 for s in api.seen), what="a 304 from the real API")
    assert page.get_attribute('#pledge-widget [data-role="live-note"]', "data-state") == "live"


def test_a_304_keeps_the_figures(quiet_page: Any, stack: LocalStack) -> None:
    page = quiet_page

    def not_modified(path: str, n: int) -> tuple[int, dict[str, str]] | None:
        return (304, {}) if path == PROGRESS and n >= 1 else None

    api = open_page(page, stack, not_modified)
    raised = page.get_attribute('#pledge-widget [data-live="raised"]', "data-fen")
    shown = page.inner_text('#pledge-widget [data-live="raised"]')
    stack.pledge(10000, paid=True)  # a real 200 would now show more; the faked 304s must keep the kept figures
    wait_until(page, lambda: sum(s.status == 304 for s in api.progress()) >= 3, what="three 304 answers")
    assert page.get_attribute('#pledge-widget [data-live="raised"]', "data-fen") == raised
    assert page.inner_text('#pledge-widget [data-live="raised"]') == shown
    assert page.get_attribute('#pledge-widget [data-role="live-note"]', "data-state") == "live"
    assert page.is_visible('#pledge-widget [data-role="live"]')


def test_a_429_with_retry_after_delays_the_next_poll(quiet_page: Any, stack: LocalStack) -> None:
    page = quiet_page

    def throttled_once(path: str, n: int) -> tuple[int, dict[str, str]] | None:
        return (429, {"Retry-After": "2", "Content-Type": "application/json"}) if path == PROGRESS and n == 2 else None

    api = open_page(page, stack, throttled_once)
    wait_until(page, lambda: len(api.progress()) >= 4, timeout=15, what="the poll after the 429")
    seen = api.progress()
    assert seen[2].status == 429
    assert seen[3].at - seen[2].at >= 2.0, f"next poll {seen[3].at - seen[2].at:.2f} s after Retry-After: 2"
    # The poller's own timers: the short interval, then the Retry-After (jittered only upwards), then,
    # after a success resets the delay, the short interval again.
    wait_until(page, lambda: len(api.progress()) >= 5, timeout=10, what="a poll after the success")
    page.wait_for_timeout(POLL_MS * 0.5)
    delays = [d for d in page.evaluate("window.__delays") if POLL_MS * 0.5 <= d <= 2400 * 1.5]
    waits = [d for d in delays if d >= 2000]
    assert len(waits) == 1 and waits[0] <= 2400, delays
    after = delays[delays.index(waits[0]) + 1 :]
    assert after and all(POLL_MS * 0.8 <= d <= POLL_MS * 1.2 for d in after), delays


def test_no_polling_while_hidden(quiet_page: Any, stack: LocalStack) -> None:
    page = quiet_page
    api = open_page(page, stack)
    wait_until(page, lambda: len(api.progress()) >= 2, what="two polls")
    page.evaluate(HIDE, True)
    page.wait_for_timeout(POLL_MS * 1.5)  # a poll already in flight may finish
    before = len(api.progress())
    timers_before = len(poll_delays(page))
    page.wait_for_timeout(POLL_MS * 4)
    assert len(api.progress()) == before, "polled while hidden"
    assert len(poll_delays(page)) == timers_before, "scheduled poll timers while hidden"
    shown = time.monotonic()
    page.evaluate(HIDE, False)
    wait_until(page, lambda: len(api.progress()) > before, timeout=5, what="a poll after the tab shows")
    assert api.progress()[before].at - shown < 1.5
    wait_until(page, lambda: len(api.progress()) > before + 2, timeout=5, what="polling resumed")
