"""The checks every JSON body shares (one place, so every route words them the same)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import errors


def only(data: dict[str, Any], allowed: Iterable[str]) -> None:
    """Refuse a body with a field the route does not accept: a typo must not vanish silently."""
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise errors.UnknownField(f"不认识的字段：{'、'.join(unknown)}", f"unknown field(s): {', '.join(unknown)}")


def require(data: dict[str, Any], names: Iterable[str]) -> None:
    for name in names:
        if name not in data:
            raise errors.MissingField(f"缺少字段 {name}", f"{name} is required")
