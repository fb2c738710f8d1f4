"""schemathesis against the real local API: zero failures, every default check, a fixed seed.

The API is served as ``make api`` serves it (infra/local_api: moto's server on
127.0.0.1, the table, chalice's local server with the deployed gateway's
answers), with the volunteer catalogue and tokens of the other API tests.
schemathesis runs its command line (``st run``) over all four phases
(examples, coverage, fuzzing, stateful) and all its default checks, in one
run: each private route with a token of a role that may call it (and, by the
ignored_auth check, without it). Examples are bounded per operation.

The local server's own answers to hostile requests (undeclared methods,
unknown paths, OPTIONS) are tested here too, over HTTP.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.local_api import start_api, start_moto
from tests.api.conftest import ADMIN_TOKEN, OPERATOR_TOKEN, base_env
from tests.api.volunteer_support import TEAM_A_TOKEN, fresh_table, volunteer_env

SEED = 20210907
MAX_EXAMPLES = 2  # per operation and phase; the coverage phase adds its own boundary cases
ST = Path(sys.executable).with_name("st")

#: Each private access level's runs carry a token of a role that may call it (schemathesis's
#: ignored_auth check also sends them without it, and with a wrong one, expecting a refusal).
TOKENS = {"operator": OPERATOR_TOKEN, "admin": ADMIN_TOKEN, "team": TEAM_A_TOKEN, "team_or_operator": TEAM_A_TOKEN}

#: Checks switched off, each with its one-line reason; every other check runs on every operation.
SWITCHED_OFF = """
[[operations]]
include-path = "/projects/{project_id}/pledges"
# positive_data_acceptance off: a donor name, message, team id or wall cursor is refused by rules JSON Schema
# cannot state (markup stripped to nothing, invisible letters, catalogue ids, opaque cursors).
checks.positive_data_acceptance.enabled = false

[[operations]]
include-path = "/admin/exports/pledges.csv"
# positive_data_acceptance off: OpenAPI cannot state that project_id and campaign_id exclude each other.
checks.positive_data_acceptance.enabled = false

[[operations]]
include-path = "/cottages/{cottage_id}/visits"
include-method = "POST"
# positive_data_acceptance off: a visit date may not be in the future (Beijing today), which JSON Schema cannot state.
checks.positive_data_acceptance.enabled = false
"""


def config() -> str:
    roles = "".join(
        f'\n[[operations]]\ninclude-tag = "{tag}"\nheaders = {{ Authorization = "Bearer {token}" }}\n'
        for tag, token in TOKENS.items()
    )
    return SWITCHED_OFF + roles


@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on 127.0.0.1 over moto's server, as `make api` runs it."""
    from chalicelib import services

    with pytest.MonkeyPatch.context() as patch:
        base_env(patch)
        volunteer_env(patch, tmp_path_factory.mktemp("catalogue"))
        patch.setenv("QINGYI_CACHE_SECONDS", "1")  # as deployed: the ledger's short read cache
        moto = start_moto(0)
        try:
            table = fresh_table(endpoint=moto.endpoint)
            patch.setenv("QINGYI_DYNAMODB_ENDPOINT", moto.endpoint)
            patch.setenv("QINGYI_TABLE", table)
            services.reset()
            api = start_api(0)
            try:
                yield api.url
            finally:
                api.stop()
        finally:
            services.reset()
            moto.stop()


def schemathesis_run(url: str, where: Path, *args: str) -> dict[str, Any]:
    """``st run`` over the served document; the test cases it ran and the seconds it took."""
    where.mkdir(parents=True, exist_ok=True)
    (where / "schemathesis.toml").write_text(config(), encoding="utf-8")
    report = where / "events.ndjson"
    command = [str(ST), "--config-file", str(where / "schemathesis.toml"), "run", f"{url}/openapi.json"]
    command += ["--seed", str(SEED), "--max-examples", str(MAX_EXAMPLES), "--workers", "1"]
    command += ["--no-color", "--report", "ndjson", "--report-ndjson-path", str(report), *args]
    started = time.monotonic()
    done = subprocess.run(command, cwd=where, capture_output=True, text=True, timeout=300)
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    cases = 0
    for line in report.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if "ScenarioFinished" in event:
            cases += len(event["ScenarioFinished"].get("recorder", {}).get("cases", {}))
    assert cases > 0, done.stdout[-3000:]
    print(f"schemathesis: {cases} test cases in {seconds:.1f} s")
    return {"cases": cases, "seconds": seconds, "output": done.stdout}


def test_schemathesis_finds_nothing(live_api: str, tmp_path: Path) -> None:
    from app import app

    run = schemathesis_run(live_api, tmp_path)
    selected = re.search(r"Selected: (\d+)/(\d+)", run["output"])
    tested = re.search(r"Tested: (\d+)", run["output"])
    assert selected and tested and selected[1] == selected[2] == tested[1], run["output"][-3000:]
    assert int(tested[1]) >= len(app.operations) - 1  # schemathesis does not count the OPTIONS preflight
    for tag in TOKENS:
        assert tag in {op.access for op in app.operations}, f"no route has access {tag!r} any more"


def http(method: str, url: str) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, dict(reply.headers), reply.read()
    except urllib.error.HTTPError as refused:
        return refused.code, dict(refused.headers), refused.read()


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "DELETE", "PUT", "PATCH"])
def test_undeclared_methods_are_405_on_the_local_server_not_501(live_api: str, method: str) -> None:
    status, headers, body = http(method, f"{live_api}/projects/laiwu-cottages")
    assert status == 405 and json.loads(body)["code"] == "method_not_allowed"
    assert headers["Allow"] == "GET"


def test_unknown_paths_on_the_local_server_answer_the_documented_error_shape(live_api: str) -> None:
    status, _headers, body = http("GET", f"{live_api}/no/such/route")
    assert status == 404 and set(json.loads(body)) == {"code", "message"} and json.loads(body)["code"] == "not_found"


def test_options_on_the_local_server_only_where_declared(live_api: str) -> None:
    assert http("OPTIONS", f"{live_api}/projects/laiwu-cottages/pledges")[0] == 204
    status, _headers, body = http("OPTIONS", f"{live_api}/projects")
    assert status == 405 and json.loads(body)["code"] == "method_not_allowed"
