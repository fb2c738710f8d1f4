"""Who may call the operator routes.

Tokens never live in the repository. ``QINGYI_OPERATOR_TOKENS`` holds a JSON
object mapping the SHA-256 hex digest of each token to its role, e.g.
``{"5e88...": "operator", "9f86...": "admin"}`` (make one with
``python -c "import hashlib,sys;print(hashlib.sha256(sys.argv[1].encode()).hexdigest())" TOKEN``).
Callers send ``Authorization: Bearer <token>``.

Roles: ``operator`` confirms payments, cancels pledges and exports;
``admin`` may do everything an operator may, and settles campaigns. More
roles (reviewers, volunteer teams) can be added to :data:`IMPLIES`.

No token, or an unknown one → 401 ``unauthorized``; a known token whose role
may not do this → 403 ``forbidden``. Every configured digest is compared with
:func:`hmac.compare_digest`, so timing says nothing about which one matched.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from typing import Any

from . import errors

#: Which roles each role also holds.
IMPLIES: dict[str, set[str]] = {"admin": {"admin", "operator"}, "operator": {"operator"}}


@dataclass(frozen=True)
class Principal:
    role: str
    token_ref: str  # first 8 hex digits of the digest: enough to tell tokens apart in logs

    def may(self, role: str) -> bool:
        return role in IMPLIES.get(self.role, {self.role})


def configured_tokens() -> dict[str, str]:
    raw = os.environ.get("QINGYI_OPERATOR_TOKENS", "").strip()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k).lower(): str(v) for k, v in data.items()}


def _bearer(headers: Any) -> str | None:
    value = headers.get("authorization") if headers is not None else None
    if not isinstance(value, str) or not value.lower().startswith("bearer "):
        return None
    token = value[7:].strip()
    return token or None


def identify(headers: Any) -> Principal:
    token = _bearer(headers)
    if token is None:
        raise errors.Unauthorized()
    digest = hashlib.sha256(token.encode("utf-8")).hexdigest()
    found: Principal | None = None
    for known, role in configured_tokens().items():
        if hmac.compare_digest(known.encode("ascii", "replace"), digest.encode("ascii")) and found is None:
            found = Principal(role=role, token_ref=digest[:8])
    if found is None:
        raise errors.Unauthorized()
    return found


def require(headers: Any, role: str) -> Principal:
    principal = identify(headers)
    if not principal.may(role):
        raise errors.Forbidden()
    return principal
