"""The GitHub workflows lint clean, call real make targets, and deploy with OIDC, API before site."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.infra.conftest import INFRA, ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
BIN = ROOT / ".venv" / "bin"


def _workflow(name: str) -> dict[Any, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


def _runs(workflow: dict[Any, Any]) -> list[str]:
    return [step.get("run", "") for job in workflow["jobs"].values() for step in job.get("steps", [])]


def _steps(workflow: dict[Any, Any], job: str) -> list[dict[str, Any]]:
    return workflow["jobs"][job]["steps"]


def test_actionlint_finds_nothing() -> None:
    actionlint = BIN / "actionlint"
    assert actionlint.exists(), "actionlint comes from requirements-dev.txt"
    # shellcheck (from requirements-dev.txt) on PATH: actionlint also checks every run: script.
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [str(actionlint), "-no-color"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_does_find_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.evnt.ref }}\n"
    )
    done = subprocess.run([str(BIN / "actionlint"), "-no-color", str(bad)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "evnt" in done.stdout


def _make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", text, flags=re.MULTILINE))


def _make_calls(text: str) -> set[str]:
    return set(re.findall(r"\bmake\s+([a-z][a-z0-9_-]*)", text))


def test_every_make_target_the_workflows_call_exists() -> None:
    targets = _make_targets()
    called: set[str] = set()
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for run in _runs(_workflow(path.name)):
            called |= _make_calls(run)
    # The deploy steps run infra/deploy.sh, which calls make too.
    called |= _make_calls((INFRA / "deploy.sh").read_text(encoding="utf-8"))
    assert {"check-content", "build", "test", "catalogue", "lint-infra", "venv"} <= called
    assert called <= targets, f"not in the Makefile: {sorted(called - targets)}"


def test_pull_requests_check_build_preview_and_test() -> None:
    workflow = _workflow("pull-request.yml")
    assert "pull_request" in workflow[True]  # YAML reads the key `on` as True
    steps = _steps(workflow, "check")
    runs = [s.get("run", "") for s in steps]
    order = [next(i for i, r in enumerate(runs) if f"make {t}" in r) for t in ("check-content", "build", "test")]
    assert order == sorted(order)
    (upload,) = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert upload["with"]["path"] == "site/"
    assert workflow["permissions"] == {"contents": "read"}


def test_deploys_use_oidc_and_no_stored_keys() -> None:
    stage = _workflow("deploy-stage.yml")
    assert stage["permissions"]["id-token"] == "write"
    (creds,) = [
        s
        for s in _steps(stage, "deploy")
        if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials@")
    ]
    assert set(creds["with"]) == {"role-to-assume", "aws-region", "role-session-name"}
    for path in WORKFLOWS.glob("*.yml"):
        text = path.read_text(encoding="utf-8")
        assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text, path.name
        assert "secrets." not in text, f"{path.name}: deploys need no stored secret"
    caller = _workflow("deploy.yml")
    assert caller[True]["push"]["branches"] == ["main"]
    assert [caller["jobs"][j]["with"]["stage"] for j in ("dev", "prod")] == ["dev", "prod"]
    assert caller["jobs"]["prod"]["needs"] == "dev"
    assert caller["jobs"]["dev"]["needs"] == "verify"


def test_each_stage_deploys_data_then_api_then_site() -> None:
    runs = [s.get("run", "") for s in _steps(_workflow("deploy-stage.yml"), "deploy")]
    steps = [m.group(1) for r in runs for m in [re.search(r"infra/deploy\.sh (\w+)", r)] if m]
    assert steps == ["data", "api", "site", "publish"]


@pytest.mark.parametrize("name", ["pull-request.yml", "deploy.yml", "deploy-stage.yml"])
def test_workflows_run_bash_with_pipefail(name: str) -> None:
    assert _workflow(name)["defaults"]["run"]["shell"] == "bash"


def test_runbook_documents_every_deploy_variable() -> None:
    # Every GitHub environment variable the deploy reads, and every parameter of
    # the API and site stacks that deploy.sh sets, is explained in the runbook.
    runbook = (INFRA / "RUNBOOK.md").read_text(encoding="utf-8")
    text = (WORKFLOWS / "deploy-stage.yml").read_text(encoding="utf-8")
    variables = set(re.findall(r"\bvars\.([A-Z_]+)", text))
    assert {"AWS_DEPLOY_ROLE_ARN", "AWS_REGION", "AWS_CFN_EXEC_ROLE_ARN"} <= variables
    missing = sorted(v for v in variables if f"`{v}`" not in runbook)
    assert not missing, f"infra/RUNBOOK.md does not explain {missing}"


def test_runbook_has_no_blanks_left() -> None:
    runbook = (INFRA / "RUNBOOK.md").read_text(encoding="utf-8")
    assert "FILL IN" not in runbook and "TODO" not in runbook


def test_every_action_is_pinned_by_commit_sha() -> None:
    """A tag can be moved to other code after review; a commit SHA cannot. Local reusable workflows are ours."""
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = re.match(r"\s*(?:-\s+)?uses:\s*(\S+)", line)
            if not match or match.group(1).startswith("./"):
                continue
            ref = match.group(1).rpartition("@")[2]
            assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{path.name}:{line_no}: {match.group(1)} is not pinned by commit SHA"
            assert re.search(r"#\s*v\d", line), f"{path.name}:{line_no}: say which release the SHA is, as a comment"
