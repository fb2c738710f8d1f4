"""Browser tests against the real local stack: moto (one request at a time), the Chalice API, the built site.

One session starts it all on free loopback ports, the way ``make serve`` does (``infra/local_stack.py``
in a child process, stopped with SIGINT so its state dump runs), except that the site is built once with
``mkdocs build`` and served as static files. Content is a copy of ``content/`` with the demo campaign's
pool made small (so a test can use it up) and its per-minute velocity limit raised (every browser pledge
comes from 127.0.0.1). Chromium is Debian's (``/usr/bin/chromium``), driven by Playwright.
Screenshots go to ``test-artifacts/`` (gitignored).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_PROJECT = "laiwu-hope-cottages-2022"
DEMO_CAMPAIGN = "laiwu-demo"
POOL_YUAN = 400  # small enough for a test to use up through the API in a few pledges
NEED = "need-066"  # published, claim window open until 2099
CLAIM_TEAM = "linhai-team-011"
COTTAGE = "HC-001"  # paired with laiwu-volunteers-02
VISIT_TEAM = "laiwu-volunteers-02"
TOKENS = {f"team:{CLAIM_TEAM}": "e2e-claim-team-token", f"team:{VISIT_TEAM}": "e2e-visit-team-token"}
START_TIMEOUT = 120
#: One page of each kind readers reach (the Lighthouse bench and the look tests use the same ones).
PAGE_KINDS = {
    "home": "/",
    "programme": "/programmes/laiwu/",
    "project": f"/projects/{DEMO_PROJECT}/",
    "team": "/teams/team-01/",
    "cottage": f"/cottages/{COTTAGE}.html",
    "needs": "/needs/",
    "venture": "/ventures/shunde-cantonese-opera/",
}


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_content(dest: Path) -> Path:
    shutil.copytree(ROOT / "content", dest)
    campaign = dest / "campaigns" / f"{DEMO_CAMPAIGN}.yml"
    text = campaign.read_text(encoding="utf-8")
    text, pools = re.subn(r"(?m)^pool: .*$", f"pool: {POOL_YUAN}", text)
    text, speeds = re.subn(r"(?m)^(\s+)velocity_per_minute: .*$", r"\g<1>velocity_per_minute: 10000", text)
    assert pools == 1 and speeds == 1, "the demo campaign's YAML changed shape; update tests/e2e/conftest.py"
    campaign.write_text(text, encoding="utf-8")
    return dest


def http(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    hdrs = {"Content-Type": "application/json"} if body is not None else {}
    request = urllib.request.Request(url, data=data, method=method, headers={**hdrs, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


@dataclass
class LocalStack:
    """``infra/local_stack.py`` in a child process; ``restart()`` stops it with SIGINT (state dumped) and starts it again."""

    tmp: Path
    content: Path
    site_dir: Path
    site_port: int
    api_port: int
    env: dict[str, str]
    process: subprocess.Popen[str] | None = None
    output: list[str] = field(default_factory=list)

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def site(self) -> str:
        return f"http://127.0.0.1:{self.site_port}"

    def start(self) -> None:
        ready_before = self.log_text().count("READY")
        log = (self.tmp / "stack.log").open("a", encoding="utf-8")
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "infra" / "local_stack.py"),
                "--static",
                str(self.site_dir),
                "--site-port",
                str(self.site_port),
                "--api-port",
                str(self.api_port),
                "--state-dir",
                str(self.tmp / "state"),
                "--content",
                str(self.content),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"local stack exited: {self.log_text()[-3000:]}")
            if self.log_text().count("READY") > ready_before:
                return
            time.sleep(0.2)
        raise RuntimeError(f"local stack not ready in {START_TIMEOUT} s: {self.log_text()[-3000:]}")

    def log_text(self) -> str:
        path = self.tmp / "stack.log"
        return path.read_text(encoding="utf-8") if path.exists() else ""

    def stop(self) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait(timeout=10)
        (self.tmp / "stack.log").open("a").write("\n---- stopped ----\n")
        return code

    def restart(self) -> None:
        before = self.log_text().count("READY")
        assert self.stop() == 0, self.log_text()[-2000:]
        self.start()
        assert self.log_text().count("READY") == before + 1

    # ---- API helpers (the same routes the pages call) ----

    def get(self, path: str) -> Any:
        status, body = http("GET", self.api + path)
        assert status == 200, (path, status, body)
        return body

    def pledge(self, amount_fen: int, *, paid: bool = False, **fields: Any) -> dict[str, Any]:
        """A pledge through the API; with ``paid``, then paid on the fake WeChat Pay (see :meth:`pay`)."""
        body = {"amount_fen": amount_fen, "donor_key": "e2e-" + uuid.uuid4().hex[:16], **fields}
        if "display_name" not in body and not body.get("anonymous"):
            body["display_name"] = "接口测试"
        headers = {"Idempotency-Key": uuid.uuid4().hex, "Qingyi-Client": "e2e-" + uuid.uuid4().hex}
        status, answer = http("POST", f"{self.api}/projects/{DEMO_PROJECT}/pledges", body, headers)
        assert status == 201, answer
        if paid:
            self.pay(answer["pledge_id"], answer["donor_token"])
        return answer

    def pay(self, pledge_id: str, donor_token: str) -> None:
        """What a donor does: a checkout, then 确认支付 on the fake WeChat Pay's page, which notifies the API."""
        status, order = http(
            "POST",
            f"{self.api}/pledges/{pledge_id}/checkout",
            {"provider": "wechat", "channel": "native"},
            {"Donor-Token": donor_token},
        )
        assert status == 200, order
        request = urllib.request.Request(order["url"], data=b"redirect_url=", method="POST")
        with urllib.request.urlopen(request, timeout=30) as reply:
            page = reply.read().decode("utf-8")
        assert "支付成功" in page and "HTTP 204" in page, page

    def as_team(self, team_id: str, method: str, path: str, body: Any, key: str | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {TOKENS['team:' + team_id]}"}
        if key:
            headers["Idempotency-Key"] = key
        return http(method, self.api + path, body, headers)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    tmp = tmp_path_factory.mktemp("e2e")
    content = test_content(tmp / "content")
    site_port, api_port = free_port(), free_port()
    # Nothing another test left in this process's QINGYI_* settings reaches the stack.
    env = {k: v for k, v in os.environ.items() if not k.startswith("QINGYI_")}
    env.update(
        QINGYI_OPERATOR_TOKENS=json.dumps({hashlib.sha256(t.encode()).hexdigest(): role for role, t in TOKENS.items()}),
        QINGYI_API_URL=f"http://127.0.0.1:{api_port}",
        QINGYI_SITE_URL=f"http://127.0.0.1:{site_port}/",
        QINGYI_CONTENT=str(content),
        NO_MKDOCS_2_WARNING="1",
        CI="true",
        # Every browser and helper request comes from 127.0.0.1: the abuse limits are tests/api/test_limits.py's.
        QINGYI_RATE_PER_CLIENT="100000",
        QINGYI_RATE_NEW_CLIENTS="100000",
    )
    site_dir = tmp / "site"
    # Build the site while the stack starts (two cores: about 20 s instead of 35 s).
    build = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "--site-dir", str(site_dir)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    local = LocalStack(tmp, content, site_dir, site_port, api_port, env)
    try:
        local.start()
        out, _ = build.communicate(timeout=300)
        assert build.returncode == 0, out[-4000:]
        yield local
    finally:
        if build.poll() is None:
            build.kill()
            build.wait(timeout=10)
        local.stop()


# Package scope, not session: Playwright's sync API allows one running instance per process, and other
# packages' browser tests (tests/infra/test_site_csp.py) start their own after these on the same worker.
@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh context per test: its own localStorage, so its own donor key."""
    context = browser.new_context(viewport={"width": 1200, "height": 1000}, locale="zh-CN")
    context.set_default_timeout(15000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def screenshot(page: Any, name: str, element: str | None = None) -> Path:
    """A PNG in test-artifacts/: the viewport, or one element (``element``, a CSS selector) whole."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    if element:
        page.locator(element).screenshot(path=str(path), style=".md-header { position: static !important; }")
    else:
        page.screenshot(path=str(path), full_page=False)
    return path
