"""Call the Chalice app in-process the way API Gateway would (thread-safe, no env swapping)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from chalice.config import Config
from chalice.local import LocalGatewayException

from infra.local_api import GatewayAsDeployed


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


class _Gateway(GatewayAsDeployed):
    """API Gateway puts the TCP peer's address in ``requestContext.identity.sourceIp``; here the test says it."""

    local = threading.local()

    def _generate_lambda_event(self, method: str, path: str, headers: Any, body: Any) -> Any:
        event = super()._generate_lambda_event(method, path, headers, body)
        source = getattr(self.local, "source", None)
        if source:
            event["requestContext"]["identity"]["sourceIp"] = source
        return event


class Api:
    def __init__(self, app: Any) -> None:
        self.gateway = _Gateway(app, Config.create())

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: Any = None,
        raw: bytes | None = None,
        source: str | None = None,
    ) -> Reply:
        headers = dict(headers or {})
        _Gateway.local.source = source
        if raw is None and body is not None:
            raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers.setdefault("content-type", "application/json")
        try:
            out = self.gateway.handle_request(method=method, path=path, headers=headers, body=raw or b"")
        except LocalGatewayException as exc:
            return Reply(exc.CODE, dict(exc.headers or {}), exc.body or b"")
        body_out = out.get("body") or b""
        if isinstance(body_out, str):
            body_out = body_out.encode("utf-8")
        return Reply(out["statusCode"], {k.lower(): v for k, v in (out.get("headers") or {}).items()}, body_out)

    def get(self, path: str, **kw: Any) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Reply:
        return self.request("POST", path, **kw)

    def pledge(
        self, project_id: str, key: str, body: dict[str, Any], source: str | None = None, client: str | None = None
    ) -> Reply:
        headers = {"Idempotency-Key": key}
        if client:
            headers["Qingyi-Client"] = client
        return self.post(f"/projects/{project_id}/pledges", headers=headers, body=body, source=source)

    def pay(self, pledge_id: str, payer_account: str, payment_ref: str | None = None) -> Reply:
        """An operator confirms the bank transfer for a pledge (the match is decided now)."""
        from tests.api.conftest import operator_headers

        body = {"payer_account": payer_account, "payment_ref": payment_ref or f"bank-{pledge_id}"}
        return self.post(f"/admin/pledges/{pledge_id}/paid", headers=operator_headers(), body=body)

    def pledge_and_pay(
        self, project_id: str, key: str, body: dict[str, Any], source: str | None = None, payer: str | None = None
    ) -> Reply:
        """Pledge, then pay it from ``payer`` (default: an account named after the donor key).

        Returns the payment's reply (the operator's view: the final match); a refused pledge's reply as is.
        """
        pledged = self.pledge(project_id, key, body, source)
        if pledged.status != 201:
            return pledged
        return self.pay(pledged.json["pledge_id"], payer or f"acct-{body.get('donor_key')}")
