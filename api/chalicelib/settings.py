"""Secret settings read at run time: the operator token map.

On AWS the function's environment holds only the *name* of the secret, never its value:
``QINGYI_OPERATOR_TOKENS_PARAMETER`` names the token map (see :mod:`chalicelib.auth`).
The payment providers' keys are read by :mod:`chalicelib.secrets`.

A name starting with ``/`` is an SSM Parameter Store SecureString (read with decryption); any
other name or ARN is a Secrets Manager secret (its SecretString). Each value is kept for
:data:`TTL_SECONDS`, so a revoked token or a rotated key takes effect within a minute, with no
deploy, and a burst of requests costs one read per instance per minute.

Which wins: a configured ``*_PARAMETER`` name always wins. Only where none is set (``make
serve``, the tests) is the value itself read from ``QINGYI_OPERATOR_TOKENS`` (the JSON map);
on AWS that is not set at all.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from . import errors

TOKENS_PARAMETER = "QINGYI_OPERATOR_TOKENS_PARAMETER"
TOKENS_INLINE = "QINGYI_OPERATOR_TOKENS"
TTL_SECONDS = 60.0

log = logging.getLogger(__name__)

_lock = threading.Lock()
_cache: dict[str, tuple[float, str]] = {}  # name -> (read at, value)
_clients: dict[str, Any] = {}


def reset() -> None:
    """Forget cached values and clients (tests; a new moto account)."""
    with _lock:
        _cache.clear()
        _clients.clear()


def _client(service: str) -> Any:
    # boto3 only when a parameter is configured, so importing the app stays cheap.
    if service not in _clients:
        import boto3
        from botocore.config import Config

        config = Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 2, "mode": "standard"})
        region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "ap-east-1"
        _clients[service] = boto3.session.Session().client(service, region_name=region, config=config)
    return _clients[service]


def _fetch(name: str) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        if name.startswith("/"):
            reply = _client("ssm").get_parameter(Name=name, WithDecryption=True)
            return str(reply["Parameter"]["Value"])
        text = _client("secretsmanager").get_secret_value(SecretId=name).get("SecretString")
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "") or "ClientError"
        if code in {"ThrottlingException", "InternalServerError", "InternalServiceError"}:
            raise errors.Throttled() from None  # answered as 503 service_busy with Retry-After
        raise errors.NotConfigured(
            f"密钥设置 {name} 不存在或无权读取（{code}）",
            f"the secret setting {name} is missing or not readable ({code})",
        ) from None
    except BotoCoreError:
        raise errors.Throttled() from None  # a timeout: try again shortly, nothing was decided
    if not isinstance(text, str):
        raise errors.NotConfigured(f"密钥 {name} 没有文本值", f"the secret {name} has no text value")
    return text


def read(name: str, *, clock: Callable[[], float] = time.monotonic) -> str:
    """The value of a named parameter or secret, read at most once per :data:`TTL_SECONDS`."""
    with _lock:
        cached = _cache.get(name)
        if cached is not None and clock() - cached[0] < TTL_SECONDS:
            return cached[1]
        # Read under the lock: concurrent cold requests make one call, not one each.
        value = _fetch(name)
        _cache[name] = (clock(), value)
        return value


def _named_or_inline(parameter_env: str, inline_env: str) -> str:
    name = os.environ.get(parameter_env, "").strip()
    return read(name) if name else os.environ.get(inline_env, "")


def token_map() -> Any:
    """The token map as parsed JSON ({} when none is configured: every token is then refused)."""
    raw = _named_or_inline(TOKENS_PARAMETER, TOKENS_INLINE).strip()
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        # Fail closed, as with no map: every token gets 401 (the log says why, never the value).
        log.error("the operator token map is not valid JSON: every token is refused")
        return {}
