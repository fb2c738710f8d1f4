"""Provider keys come from Secrets Manager (moto) at run time, cached five minutes, never from the environment."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

from chalicelib import errors, providers, secrets
from chalicelib.providers import ProviderUnavailable, Refused
from chalicelib.providers.alipay import AliPay
from chalicelib.providers.bank import BankTransfer
from chalicelib.providers.wechat import WeChatPay
from infra.fakes.alipay_server import FakeAlipay
from infra.fakes.wechat_server import FakeWeChatPay

ROOT = Path(__file__).resolve().parents[2]
NAME = "qingyi/dev/payment-providers"
BANK = {"account_name": "某县青少年发展基金会", "bank_name": "某银行某县支行", "account_number": "1234567890123456789"}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", raising=False)
    secrets.reset()
    providers.reset()
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="us-east-1")
    secrets.reset()
    providers.reset()


@pytest.fixture
def fakes() -> Iterator[tuple[FakeWeChatPay, FakeAlipay]]:
    with FakeWeChatPay() as wechat, FakeAlipay() as alipay:
        yield wechat, alipay


def value(wechat: FakeWeChatPay, alipay: FakeAlipay) -> dict[str, Any]:
    return {
        "wechat": wechat.secret_section("http://127.0.0.1:9/n"),
        "alipay": alipay.secret_section("http://127.0.0.1:9/n"),
        "bank": BANK,
    }


def test_keys_come_from_secrets_manager_not_the_environment(
    aws: Any, fakes: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws.create_secret(Name=NAME, SecretString=json.dumps(value(*fakes)))
    monkeypatch.setenv(secrets.ENV, NAME)
    assert isinstance(providers.provider("wechat"), WeChatPay)
    assert isinstance(providers.provider("alipay"), AliPay)
    assert isinstance(providers.provider("bank"), BankTransfer)
    environment = "\n".join(os.environ.values())
    assert "PRIVATE KEY" not in environment and fakes[0].keys.apiv3_key not in environment


def test_the_secret_is_read_once_per_five_minutes_and_a_rotation_takes_effect_after(
    aws: Any, fakes: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = value(*fakes)
    aws.create_secret(Name=NAME, SecretString=json.dumps(first))
    monkeypatch.setenv(secrets.ENV, NAME)
    calls: list[str] = []
    real = secrets._fetch
    monkeypatch.setattr(secrets, "_fetch", lambda name: calls.append(name) or real(name))
    clock = [100.0]
    section, version = secrets.provider_section("bank", clock=lambda: clock[0])
    rotated = {**first, "bank": {**BANK, "account_number": "9999999999999999"}}
    aws.put_secret_value(SecretId=NAME, SecretString=json.dumps(rotated))
    clock[0] += 299
    assert secrets.provider_section("bank", clock=lambda: clock[0]) == (section, version)
    assert calls == [NAME]
    clock[0] += 2
    section2, version2 = secrets.provider_section("bank", clock=lambda: clock[0])
    assert section2["account_number"] == "9999999999999999" and version2 != version
    assert calls == [NAME, NAME]


def test_the_adapter_is_reused_until_the_secret_version_changes(
    aws: Any, fakes: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws.create_secret(Name=NAME, SecretString=json.dumps(value(*fakes)))
    monkeypatch.setenv(secrets.ENV, NAME)
    seen = lambda nonce, ttl: False  # noqa: E731
    first = providers.provider("bank")
    assert providers.provider("bank") is first
    assert providers.provider("wechat", seen=seen).seen is seen, "the route layer's replay store is injected"
    aws.put_secret_value(SecretId=NAME, SecretString=json.dumps(value(*fakes)))
    secrets.reset()
    assert providers.provider("bank") is not first


def test_missing_configuration_is_not_configured_naming_what_is_missing(
    aws: Any, fakes: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(secrets.ENV, raising=False)
    with pytest.raises(errors.NotConfigured) as caught:
        providers.provider("bank")
    assert secrets.ENV in caught.value.message and caught.value.status == 503
    monkeypatch.setenv(secrets.ENV, NAME)
    with pytest.raises(errors.NotConfigured) as caught:
        providers.provider("bank")
    assert "ResourceNotFoundException" in caught.value.message
    aws.create_secret(Name=NAME, SecretString=json.dumps({"bank": {"account_name": "x"}}))
    secrets.reset()
    with pytest.raises(errors.NotConfigured) as caught:
        providers.provider("alipay")
    assert "'alipay'" in caught.value.message
    with pytest.raises(errors.NotConfigured) as caught:
        providers.provider("bank")
    assert "bank_name" in caught.value.message and "account_number" in caught.value.message


def test_a_secret_that_is_not_json_is_not_configured(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    aws.create_secret(Name=NAME, SecretString="not json")
    monkeypatch.setenv(secrets.ENV, NAME)
    with pytest.raises(errors.NotConfigured):
        providers.provider("bank")


def test_unknown_provider_name_is_refused_404(aws: Any) -> None:
    with pytest.raises(Refused) as caught:
        providers.provider("paypal")
    assert (caught.value.code, caught.value.status) == ("unknown_provider", 404)


def test_secrets_manager_unreachable_is_provider_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", f"http://127.0.0.1:{port}")
    monkeypatch.setenv(secrets.ENV, NAME)
    secrets.reset()
    try:
        with pytest.raises(ProviderUnavailable):
            providers.provider("wechat")
    finally:
        secrets.reset()


def test_the_role_may_read_exactly_the_named_secret_and_the_function_gets_only_its_name() -> None:
    merge = yaml.load((ROOT / "infra" / "api-merge.yaml").read_text(encoding="utf-8"), Loader=_CfnLoader)
    variables = merge["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert variables[secrets.ENV] == {"Fn::Sub": "qingyi/${Stage}/payment-providers"}
    for stage in ("dev", "prod"):
        policy = json.loads((ROOT / "api" / ".chalice" / f"policy-{stage}.json").read_text(encoding="utf-8"))
        # the provider secret's own statement (TokenMap, the token hashes, is settings.py's)
        (statement,) = [s for s in policy["Statement"] if s.get("Sid") == "PaymentProviderSecret"]
        assert statement["Action"] == ["secretsmanager:GetSecretValue"]
        assert statement["Resource"]["Fn::Sub"].endswith(f":secret:qingyi/{stage}/payment-providers-??????")


class _CfnLoader(yaml.SafeLoader):
    pass


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        return {name: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {name: loader.construct_sequence(node)}
    return {name: loader.construct_mapping(node)}


_CfnLoader.add_multi_constructor("!", _tag)


def test_importing_the_app_imports_no_payment_sdk() -> None:
    """Cold starts: the SDKs load inside the adapters, on the first payment call."""
    code = (
        "import sys, app, chalicelib.providers, chalicelib.secrets;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'wechatpayv3','alipay','Cryptodome','OpenSSL','cryptography','requests'}))"
    )
    env = {**os.environ, "QINGYI_CATALOGUE": str(ROOT / "tests" / "api" / "catalogues" / "worked.json")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env, check=True)
    assert out.stdout.strip() == "[]"
