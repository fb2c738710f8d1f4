"""Payment provider keys and certificates, read from AWS Secrets Manager at run time.

Only the secret's name or ARN is configuration (``QINGYI_PROVIDER_SECRET``, set by
``infra/api-merge.yaml``); its value never sits in the function's environment, the
template or the package, so a leaked configuration or log of the function shows no key.
The value is one JSON object, a section per provider (``infra/PAYMENTS.md`` lists the fields)::

    {"wechat": {...}, "alipay": {...}, "bank": {...}}

It is read once and kept for :data:`TTL_SECONDS`, so a rotated key takes effect within
five minutes without a deploy, and a burst of notifications costs one GetSecretValue
per instance per five minutes (Secrets Manager bills per call and throttles).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from . import errors

ENV = "QINGYI_PROVIDER_SECRET"
TTL_SECONDS = 300.0


class SecretsUnavailable(Exception):
    """Secrets Manager did not answer in time (or throttled): try again shortly, nothing is decided."""


class _Cached:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.value: dict[str, Any] | None = None
        self.version: str | None = None
        self.read_at = 0.0
        self.secret_id: str | None = None


_cache = _Cached()
_client: Any = None


def _secrets_client() -> Any:
    """A Secrets Manager client (boto3 imported only now, so importing the app stays cheap).

    ``AWS_ENDPOINT_URL_SECRETS_MANAGER`` (botocore's own setting) points it at moto's server
    under ``make serve``; on AWS the client finds the regional endpoint itself.
    """
    global _client
    if _client is None:
        import boto3
        from botocore.config import Config

        config = Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 2, "mode": "standard"})
        region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "ap-east-1"
        _client = boto3.session.Session().client("secretsmanager", region_name=region, config=config)
    return _client


def reset() -> None:
    """Forget the cached value and client (tests; a new moto account)."""
    global _client
    with _cache.lock:
        _cache.value, _cache.version, _cache.read_at, _cache.secret_id = None, None, 0.0, None
    _client = None


def _not_configured(zh: str, en: str) -> errors.NotConfigured:
    return errors.NotConfigured(zh, en)


def _fetch(secret_id: str) -> tuple[dict[str, Any], str]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        reply = _secrets_client().get_secret_value(SecretId=secret_id)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in {
            "ResourceNotFoundException",
            "AccessDeniedException",
            "DecryptionFailure",
            "InvalidRequestException",
        }:
            raise _not_configured(
                f"支付密钥 {secret_id} 不存在或无权读取（{code}）",
                f"the payment secret {secret_id} is missing or not readable ({code})",
            ) from None
        raise SecretsUnavailable(code or "ClientError") from None
    except BotoCoreError as exc:  # timeouts, connection errors
        raise SecretsUnavailable(type(exc).__name__) from None
    text = reply.get("SecretString")
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise _not_configured(
            f"支付密钥 {secret_id} 的值不是 JSON 对象", f"the payment secret {secret_id} is not a JSON object"
        )
    return value, str(reply.get("VersionId") or "")


def load(*, clock: Callable[[], float] = time.monotonic) -> tuple[dict[str, Any], str]:
    """The whole secret and its version id, read at most once per :data:`TTL_SECONDS`."""
    secret_id = os.environ.get(ENV, "").strip()
    if not secret_id:
        raise _not_configured(f"未配置 {ENV}（支付密钥的名称）", f"{ENV} (the payment secret's name) is not set")
    with _cache.lock:
        fresh = _cache.value is not None and _cache.secret_id == secret_id and clock() - _cache.read_at < TTL_SECONDS
        if fresh:
            assert _cache.value is not None and _cache.version is not None
            return _cache.value, _cache.version
        # Read under the lock: concurrent cold requests make one call, not one each.
        value, version = _fetch(secret_id)
        _cache.value, _cache.version, _cache.read_at, _cache.secret_id = value, version, clock(), secret_id
        return value, version


def provider_section(name: str, *, clock: Callable[[], float] = time.monotonic) -> tuple[Mapping[str, Any], str]:
    """One provider's section of the secret and the secret's version (adapters rebuild when it changes)."""
    value, version = load(clock=clock)
    section = value.get(name)
    if not isinstance(section, dict):
        raise _not_configured(
            f"支付密钥里没有 {name} 部分（见 infra/PAYMENTS.md）",
            f"the payment secret has no {name!r} section (see infra/PAYMENTS.md)",
        )
    return section, version


def require(section: Mapping[str, Any], provider: str, *fields: str) -> list[str]:
    """The named string fields of a section, or NotConfigured naming every one missing."""
    missing = [f for f in fields if not isinstance(section.get(f), str) or not section.get(f)]
    if missing:
        joined = ", ".join(missing)
        raise _not_configured(
            f"支付密钥的 {provider} 部分缺少：{joined}", f"the payment secret's {provider!r} section lacks: {joined}"
        )
    return [str(section[f]) for f in fields]
