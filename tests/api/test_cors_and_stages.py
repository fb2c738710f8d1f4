"""CORS only for the configured site origins; the stage config; the local runner's errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import pledge_body

API = Path(__file__).resolve().parents[2] / "api"


def test_cors_answers_configured_origins_only(api: Any) -> None:
    ok = api.get("/projects", headers={"Origin": "https://qingyi.example.org"})
    assert ok.headers["access-control-allow-origin"] == "https://qingyi.example.org"
    assert ok.headers["vary"] == "Origin"
    other = api.get("/projects", headers={"Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in other.headers


def test_preflight_for_pledges(api: Any) -> None:
    reply = api.request(
        "OPTIONS",
        "/projects/laiwu-cottages/pledges",
        headers={"Origin": "http://127.0.0.1:8000", "Access-Control-Request-Method": "POST"},
    )
    assert reply.status == 204
    assert reply.headers["access-control-allow-origin"] == "http://127.0.0.1:8000"
    assert "Idempotency-Key" in reply.headers["access-control-allow-headers"]
    assert "POST" in reply.headers["access-control-allow-methods"]
    refused = api.request("OPTIONS", "/projects/laiwu-cottages/pledges", headers={"Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in refused.headers


def test_errors_carry_cors_headers_too(api: Any) -> None:
    reply = api.pledge("no-such-project", "cors-key-0001", pledge_body())
    assert reply.status == 404
    api_reply = api.post(
        "/projects/nope/pledges",
        headers={"Origin": "https://qingyi.example.org", "Idempotency-Key": "cors-key-0002"},
        body=pledge_body(),
    )
    assert api_reply.headers["access-control-allow-origin"] == "https://qingyi.example.org"


def test_operator_routes_get_no_cors(api: Any) -> None:
    reply = api.get("/admin/exports/pledges.csv", headers={"Origin": "https://qingyi.example.org"})
    assert "access-control-allow-origin" not in reply.headers


def test_stage_config_has_dev_and_prod() -> None:
    config = json.loads((API / ".chalice" / "config.json").read_text())
    assert set(config["stages"]) == {"dev", "prod"}
    assert config["autogen_policy"] is False  # the policy is hand-written: .chalice/policy-<stage>.json
    for name, stage in config["stages"].items():
        assert (API / ".chalice" / f"policy-{name}.json").is_file()
        # the table, origins, tokens and secret come from the deploy template, never from here
        assert set(stage["environment_variables"]) == {"QINGYI_STAGE"}


def test_local_runner_explains_a_missing_catalogue(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "QINGYI_CATALOGUE": str(tmp_path / "none.json"),
    }
    done = subprocess.run([sys.executable, "-m", "infra.local_api"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "make catalogue" in done.stderr


@pytest.mark.parametrize("origin", ["", "null"])
def test_no_origin_no_cors(api: Any, origin: str) -> None:
    reply = api.get("/health", headers={"Origin": origin} if origin else {})
    assert "access-control-allow-origin" not in reply.headers
