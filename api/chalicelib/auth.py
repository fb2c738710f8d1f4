"""Who may call the operator routes.

Tokens never live in the repository. ``QINGYI_OPERATOR_TOKENS`` holds a JSON
object mapping the SHA-256 hex digest of each token to its role, e.g.
``{"5e88...": "operator", "9f86...": "admin"}`` (make one with
``python -c "import hashlib,sys;print(hashlib.sha256(sys.argv[1].encode()).hexdigest())" TOKEN``).
Callers send ``Authorization: Bearer <token>``.

Roles: ``operator`` confirms payments, cancels pledges and exports;
``admin`` may do everything an operator may, and settles campaigns. More
roles (reviewers, volunteer teams) can be added to :data:`IMPLIES`.
``team:<team_id>`` is a registered volunteer team (an organisation of kind
volunteer_team in content/): it claims needs and keeps the visit books of the
cottages paired with that team, and nothing else.

A value may also be an object with an expiry, e.g.
``{"<digest>": {"role": "team:laiwu-volunteers-02", "expires": "2026-12-31T00:00:00+08:00"}}``;
from that instant (by the API's clock) the token is refused with 401 ``token_expired``.

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
from datetime import datetime
from typing import Any

from . import clock, errors

TEAM_PREFIX = "team:"

#: Which roles each role also holds.
IMPLIES: dict[str, set[str]] = {"admin": {"admin", "operator"}, "operator": {"operator"}}


@dataclass(frozen=True)
class Principal:
    role: str
    token_ref: str  # first 8 hex digits of the digest: enough to tell tokens apart in logs

    def may(self, role: str) -> bool:
        return role in IMPLIES.get(self.role, {self.role})

    @property
    def team_id(self) -> str | None:
        """The volunteer team this token speaks for (role ``team:<team_id>``), else None."""
        return self.role[len(TEAM_PREFIX) :] or None if self.role.startswith(TEAM_PREFIX) else None


def _entry(value: Any) -> tuple[str, datetime | None] | None:
    """A token map value: a role, or {"role": ..., "expires": ISO 8601}; None if malformed."""
    if isinstance(value, str):
        return value, None
    if not isinstance(value, dict) or not isinstance(value.get("role"), str):
        return None
    expires = value.get("expires")
    if expires is None:
        return value["role"], None
    try:
        moment = datetime.fromisoformat(str(expires))
    except ValueError:
        return value["role"], datetime.min.replace(tzinfo=clock.BEIJING)  # unreadable expiry: already expired
    return value["role"], moment if moment.tzinfo else moment.replace(tzinfo=clock.BEIJING)


def token_entries() -> dict[str, tuple[str, datetime | None]]:
    raw = os.environ.get("QINGYI_OPERATOR_TOKENS", "").strip()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    entries = {str(k).lower(): _entry(v) for k, v in data.items()}
    return {k: v for k, v in entries.items() if v is not None}


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
    expiry: datetime | None = None
    for known, (role, expires) in token_entries().items():
        if hmac.compare_digest(known.encode("ascii", "replace"), digest.encode("ascii")) and found is None:
            found, expiry = Principal(role=role, token_ref=digest[:8]), expires
    if found is None:
        raise errors.Unauthorized()
    if expiry is not None and clock.now() >= expiry:
        raise errors.TokenExpired()
    return found


def require(headers: Any, role: str) -> Principal:
    principal = identify(headers)
    if not principal.may(role):
        raise errors.Forbidden()
    return principal
