"""Token hashes and the payment key are read at run time by name, cached briefly, never from the deploy.

Against moto's SSM and Secrets Manager (in-process). The parameter name wins over the inline
value; a revoked token stops working once the cache (60 s) has passed, with no deploy.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from chalicelib import auth, errors, settings
from tests.api.conftest import OPERATOR_TOKEN, STAFF_EXPIRES, base_env, digest

PARAMETER = "/qingyi/dev/operator-token-hashes"
SECRET = "qingyi/dev/operator-token-hashes"


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    base_env(monkeypatch)
    settings.reset()
    with mock_aws():
        yield
    settings.reset()


def staff_map(*tokens: str) -> str:
    return json.dumps({digest(t): {"role": "operator:laiwu", "expires": STAFF_EXPIRES} for t in tokens})


def test_the_token_map_is_read_from_an_ssm_securestring_by_name_and_the_name_wins(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name=PARAMETER, Type="SecureString", Value=staff_map("from-ssm")
    )
    monkeypatch.setenv(settings.TOKENS_PARAMETER, PARAMETER)
    # the inline map (OPERATOR_TOKEN) is ignored once a name is set
    assert auth.identify({"authorization": "Bearer from-ssm"}).roles == ("operator:laiwu",)
    with pytest.raises(errors.Unauthorized):
        auth.identify({"authorization": f"Bearer {OPERATOR_TOKEN}"})


def test_a_revoked_token_stops_working_within_the_cache_period_without_a_deploy(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    ssm = boto3.client("ssm", region_name="us-east-1")
    ssm.put_parameter(Name=PARAMETER, Type="SecureString", Value=staff_map("kept", "revoked"))
    clock = Clock()
    assert json.loads(settings.read(PARAMETER, clock=clock)).keys() == {digest("kept"), digest("revoked")}
    ssm.put_parameter(Name=PARAMETER, Type="SecureString", Value=staff_map("kept"), Overwrite=True)
    clock.t += settings.TTL_SECONDS - 1
    assert digest("revoked") in json.loads(settings.read(PARAMETER, clock=clock)), "cached: one read a minute"
    clock.t += 1
    assert json.loads(settings.read(PARAMETER, clock=clock)).keys() == {digest("kept")}


def test_a_name_without_a_slash_is_read_from_secrets_manager(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    boto3.client("secretsmanager", region_name="us-east-1").create_secret(Name=SECRET, SecretString=staff_map("kept"))
    monkeypatch.setenv(settings.TOKENS_PARAMETER, SECRET)
    assert settings.token_map().keys() == {digest("kept")}


def test_a_missing_named_setting_is_not_configured_and_names_it(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(settings.TOKENS_PARAMETER, "qingyi/dev/nowhere")
    with pytest.raises(errors.NotConfigured) as found:
        settings.token_map()
    assert "qingyi/dev/nowhere" in found.value.en
