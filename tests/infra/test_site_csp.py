"""The site's content security policy, from infra/site.yaml, does not break the real built site.

The site is built with `mkdocs build --strict`, served on 127.0.0.1 with the
policy CloudFront would add, and opened in Chromium: no page may trip the
policy, the API's origin must be reachable, and any other origin must not.
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.infra.conftest import INFRA, ROOT, load_template

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real site build (~15 s) and Chromium

CHROMIUM = "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


API_ORIGIN = f"http://127.0.0.1:{_free_port()}"  # nothing listens: calls fail, but must not be blocked by the policy
ELSEWHERE = "http://127.0.0.2:9"  # a loopback address that is not the API: the policy must block it


def _policy() -> str:
    site = load_template(INFRA / "site.yaml")
    config = site["Resources"]["HtmlHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    text = config["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    # Served over plain HTTP here, so the upgrade to HTTPS (right on CloudFront) is left out.
    parts = [p.strip() for p in text.replace("${ApiOrigin}", API_ORIGIN).split(";")]
    return "; ".join(p for p in parts if p != "upgrade-insecure-requests")


@pytest.fixture(scope="module")
def served_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "QINGYI_API_URL": API_ORIGIN}
    mkdocs = ROOT / ".venv" / "bin" / "mkdocs"
    done = subprocess.run(
        [str(mkdocs), "build", "--strict", "--quiet", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    policy = _policy()

    class WithPolicy(SimpleHTTPRequestHandler):
        def end_headers(self) -> None:
            self.send_header("Content-Security-Policy", policy)
            super().end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(WithPolicy, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.effectiveDirective + ' ' + e.blockedURI);
});
"""


PAGES = ["/", "/projects/", "/campaigns/", "/needs/", "/data/"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert shutil.which(CHROMIUM), "Debian's chromium (installed by .ci/run) drives the browser tests"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def test_no_page_trips_the_policy(served_site: str, browser: Any) -> None:
    page = browser.new_page()
    page.add_init_script(WATCH)
    violations = {}
    for path in PAGES:
        response = page.goto(served_site + path, wait_until="load", timeout=30_000)
        assert response is not None and response.status == 200, path
        page.wait_for_timeout(500)  # the bundle, the search worker and the live widgets start
        found = page.evaluate("window.__csp")
        if found:
            violations[path] = found
    page.close()
    assert not violations, violations


def test_pages_may_reach_the_api_and_nothing_else(served_site: str, browser: Any) -> None:
    page = browser.new_page()
    page.add_init_script(WATCH)
    page.goto(served_site + "/", wait_until="load", timeout=30_000)
    page.evaluate("window.__csp = []")
    outcome = page.evaluate(
        """async ([api, elsewhere]) => {
          const tryFetch = async (url) => { try { await fetch(url); return 'ok'; } catch (e) { return 'failed'; } };
          return [await tryFetch(api + '/health'), await tryFetch(elsewhere + '/x')];
        }""",
        [API_ORIGIN, ELSEWHERE],
    )
    page.wait_for_timeout(200)
    blocked = page.evaluate("window.__csp")
    page.close()
    assert outcome == ["failed", "failed"]  # nothing listens at either address
    assert blocked == [f"connect-src {ELSEWHERE}/x"], blocked
