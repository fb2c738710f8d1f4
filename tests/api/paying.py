"""Paying pledges in the API tests the way donors do: the fake providers (infra/fakes/) on 127.0.0.1,
their keys in moto's Secrets Manager, notifications signed and encrypted as the real services do.

``providers_secret`` puts the secret in place inside whatever moto account the test runs in (the
``moto_table`` fixture's, or one of its own); :func:`pay_with_wechat` walks checkout → the donor
confirming at WeChat → the signed notification POSTed to ``/payments/wechat/notify``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from infra.fakes.alipay_server import FakeAlipay
from infra.fakes.wechat_server import FakeWeChatPay

SECRET_NAME = "qingyi/test/payment-providers"
BANK = {"account_name": "某县青少年发展基金会", "bank_name": "某银行某县支行", "account_number": "1234567890123456789"}


@dataclass
class Providers:
    wechat: FakeWeChatPay
    alipay: FakeAlipay


@pytest.fixture(scope="session")
def fake_providers() -> Iterator[Providers]:
    with FakeWeChatPay() as wechat, FakeAlipay() as alipay:
        yield Providers(wechat, alipay)


def install_secret(monkeypatch: pytest.MonkeyPatch, fakes: Providers, endpoint: str | None = None) -> None:
    """The provider secret in the current moto account (in-process, or the server at ``endpoint``), the app pointed at it."""
    from chalicelib import providers, secrets

    value = {
        "wechat": fakes.wechat.secret_section("http://127.0.0.1:9/payments/wechat/notify", timeout_seconds=0.5),
        "alipay": fakes.alipay.secret_section("http://127.0.0.1:9/payments/alipay/notify", timeout_seconds=0.5),
        "bank": BANK,
    }
    client = boto3.client("secretsmanager", region_name="us-east-1", endpoint_url=endpoint)
    try:
        client.create_secret(Name=SECRET_NAME, SecretString=json.dumps(value))
    except client.exceptions.ResourceExistsException:  # a module-wide moto account: the same fakes again
        client.put_secret_value(SecretId=SECRET_NAME, SecretString=json.dumps(value))
    monkeypatch.setenv("QINGYI_PROVIDER_SECRET", SECRET_NAME)
    if endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", endpoint)
    else:
        monkeypatch.delenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", raising=False)
    secrets.reset()
    providers.reset()
    # Pledge ids derive from project and key, which tests reuse: each test starts with no orders.
    fakes.wechat.orders.clear()
    fakes.alipay.orders.clear()
    fakes.wechat.delay_seconds, fakes.wechat.fail_status = 0.0, None
    fakes.alipay.delay_seconds, fakes.alipay.fail_status = 0.0, None


def checkout(api: Any, pledge: dict[str, Any], provider: str = "wechat", channel: str = "native") -> Any:
    return api.post(
        f"/pledges/{pledge['pledge_id']}/checkout",
        headers={"Donor-Token": pledge["donor_token"]},
        body={"provider": provider, "channel": channel},
    )


def wechat_notification(fakes: Providers, pledge_id: str, **kw: Any) -> tuple[dict[str, str], bytes]:
    """The donor confirms at WeChat (no delivery), and the notification WeChat would send."""
    fakes.wechat.pay(pledge_id, deliver_to=False, openid=kw.pop("openid", None), paid_fen=kw.pop("paid_fen", None))
    return fakes.wechat.notification(pledge_id, **kw)


def pay_with_wechat(api: Any, fakes: Providers, pledge: dict[str, Any], *, openid: str | None = None) -> Any:
    """Checkout, confirm at the fake WeChat Pay, deliver its signed notification; the notify route's reply."""
    placed = checkout(api, pledge)
    assert placed.status == 200, placed.text
    headers, body = wechat_notification(fakes, pledge["pledge_id"], openid=openid)
    return api.post("/payments/wechat/notify", headers=headers, raw=body)
