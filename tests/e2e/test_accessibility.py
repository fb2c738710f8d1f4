"""axe-core (pinned in package.json) on the main kinds of page: no serious or critical violations."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import AXE, COTTAGE, DEMO_PROJECT, LocalStack, screenshot

pytestmark = pytest.mark.browser

PAGES = {
    "home": ("/", None),
    "programme": ("/programmes/laiwu/", None),
    "disclosure": ("/disclosure/laiwu/", None),
    "project": (f"/projects/{DEMO_PROJECT}/", '#pledge-widget [data-role="live-note"][data-state="live"]'),
    "cottage": (f"/cottages/{COTTAGE}.html", '#cottage-visits [data-role="live-note"][data-state="live"]'),
    "needs": ("/needs/", '#needs-board [data-role="live-note"][data-state="live"]'),
    "venture": ("/ventures/shunde-cantonese-opera/", None),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_or_critical_axe_violations(page: Any, stack: LocalStack, name: str) -> None:
    assert AXE.is_file(), "node_modules/axe-core is missing: run `npm ci` (.ci/run does)"
    path, live = PAGES[name]
    response = page.goto(stack.site + path)
    assert response is not None and response.status == 200, path
    if live:  # check the page as people see it, with the live widgets drawn
        page.wait_for_selector(live)
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    screenshot(page, name)
    bad = [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, json.dumps(bad, ensure_ascii=False, indent=1)
