"""Who may call the private routes, and in which programmes.

Tokens never live in the repository. The token map is a JSON object from the SHA-256 hex
digest of each token to its entry (make a digest with
``python -c "import hashlib,sys;print(hashlib.sha256(sys.argv[1].encode()).hexdigest())" TOKEN``)::

    {"5e88...": {"role": "operator:laiwu", "expires": "2026-12-31T00:00:00+08:00"},
     "9f86...": {"roles": ["operator:laiwu", "admin:linhai"], "expires": "2026-06-30T00:00:00+08:00"},
     "1c2d...": "team:laiwu-volunteers-02"}

Where the map comes from is :mod:`chalicelib.settings` (an SSM SecureString or a Secrets
Manager secret named by ``QINGYI_OPERATOR_TOKENS_PARAMETER``, else the JSON itself in
``QINGYI_OPERATOR_TOKENS`` for local runs and tests). Callers send ``Authorization: Bearer <token>``.

Roles are scoped to a programme (项目群: one county committee's cottages, needs and projects):

- ``operator:<programme_id>`` confirms payments, cancels pledges, decides claims, reads visit
  books and exports, all within that programme only;
- ``admin:<programme_id>`` may do what its programme's operator may, and settles its campaigns;
- ``admin`` (no programme) is platform-wide: every programme;
- ``team:<team_id>`` is a registered volunteer team: it claims needs and keeps the visit books of
  the cottages paired with it, and nothing else.

The unscoped ``operator`` of earlier versions acted on every programme; it is refused
(403 ``unscoped_role``) so that an old token cannot keep that reach. Every operator and admin
entry must carry ``expires``: a map with one that does not is refused whole (503
``token_map_invalid``, naming the entries) rather than half-read. From the expiry (by the API's
clock) the token is refused with 401 ``token_expired``.

No token, or an unknown one → 401 ``unauthorized``; a known token whose role may not do this →
403 ``forbidden``; its role may, but not in this record's programme → 403 ``other_programme``.
Every configured digest is compared with :func:`hmac.compare_digest`, so timing says nothing
about which one matched.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import clock, errors, settings

TEAM_PREFIX = "team:"
#: Role kinds that act for a programme (or, as plain ``admin``, for all) and so must expire.
STAFF = ("operator", "admin")
#: Which access levels each role kind holds.
LEVELS: dict[str, frozenset[str]] = {
    "admin": frozenset({"admin", "operator"}),
    "operator": frozenset({"operator"}),
}
LEGACY_UNSCOPED = "operator"


@dataclass(frozen=True)
class Principal:
    roles: tuple[str, ...]
    token_ref: str  # first 8 hex digits of the digest: enough to tell tokens apart in logs and the audit trail

    @property
    def role(self) -> str:
        """The roles as one text, for records that say who did something."""
        return " ".join(self.roles)

    def _grants(self, level: str) -> list[str | None]:
        """The programmes in which some role of this token holds ``level``; None stands for all."""
        found: list[str | None] = []
        for role in self.roles:
            kind, _, programme = role.partition(":")
            if level not in LEVELS.get(kind, frozenset()):
                continue
            if kind == "admin" and not programme:
                found.append(None)
            elif programme:
                found.append(programme)
        return found

    def may(self, level: str) -> bool:
        """Holds ``level`` in at least one programme."""
        return bool(self._grants(level))

    def may_in(self, level: str, programme_id: str | None) -> bool:
        """Holds ``level`` in this programme (a record with no programme: platform admins only)."""
        grants = self._grants(level)
        return None in grants or (programme_id is not None and programme_id in grants)

    def programmes(self, level: str) -> frozenset[str] | None:
        """The programmes this token holds ``level`` in; None when it holds it in all of them."""
        grants = self._grants(level)
        return None if None in grants else frozenset(p for p in grants if p is not None)

    def acting_role(self, level: str, programme_id: str | None) -> str:
        """The role this token acts in for a record of ``programme_id``: the one granting ``level``
        there (a scoped role before the platform admin), else its team role, else all its roles."""
        for role in sorted(self.roles, key=lambda r: r == "admin"):
            kind, _, programme = role.partition(":")
            if level in LEVELS.get(kind, frozenset()) and (programme == programme_id or role == "admin"):
                return role
        return next((r for r in self.roles if r.startswith(TEAM_PREFIX)), self.role)

    @property
    def team_id(self) -> str | None:
        """The volunteer team this token speaks for (role ``team:<team_id>``), else None."""
        for role in self.roles:
            if role.startswith(TEAM_PREFIX) and role[len(TEAM_PREFIX) :]:
                return role[len(TEAM_PREFIX) :]
        return None


def _expiry(expires: Any) -> datetime | None:
    if expires is None:
        return None
    try:
        moment = datetime.fromisoformat(str(expires))
    except ValueError:
        return datetime.min.replace(tzinfo=clock.BEIJING)  # unreadable expiry: already expired
    return moment if moment.tzinfo else moment.replace(tzinfo=clock.BEIJING)


def _entry(value: Any) -> tuple[tuple[str, ...], datetime | None] | None:
    """A token map value: a role, or {"role" | "roles": ..., "expires": ISO 8601}; None if malformed."""
    if isinstance(value, str):
        return (value,), None
    if not isinstance(value, dict):
        return None
    roles = value.get("roles", [value["role"]] if "role" in value else None)
    if not isinstance(roles, list) or not roles or not all(isinstance(r, str) and r for r in roles):
        return None
    return tuple(roles), _expiry(value.get("expires"))


def is_staff(role: str) -> bool:
    return role.partition(":")[0] in STAFF


def parse_token_map(data: Any) -> dict[str, tuple[tuple[str, ...], datetime | None]]:
    """The token map, checked: every operator and admin entry carries an expiry.

    Raises :class:`errors.TokenMapInvalid` naming each entry (by its digest's first 8 digits)
    that lacks one, so a forgotten expiry is found when the map is read, not years later.
    """
    if not isinstance(data, dict):
        return {}
    entries = {str(k).lower(): _entry(v) for k, v in data.items()}
    found = {k: v for k, v in entries.items() if v is not None}
    endless = sorted(k[:8] for k, (roles, expires) in found.items() if expires is None and any(map(is_staff, roles)))
    if endless:
        raise errors.TokenMapInvalid(endless)
    return found


def token_entries() -> dict[str, tuple[tuple[str, ...], datetime | None]]:
    return parse_token_map(settings.token_map())


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
    for known, (roles, expires) in token_entries().items():
        if hmac.compare_digest(known.encode("ascii", "replace"), digest.encode("ascii")) and found is None:
            found, expiry = Principal(roles=roles, token_ref=digest[:8]), expires
    if found is None:
        raise errors.Unauthorized()
    if expiry is not None and clock.now() >= expiry:
        raise errors.TokenExpired()
    if LEGACY_UNSCOPED in found.roles:
        raise errors.UnscopedRole()
    return found


def require(headers: Any, level: str) -> Principal:
    """The caller, if some role of its token holds ``level`` somewhere (the route then checks where)."""
    principal = identify(headers)
    if not principal.may(level):
        raise errors.Forbidden()
    return principal


def require_in(principal: Principal, level: str, programme_id: str | None) -> None:
    """403 ``other_programme`` unless the principal holds ``level`` in the record's programme."""
    if not principal.may_in(level, programme_id):
        raise errors.OtherProgramme()
